#!/usr/bin/env python3
"""Reference values for the recurrent layers and cells and the activation modules (RecurrentTests.cs,
ActivationModuleTests.cs).

    /usr/bin/python3 tests/reference/make_nn_rnn.py

Writes tests/Ember.NN.Tests/Data/rnn.json. Recurrent cases (float64): each layer's state dict, input, initial
states (or null), outputs, final states, and the gradients of sum(output * g_out) + sum(h_n * g_h)
(+ sum(c_n * g_c)) for the input, the initial states and every parameter. Activations: the outputs and
input gradients of prelu, glu, softmin, hardshrink, softshrink (and PReLU's weight gradient), and the
printed form of each activation module.
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.NN.Tests", "Data")


def t(x):
    x = x.detach()
    return {"shape": list(x.shape), "data": [float(f"{v:.12g}") for v in x.reshape(-1).tolist()]}


def recurrent_case(name, kind, args, seq, batch, batch_first, with_state, seed):
    torch.manual_seed(seed)
    cls = {"RNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[kind]
    layer = cls(batch_first=batch_first, **args).double()
    d = 2 if args.get("bidirectional", False) else 1
    states = d * args.get("num_layers", 1)
    h_out = args.get("proj_size", 0) or args["hidden_size"]
    in_shape = [seq, args["input_size"]] if batch is None else ([batch, seq, args["input_size"]] if batch_first else [seq, batch, args["input_size"]])
    x = torch.randn(*in_shape, dtype=torch.float64, requires_grad=True)
    st = [states] if batch is None else [states, batch]
    h0 = torch.randn(*st, h_out, dtype=torch.float64, requires_grad=True) if with_state else None
    c0 = torch.randn(*st, args["hidden_size"], dtype=torch.float64, requires_grad=True) if with_state and kind == "LSTM" else None
    if kind == "LSTM":
        out, (hn, cn) = layer(x, (h0, c0) if with_state else None)
    else:
        out, hn = layer(x, h0)
        cn = None
    g_out, g_h = torch.randn(out.shape, dtype=torch.float64), torch.randn(hn.shape, dtype=torch.float64)
    loss = (out * g_out).sum() + (hn * g_h).sum()
    g_c = None
    if cn is not None:
        g_c = torch.randn(cn.shape, dtype=torch.float64)
        loss = loss + (cn * g_c).sum()
    loss.backward()
    case = {"name": name, "kind": kind, "args": args, "batch_first": batch_first,
            "state_dict": {k: t(v) for k, v in layer.state_dict().items()},
            "input": t(x), "h0": t(h0) if h0 is not None else None, "c0": t(c0) if c0 is not None else None,
            "output": t(out), "h_n": t(hn), "c_n": t(cn) if cn is not None else None,
            "g_out": t(g_out), "g_h": t(g_h), "g_c": t(g_c) if g_c is not None else None,
            "grad_input": t(x.grad), "grad_h0": t(h0.grad) if h0 is not None else None,
            "grad_c0": t(c0.grad) if c0 is not None else None,
            "grads": {k: t(p.grad) for k, p in layer.named_parameters()},
            "repr": repr(layer)}
    return case


def cell_case(name, kind, args, batch, with_state, seed):
    torch.manual_seed(seed)
    cls = {"RNNCell": torch.nn.RNNCell, "LSTMCell": torch.nn.LSTMCell, "GRUCell": torch.nn.GRUCell}[kind]
    cell = cls(**args).double()
    shape = [] if batch is None else [batch]
    x = torch.randn(*shape, args["input_size"], dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(*shape, args["hidden_size"], dtype=torch.float64, requires_grad=True) if with_state else None
    c0 = torch.randn(*shape, args["hidden_size"], dtype=torch.float64, requires_grad=True) if with_state and kind == "LSTMCell" else None
    if kind == "LSTMCell":
        h, c = cell(x, (h0, c0) if with_state else None)
    else:
        h, c = cell(x, h0), None
    g_h = torch.randn(h.shape, dtype=torch.float64)
    loss = (h * g_h).sum()
    g_c = None
    if c is not None:
        g_c = torch.randn(c.shape, dtype=torch.float64)
        loss = loss + (c * g_c).sum()
    loss.backward()
    return {"name": name, "kind": kind, "args": args,
            "state_dict": {k: t(v) for k, v in cell.state_dict().items()},
            "input": t(x), "h0": t(h0) if h0 is not None else None, "c0": t(c0) if c0 is not None else None,
            "h": t(h), "c": t(c) if c is not None else None, "g_h": t(g_h), "g_c": t(g_c) if g_c is not None else None,
            "grad_input": t(x.grad), "grad_h0": t(h0.grad) if h0 is not None else None,
            "grad_c0": t(c0.grad) if c0 is not None else None,
            "grads": {k: t(p.grad) for k, p in cell.named_parameters()},
            "repr": repr(cell)}


def activation_cases():
    torch.manual_seed(11)
    x = (torch.randn(2, 4, 3, dtype=torch.float64) * 2).requires_grad_()
    g = torch.randn(2, 4, 3, dtype=torch.float64)
    cases = []

    def add(name, fn, out_grad_shape=None, extra=None):
        xx = x.detach().clone().requires_grad_()
        tensors = [xx] + (extra or [])
        y = fn(*tensors)
        gy = torch.randn(y.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(len(cases)))
        (y * gy).sum().backward()
        cases.append({"name": name, "input": t(xx), "output": t(y), "g_out": t(gy),
                      "grads": [t(a.grad) for a in tensors]})

    w1 = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    w4 = torch.tensor([0.1, -0.2, 0.5, 2.0], dtype=torch.float64, requires_grad=True)
    add("prelu_shared", lambda a, w: torch.nn.functional.prelu(a, w), extra=[w1])
    add("prelu_channels", lambda a, w: torch.nn.functional.prelu(a, w), extra=[w4])
    add("glu_last", lambda a: torch.nn.functional.glu(a.reshape(2, 3, 4), -1))
    add("glu_dim1", lambda a: torch.nn.functional.glu(a, 1))
    add("softmin_dim1", lambda a: torch.nn.functional.softmin(a, 1))
    add("hardshrink", lambda a: torch.nn.functional.hardshrink(a, 0.5))
    add("hardshrink_1", lambda a: torch.nn.functional.hardshrink(a, 1.0))
    add("softshrink", lambda a: torch.nn.functional.softshrink(a, 0.5))
    add("softshrink_2", lambda a: torch.nn.functional.softshrink(a, 2.0))
    add("softmax2d", lambda a: torch.nn.Softmax2d()(a.reshape(2, 4, 3, 1)))
    return cases


def reprs():
    nn = torch.nn
    mods = {
        "ReLU()": nn.ReLU(), "ReLU(inplace)": nn.ReLU(inplace=True), "ReLU6()": nn.ReLU6(),
        "LeakyReLU()": nn.LeakyReLU(), "LeakyReLU(0.2, inplace)": nn.LeakyReLU(0.2, inplace=True),
        "ELU()": nn.ELU(), "ELU(0.5)": nn.ELU(0.5), "SELU()": nn.SELU(), "CELU(2)": nn.CELU(2.0),
        "GELU()": nn.GELU(), "GELU(tanh)": nn.GELU(approximate="tanh"), "SiLU()": nn.SiLU(), "Mish()": nn.Mish(),
        "Softplus()": nn.Softplus(), "Softplus(0.5, 10)": nn.Softplus(0.5, 10), "Softsign()": nn.Softsign(),
        "Sigmoid()": nn.Sigmoid(), "LogSigmoid()": nn.LogSigmoid(), "Tanh()": nn.Tanh(), "Hardtanh()": nn.Hardtanh(),
        "Hardtanh(-2, 3)": nn.Hardtanh(-2.0, 3.0), "Hardsigmoid()": nn.Hardsigmoid(), "Hardswish()": nn.Hardswish(),
        "Tanhshrink()": nn.Tanhshrink(), "Threshold(0.1, 20)": nn.Threshold(0.1, 20.0), "Softmin(1)": nn.Softmin(1),
        "Softmax2d()": nn.Softmax2d(), "PReLU()": nn.PReLU(), "PReLU(3)": nn.PReLU(3), "GLU()": nn.GLU(),
        "GLU(1)": nn.GLU(1), "Hardshrink()": nn.Hardshrink(), "Softshrink(1)": nn.Softshrink(1.0),
    }
    return {k: repr(v) for k, v in mods.items()}


def main():
    rec = [
        recurrent_case("rnn_tanh_2layer_bidir_state", "RNN", {"input_size": 3, "hidden_size": 4, "num_layers": 2, "bidirectional": True}, 5, 2, False, True, 1),
        recurrent_case("rnn_relu_batch_first", "RNN", {"input_size": 3, "hidden_size": 5, "nonlinearity": "relu"}, 4, 3, True, False, 2),
        recurrent_case("lstm_2layer_bidir_batch_first_state", "LSTM", {"input_size": 3, "hidden_size": 4, "num_layers": 2, "bidirectional": True}, 5, 2, True, True, 3),
        recurrent_case("lstm_proj_unbatched", "LSTM", {"input_size": 4, "hidden_size": 5, "proj_size": 3}, 6, None, False, True, 4),
        recurrent_case("lstm_no_bias_zero_state", "LSTM", {"input_size": 2, "hidden_size": 3, "num_layers": 2, "bias": False}, 4, 3, False, False, 5),
        recurrent_case("gru_2layer_bidir_state", "GRU", {"input_size": 3, "hidden_size": 4, "num_layers": 2, "bidirectional": True}, 5, 2, False, True, 6),
        recurrent_case("gru_batch_first_unbatched_zero_state", "GRU", {"input_size": 3, "hidden_size": 2}, 4, None, True, False, 7),
    ]
    cells = [
        cell_case("rnn_cell_relu", "RNNCell", {"input_size": 3, "hidden_size": 4, "nonlinearity": "relu"}, 2, True, 8),
        cell_case("rnn_cell_tanh_zero_state", "RNNCell", {"input_size": 3, "hidden_size": 4}, 2, False, 9),
        cell_case("lstm_cell", "LSTMCell", {"input_size": 3, "hidden_size": 4}, 3, True, 10),
        cell_case("lstm_cell_unbatched", "LSTMCell", {"input_size": 3, "hidden_size": 2, "bias": False}, None, True, 11),
        cell_case("gru_cell", "GRUCell", {"input_size": 3, "hidden_size": 4}, 2, True, 12),
        cell_case("gru_cell_unbatched_zero_state", "GRUCell", {"input_size": 2, "hidden_size": 3}, None, False, 13),
    ]
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "rnn.json")
    with open(path, "w") as f:
        json.dump({"recurrent": rec, "cells": cells, "activations": activation_cases(), "reprs": reprs()}, f)
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
