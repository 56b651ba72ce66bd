#!/usr/bin/env python3
"""Reference learning-rate sequences of the schedulers not in make_nn.py (SchedulerTests.cs).

    /usr/bin/python3 tests/reference/make_nn_schedulers.py

Writes tests/Ember.NN.Tests/Data/schedulers_more.json: per case the optimizer (SGD with momentum,
or Adam for OneCycleLR over betas), two parameter groups with their own learning rates, and after
construction and after each step the learning rate (and momentum or beta1, where the scheduler
cycles it) of every group. ReduceLROnPlateau gets a fixed metric sequence.
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.NN.Tests", "Data")
S = torch.optim.lr_scheduler

METRICS = [1.0, 0.9, 0.95, 0.95, 0.9, 0.91, 0.92, 0.5, 0.5, 0.5, 0.5, 0.5, 0.49999, 0.6, 0.7, 0.8, 0.9, 1.0,
           1.1, 1.2]


def groups():
    return [{"params": [torch.zeros(1, requires_grad=True)], "lr": 0.1},
            {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.05}]


def momentum_of(opt, group):
    if "betas" in group:
        return group["betas"][0]
    return group.get("momentum")


def run(name, make, steps=20, adam=False, metrics=None, args=None):
    opt = torch.optim.Adam(groups(), lr=0.1) if adam else torch.optim.SGD(groups(), lr=0.1, momentum=0.9)
    sched = make(opt)
    lrs, moms = [], []

    def record():
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append([momentum_of(opt, g) for g in opt.param_groups])

    record()
    for i in range(steps):
        opt.step()
        if metrics is not None:
            sched.step(metrics[i])
        else:
            sched.step()
        record()
    return {"name": name, "args": args or {}, "lrs": lrs, "momentums": moms}


def main():
    cases = [
        run("CosineAnnealingWarmRestarts", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001)),
        run("CosineAnnealingWarmRestarts_mult1", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4)),
        run("OneCycleLR_cos", lambda o: S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=20), steps=19),
        run("OneCycleLR_linear_three_phase", lambda o: S.OneCycleLR(
            o, max_lr=0.8, epochs=4, steps_per_epoch=5, pct_start=0.25, anneal_strategy="linear", three_phase=True,
            div_factor=10.0, final_div_factor=100.0), steps=19),
        run("OneCycleLR_adam", lambda o: S.OneCycleLR(o, max_lr=0.3, total_steps=12, base_momentum=0.8,
                                                      max_momentum=0.9), steps=11, adam=True),
        run("CyclicLR_triangular", lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3)),
        run("CyclicLR_triangular2", lambda o: S.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.2], step_size_up=2,
                                                         step_size_down=4, mode="triangular2")),
        run("CyclicLR_exp_range", lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range",
                                                       gamma=0.9, cycle_momentum=False)),
        run("ReduceLROnPlateau_min", lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=2), metrics=METRICS),
        run("ReduceLROnPlateau_max_abs_cooldown", lambda o: S.ReduceLROnPlateau(
            o, mode="max", factor=0.1, patience=1, threshold=0.05, threshold_mode="abs", cooldown=2,
            min_lr=[0.001, 0.0004]), metrics=METRICS),
        run("SequentialLR", lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3),
                                                        S.StepLR(o, step_size=2, gamma=0.5),
                                                        S.ExponentialLR(o, gamma=0.9)], milestones=[4, 9])),
        run("ChainedScheduler", lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.1, total_iters=2),
                                                              S.ExponentialLR(o, gamma=0.9)])),
    ]
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "schedulers_more.json")
    with open(path, "w") as f:
        json.dump(cases, f)
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
