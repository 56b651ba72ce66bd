// Shared by the CUDA graph tests: recording happens on a side stream, made current for a test.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "ember/ember.h"
#include "ember/graph.h"
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

// Records region() into a new graph *g on the current stream; what region() threw while recording
// goes to *failure (left empty when it recorded). Call it inside ASSERT_NO_FATAL_FAILURE.
template <class F>
void record(ember_cuda_graph* g, std::string* failure, F&& region) {
  ASSERT_EQ(ember_cuda_graph_create(kDev, g), EMBER_OK) << ember_last_error();
  ASSERT_EQ(ember_cuda_graph_capture_begin(*g), EMBER_OK) << ember_last_error();
  try {
    region();
  } catch (const Error& e) {
    *failure = e.what();
  }
  ASSERT_EQ(ember_cuda_graph_capture_end(*g), EMBER_OK) << ember_last_error();
}

}  // namespace ember::cuda_test
