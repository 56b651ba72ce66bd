"""PyTorch beside native/bench/bench_resample.cpp: F.interpolate of (8, 16, 64, 64) float32 to twice its size."""
import argparse

import torch
import torch.nn.functional as F

from bench_core import run


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--filter")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    x = torch.randn(8, 16, 64, 64)
    xg = x.clone().requires_grad_()
    for name, mode, corners in (("bilinear", "bilinear", False), ("nearest", "nearest", None)):
        run(f"interpolate_{name}_fwd_2x", "us", 50,
            lambda: F.interpolate(x, scale_factor=2, mode=mode, align_corners=corners), flt=args.filter)

        def fwd_bwd():
            y = F.interpolate(xg, scale_factor=2, mode=mode, align_corners=corners)
            y.backward(y.detach())
            xg.grad = None

        run(f"interpolate_{name}_fwd_bwd_2x", "us", 50, fwd_bwd, flt=args.filter)


if __name__ == "__main__":
    main()
