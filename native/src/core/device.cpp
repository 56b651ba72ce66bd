#include "device.h"

namespace ember {

std::string device_name(Device d) {
  switch (d.type) {
    case DeviceType::CPU:
      return "cpu";
    case DeviceType::CUDA:
      return "cuda:" + std::to_string(d.index);
    case DeviceType::HIP:
      return "hip:" + std::to_string(d.index);
    case DeviceType::Metal:
      return "metal:" + std::to_string(d.index);
  }
  return "device(" + std::to_string(static_cast<int32_t>(d.type)) + "):" + std::to_string(d.index);
}

}  // namespace ember
