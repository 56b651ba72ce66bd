// The index-table ops in CUDA graphs: flip, roll, pad (every mode), repeat_interleave and the
// pad backward (index_add) pass their index tables by value, so they record; each recording is
// replayed on new inputs and compared with the CPU on the same inputs. Ops whose engine meta reads
// an index tensor back to the host (one_hot, repeat_interleave by a tensor) still refuse to
// record, with an error that leaves the recording usable (index_select, take, embedding,
// index_add and index_copy gather or scatter on the device: test_cuda_graph_index_tensor.cpp).
// Skips without the plugin.
#include <functional>

#include "core/ops_index.h"
#include "core/ops_math.h"
#include "core/ops_shape.h"
#include "core/tensor.h"
#include "cuda_graph_test_util.h"
#include "cuda_test_util.h"
#include "ember/graph.h"
#include "ember/stream.h"

namespace ember {
namespace {

using namespace cuda_test;

using Region = std::function<Tensor(const std::vector<Tensor>&)>;

// Records region on CUDA inputs of the given shapes, then three times: new values into the
// inputs, a replay, and the recorded output against region run on the CPU with those values.
void expect_replays_follow_inputs(const std::string& what, const std::vector<DimVector>& shapes,
                                  DType dtype, const Region& region) {
  SideStream side;
  std::vector<Tensor> host, dev;
  for (const DimVector& s : shapes) {
    host.push_back(random_cpu(s, dtype));
    dev.push_back(on_cuda(host.back()));
  }
  expect_same(region(host), region(dev), what + " eager");  // and the warm-up
  ember_cuda_graph g = nullptr;
  Tensor y;
  std::string failure;
  ASSERT_NO_FATAL_FAILURE(record(&g, &failure, [&] { y = region(dev); }));
  ASSERT_TRUE(failure.empty()) << what << " did not record: " << failure;
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < shapes.size(); ++i) {
      host[i] = random_cpu(shapes[i], dtype);
      ops::copy_(dev[i], host[i]);
    }
    ASSERT_EQ(ember_cuda_graph_replay(g), EMBER_OK) << ember_last_error();
    // The dtype's tolerance: the pad backward adds up to three gradients per element with
    // atomics, in any order.
    expect_same(region(host), y, what + " replay " + std::to_string(round));
  }
  EXPECT_EQ(ember_cuda_graph_destroy(g), EMBER_OK) << ember_last_error();
}

TEST(CudaGraphIndex, FlipAndRollRecord) {
  REQUIRE_CUDA();
  for (DType t : {DType::Float32, DType::Int64, DType::Float16, DType::Bool}) {
    const std::string name = dtype_name(t);
    expect_replays_follow_inputs("flip " + name, {{3, 4, 5}}, t, [](const std::vector<Tensor>& v) {
      const int64_t dims[] = {0, 2};
      return ops::flip(v[0], dims);
    });
    expect_replays_follow_inputs("roll " + name, {{3, 4, 5}}, t, [](const std::vector<Tensor>& v) {
      const int64_t shifts[] = {2, -1}, dims[] = {1, 2};
      return ops::roll(v[0], shifts, dims);
    });
  }
  expect_replays_follow_inputs("roll flattened", {{6, 7}}, DType::Float32,
                               [](const std::vector<Tensor>& v) {
                                 const int64_t shift = 10;
                                 return ops::roll(v[0], std::span<const int64_t>(&shift, 1), {});
                               });
}

TEST(CudaGraphIndex, PadInEveryModeAndItsBackwardRecord) {
  REQUIRE_CUDA();
  struct Case {
    ops::PadMode mode;
    std::vector<int64_t> pads;
  };
  const Case cases[] = {
      {ops::PadMode::Constant, {1, 2, -1, 3}},  // a negative pad crops
      {ops::PadMode::Reflect, {2, 1, 1, 3}},
      {ops::PadMode::Replicate, {3, 2, 2, 1}},
      {ops::PadMode::Circular, {2, 4, 1, 1}},
  };
  const DimVector in{2, 5, 6};
  for (const Case& c : cases) {
    const std::string what = "pad mode " + std::to_string(static_cast<int>(c.mode));
    expect_replays_follow_inputs(what, {in}, DType::Float32, [&](const std::vector<Tensor>& v) {
      return ops::pad(v[0], c.pads, c.mode, Scalar::from_float(1.5));
    });
    // The backward takes a gradient of the padded shape.
    const DimVector padded =
        ops::pad(ops::zeros(in, DType::Float32, kCpu), c.pads, c.mode, Scalar::from_int(0))
            ->sizes();
    expect_replays_follow_inputs(
        what + " backward", {padded}, DType::Float64, [&](const std::vector<Tensor>& v) {
          return ops::pad_backward(v[0], std::span<const int64_t>(in.data(), in.size()), c.pads,
                                   c.mode);
        });
  }
}

