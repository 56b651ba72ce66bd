#!/usr/bin/env python3
"""Reference values for the convolution and pooling family (ConvPoolTests.cs).

    /usr/bin/python3 tests/reference/make_nn_conv_pool.py

Writes tests/Ember.NN.Tests/Data/conv_pool.json:
  "functional": F.conv1d/2d/3d, F.conv_transpose1d/2d/3d, F.avg_pool1d/2d, F.max_pool1d,
      F.adaptive_avg_pool1d/2d, F.adaptive_max_pool1d/2d, F.unfold, F.fold cases in float64: the
      inputs, the keyword arguments, the output (and indices), and the gradients of
      sum(output * grad_out) for every input. "input_layout": "nlc" means the stored input is
      channels-last and the test transposes it to channels-first (a non-contiguous input).
  "modules": Conv1d, Conv3d, ConvTranspose1d/2d, MaxPool1d, AvgPool1d/2d, AdaptiveAvgPool1d/2d,
      AdaptiveMaxPool2d, Fold, Unfold: constructor arguments, repr, state dict, input, output and
      gradients (float32).
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.NN.Tests", "Data")


def t(x):
    x = x.detach()
    if x.dtype == torch.int64:
        return {"shape": list(x.shape), "data": x.reshape(-1).tolist()}
    return {"shape": list(x.shape), "data": [float(f"{v:.17g}") for v in x.reshape(-1).tolist()]}


def conv_case(name, op, x_shape, w_shape, bias=True, layout="ncl", **kw):
    fn = getattr(F, op)
    if layout == "nlc":  # stored channels-last; the op sees a transposed (non-contiguous) view
        stored = torch.randn([x_shape[0]] + list(x_shape[2:]) + [x_shape[1]], dtype=torch.float64)
        x = stored.movedim(-1, 1).detach().requires_grad_()
    else:
        stored = torch.randn(x_shape, dtype=torch.float64)
        x = stored.clone().requires_grad_()
    w = torch.randn(w_shape, dtype=torch.float64, requires_grad=True)
    b = None
    if bias:
        out_ch = w_shape[1] * kw.get("groups", 1) if "transpose" in op else w_shape[0]
        b = torch.randn(out_ch, dtype=torch.float64, requires_grad=True)
    y = fn(x, w, b, **kw)
    g = torch.randn(y.shape, dtype=torch.float64)
    (y * g).sum().backward()
    case = {"name": name, "op": op, "kwargs": kw, "input_layout": layout, "input": t(stored), "weight": t(w),
            "output": t(y), "grad_out": t(g), "grad_input": t(x.grad), "grad_weight": t(w.grad)}
    if b is not None:
        case["bias"] = t(b)
        case["grad_bias"] = t(b.grad)
    return case


def unary_case(name, op, x_shape, layout="ncl", indices=False, **kw):
    fn = getattr(F, op)
    if layout == "nlc":
        stored = torch.randn([x_shape[0]] + list(x_shape[2:]) + [x_shape[1]], dtype=torch.float64)
        x = stored.movedim(-1, 1).detach().requires_grad_()
    else:
        stored = torch.randn(x_shape, dtype=torch.float64)
        x = stored.clone().requires_grad_()
    if indices:
        y, ix = fn(x, return_indices=True, **kw)
    else:
        y, ix = fn(x, **kw), None
    g = torch.randn(y.shape, dtype=torch.float64)
    (y * g).sum().backward()
    case = {"name": name, "op": op, "kwargs": kw, "input_layout": layout, "input": t(stored), "output": t(y),
            "grad_out": t(g), "grad_input": t(x.grad)}
    if ix is not None:
        case["indices"] = t(ix)
    return case


def functional_cases():
    c = []
    # convolutions
    c.append(conv_case("conv1d_basic", "conv1d", (2, 3, 10), (4, 3, 3)))
    c.append(conv_case("conv1d_stride_pad_dil_groups", "conv1d", (2, 4, 11), (6, 2, 3), stride=2, padding=2, dilation=2, groups=2))
    c.append(conv_case("conv1d_same_asymmetric", "conv1d", (2, 3, 9), (5, 3, 4), padding="same"))
    c.append(conv_case("conv1d_valid_nobias", "conv1d", (2, 3, 9), (5, 3, 4), bias=False, padding="valid"))
    c.append(conv_case("conv1d_depthwise_same_dilated", "conv1d", (1, 4, 8), (4, 1, 3), padding="same", dilation=2, groups=4))
    c.append(conv_case("conv1d_noncontiguous", "conv1d", (2, 3, 10), (4, 3, 3), layout="nlc", padding=1))
    c.append(conv_case("conv1d_unbatched", "conv1d", (3, 7), (2, 3, 2)))
    c.append(conv_case("conv2d_same_dilated", "conv2d", (2, 3, 7, 6), (4, 3, 3, 4), padding="same", dilation=(1, 2)))
    c.append(conv_case("conv2d_groups_dil_stride", "conv2d", (2, 4, 9, 8), (6, 2, 3, 3), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2))
    c.append(conv_case("conv2d_noncontiguous", "conv2d", (2, 3, 6, 5), (4, 3, 2, 2), layout="nlc", stride=2, padding=1))
    c.append(conv_case("conv3d_basic", "conv3d", (2, 2, 5, 6, 5), (3, 2, 3, 2, 3)))
    c.append(conv_case("conv3d_stride_pad_dil_groups", "conv3d", (1, 4, 7, 6, 7), (4, 2, 3, 3, 2), stride=(2, 1, 2), padding=(1, 0, 1),
                       dilation=(1, 2, 1), groups=2))
    c.append(conv_case("conv3d_same", "conv3d", (1, 2, 5, 5, 4), (2, 2, 2, 3, 3), padding="same"))
    c.append(conv_case("conv3d_depthwise_noncontiguous", "conv3d", (2, 3, 4, 5, 4), (3, 1, 2, 2, 2), layout="nlc", groups=3, padding=1))
    c.append(conv_case("conv3d_unbatched_nobias", "conv3d", (2, 4, 4, 4), (2, 2, 3, 3, 3), bias=False, stride=2, padding=1))
    c.append(conv_case("conv_transpose1d_basic", "conv_transpose1d", (2, 3, 6), (3, 4, 3), stride=2, padding=1, output_padding=1))
    c.append(conv_case("conv_transpose1d_groups_dil", "conv_transpose1d", (2, 4, 5), (4, 3, 3), stride=3, padding=2, output_padding=2, groups=2,
                       dilation=2))
    c.append(conv_case("conv_transpose1d_unbatched_nobias", "conv_transpose1d", (3, 5), (3, 2, 4), bias=False))
    c.append(conv_case("conv_transpose2d_basic", "conv_transpose2d", (2, 3, 4, 5), (3, 2, 3, 3), stride=2, padding=1, output_padding=1))
    c.append(conv_case("conv_transpose2d_groups_dil", "conv_transpose2d", (1, 4, 5, 4), (4, 3, 2, 3), stride=(1, 2), padding=(0, 1),
                       output_padding=(0, 1), groups=2, dilation=(2, 1)))
    c.append(conv_case("conv_transpose2d_noncontiguous", "conv_transpose2d", (2, 2, 3, 4), (2, 3, 3, 2), layout="nlc", stride=2))
    c.append(conv_case("conv_transpose3d_basic", "conv_transpose3d", (1, 2, 3, 4, 3), (2, 2, 2, 3, 2), stride=(2, 1, 2), padding=(0, 1, 1),
                       output_padding=(1, 0, 0)))
    # pooling
    c.append(unary_case("avg_pool1d_ceil_nopad", "avg_pool1d", (2, 3, 11), kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False))
    c.append(unary_case("avg_pool1d_pad", "avg_pool1d", (2, 3, 12), kernel_size=4, stride=3, padding=2))
    c.append(unary_case("avg_pool1d_unbatched", "avg_pool1d", (3, 9), kernel_size=2))
    c.append(unary_case("avg_pool2d_ceil", "avg_pool2d", (2, 3, 7, 8), kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True))
    c.append(unary_case("avg_pool2d_nopad_count", "avg_pool2d", (2, 2, 7, 7), kernel_size=3, stride=2, padding=1, count_include_pad=False))
    c.append(unary_case("avg_pool2d_divisor", "avg_pool2d", (1, 2, 6, 6), kernel_size=3, stride=2, padding=1, ceil_mode=True, divisor_override=5))
    c.append(unary_case("avg_pool2d_noncontiguous", "avg_pool2d", (2, 3, 6, 5), layout="nlc", kernel_size=2))
    c.append(unary_case("max_pool1d_ceil_dil", "max_pool1d", (2, 3, 12), indices=True, kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True))
    c.append(unary_case("max_pool1d_default", "max_pool1d", (2, 3, 9), indices=True, kernel_size=2))
    c.append(unary_case("max_pool1d_unbatched", "max_pool1d", (3, 10), indices=True, kernel_size=3, stride=1, padding=1))
    c.append(unary_case("max_pool1d_noncontiguous", "max_pool1d", (2, 3, 8), layout="nlc", indices=True, kernel_size=2, stride=1))
    c.append(unary_case("adaptive_avg_pool1d", "adaptive_avg_pool1d", (2, 3, 10), output_size=4))
    c.append(unary_case("adaptive_avg_pool1d_up", "adaptive_avg_pool1d", (2, 2, 5), output_size=7))
    c.append(unary_case("adaptive_avg_pool2d", "adaptive_avg_pool2d", (2, 3, 7, 9), output_size=(3, 4)))
    c.append(unary_case("adaptive_avg_pool2d_unbatched", "adaptive_avg_pool2d", (3, 5, 6), output_size=(5, 5)))
    c.append(unary_case("adaptive_avg_pool2d_noncontiguous", "adaptive_avg_pool2d", (2, 3, 6, 7), layout="nlc", output_size=(2, 3)))
    c.append(unary_case("adaptive_max_pool1d", "adaptive_max_pool1d", (2, 3, 10), indices=True, output_size=4))
    c.append(unary_case("adaptive_max_pool2d", "adaptive_max_pool2d", (2, 3, 7, 9), indices=True, output_size=(3, 4)))
    c.append(unary_case("adaptive_max_pool2d_unbatched", "adaptive_max_pool2d", (2, 5, 5), indices=True, output_size=(3, 2)))
    c.append(unary_case("unfold", "unfold", (2, 3, 6, 7), kernel_size=(2, 3), dilation=(1, 2), padding=(1, 0), stride=(2, 1)))
    c.append(unary_case("unfold_unbatched", "unfold", (2, 4, 4), kernel_size=2))
    c.append(unary_case("unfold_noncontiguous", "unfold", (2, 2, 5, 4), layout="nlc", kernel_size=3, padding=1))
    # fold: its input (N, C * kh * kw, L)
    c.append(fold_case("fold", (2, 2 * 6, 12), output_size=(6, 7), kernel_size=(2, 3), dilation=(1, 2), padding=(1, 0), stride=(2, 1)))
    c.append(fold_case("fold_unbatched_overlap", (3 * 4, 9), output_size=4, kernel_size=2))
    return c


def fold_case(name, shape, **kw):
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    y = F.fold(x, **kw)
    g = torch.randn(y.shape, dtype=torch.float64)
    (y * g).sum().backward()
    return {"name": name, "op": "fold", "kwargs": kw, "input_layout": "ncl", "input": t(x), "output": t(y), "grad_out": t(g),
            "grad_input": t(x.grad)}


def module_case(name, module, x_shape):
    x = torch.randn(x_shape, requires_grad=True)
    y = module(x)
    g = torch.randn(y.shape)
    (y * g).sum().backward()
    return {"name": name, "repr": repr(module), "params": {k: t(v) for k, v in module.state_dict().items()},
            "input": t(x), "output": t(y), "grad_out": t(g), "grad_input": t(x.grad),
            "grads": {k: t(p.grad) for k, p in module.named_parameters()}}


def module_cases():
    nn = torch.nn
    return [
        module_case("conv1d", nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
        module_case("conv1d_same_groups", nn.Conv1d(4, 6, 4, padding="same", dilation=2, groups=2, bias=False), (2, 4, 8)),
        module_case("conv3d", nn.Conv3d(2, 3, (2, 3, 2), stride=(1, 2, 1), padding=(1, 0, 1)), (1, 2, 4, 5, 4)),
        module_case("conv3d_same", nn.Conv3d(2, 2, 3, padding="same"), (1, 2, 3, 4, 4)),
        module_case("conv_transpose1d", nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1), (2, 3, 5)),
        module_case("conv_transpose2d", nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=1), (2, 4, 3, 4)),
        module_case("conv_transpose2d_rect", nn.ConvTranspose2d(2, 3, (2, 3), stride=(2, 1), padding=(0, 1), bias=False, dilation=(1, 2)), (1, 2, 3, 3)),
        module_case("maxpool1d", nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 10)),
        module_case("avgpool1d", nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 10)),
        module_case("avgpool2d", nn.AvgPool2d(2), (2, 3, 6, 7)),
        module_case("avgpool2d_rect", nn.AvgPool2d((3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True, divisor_override=4), (1, 2, 7, 5)),
        module_case("adaptiveavgpool1d", nn.AdaptiveAvgPool1d(3), (2, 3, 8)),
        module_case("adaptiveavgpool2d", nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 5, 7)),
        module_case("adaptiveavgpool2d_square", nn.AdaptiveAvgPool2d(1), (2, 3, 5, 7)),
        module_case("adaptivemaxpool2d", nn.AdaptiveMaxPool2d((3, 2)), (2, 3, 7, 5)),
        module_case("unfold", nn.Unfold(kernel_size=(2, 3), padding=(1, 1), stride=(2, 2)), (2, 3, 5, 6)),
        module_case("fold", nn.Fold(output_size=(4, 5), kernel_size=(2, 2)), (2, 3 * 4, 12)),
    ]


def main():
    torch.manual_seed(11)
    data = {"functional": functional_cases(), "modules": module_cases()}
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "conv_pool.json")
    with open(path, "w") as f:
        json.dump(data, f)
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
