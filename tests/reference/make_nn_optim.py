#!/usr/bin/env python3
"""Trajectories of the adaptive optimizers (Adagrad, RMSprop, Adadelta, Adamax, NAdam, RAdam) for
tests/Ember.NN.Tests/AdaptiveOptimTests.cs, on the problem of make_nn.py's optimizers():
loss = sum_k sum(a_k * (p_k - c_k)^2) in float64, two parameters, 8 steps, plus the state dict
after the last step.

    /usr/bin/python3 tests/reference/make_nn_optim.py

Writes tests/Ember.NN.Tests/Data/optimizers_adaptive.json with make_nn.py's layout.
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.NN.Tests", "Data")


def t(x):
    x = x.detach()
    return {"shape": list(x.shape), "data": [float(v) for v in x.reshape(-1).tolist()]}


def main():
    torch.manual_seed(5)
    p0 = [torch.randn(3, 4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)]
    a = [torch.rand(3, 4, dtype=torch.float64) + 0.5, torch.rand(4, dtype=torch.float64) + 0.5]
    c = [torch.randn(3, 4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)]
    configs = [
        ("adagrad", "Adagrad", dict(lr=0.1)),
        ("adagrad_decay_wd_init", "Adagrad", dict(lr=0.2, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3, eps=1e-8)),
        ("adagrad_maximize", "Adagrad", dict(lr=0.05, maximize=True)),
        ("rmsprop", "RMSprop", dict(lr=0.01)),
        ("rmsprop_centered_momentum", "RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.05, momentum=0.8, centered=True)),
        ("rmsprop_momentum_maximize", "RMSprop", dict(lr=0.005, momentum=0.5, maximize=True)),
        ("adadelta", "Adadelta", dict()),
        ("adadelta_wd", "Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
        ("adamax", "Adamax", dict(lr=0.05)),
        ("adamax_wd_maximize", "Adamax", dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1, maximize=True)),
        ("nadam", "NAdam", dict(lr=0.05)),
        ("nadam_wd", "NAdam", dict(lr=0.02, betas=(0.85, 0.95), weight_decay=0.1, momentum_decay=0.01)),
        ("radam", "RAdam", dict(lr=0.05)),
        ("radam_rectified_early", "RAdam", dict(lr=0.02, betas=(0.9, 0.5), weight_decay=0.1)),
    ]
    cases = []
    for name, kind, kw in configs:
        params = [p.clone().requires_grad_(True) for p in p0]
        opt = getattr(torch.optim, kind)(params, **kw)
        steps = []
        for _ in range(8):
            opt.zero_grad()
            loss = sum((ak * (p - ck) ** 2).sum() for p, ak, ck in zip(params, a, c))
            loss.backward()
            opt.step()
            steps.append([t(p) for p in params])
        sd = opt.state_dict()
        state = {str(i): {k: t(v if torch.is_tensor(v) else torch.tensor(v)) for k, v in s.items()} for i, s in sd["state"].items()}
        options = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
        cases.append({"name": name, "optimizer": kind, "options": options, "steps": steps, "state": state,
                      "group_keys": sorted(k for k in sd["param_groups"][0].keys())})
    out = {"p0": [t(p) for p in p0], "a": [t(x) for x in a], "c": [t(x) for x in c], "cases": cases}
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "optimizers_adaptive.json")
    with open(path, "w") as f:
        json.dump(out, f)
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
