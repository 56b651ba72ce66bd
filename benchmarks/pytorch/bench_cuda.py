"""PyTorch's side of native/bench/bench_cuda.cpp: the same cases, timed the same way (call plus
torch.cuda.synchronize per iteration, median of repetitions), printed as Ember's JSON lines."""
import argparse
import json
import statistics
import time

import torch


def timed(fn, reps, min_seconds=1.5):
    """Median of at least reps iterations that together run min_seconds: about as long as the
    native side's 3 repetitions of Google Benchmark's 0.5 s, so both reach the same clock and
    power state (a short burst of large GEMMs runs above the GPU's sustained clock)."""
    fn()
    torch.cuda.synchronize()
    times = []
    while len(times) < reps or sum(times) < min_seconds:
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def call_only(fn, reps=300):
    """Median host time of one call, from batches of 100 calls with the synchronisation after each
    batch left out of the clock (bench_cuda.cpp's host_timed)."""
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(100):
            fn()
        times.append((time.perf_counter() - t0) / 100)
        torch.cuda.synchronize()
    return statistics.median(times)


def emit(name, seconds, unit, reps, **rates):
    scale = {"us": 1e6, "ms": 1e3}[unit]
    line = {"bench": name, "impl": "pytorch", "unit": unit, "median": seconds * scale, "min_reps": reps}
    line.update({k: v / seconds for k, v in rates.items()})
    print(json.dumps(line), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--filter", default="")
    args = p.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"note": "bench_cuda.py: no CUDA device"}))
        return
    dev = "cuda"
    n28 = 1 << 28
    cases = []
    a1 = torch.ones(1, device=dev)
    b1 = torch.full((1,), 2.0, device=dev)
    cases.append(("cuda_add_1elem/impl:pytorch", lambda: a1 + b1, "us", 2000, {}))

    def thousand_adds():
        for _ in range(1000):
            a1 + b1

    cases.append(("cuda_add_1elem_host/impl:pytorch", thousand_adds, "us", 50, {}))
    if not args.filter or args.filter in "cuda_add_1elem_call/impl:pytorch":
        emit("cuda_add_1elem_call/impl:pytorch", call_only(lambda: a1 + b1), "us", 300)
    a = torch.ones(n28, device=dev)
    b = torch.full((n28,), 2.0, device=dev)
    cases.append(("cuda_add_2^28/impl:pytorch", lambda: a + b, "ms", 50, {"TBps": 12.0 * n28 * 1e-12}))
    cases.append(("cuda_sum_2^28/impl:pytorch", lambda: a.sum(), "ms", 50, {"TBps": 4.0 * n28 * 1e-12}))
    x = torch.randn(65536, 4096, device=dev)
    cases.append(("cuda_softmax_4096/impl:pytorch", lambda: torch.softmax(x, 1), "ms", 50,
                  {"TBps": 8.0 * 65536 * 4096 * 1e-12}))
    codes = {torch.float32: 6, torch.float16: 5, torch.bfloat16: 15}
    for n in (4096, 8192):
        for dt in (torch.float32, torch.float16, torch.bfloat16):
            m1 = torch.full((n, n), 0.01, device=dev, dtype=dt)
            m2 = torch.full((n, n), 0.02, device=dev, dtype=dt)
            cases.append((f"cuda_gemm/impl:pytorch/n:{n}/dtype:{codes[dt]}", lambda m1=m1, m2=m2: m1 @ m2,
                          "ms", 20, {"TFLOPS": 2.0 * n ** 3 * 1e-12}))
    for name, fn, unit, reps, rates in cases:
        if args.filter and args.filter not in name:
            continue
        emit(name, timed(fn, reps), unit, reps, **rates)
    # float32 on TensorFloat-32 tensor cores, as bench_cuda.cpp's cuda_gemm_tf32.
    for n in (4096, 8192):
        name = f"cuda_gemm_tf32/impl:pytorch/n:{n}/dtype:6"
        if args.filter and args.filter not in name:
            continue
        m1 = torch.full((n, n), 0.01, device=dev)
        m2 = torch.full((n, n), 0.02, device=dev)
        torch.backends.cuda.matmul.allow_tf32 = True
        emit(name, timed(lambda: m1 @ m2, 20), "ms", 20, TFLOPS=2.0 * n ** 3 * 1e-12)
        torch.backends.cuda.matmul.allow_tf32 = False


if __name__ == "__main__":
    main()
