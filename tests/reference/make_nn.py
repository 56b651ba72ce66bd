#!/usr/bin/env python3
"""Reference values for tests/Ember.NN.Tests (nn layers, losses, optimizers, schedulers, printing).

Run from the repository root with PyTorch installed (python3-torch, 1.13 on the build machine):
    python3 tests/reference/make_nn.py
It writes small JSON files to tests/Ember.NN.Tests/Data/. A tensor is {"shape": [...], "data": [...]}
(row-major). Layer cases hold the weights, the input, the output, and the gradients of
sum(output * grad_out) with respect to the input and every parameter.
"""
import json
import math
import os

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.NN.Tests", "Data")


def t(x):
    x = x.detach()
    return {"shape": list(x.shape), "data": [float(v) if x.is_floating_point() else int(v) for v in x.reshape(-1).tolist()]}


def layer_case(name, module, x, requires_grad=True):
    x = x.clone().requires_grad_(requires_grad)
    out = module(x)
    gout = torch.randn(out.shape, dtype=out.dtype)
    (out * gout).sum().backward()
    case = {"name": name, "input": t(x), "output": t(out), "grad_out": t(gout),
            "params": {k: t(v) for k, v in module.named_parameters()},
            "grads": {k: t(v.grad) for k, v in module.named_parameters()}}
    if requires_grad:
        case["grad_input"] = t(x.grad)
    return case


def loss_case(name, loss, logits, target, **info):
    x = logits.clone().requires_grad_(True)
    out = loss(x, target)
    gout = torch.randn(out.shape, dtype=out.dtype)
    (out * gout).sum().backward()
    case = {"name": name, "input": t(x), "target": t(target), "output": t(out), "grad_out": t(gout), "grad_input": t(x.grad)}
    case.update(info)
    return case


def layers():
    torch.manual_seed(1)
    cases = []
    cases.append(layer_case("linear", nn.Linear(5, 3), torch.randn(4, 5)))
    cases.append(layer_case("linear_nobias_3d", nn.Linear(4, 2, bias=False), torch.randn(2, 3, 4)))
    cases.append(layer_case("conv2d", nn.Conv2d(2, 3, 3, padding=1), torch.randn(2, 2, 6, 6)))
    cases.append(layer_case("conv2d_stride_dilation", nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)), torch.randn(1, 2, 7, 6)))
    cases.append(layer_case("conv2d_groups_nobias", nn.Conv2d(4, 2, 3, groups=2, bias=False), torch.randn(1, 4, 5, 5)))
    cases.append(layer_case("maxpool2d", nn.MaxPool2d(2), torch.randn(2, 3, 6, 6)))
    cases.append(layer_case("maxpool2d_stride_pad_ceil", nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), torch.randn(1, 2, 6, 7)))
    cases.append(layer_case("relu", nn.ReLU(), torch.randn(3, 4)))
    cases.append(layer_case("flatten", nn.Flatten(), torch.randn(2, 3, 2, 2)))
    cases.append(layer_case("softmax", nn.Softmax(dim=1), torch.randn(3, 5)))
    cases.append(layer_case("logsoftmax", nn.LogSoftmax(dim=1), torch.randn(3, 5)))
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    cases.append(layer_case("mlp", mlp, torch.randn(2, 3, 4)))
    return cases


def losses():
    torch.manual_seed(2)
    logits = torch.randn(6, 4)
    target = torch.tensor([0, 3, 1, 1, 2, 3])
    target_ignored = torch.tensor([0, 3, -100, 1, 2, 3])
    weight = torch.tensor([0.5, 1.0, 2.0, 1.5])
    cases = [
        loss_case("ce_mean", nn.CrossEntropyLoss(), logits, target, reduction="mean"),
        loss_case("ce_sum", nn.CrossEntropyLoss(reduction="sum"), logits, target, reduction="sum"),
        loss_case("ce_none", nn.CrossEntropyLoss(reduction="none"), logits, target, reduction="none"),
        loss_case("ce_weight", nn.CrossEntropyLoss(weight=weight), logits, target, reduction="mean", weight=t(weight)),
        loss_case("ce_ignore", nn.CrossEntropyLoss(), logits, target_ignored, reduction="mean"),
        loss_case("ce_smoothing", nn.CrossEntropyLoss(label_smoothing=0.2), logits, target, reduction="mean", label_smoothing=0.2),
        loss_case("ce_weight_smoothing", nn.CrossEntropyLoss(weight=weight, label_smoothing=0.1), logits, target, reduction="mean",
                  weight=t(weight), label_smoothing=0.1),
        loss_case("nll_mean", nn.NLLLoss(), torch.log_softmax(logits, 1), target, reduction="mean"),
        loss_case("nll_weight_sum", nn.NLLLoss(weight=weight, reduction="sum"), torch.log_softmax(logits, 1), target, reduction="sum", weight=t(weight)),
        loss_case("mse_mean", nn.MSELoss(), torch.randn(3, 4), torch.randn(3, 4), reduction="mean"),
        loss_case("mse_none", nn.MSELoss(reduction="none"), torch.randn(3, 4), torch.randn(3, 4), reduction="none"),
    ]
    return cases


