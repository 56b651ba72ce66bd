"""PyTorch beside Ember's CNN benchmark (benchmarks/Ember.Benchmarks/CnnBench.cs): the seed CNN's training
step (batch 64, cross-entropy, SGD lr 0.01 momentum 0.5) on batches already in memory, and its forward alone."""
import argparse

import torch
import torch.nn as nn

from bench_core import run
from seed_models import Cnn


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--filter")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    batches = 20
    images = torch.rand(batches * 64, 1, 28, 28)
    labels = (torch.rand(batches * 64) * 10).long()
    ready = [(images[i * 64:(i + 1) * 64].contiguous(), labels[i * 64:(i + 1) * 64].contiguous())
             for i in range(batches)]
    model = Cnn()
    loss_fn = nn.CrossEntropyLoss()
    sgd = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    step_no = [0]

    def step():
        x, y = ready[step_no[0] % batches]
        step_no[0] += 1
        loss = loss_fn(model(x), y)
        sgd.zero_grad()
        loss.backward()
        sgd.step()

    def forward():
        x, y = ready[step_no[0] % batches]
        step_no[0] += 1
        with torch.no_grad():
            loss_fn(model(x), y)

    run("cnn_step_sgd_b64", "ms", 50, step, flt=args.filter)
    run("cnn_forward_b64", "ms", 50, forward, flt=args.filter)


if __name__ == "__main__":
    main()
