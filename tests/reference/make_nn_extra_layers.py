#!/usr/bin/env python3
"""Reference values for Bilinear and the moments of trunc_normal_ (ExtraLayerTests.cs).

    /usr/bin/python3 tests/reference/make_nn_extra_layers.py

Writes tests/Ember.NN.Tests/Data/extra_layers.json: a Bilinear(4, 5, 3) layer's weight and bias, inputs
(2, 3, 4) and (2, 3, 5), its output, and the gradients of sum(output * grad_out) for both inputs, the
weight and the bias; and the mean and variance of N(mean, std^2) truncated to [a, b] for a few cases
(scipy-free: from the closed form, checked against PyTorch's trunc_normal_ on 10^6 samples).
"""
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.NN.Tests", "Data")


def t(x):
    x = x.detach()
    return {"shape": list(x.shape), "data": [float(f"{v:.9g}") for v in x.reshape(-1).tolist()]}


def truncated_moments(mean, std, a, b):
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2
    al, be = (a - mean) / std, (b - mean) / std
    z = cdf(be) - cdf(al)
    m = mean + std * (phi(al) - phi(be)) / z
    v = std * std * (1 + (al * phi(al) - be * phi(be)) / z - ((phi(al) - phi(be)) / z) ** 2)
    return m, v


def main():
    torch.manual_seed(5)
    layer = torch.nn.Bilinear(4, 5, 3)
    x1 = torch.randn(2, 3, 4, requires_grad=True)
    x2 = torch.randn(2, 3, 5, requires_grad=True)
    out = layer(x1, x2)
    gout = torch.randn(out.shape)
    (out * gout).sum().backward()
    bilinear = {"weight": t(layer.weight), "bias": t(layer.bias), "x1": t(x1), "x2": t(x2), "output": t(out),
                "grad_out": t(gout), "grad_x1": t(x1.grad), "grad_x2": t(x2.grad),
                "grad_weight": t(layer.weight.grad), "grad_bias": t(layer.bias.grad)}
    trunc = []
    for mean, std, a, b in [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0), (0.0, 0.02, -0.04, 0.04)]:
        m, v = truncated_moments(mean, std, a, b)
        sample = torch.nn.init.trunc_normal_(torch.empty(1000000, dtype=torch.float64), mean, std, a, b)
        assert abs(sample.mean().item() - m) < 5e-3 * std and abs(sample.var().item() / v - 1) < 1e-2
        trunc.append({"mean": mean, "std": std, "a": a, "b": b, "expected_mean": m, "expected_var": v})
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "extra_layers.json")
    with open(path, "w") as f:
        json.dump({"bilinear": bilinear, "trunc_normal": trunc}, f)
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
