// Where a tensor's storage lives.
#pragma once

#include <cstdint>
#include <string>

#include "ember/core.h"

namespace ember {

enum class DeviceType : int32_t {
  CPU = EMBER_DEVICE_CPU,
  CUDA = EMBER_DEVICE_CUDA,
  HIP = EMBER_DEVICE_HIP,
  Metal = EMBER_DEVICE_METAL,
};
inline constexpr int kNumDeviceTypes = 4;

struct Device {
  DeviceType type = DeviceType::CPU;
  int32_t index = 0;
  bool operator==(const Device&) const = default;
  bool is_cpu() const { return type == DeviceType::CPU; }
};

std::string device_name(Device d);  // "cpu", "cuda:0"

}  // namespace ember
