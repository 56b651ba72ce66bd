"""PyTorch beside Ember's autograd benchmarks (same cases, same JSON lines as benchmarks/Ember.Benchmarks)."""
import argparse

import torch

from bench_core import run


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--filter")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    a, w, b = (torch.ones(1, requires_grad=True) for _ in range(3))

    def tiny():
        y = (a * w + b).sum()
        y.backward()

    run("autograd_tiny_fwd_bwd", "us", 100_000, tiny, flt=args.filter)


if __name__ == "__main__":
    main()
