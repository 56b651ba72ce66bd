// The engine's persistent thread pool. One job runs at a time: the caller publishes it, wakes the
// workers and takes chunks itself; chunks are claimed through one atomic word that also names the
// job, so a worker waking late can never run a chunk of a job that is already over.
#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "error.h"
#include "parallel.h"

#if defined(__linux__)
#include <sched.h>
#endif

namespace ember {

namespace {

constexpr int kMaxThreads = 4096;
// How long an idle thread spins before it sleeps: back-to-back ops then skip the futex round trip,
// while a quiet engine costs no CPU. A training step from C# leaves gaps between its parallel ops
// (the managed layer, the autograd engine) that 50 us did not cover, and the workers then slept:
// 500 us took the seed CNN's step from 2.8-3.3 to 2.4-2.7 ms on the 2-core dev machine.
constexpr auto kSpinTime = std::chrono::microseconds(500);

thread_local bool t_in_parallel = false;

int default_num_threads() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Spins for up to kSpinTime while pred() is false, then sleeps on `word` until it leaves `old`
// (the writer notifies). Returns when pred() holds.
template <class Word, class Pred>
void spin_then_wait(const std::atomic<Word>& word, Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (int i = 1; !pred(); ++i) {
    cpu_relax();
    if ((i & 63) == 0 && std::chrono::steady_clock::now() > deadline) {
      for (;;) {
        const Word old = word.load(std::memory_order_acquire);
        if (pred()) return;
        word.wait(old, std::memory_order_acquire);
      }
    }
  }
}

class ThreadPool {
 public:
  // OpenBLAS stays on one thread: GEMMs are split over this pool instead (cpu/blas.h).
  ThreadPool() : size_(default_num_threads()) { openblas_set_num_threads(1); }

  int size() const { return size_.load(std::memory_order_relaxed); }

  void resize(int n) {
    EMBER_CHECK(!t_in_parallel, EMBER_ERROR_INVALID_ARGUMENT,
                "set_num_threads: cannot be called from inside a parallel region");
    std::lock_guard<std::mutex> lock(job_mutex_);
    stop_workers();
    size_.store(n, std::memory_order_relaxed);
  }

  void run(int64_t begin, int64_t end, int64_t grain, detail::RangeFn fn, void* ctx) {
    const int64_t n = end - begin;
    grain = grain > 0 ? grain : 1;
    if (n <= grain || size() == 1 || t_in_parallel) return fn(ctx, begin, end);
    // Another thread's job is running: this call goes serial rather than queueing behind it.
    std::unique_lock<std::mutex> lock(job_mutex_, std::try_to_lock);
    const int threads = size();
    if (!lock.owns_lock() || threads == 1) return fn(ctx, begin, end);
    if (static_cast<int>(workers_.size()) != threads - 1) start_workers(threads - 1);

    const int64_t want = std::min<int64_t>(threads, n / grain);
    chunk_ = (n + want - 1) / want;
    const uint32_t nchunks = static_cast<uint32_t>((n + chunk_ - 1) / chunk_);
    fn_ = fn;
    ctx_ = ctx;
    begin_ = begin;
    end_ = end;
    error_ = nullptr;
    failed_.store(false, std::memory_order_relaxed);
    pending_.store(nchunks, std::memory_order_relaxed);
    ++job_;
    claim_.store(static_cast<uint64_t>(job_) << 32 | static_cast<uint64_t>(nchunks) << 16,
                 std::memory_order_release);
    // seq_cst: either notify_all sees a sleeping worker or that worker sees the new value.
    wake_.fetch_add(1, std::memory_order_seq_cst);
    wake_.notify_all();

    t_in_parallel = true;
    run_chunks();
    t_in_parallel = false;
    spin_then_wait(pending_, [&] { return pending_.load(std::memory_order_acquire) == 0; });
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  void start_workers(int count) {
    stop_workers();
    stop_.store(false, std::memory_order_relaxed);
    workers_.reserve(static_cast<size_t>(count));
    // The generation is read here, not by the new thread: a thread that gets going late must still
    // see every later job and stop request as news.
    const uint32_t seen = wake_.load(std::memory_order_acquire);
    for (int i = 0; i < count; ++i) workers_.emplace_back([this, seen] { worker_loop(seen); });
  }

  void stop_workers() {
    if (workers_.empty()) return;
    stop_.store(true, std::memory_order_release);
    wake_.fetch_add(1, std::memory_order_seq_cst);
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
  }

  void worker_loop(uint32_t seen) {
    t_in_parallel = true;
    for (;;) {
      spin_then_wait(wake_, [&] { return wake_.load(std::memory_order_acquire) != seen; });
      seen = wake_.load(std::memory_order_acquire);
      if (stop_.load(std::memory_order_acquire)) return;
      run_chunks();
    }
  }

  // Claims chunks of the published job until none is left. The claim word holds
  // (job << 32 | chunk count << 16 | next chunk); a successful claim pins the job, whose fields
  // stay put until every claimed chunk has finished.
  void run_chunks() {
    uint64_t w = claim_.load(std::memory_order_acquire);
    for (;;) {
      const uint64_t next = w & 0xffffu;
      if (next >= ((w >> 16) & 0xffffu)) return;
      if (!claim_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
        continue;
      }
      run_chunk(static_cast<int64_t>(next));
      w = claim_.load(std::memory_order_acquire);
    }
  }

  void run_chunk(int64_t index) {
    if (!failed_.load(std::memory_order_relaxed)) {
      const int64_t b = begin_ + index * chunk_;
      try {
        fn_(ctx_, b, std::min(end_, b + chunk_));
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex_);
        if (!error_) error_ = std::current_exception();
        failed_.store(true, std::memory_order_relaxed);
      }
    }
    if (pending_.fetch_sub(1, std::memory_order_seq_cst) == 1) pending_.notify_all();
  }

  std::mutex job_mutex_;  // held by the caller for the whole job
  std::atomic<int> size_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stop_{false};

  // The published job; written under job_mutex_ before claim_ is stored.
  detail::RangeFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t begin_ = 0, end_ = 0, chunk_ = 1;
  uint32_t job_ = 0;
  std::exception_ptr error_;
  std::mutex error_mutex_;
  std::atomic<bool> failed_{false};

  std::atomic<uint64_t> claim_{0};
  std::atomic<uint32_t> wake_{0};     // bumped per job and on stop; idle workers sleep on it
  std::atomic<uint32_t> pending_{0};  // chunks not finished yet; the caller sleeps on it
};

// Never destroyed: worker threads must not be joined from static destructors at process exit.
ThreadPool& pool() {
  static ThreadPool* p = new ThreadPool();
  return *p;
}

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int n) {
  EMBER_CHECK(n >= 1 && n <= kMaxThreads, EMBER_ERROR_INVALID_ARGUMENT,
              "set_num_threads: the number of threads must be in [1, ", kMaxThreads, "], got ", n);
  pool().resize(n);
}

namespace detail {
void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, RangeFn fn, void* ctx) {
  if (end <= begin) return;
  pool().run(begin, end, grain, fn, ctx);
}
}  // namespace detail

}  // namespace ember
