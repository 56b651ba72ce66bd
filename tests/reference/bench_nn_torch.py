"""Times PyTorch 1.13 on the same cases as native/bench/bench_nn.cpp, for side-by-side results.

Run with the system interpreter that has torch:
    /usr/bin/python3 tests/reference/bench_nn_torch.py [--threads 2] [--filter SUBSTRING] [--clock cpu]
Prints one JSON object per line: {"bench", "impl": "pytorch", "unit": "us", "median", "n"}.
--clock cpu times with the process's CPU time instead of the wall clock: on a loaded machine and
one thread, that is the time the work itself took (compare with Google Benchmark's CPU column).
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--filter", default="")
parser.add_argument("--clock", choices=["wall", "cpu"], default="wall")
args = parser.parse_args()
clock = time.process_time if args.clock == "cpu" else time.perf_counter
torch.set_num_threads(args.threads)
torch.manual_seed(0)


def timeit(name, fn, n=30, inner=None, extra=None):
    if args.filter not in name:
        return
    fn()  # warm up caches and lazy initialisation
    if inner is None:  # enough calls per sample to last about 2 ms
        t = clock()
        fn()
        inner = max(1, int(0.002 / max(clock() - t, 1e-9)))
    samples = []
    for _ in range(n):
        t = clock()
        for _ in range(inner):
            fn()
        samples.append((clock() - t) / inner * 1e6)
    rec = {"bench": name, "impl": "pytorch", "unit": "us" if args.clock == "wall" else "us_cpu", "median": round(statistics.median(samples), 2), "n": n}
    if extra:
        rec.update(extra(rec["median"]))
    print(json.dumps(rec), flush=True)


def conv_case(name, n, cin, h, cout, k, need_input):
    x = torch.randn(n, cin, h, h)
    w = torch.randn(cout, cin, k, k)
    b = torch.randn(cout)
    ho = h - k + 1
    g = torch.randn(n, cout, ho, ho)
    mask = [bool(need_input), True, True]

    def fwd():
        F.conv2d(x, w, b)

    def fwd_bwd():
        F.conv2d(x, w, b)
        torch.ops.aten.convolution_backward(g, x, w, [cout], [1, 1], [0, 0], [1, 1], False, [0, 0], 1, mask)

    timeit(f"conv2d_fwd/{name}", fwd)
    timeit(f"conv2d_fwd_bwd/{name}", fwd_bwd)


conv_case("64x1x28x28_k5_c10", 64, 1, 28, 10, 5, need_input=False)
conv_case("64x10x12x12_k5_c20", 64, 10, 12, 20, 5, need_input=True)

for name, shape in (("64x10x24x24", (64, 10, 24, 24)), ("64x20x8x8", (64, 20, 8, 8))):
    xp = torch.randn(*shape)
    gp = torch.randn(shape[0], shape[1], shape[2] // 2, shape[3] // 2)

    def pool_fwd_bwd(xp=xp, gp=gp):
        y, idx = F.max_pool2d(xp, 2, return_indices=True)
        torch.ops.aten.max_pool2d_with_indices_backward(gp, xp, [2, 2], [2, 2], [0, 0], [1, 1], False, idx)

    timeit(f"max_pool2d_fwd/{name}", lambda xp=xp: F.max_pool2d(xp, 2, return_indices=True))
    timeit(f"max_pool2d_fwd_bwd/{name}", pool_fwd_bwd)

x = torch.randn(64, 4096)
y = torch.log_softmax(x, 1)
s = torch.softmax(x, 1)
g = torch.randn(64, 4096)
timeit("log_softmax/64x4096", lambda: torch.log_softmax(x, 1))
timeit("softmax/64x4096", lambda: torch.softmax(x, 1))
timeit("log_softmax_backward/64x4096", lambda: torch._log_softmax_backward_data(g, y, 1, torch.float32))
timeit("softmax_backward/64x4096", lambda: torch._softmax_backward_data(g, s, 1, torch.float32))
ln_w, ln_b = torch.randn(4096), torch.randn(4096)
timeit("layer_norm/64x4096", lambda: F.layer_norm(x, (4096,), ln_w, ln_b, 1e-5))

n = 10_000_000
p = torch.nn.Parameter(torch.randn(n))
p.grad = torch.randn(n)
opt = torch.optim.Adam([p], lr=1e-3)
bytes_per_step = n * 4 * 7  # reads param, grad, exp_avg, exp_avg_sq; writes param, exp_avg, exp_avg_sq
timeit("adam_step/10M_f32", opt.step, n=10, inner=1,
       extra=lambda us: {"gbps": round(bytes_per_step / (us * 1e-6) / 1e9, 2)})
