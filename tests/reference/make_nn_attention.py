#!/usr/bin/env python3
"""Reference values for scaled_dot_product_attention and the Transformer modules (AttentionTests.cs,
TransformerTests.cs).

    /usr/bin/python3 tests/reference/make_nn_attention.py

Writes tests/Ember.NN.Tests/Data/attention.json. PyTorch 1.13 has no public
F.scaled_dot_product_attention, so the SDPA references are its documented math definition in float64
(softmax(q k^T * scale + mask) v) with gradients by autograd. The module cases run torch.nn's
MultiheadAttention, TransformerEncoderLayer, ... in eval mode (dropout off) with random parameters and
store their state dicts, inputs, outputs and a few gradients. Inputs are float32-representable, so the
tests can feed them to float32 and float64 models alike.
"""
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.NN.Tests", "Data")


def t(x):
    x = x.detach()
    if x.dtype == torch.bool:
        return {"shape": list(x.shape), "data": [1.0 if v else 0.0 for v in x.reshape(-1).tolist()], "bool": True}
    # JSON has no infinities: they go as the strings "inf" / "-inf".
    num = lambda v: float(f"{v:.9g}") if math.isfinite(v) else ("inf" if v > 0 else "-inf")
    return {"shape": list(x.shape), "data": [num(v) for v in x.reshape(-1).tolist()]}


def randn(*shape):
    return torch.randn(*shape).double()  # float32 draws: exact in the JSON and in float32


def sdpa_math(q, k, v, mask=None, causal=False, scale=None):
    L, S = q.shape[-2], k.shape[-2]
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ k.transpose(-2, -1) * scale
    if causal:
        s = s.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float("-inf"))
    if mask is not None and mask.dtype == torch.bool:
        s = s.masked_fill(~mask, float("-inf"))
    elif mask is not None:
        s = s + mask
    return torch.softmax(s, -1) @ v


def keep_mask(*shape):
    m = torch.rand(*shape) > 0.4
    m[..., 0] = True  # every row keeps a key: no all-masked (NaN) rows
    return m


def sdpa_case(name, qs, ks, vs, mask=None, causal=False, scale=None):
    q, k, v = randn(*qs).requires_grad_(), randn(*ks).requires_grad_(), randn(*vs).requires_grad_()
    out = sdpa_math(q, k, v, mask, causal, scale)
    g = randn(*out.shape)
    (out * g).sum().backward()
    case = {"name": name, "q": t(q), "k": t(k), "v": t(v), "causal": causal, "out": t(out), "grad_out": t(g),
            "grad_q": t(q.grad), "grad_k": t(k.grad), "grad_v": t(v.grad)}
    if mask is not None:
        case["mask"] = t(mask)
    if scale is not None:
        case["scale"] = scale
    return case


def sdpa_cases():
    return [
        sdpa_case("plain", (2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6)),
        sdpa_case("causal_square", (2, 6, 4), (2, 6, 4), (2, 6, 3), causal=True),
        sdpa_case("causal_wide", (1, 5, 4), (1, 8, 4), (1, 8, 2), causal=True),
        sdpa_case("bool_mask_broadcast", (2, 2, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3), mask=keep_mask(5, 6)),
        sdpa_case("bool_key_padding", (2, 2, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3), mask=keep_mask(2, 1, 1, 6)),
        sdpa_case("float_mask_scale", (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 5), mask=randn(2, 1, 5, 6), scale=0.3),
        sdpa_case("broadcast_batch", (2, 3, 5, 4), (3, 6, 4), (2, 1, 6, 5)),
        sdpa_case("unbatched", (5, 4), (7, 4), (7, 3)),
        sdpa_case("long_causal", (1, 300, 4), (1, 300, 4), (1, 300, 3), causal=True),
        sdpa_case("long_mask", (1, 300, 4), (1, 260, 4), (1, 260, 3), mask=keep_mask(1, 1, 260)),
    ]


def randomize(module):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape) * 0.3)
    return module


def state(module):
    return {k: t(v) for k, v in module.state_dict().items()}


def mha_cases():
    cases = []
    # (name, ctor kwargs, query/key/value shapes (batch_first applied), masks, forward kwargs)
    specs = [
        ("self_seq_first", dict(embed_dim=8, num_heads=2), (5, 3, 8), (5, 3, 8), (5, 3, 8), {}, dict(need_weights=True)),
        ("cross_batch_first_kvdim", dict(embed_dim=8, num_heads=4, kdim=6, vdim=7, batch_first=True),
         (3, 5, 8), (3, 4, 6), (3, 4, 7), {"key_padding_mask": ~keep_mask(3, 4), "attn_mask": randn(5, 4).float()},
         dict(need_weights=False)),
        ("bias_kv_per_head_weights", dict(embed_dim=6, num_heads=3, add_bias_kv=True), (4, 2, 6), (5, 2, 6), (5, 2, 6),
         {"attn_mask": ~keep_mask(2 * 3, 4, 5)}, dict(need_weights=True, average_attn_weights=False)),
        ("no_bias_float_padding", dict(embed_dim=8, num_heads=2, bias=False, batch_first=True), (2, 4, 8), (2, 6, 8),
         (2, 6, 8), {"key_padding_mask": torch.where(keep_mask(2, 6), 0.0, -1e4)}, dict(need_weights=True)),
    ]
    for name, ctor, qs, ks, vs, masks, fwd in specs:
        m = randomize(torch.nn.MultiheadAttention(**ctor)).eval()
        q = randn(*qs).float().requires_grad_()
        k = randn(*ks).float().requires_grad_() if name != "self_seq_first" else q
        v = randn(*vs).float().requires_grad_() if name != "self_seq_first" else q
        out, w = m(q, k, v, **masks, **fwd)
        g = torch.randn(out.shape)
        (out * g).sum().backward()
        first = next(iter(m.parameters()))
        case = {"name": name, "ctor": ctor, "forward": fwd, "state": state(m), "query": t(q), "key": t(k), "value": t(v),
                "self": name == "self_seq_first", "out": t(out), "grad_out": t(g), "grad_query": t(q.grad),
                "first_param": next(iter(m.state_dict().keys())), "grad_first_param": t(first.grad)}
        if w is not None:
            case["weights"] = t(w)
        for key, mask in masks.items():
            case[key] = t(mask)
        cases.append(case)
    return cases


