"""Times PyTorch on the cases of native/bench/bench_attention.cpp, for side-by-side results.

    /usr/bin/python3 tests/reference/bench_attention_torch.py [--threads 2] [--n 5]

PyTorch 1.13 has only the private F._scaled_dot_product_attention (the math path: it forms the whole
L x S matrix); later versions have F.scaled_dot_product_attention (a fused CPU kernel since 2.1).
Prints one JSON object per line: {"bench", "impl": "pytorch", "unit": "ms", "median", "n"}.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--n", type=int, default=5)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)


def sdpa(q, k, v, causal):
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    return F._scaled_dot_product_attention(q, k, v, None, 0.0, False, causal)[0]


def case(causal, backward):
    B, H, L, E = 8, 8, 1024, 64
    q, k, v = (torch.randn(B, H, L, E, requires_grad=backward) for _ in range(3))
    g = torch.randn(B, H, L, E)

    def run():
        if backward:
            out = sdpa(q, k, v, causal)
            torch.autograd.grad(out, (q, k, v), g)
        else:
            with torch.no_grad():
                sdpa(q, k, v, causal)

    run()
    samples = []
    for _ in range(args.n):
        t = time.perf_counter()
        run()
        samples.append((time.perf_counter() - t) * 1e3)
    name = ("sdpa_fwd_bwd" if backward else "sdpa_fwd") + ("_causal" if causal else "") + "/8x8x1024x64"
    print(json.dumps({"bench": name, "impl": "pytorch", "torch": torch.__version__, "threads": args.threads,
                      "unit": "ms", "median": round(statistics.median(samples), 2), "n": args.n}), flush=True)


for backward in (False, True):
    for causal in (False, True):
        case(causal, backward)
