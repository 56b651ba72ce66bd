// Convolutions (conv.cu): what a CUDA graph recording needs made before it starts.
#pragma once

#include <cstdint>

namespace ember_cuda {

// Makes the calling thread's cuDNN handle on device, on its current stream, for the recording that
// starts next there: cudnnCreate cannot run while a stream records. Without cuDNN (or when cuDNN
// cannot make a handle) nothing is made and the recording's convolutions take the vol2col path.
void prepare_capture(int32_t device);

}  // namespace ember_cuda