def optimizers():
    """Trajectories on loss = sum_k sum(a_k * (p_k - c_k)^2) in float64, two parameters, 6 steps."""
    torch.manual_seed(3)
    problem = {
        "p0": [torch.randn(3, 4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)],
        "a": [torch.rand(3, 4, dtype=torch.float64) + 0.5, torch.rand(4, dtype=torch.float64) + 0.5],
        "c": [torch.randn(3, 4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)],
    }
    configs = [
        ("sgd", "SGD", dict(lr=0.1)),
        ("sgd_momentum", "SGD", dict(lr=0.05, momentum=0.9)),
        ("sgd_dampening_wd", "SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1)),
        ("sgd_nesterov_maximize", "SGD", dict(lr=0.02, momentum=0.9, nesterov=True, maximize=True)),
        ("adam", "Adam", dict(lr=0.1)),
        ("adam_wd_amsgrad", "Adam", dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, amsgrad=True)),
        ("adamw", "AdamW", dict(lr=0.05, weight_decay=0.1)),
        ("adamw_amsgrad_maximize", "AdamW", dict(lr=0.05, amsgrad=True, maximize=True)),
    ]
    cases = []
    for name, kind, kw in configs:
        params = [p.clone().requires_grad_(True) for p in problem["p0"]]
        opt = getattr(torch.optim, kind)(params, **kw)
        steps = []
        for _ in range(6):
            opt.zero_grad()
            loss = sum((a * (p - c) ** 2).sum() for p, a, c in zip(params, problem["a"], problem["c"]))
            loss.backward()
            opt.step()
            steps.append([t(p) for p in params])
        options = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
        cases.append({"name": name, "optimizer": kind, "options": options, "steps": steps})
    return {"p0": [t(p) for p in problem["p0"]], "a": [t(a) for a in problem["a"]], "c": [t(c) for c in problem["c"]], "cases": cases}


def schedulers():
    S = torch.optim.lr_scheduler
    configs = [
        ("StepLR", lambda o: S.StepLR(o, step_size=3, gamma=0.5), {"step_size": 3, "gamma": 0.5}),
        ("MultiStepLR", lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 8], gamma=0.1), {"milestones": [2, 5, 5, 8], "gamma": 0.1}),
        ("ExponentialLR", lambda o: S.ExponentialLR(o, gamma=0.9), {"gamma": 0.9}),
        ("CosineAnnealingLR", lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.01), {"T_max": 4, "eta_min": 0.01}),
        ("LinearLR", lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 4}),
        ("ConstantLR", lambda o: S.ConstantLR(o, factor=0.5, total_iters=3), {"factor": 0.5, "total_iters": 3}),
        ("LambdaLR", lambda o: S.LambdaLR(o, lr_lambda=lambda e: 0.95 ** e), {"lambda": "0.95**epoch"}),
    ]
    cases = []
    for name, make, args in configs:
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        sched = make(opt)
        lrs = [opt.param_groups[0]["lr"]]
        for _ in range(12):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        cases.append({"name": name, "args": args, "lrs": lrs})
    return cases


class Net(nn.Module):
    """The seed's MNIST CNN, printed for the ToString test."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)


def printing():
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    misc = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False), nn.MaxPool2d(2), nn.MaxPool2d((2, 3), stride=(1, 2)),
                         nn.Dropout(0.25), nn.Identity(), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1))
    net = Net()
    return {"mlp": str(mlp), "misc": str(misc), "net": str(net),
            "net_keys": list(net.state_dict().keys()), "mlp_keys": list(mlp.state_dict().keys())}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, value in [("layers", layers()), ("losses", losses()), ("optimizers", optimizers()),
                        ("schedulers", schedulers()), ("printing", printing())]:
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(value, f)
    print("torch", torch.__version__, "->", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
