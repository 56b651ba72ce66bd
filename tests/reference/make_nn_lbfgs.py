#!/usr/bin/env python3
"""Reference trajectories of torch.optim.LBFGS for tests/Ember.NN.Tests (LBFGSTests.cs).

    /usr/bin/python3 tests/reference/make_nn_lbfgs.py

Writes tests/Ember.NN.Tests/Data/lbfgs.json: the problem (float64 start values x0 (4) and w0 (2, 3), and
a, c (2, 3)) and per case the options and, after each of 4 calls of step(closure), the returned loss,
the parameters, and the state counters func_evals and n_iter. The loss couples a Rosenbrock function of
x with a quartic bowl in w:
    sum(100 (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2) + sum(a (w - c)^4) + 0.1 (sum(x) sum(w))^2
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.NN.Tests", "Data")


def t(x):
    x = x.detach()
    return {"shape": list(x.shape), "data": [float(v) for v in x.reshape(-1).tolist()]}


def loss_of(x, w, a, c):
    rosen = (100 * (x[1:] - x[:-1] * x[:-1]) ** 2 + (1 - x[:-1]) ** 2).sum()
    d = w - c
    return rosen + (a * d * d * d * d).sum() + 0.1 * (x.sum() * w.sum()) ** 2


def main():
    torch.manual_seed(11)
    x0 = torch.tensor([-1.2, 1.0, -0.5, 0.8], dtype=torch.float64)
    w0 = torch.randn(2, 3, dtype=torch.float64)
    a = torch.rand(2, 3, dtype=torch.float64) + 0.5
    c = torch.randn(2, 3, dtype=torch.float64) * 0.5
    configs = [
        ("fixed_step", {"lr": 0.1, "max_iter": 5}),
        ("strong_wolfe", {"lr": 1.0, "max_iter": 10, "line_search_fn": "strong_wolfe"}),
        ("short_history", {"lr": 1.0, "max_iter": 8, "history_size": 2, "line_search_fn": "strong_wolfe"}),
        ("max_eval", {"lr": 0.05, "max_iter": 20, "max_eval": 6, "tolerance_change": 1e-12}),
    ]
    cases = []
    for name, options in configs:
        x = x0.clone().requires_grad_()
        w = w0.clone().requires_grad_()
        opt = torch.optim.LBFGS([x, w], **options)

        def closure():
            opt.zero_grad()
            loss = loss_of(x, w, a, c)
            loss.backward()
            return loss

        steps = []
        for _ in range(4):
            loss = opt.step(closure)
            st = opt.state[x]
            steps.append({"loss": float(loss), "x": t(x), "w": t(w), "func_evals": st["func_evals"],
                          "n_iter": st["n_iter"]})
        cases.append({"name": name, "options": options, "steps": steps})
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "lbfgs.json")
    with open(path, "w") as f:
        json.dump({"x0": t(x0), "w0": t(w0), "a": t(a), "c": t(c), "cases": cases}, f)
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
