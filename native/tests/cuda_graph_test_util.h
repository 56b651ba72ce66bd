// Shared by the CUDA graph tests: recording happens on a side stream, made current for a test.
#pragma once

#include <gtest/gtest.h>

#include "ember/ember.h"
#include "ember/stream.h"

namespace ember::cuda_test {

inline const ember_device kDev{EMBER_DEVICE_CUDA, 0};

// A new stream, current for the test's lifetime: a graph cannot record the default stream.
class SideStream {
 public:
  SideStream() {
    EXPECT_EQ(ember_stream_create(kDev, 0, &s_), EMBER_OK) << ember_last_error();
    EXPECT_EQ(ember_stream_set_current(kDev, s_), EMBER_OK);
  }
  ~SideStream() {
    ember_stream_set_current(kDev, nullptr);
    ember_stream_synchronize(kDev, s_);
    ember_stream_destroy(kDev, s_);
  }
  SideStream(const SideStream&) = delete;
  SideStream& operator=(const SideStream&) = delete;

 private:
  ember_stream s_ = nullptr;
};

}  // namespace ember::cuda_test
