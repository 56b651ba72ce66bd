// Philox4x32-10 under the plugin's names: the one formula is hostdev/philox.h, which the CPU
// kernels compile too, so both devices draw the same bits for the same (seed, counter).
#pragma once

#include "hostdev/philox.h"

namespace ember_cuda {

using PhiloxWords = ember::Philox4;
using ember::philox4x32;

}  // namespace ember_cuda
