"""The seed's CNN trained as examples/FashionMnist trains it (SGD lr 0.01 momentum 0.5, batch 64,
5 epochs, images scaled to [0, 1], cross-entropy), once per seed given, in PyTorch: the spread of
the final test accuracy over seeds is the noise Ember's own result is compared within.
    /usr/bin/python3 tests/reference/train_fashion_mnist_cnn.py [--data DIR] [--device cuda] SEED...
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "benchmarks", "pytorch"))
from seed_models import Cnn  # noqa: E402  (the one PyTorch definition of the seed's CNN)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    sizes = struct.unpack(">" + "i" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(sizes)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--device", default="cpu")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("seeds", type=int, nargs="+")
    args = p.parse_args()
    dev = torch.device(args.device)
    load = lambda name: read_idx(os.path.join(args.data, name))
    xtr = load("train-images-idx3-ubyte.gz").float().div(255).unsqueeze(1).to(dev)
    ytr = load("train-labels-idx1-ubyte.gz").long().to(dev)
    xte = load("t10k-images-idx3-ubyte.gz").float().div(255).unsqueeze(1).to(dev)
    yte = load("t10k-labels-idx1-ubyte.gz").long().to(dev)
    for seed in args.seeds:
        torch.manual_seed(seed)
        model = Cnn().to(dev)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
        start = time.time()
        for _ in range(args.epochs):
            model.train()
            order = torch.randperm(xtr.shape[0], device=dev)
            for i in range(0, xtr.shape[0], 64):
                b = order[i:i + 64]
                loss = F.cross_entropy(model(xtr[b]), ytr[b])
                opt.zero_grad()
                loss.backward()
                opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item() * 100
        print(json.dumps({"seed": seed, "device": args.device, "epochs": args.epochs,
                          "test_accuracy": round(acc, 2), "seconds": round(time.time() - start, 1)}), flush=True)


if __name__ == "__main__":
    main()
