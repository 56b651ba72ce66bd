// Kernels from backend plugins: a plugin hands over C functions (ember/plugin.h); the engine wraps
// each in a bridge of the dispatch stub's own C++ signature and installs that in the stub.
#pragma once

#include <cstdint>

#include "ember/plugin.h"

namespace ember {

// Installs a plugin kernel for device type `device_type` into the stub named `family`. Throws
// Error(EMBER_ERROR_BACKEND) for an unknown family, a signature other than the stub's, or a device
// type without a registered backend.
void register_plugin_kernel(int32_t device_type, const char* family, const char* signature,
                            ember_kernel_fn kernel, void* kernel_ctx);

}  // namespace ember
