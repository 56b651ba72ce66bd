"""PyTorch's side of benchmarks/Ember.Benchmarks/CudaBench.cs: the seed models' training steps on the GPU
at batch 64 (the MLP, Flatten, 784-512-512-10 with ReLU, SGD lr 1e-3; the CNN of the seed's MNIST
example, SGD lr 0.01 momentum 0.5; cross-entropy), eager and as a replay of a torch.cuda.graph
recording that first copies the next batch into the static inputs. Each repetition queues 200 steps
and synchronises once; the median of 7 is printed as Ember's JSON lines."""
import argparse
import json
import statistics
import time

import torch
from torch import nn

import seed_models

BATCHES = 20


def timed(step, steps_per_rep=200, reps=7):
    for _ in range(steps_per_rep // 4):
        step()
    torch.cuda.synchronize()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(steps_per_rep):
            step()
        torch.cuda.synchronize()
        samples.append((time.perf_counter() - t0) / steps_per_rep)
    return statistics.median(samples)


def emit(name, seconds, reps=7):
    print(json.dumps({"bench": name, "impl": "pytorch", "unit": "ms", "median": seconds * 1e3, "n": reps}), flush=True)


def time_step(name, model, sgd, ready, wanted, dev):
    loss_fn = nn.CrossEntropyLoss()

    def step(x, y):
        sgd.zero_grad(set_to_none=False)
        loss = loss_fn(model(x), y)
        loss.backward()
        sgd.step()
        return loss

    # Warm-up on a side stream, as torch.cuda.graph's documentation asks.
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for i in range(3):
            step(*ready[i])
    torch.cuda.current_stream().wait_stream(side)

    counter = [0]

    def eager():
        x, y = ready[counter[0] % BATCHES]
        counter[0] += 1
        step(x, y)

    if name + "_eager" in wanted:
        emit(name + "_eager", timed(eager))

    static_x = torch.zeros(64, 1, 28, 28, device=dev)
    static_y = torch.zeros(64, dtype=torch.long, device=dev)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step(static_x, static_y)

    def replay():
        x, y = ready[counter[0] % BATCHES]
        counter[0] += 1
        static_x.copy_(x)
        static_y.copy_(y)
        graph.replay()

    if name + "_graph" in wanted:
        emit(name + "_graph", timed(replay))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=0)  # benchmarks/run.sh passes it to every script
    p.add_argument("--filter", default="")
    args = p.parse_args()
    names = [m + "_step_sgd_b64_" + k for m in ("cuda_mlp", "cuda_cnn") for k in ("eager", "graph")]
    wanted = [n for n in names if args.filter in n]
    if not wanted:
        return
    if not torch.cuda.is_available():
        print(json.dumps({"note": "bench_cuda_steps.py: no CUDA device"}))
        return
    dev = "cuda"
    torch.manual_seed(0)
    images = torch.rand(BATCHES * 64, 1, 28, 28, device=dev)
    labels = (torch.rand(BATCHES * 64, device=dev) * 10).long()
    ready = [(images[i * 64:(i + 1) * 64].contiguous(), labels[i * 64:(i + 1) * 64].contiguous()) for i in range(BATCHES)]
    mlp = seed_models.mlp().to(dev)
    time_step("cuda_mlp_step_sgd_b64", mlp, torch.optim.SGD(mlp.parameters(), lr=1e-3), ready, wanted, dev)
    cnn = seed_models.Cnn().to(dev)
    time_step("cuda_cnn_step_sgd_b64", cnn, torch.optim.SGD(cnn.parameters(), lr=0.01, momentum=0.5), ready, wanted,
              dev)

if __name__ == "__main__":
    main()
