#!/usr/bin/env python3
"""Writes native/tests/data/promotion.txt: torch.promote_types for every pair of Ember's dtypes.

Each line is `a b result` in dtype names as Ember and PyTorch print them (float32, int64, ...).
Run from anywhere with a Python that has PyTorch: python3 tests/reference/make_promotion.py
"""
import os

import torch

DTYPES = [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float16,
          torch.float32, torch.float64, torch.bool, torch.bfloat16]


def name(t):
    return str(t).replace("torch.", "")


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "native", "tests", "data", "promotion.txt")
    with open(path, "w") as f:
        f.write(f"# torch.promote_types(a, b), PyTorch {torch.__version__}; "
                "regenerate with tests/reference/make_promotion.py\n")
        for a in DTYPES:
            for b in DTYPES:
                f.write(f"{name(a)} {name(b)} {name(torch.promote_types(a, b))}\n")


if __name__ == "__main__":
    main()
