// The thread pool: coverage of the range, chunking, inline cases, nesting, exceptions, resizing,
// BLAS thread cap, and concurrent callers.
#include <cblas.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"

namespace ember {
namespace {

// Restores the pool size a test changed.
struct ThreadsGuard {
  int saved = num_threads();
  ~ThreadsGuard() { set_num_threads(saved); }
};

TEST(ThreadPool, DefaultSizeIsTheCoreCount) {
  EXPECT_GE(num_threads(), 1);
  EXPECT_LE(num_threads(), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

TEST(ThreadPool, CoversEachIndexOnce) {
  ThreadsGuard guard;
  for (int threads : {1, 2, 3, 7}) {
    set_num_threads(threads);
    for (int64_t n : {0, 1, 2, 5, 63, 64, 65, 1000, 100003}) {
      for (int64_t grain : {1, 7, 64, 5000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        std::atomic<int> chunks{0};
        std::mutex m;
        std::vector<std::pair<int64_t, int64_t>> ranges;
        parallel_for(10, 10 + n, grain, [&](int64_t b, int64_t e) {
          ++chunks;
          {
            std::lock_guard<std::mutex> lock(m);
            ranges.emplace_back(b, e);
          }
          for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i - 10)]++;
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << i;
        if (n == 0) {
          EXPECT_EQ(chunks.load(), 0);
          continue;
        }
        EXPECT_LE(chunks.load(), threads) << "n=" << n << " grain=" << grain;
        // Chunks hold at least `grain` items, except the last one of a split range.
        if (chunks.load() > 1) {
          std::sort(ranges.begin(), ranges.end());
          for (size_t c = 0; c + 1 < ranges.size(); ++c) {
            EXPECT_GE(ranges[c].second - ranges[c].first, grain);
          }
        }
      }
    }
  }
}

TEST(ThreadPool, SmallRangesAndOneThreadRunInline) {
  ThreadsGuard guard;
  set_num_threads(2);
  const std::thread::id me = std::this_thread::get_id();
  std::thread::id ran;
  parallel_for(0, 10, 10, [&](int64_t, int64_t) { ran = std::this_thread::get_id(); });
  EXPECT_EQ(ran, me);
  set_num_threads(1);
  std::set<std::thread::id> ids;
  parallel_for(0, 1000, 1, [&](int64_t, int64_t) { ids.insert(std::this_thread::get_id()); });
  EXPECT_EQ(ids, std::set<std::thread::id>{me});
}

TEST(ThreadPool, UsesSeveralThreadsAtOnce) {
  ThreadsGuard guard;
  set_num_threads(2);
  // Each of the two chunks waits for the other to start: only two threads running together pass.
  std::atomic<int> started{0};
  std::atomic<bool> both{true};
  parallel_for(0, 2, 1, [&](int64_t, int64_t) {
    ++started;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (started.load() < 2) {
      if (std::chrono::steady_clock::now() > deadline) {
        both = false;
        return;
      }
      std::this_thread::yield();
    }
  });
  EXPECT_TRUE(both.load());
}

TEST(ThreadPool, NestedCallsRunInline) {
  ThreadsGuard guard;
  set_num_threads(2);
  std::atomic<int64_t> total{0};
  std::atomic<bool> inline_ok{true};
  parallel_for(0, 4, 1, [&](int64_t b, int64_t e) {
    const std::thread::id outer = std::this_thread::get_id();
    for (int64_t i = b; i < e; ++i) {
      parallel_for(0, 1000, 1, [&](int64_t ib, int64_t ie) {
        if (std::this_thread::get_id() != outer || ib != 0 || ie != 1000) inline_ok = false;
        total += ie - ib;
      });
    }
  });
  EXPECT_TRUE(inline_ok.load());
  EXPECT_EQ(total.load(), 4000);
}

TEST(ThreadPool, ExceptionsReachTheCaller) {
  ThreadsGuard guard;
  for (int threads : {1, 2, 4}) {
    set_num_threads(threads);
    try {
      parallel_for(0, 1000, 1, [&](int64_t b, int64_t e) {
        if (b <= 700 && 700 < e) EMBER_FAIL(EMBER_ERROR_SHAPE, "chunk [", b, ", ", e, ") failed");
      });
      ADD_FAILURE() << "no exception";
    } catch (const Error& err) {
      EXPECT_EQ(err.status(), EMBER_ERROR_SHAPE);
      EXPECT_NE(std::string(err.what()).find("failed"), std::string::npos);
    }
    EXPECT_THROW(parallel_for(0, 100, 1, [](int64_t, int64_t) { throw std::out_of_range("x"); }),
                 std::out_of_range);
    // The pool still works afterwards.
    std::atomic<int64_t> sum{0};
    parallel_for(0, 1000, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) sum += i;
    });
    EXPECT_EQ(sum.load(), 499500);
  }
}

// OpenBLAS stays on one thread whatever the pool's size: GEMMs are split over the pool instead.
TEST(ThreadPool, ResizeKeepsBlasOnOneThread) {
  ThreadsGuard guard;
  set_num_threads(3);
  EXPECT_EQ(num_threads(), 3);
  EXPECT_EQ(openblas_get_num_threads(), 1);
  set_num_threads(1);
  EXPECT_EQ(num_threads(), 1);
  EXPECT_EQ(openblas_get_num_threads(), 1);
  EXPECT_THROW(set_num_threads(0), Error);
  EXPECT_THROW(set_num_threads(-2), Error);
  EXPECT_THROW(set_num_threads(1 << 20), Error);
  EXPECT_EQ(num_threads(), 1);
  set_num_threads(2);
  std::atomic<bool> refused{false};
  parallel_for(0, 2, 1, [&](int64_t, int64_t) {
    try {
      set_num_threads(1);
    } catch (const Error& e) {
      refused = e.status() == EMBER_ERROR_INVALID_ARGUMENT;
    }
  });
  EXPECT_TRUE(refused.load());
  EXPECT_EQ(num_threads(), 2);
}

TEST(ThreadPool, ConcurrentCallersAndManySmallJobs) {
  ThreadsGuard guard;
  set_num_threads(2);
  std::vector<std::thread> callers;
  std::atomic<int> wrong{0};
  for (int c = 0; c < 3; ++c) {
    callers.emplace_back([&, c] {
      for (int rep = 0; rep < 2000; ++rep) {
        const int64_t n = 17 + (rep * 31 + c) % 200;
        std::atomic<int64_t> sum{0};
        parallel_for(0, n, 4, [&](int64_t b, int64_t e) {
          int64_t s = 0;
          for (int64_t i = b; i < e; ++i) s += i;
          sum += s;
        });
        if (sum.load() != n * (n - 1) / 2) ++wrong;
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace ember
