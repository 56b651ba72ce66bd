#!/usr/bin/env python3
"""Reference values for the normalization modules of tests/Ember.NN.Tests (NormalizationTests.cs).

    /usr/bin/python3 tests/reference/make_nn_norm_modules.py

Writes tests/Ember.NN.Tests/Data/norm_modules.json: per module its initial state dict (randomised
affine parameters and running statistics, with PyTorch's key names), then two training steps
(input, output, the gradients of sum(output * grad_out) for the input and every parameter, taken
from zeroed gradients), one evaluation step, and the final state dict (running statistics and
num_batches_tracked after the training steps). RMSNorm is not in PyTorch 1.13: its module here is
its definition, x * rsqrt(mean(x^2) + eps) * weight.
"""
import json
import os

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.NN.Tests", "Data")


def t(x):
    x = x.detach()
    return {"shape": list(x.shape), "data": [float(f"{v:.9g}") if x.is_floating_point() else int(v) for v in x.reshape(-1).tolist()]}


class RMSNorm(nn.Module):
    def __init__(self, shape, eps=None):
        super().__init__()
        self.shape = tuple(shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.shape))

    def forward(self, x):
        eps = self.eps if self.eps is not None else torch.finfo(x.dtype).eps
        dims = tuple(range(-len(self.shape), 0))
        return x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps) * self.weight


def case(name, module, shape):
    with torch.no_grad():
        for k, v in module.state_dict().items():
            if k.endswith("num_batches_tracked"):
                continue
            if k.endswith("running_var"):
                v.copy_(torch.rand(v.shape) + 0.5)
            else:
                v.copy_(torch.randn(v.shape) * 0.5 + (1.0 if k.endswith("weight") else 0.0))
    c = {"name": name, "initial": {k: t(v) for k, v in module.state_dict().items()}, "train": []}
    module.train()
    for _ in range(2):
        x = (torch.randn(shape) * 2 + 0.5).requires_grad_()
        module.zero_grad()
        out = module(x)
        gout = torch.randn(out.shape)
        (out * gout).sum().backward()
        c["train"].append({"input": t(x), "output": t(out), "grad_out": t(gout), "grad_input": t(x.grad),
                           "grads": {k: t(p.grad) for k, p in module.named_parameters()}})
    module.eval()
    x = torch.randn(shape) * 2 + 0.5
    c["eval"] = {"input": t(x), "output": t(module(x))}
    c["final"] = {k: t(v) for k, v in module.state_dict().items()}
    return c


def main():
    torch.manual_seed(7)
    cases = [
        case("batchnorm1d", nn.BatchNorm1d(4), (6, 4)),
        case("batchnorm1d_3d_cumulative", nn.BatchNorm1d(3, momentum=None), (3, 3, 4)),
        case("batchnorm2d", nn.BatchNorm2d(3), (2, 3, 3, 3)),
        case("batchnorm2d_noaffine_momentum", nn.BatchNorm2d(3, affine=False, momentum=0.3), (2, 3, 2, 3)),
        case("batchnorm2d_untracked", nn.BatchNorm2d(3, track_running_stats=False), (2, 3, 2, 3)),
        case("layernorm", nn.LayerNorm([3, 4]), (2, 2, 3, 4)),
        case("layernorm_noaffine", nn.LayerNorm(7, elementwise_affine=False, eps=1e-3), (4, 7)),
        case("groupnorm", nn.GroupNorm(2, 6), (2, 6, 2, 2)),
        case("instancenorm2d", nn.InstanceNorm2d(3), (2, 3, 3, 3)),
        case("instancenorm2d_affine_tracked", nn.InstanceNorm2d(3, affine=True, track_running_stats=True), (2, 3, 3, 3)),
        case("rmsnorm", RMSNorm([6]), (3, 4, 6)),
    ]
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "norm_modules.json")
    with open(path, "w") as f:
        json.dump(cases, f)
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