def layer_cases():
    cases = []
    d, h, ff = 8, 2, 16
    for name, kind, kw in [
        ("enc_relu_post", "encoder_layer", dict(activation="relu")),
        ("enc_gelu_pre_batch_first", "encoder_layer", dict(activation="gelu", norm_first=True, batch_first=True)),
        ("dec_relu_post", "decoder_layer", dict(activation="relu")),
        ("dec_gelu_pre_batch_first", "decoder_layer", dict(activation="gelu", norm_first=True, batch_first=True)),
        ("encoder_stack_norm", "encoder", dict(activation="relu")),
        ("decoder_stack_norm", "decoder", dict(activation="gelu", batch_first=True)),
        ("transformer", "transformer", dict(activation="relu")),
    ]:
        bf = kw.get("batch_first", False)
        shape = lambda n, length: (n, length, d) if bf else (length, n, d)
        n, T, S = 2, 4, 5
        tgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(T)
        src_pad = ~keep_mask(n, S)
        case = {"name": name, "kind": kind, "kwargs": kw, "d_model": d, "nhead": h, "dim_feedforward": ff}
        if kind == "encoder_layer":
            m = torch.nn.TransformerEncoderLayer(d, h, ff, dropout=0.1, layer_norm_eps=1e-5, **kw)
            src = randn(*shape(n, S)).float().requires_grad_()
            src_mask = torch.nn.Transformer.generate_square_subsequent_mask(S)
            randomize(m).eval()
            out = m(src, src_mask=src_mask, src_key_padding_mask=src_pad)
            inputs = {"src": src, "src_mask": src_mask, "src_key_padding_mask": src_pad}
        elif kind == "decoder_layer":
            m = torch.nn.TransformerDecoderLayer(d, h, ff, dropout=0.1, **kw)
            tgt, mem = randn(*shape(n, T)).float().requires_grad_(), randn(*shape(n, S)).float()
            randomize(m).eval()
            out = m(tgt, mem, tgt_mask=tgt_mask, memory_key_padding_mask=src_pad)
            inputs = {"tgt": tgt, "memory": mem, "tgt_mask": tgt_mask, "memory_key_padding_mask": src_pad}
        elif kind == "encoder":
            layer = torch.nn.TransformerEncoderLayer(d, h, ff, **kw)
            m = torch.nn.TransformerEncoder(layer, num_layers=2, norm=torch.nn.LayerNorm(d), enable_nested_tensor=False)
            src = randn(*shape(n, S)).float().requires_grad_()
            randomize(m).eval()
            out = m(src, src_key_padding_mask=src_pad)
            inputs = {"src": src, "src_key_padding_mask": src_pad}
        elif kind == "decoder":
            layer = torch.nn.TransformerDecoderLayer(d, h, ff, **kw)
            m = torch.nn.TransformerDecoder(layer, num_layers=2, norm=torch.nn.LayerNorm(d))
            tgt, mem = randn(*shape(n, T)).float().requires_grad_(), randn(*shape(n, S)).float()
            tgt_pad = ~keep_mask(n, T)
            randomize(m).eval()
            out = m(tgt, mem, tgt_mask=tgt_mask, tgt_key_padding_mask=tgt_pad)
            inputs = {"tgt": tgt, "memory": mem, "tgt_mask": tgt_mask, "tgt_key_padding_mask": tgt_pad}
        else:
            m = torch.nn.Transformer(d, h, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=ff, **kw)
            src, tgt = randn(*shape(n, S)).float().requires_grad_(), randn(*shape(n, T)).float()
            randomize(m).eval()
            out = m(src, tgt, tgt_mask=tgt_mask, src_key_padding_mask=src_pad, memory_key_padding_mask=src_pad)
            inputs = {"src": src, "tgt": tgt, "tgt_mask": tgt_mask, "src_key_padding_mask": src_pad,
                      "memory_key_padding_mask": src_pad}
        g = torch.randn(out.shape)
        (out * g).sum().backward()
        first = inputs["src"] if "src" in inputs else inputs["tgt"]
        case.update({"state": state(m), "inputs": {k: t(v) for k, v in inputs.items()}, "out": t(out),
                     "grad_out": t(g), "grad_first_input": t(first.grad)})
        cases.append(case)
    return cases


def main():
    torch.manual_seed(11)
    data = {"sdpa": sdpa_cases(), "mha": mha_cases(), "layers": layer_cases(),
            "square_subsequent_mask_3": t(torch.nn.Transformer.generate_square_subsequent_mask(3))}
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "attention.json")
    with open(path, "w") as f:
        json.dump(data, f)
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