TEST(CudaGraphIndex, RepeatInterleaveAndChainsRecord) {
  REQUIRE_CUDA();
  expect_replays_follow_inputs("repeat_interleave", {{4, 3}}, DType::Float32,
                               [](const std::vector<Tensor>& v) {
                                 return ops::repeat_interleave(v[0], int64_t{3}, 1, true);
                               });
  expect_replays_follow_inputs("repeat_interleave flattened", {{4, 3}}, DType::Int32,
                               [](const std::vector<Tensor>& v) {
                                 return ops::repeat_interleave(v[0], int64_t{2}, 0, false);
                               });
  // Several index-table ops and arithmetic in one recording.
  expect_replays_follow_inputs(
      "flip, pad, roll and add", {{3, 8}, {3, 12}}, DType::Float32,
      [](const std::vector<Tensor>& v) {
        const int64_t dims[] = {1}, pads[] = {2, 2}, shifts[] = {5};
        const Tensor a =
            ops::pad(ops::flip(v[0], dims), pads, ops::PadMode::Reflect, Scalar::from_int(0));
        return ops::binary(ops::BinaryOp::Add, ops::roll(a, shifts, dims), v[1]);
      });
}

// Tables with no short description still go to the device by copy, outside a recording.
TEST(CudaGraphIndex, IrregularTablesStillWorkEagerly) {
  REQUIRE_CUDA();
  const Tensor x = random_cpu({5, 4}, DType::Float32);
  const Tensor repeats =
      ops::to_dtype(ops::full({5}, Scalar::from_int(1), DType::Float64, kCpu), DType::Int64);
  const int64_t counts[] = {0, 3, 1, 4, 2};
  for (int64_t i = 0; i < 5; ++i)
    ops::fill_(ops::select(repeats, 0, i), Scalar::from_int(counts[i]));
  expect_same(ops::repeat_interleave(x, repeats, 0, true),
              ops::repeat_interleave(on_cuda(x), on_cuda(repeats), 0, true),
              "repeat_interleave by a tensor", 0);
  // Random indices: many short runs, more than a launch carries by value.
  const Tensor wide = random_cpu({2, 300}, DType::Float32);
  const Tensor idx = ops::randint(0, 300, {200}, DType::Int64, kCpu, gen());
  expect_same(ops::index_select(wide, 1, idx), ops::index_select(on_cuda(wide), 1, on_cuda(idx)),
              "index_select random", 0);
}

// The engine reads these ops' index tensors back to check them on the host, which a recording
// cannot do: the op fails with a message that names the graph, and the recording goes on.
TEST(CudaGraphIndex, OpsReadingIndicesBackRefuseAndTheRecordingSurvives) {
  REQUIRE_CUDA();
  SideStream side;
  const Tensor w = on_cuda(random_cpu({10, 4}, DType::Float32));
  const Tensor idx = on_cuda(ops::randint(0, 10, {6}, DType::Int64, kCpu, gen()));
  const Tensor repeats = on_cuda(ops::randint(0, 3, {10}, DType::Int64, kCpu, gen()));
  const std::vector<std::pair<std::string, std::function<Tensor()>>> refused = {
      {"one_hot", [&] { return ops::one_hot(idx, 10); }},
      {"repeat_interleave", [&] { return ops::repeat_interleave(w, repeats, 0, true); }},
  };
  const int64_t dims[] = {0};
  for (const auto& [name, op] : refused) {
    op();  // warm-up
    ember_cuda_graph g = nullptr;
    ASSERT_EQ(ember_cuda_graph_create(kDev, &g), EMBER_OK) << ember_last_error();
    ASSERT_EQ(ember_cuda_graph_capture_begin(g), EMBER_OK) << ember_last_error();
    try {
      op();
      ADD_FAILURE() << name << " recorded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("CUDA graph"), std::string::npos) << e.what();
    }
    const Tensor y = ops::flip(w, dims);  // the recording goes on
    ASSERT_EQ(ember_cuda_graph_capture_end(g), EMBER_OK) << ember_last_error();
    ASSERT_EQ(ember_cuda_graph_replay(g), EMBER_OK) << ember_last_error();
    expect_same(ops::flip(ops::to_device(w, kCpu), dims), y, name + ": flip after the refusal", 0);
    EXPECT_EQ(ember_cuda_graph_destroy(g), EMBER_OK);
  }
}

}  // namespace
}  // namespace ember
