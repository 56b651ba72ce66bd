#!/usr/bin/env python3
"""Reference values for Embedding and EmbeddingBag (tests/Ember.NN.Tests/EmbeddingTests.cs).

    /usr/bin/python3 tests/reference/make_nn_embedding.py

Writes tests/Ember.NN.Tests/Data/embedding.json: per case the weight, the integer input (and
offsets, per-sample weights), the options, the output, grad_out, and the gradients of
sum(output * grad_out) for the weight (and per-sample weights); for max_norm also the weight after
the in-place renormalisation.
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.NN.Tests", "Data")


def t(x):
    x = x.detach()
    return {"shape": list(x.shape), "data": [float(f"{v:.9g}") if x.is_floating_point() else int(v) for v in x.reshape(-1).tolist()]}


def embedding_case(name, rows, dim, idx, **opts):
    w = torch.randn(rows, dim)
    c = {"name": name, "kind": "embedding", "weight": t(w), "input": t(idx), "options": opts}
    wp = w.clone().requires_grad_()
    out = F.embedding(idx, wp, padding_idx=opts.get("padding_idx"), max_norm=opts.get("max_norm"),
                      scale_grad_by_freq=opts.get("scale_grad_by_freq", False))
    gout = torch.randn(out.shape)
    (out * gout).sum().backward()
    c.update({"output": t(out), "grad_out": t(gout), "grad_weight": t(wp.grad), "weight_after": t(wp)})
    return c


def bag_case(name, rows, dim, idx, offsets, mode, psw=False, **opts):
    w = torch.randn(rows, dim)
    wp = w.clone().requires_grad_()
    p = torch.rand(idx.shape).requires_grad_() if psw else None
    c = {"name": name, "kind": "bag", "weight": t(w), "input": t(idx), "mode": mode, "options": opts}
    if offsets is not None:
        c["offsets"] = t(offsets)
    if p is not None:
        c["per_sample_weights"] = t(p)
    out = F.embedding_bag(idx, wp, offsets, mode=mode, per_sample_weights=p, **opts)
    gout = torch.randn(out.shape)
    (out * gout).sum().backward()
    c.update({"output": t(out), "grad_out": t(gout), "grad_weight": t(wp.grad)})
    if p is not None:
        c["grad_per_sample_weights"] = t(p.grad)
    return c


def main():
    torch.manual_seed(11)
    i64 = torch.int64
    cases = [
        embedding_case("plain", 10, 4, torch.tensor([[1, 2, 4], [4, 3, 9]], dtype=i64)),
        embedding_case("padding", 10, 3, torch.tensor([[0, 2, 2, 5], [2, 7, 1, 0]], dtype=i64), padding_idx=2),
        embedding_case("scale_grad_by_freq", 6, 3, torch.tensor([1, 1, 1, 4, 5, 4], dtype=i64), scale_grad_by_freq=True),
        embedding_case("max_norm", 8, 5, torch.tensor([[0, 3], [3, 6]], dtype=i64), max_norm=1.5),
        bag_case("sum_offsets", 10, 3, torch.tensor([1, 2, 4, 5, 4, 3, 2, 9], dtype=i64), torch.tensor([0, 3, 3, 6], dtype=i64), "sum"),
        bag_case("mean_offsets_padding", 10, 3, torch.tensor([1, 2, 4, 5, 4, 3, 2, 9], dtype=i64), torch.tensor([0, 2, 5], dtype=i64), "mean", padding_idx=2),
        bag_case("max_offsets", 10, 4, torch.tensor([1, 2, 4, 5, 4, 3, 2, 9], dtype=i64), torch.tensor([0, 4, 5], dtype=i64), "max"),
        bag_case("mean_2d", 7, 3, torch.tensor([[1, 2, 3], [6, 5, 1]], dtype=i64), None, "mean"),
        bag_case("sum_weighted_last_offset", 9, 2, torch.tensor([3, 1, 4, 1, 5, 8], dtype=i64), torch.tensor([0, 2, 6], dtype=i64), "sum",
                 psw=True, include_last_offset=True),
    ]
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "embedding.json")
    with open(path, "w") as f:
        json.dump(cases, f)
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
