"""PyTorch beside Ember's core benchmarks (same cases, same JSON lines as benchmarks/Ember.Benchmarks)."""
import argparse
import json
import time

import torch


def run(bench, unit, calls, body, reps=7, extra=None, flt=None):
    if flt and flt not in bench:
        return
    for _ in range(max(1, calls // 4)):
        body()
    scale = {"us": 1e6, "ms": 1e3, "ns": 1e9}[unit]
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(calls):
            body()
        samples.append((time.perf_counter() - start) / calls * scale)
    samples.sort()
    line = {"bench": bench, "impl": "pytorch", "unit": unit, "median": round(samples[reps // 2], 4), "n": reps}
    line.update(extra or {})
    print(json.dumps(line), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--filter")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    a, b = torch.ones(1), torch.ones(1)
    run("add_1elem", "us", 200_000, lambda: a + b, flt=args.filter)
    a, b = torch.rand(16 << 20), torch.rand(16 << 20)
    run("add_16M_f32", "ms", 20, lambda: a + b, extra={"bytes": 3.0 * 4 * (16 << 20)}, flt=args.filter)
    n = 16 << 20
    a, b = torch.full((n,), 0.5), torch.full((n,), 2.0)
    run("exp_16M_f32", "ms", 20, lambda: torch.exp(a), extra={"bytes": 2.0 * 4 * n}, flt=args.filter)
    run("mul_16M_f32", "ms", 20, lambda: a * b, extra={"bytes": 3.0 * 4 * n}, flt=args.filter)
    run("sum_16M_f32", "ms", 20, lambda: a.sum(), extra={"bytes": 4.0 * n}, flt=args.filter)
    run("max_16M_f32", "ms", 20, lambda: a.max(), extra={"bytes": 4.0 * n}, flt=args.filter)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    run("matmul_1024_f32", "ms", 10, lambda: a @ b, extra={"flop": 2.0 * 1024 ** 3}, flt=args.filter)


if __name__ == "__main__":
    main()
