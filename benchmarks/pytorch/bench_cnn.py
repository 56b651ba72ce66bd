"""PyTorch beside Ember's CNN benchmark (benchmarks/Ember.Benchmarks/CnnBench.cs): the seed CNN's training
step (batch 64, cross-entropy, SGD lr 0.01 momentum 0.5) on batches already in memory, and its forward alone."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

from bench_core import run


class Cnn(nn.Module):
    """The seed's MNIST CNN, as in examples/FashionMnist."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        return self.fc2(x)


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
