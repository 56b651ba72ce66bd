"""PyTorch's side of native/bench/bench_cuda_attention.cpp: F.scaled_dot_product_attention in
float16 on the same shapes (batch 8, 16 heads, L = S = 2048, head dims 64 and 128, causal or not),
forward alone and forward + backward, timed the same way (call plus torch.cuda.synchronize per
iteration, median), printed as Ember's JSON lines. PyTorch picks its own kernel (FlashAttention on
an H200); FLOP counts as the native side's."""
import argparse
import json

import torch
import torch.nn.functional as F

from bench_cuda import timed

BATCH, HEADS, LEN = 8, 16, 2048


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--filter", default="")
    args = p.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"note": "bench_cuda_attention.py: no CUDA device"}))
        return
    torch.manual_seed(0)
    for e in (64, 128):
        q, k, v, g = (torch.randn(BATCH, HEADS, LEN, e, device="cuda", dtype=torch.float16)
                      for _ in range(4))
        qg, kg, vg = (t.clone().requires_grad_() for t in (q, k, v))
        for causal in (0, 1):
            for bwd in (0, 1):
                name = f"cuda_sdpa/impl:pytorch/e:{e}/causal:{causal}/bwd:{bwd}"
                if args.filter and args.filter not in name:
                    continue
                if bwd:
                    def fn(causal=causal):
                        out = F.scaled_dot_product_attention(qg, kg, vg, is_causal=bool(causal))
                        qg.grad = kg.grad = vg.grad = None
                        out.backward(g)
                else:
                    def fn(causal=causal):
                        with torch.no_grad():
                            F.scaled_dot_product_attention(q, k, v, is_causal=bool(causal))
                seconds = timed(fn, 20)
                flop = (14.0 if bwd else 4.0) * BATCH * HEADS * LEN * LEN * e * (0.5 if causal else 1.0)
                print(json.dumps({"bench": name, "impl": "pytorch", "unit": "ms", "median": seconds * 1e3,
                                  "min_reps": 20, "TFLOPS": flop * 1e-12 / seconds}), flush=True)


if __name__ == "__main__":
    main()
