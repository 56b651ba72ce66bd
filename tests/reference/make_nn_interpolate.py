#!/usr/bin/env python3
"""Reference values for F.interpolate, the pixel (un)shuffles and the upsampling and padding modules
(InterpolateTests.cs).

    /usr/bin/python3 tests/reference/make_nn_interpolate.py

Writes tests/Ember.NN.Tests/Data/interpolate.json: for every mode, with align_corners both ways where it
applies, upscaling and downscaling by size and by scale factor (with and without recompute_scale_factor),
the input, the output, and the input's gradient of sum(output * g_out) (float64; a few float32 cases);
pixel_shuffle / pixel_unshuffle outputs; and the printed form of the modules.
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.NN.Tests", "Data")


def t(x):
    x = x.detach()
    return {"shape": list(x.shape), "data": [float(f"{v:.12g}") for v in x.reshape(-1).tolist()]}


CASES = []


def case(name, shape, mode, size=None, scale=None, align=None, recompute=None, dtype=torch.float64):
    g = torch.Generator().manual_seed(len(CASES) + 1)
    x = torch.randn(*shape, dtype=dtype, generator=g).requires_grad_()
    y = F.interpolate(x, size=size, scale_factor=scale, mode=mode, align_corners=align, recompute_scale_factor=recompute)
    gy = torch.randn(y.shape, dtype=dtype, generator=g)
    (y * gy).sum().backward()
    as_list = lambda v: None if v is None else (list(v) if isinstance(v, (tuple, list)) else [v])
    CASES.append({"name": name, "mode": mode, "size": as_list(size), "scale_factor": as_list(scale),
                  "align_corners": align, "recompute": recompute, "float32": dtype == torch.float32,
                  "input": t(x), "output": t(y), "g_out": t(gy), "grad_input": t(x.grad)})


def main():
    for m in ["nearest", "nearest-exact"]:
        tag = m.replace("-", "_")
        case(f"{tag}_1d_up_size", (2, 3, 5), m, size=12)
        case(f"{tag}_1d_down_size", (1, 2, 9), m, size=4)
        case(f"{tag}_2d_scale2", (2, 2, 3, 4), m, scale=2.0)
        case(f"{tag}_2d_scale_half", (1, 3, 6, 7), m, scale=0.5)
        case(f"{tag}_2d_scale_odd", (1, 2, 4, 5), m, scale=(1.7, 2.3))
        case(f"{tag}_2d_scale_odd_recompute", (1, 2, 4, 5), m, scale=(1.7, 2.3), recompute=True)
        case(f"{tag}_2d_size_mixed", (2, 1, 5, 3), m, size=(3, 8))
        case(f"{tag}_3d_size", (1, 2, 3, 4, 2), m, size=(5, 3, 4))
    for align in [False, True]:
        a = "align" if align else "half"
        case(f"linear_up_{a}", (2, 3, 5), "linear", size=11, align=align)
        case(f"linear_down_{a}", (1, 2, 9), "linear", size=4, align=align)
        case(f"linear_scale_{a}", (1, 2, 6), "linear", scale=2.5, align=align)
        case(f"bilinear_up_{a}", (2, 2, 4, 5), "bilinear", size=(7, 9), align=align)
        case(f"bilinear_down_{a}", (1, 3, 6, 7), "bilinear", size=(3, 4), align=align)
        case(f"bilinear_scale_{a}", (1, 2, 4, 6), "bilinear", scale=(1.5, 0.75), align=align)
        case(f"bilinear_scale_recompute_{a}", (1, 2, 4, 6), "bilinear", scale=(1.7, 0.6), align=align, recompute=True)
        case(f"bilinear_one_pixel_{a}", (1, 1, 1, 3), "bilinear", size=(3, 1), align=align)
        case(f"bicubic_up_{a}", (2, 2, 4, 5), "bicubic", size=(9, 7), align=align)
        case(f"bicubic_down_{a}", (1, 2, 8, 7), "bicubic", size=(3, 5), align=align)
        case(f"bicubic_scale_{a}", (1, 1, 3, 4), "bicubic", scale=2.0, align=align)
        case(f"trilinear_up_{a}", (1, 2, 3, 4, 2), "trilinear", size=(5, 6, 3), align=align)
        case(f"trilinear_down_{a}", (1, 1, 5, 6, 4), "trilinear", size=(2, 3, 3), align=align)
    case("bilinear_float32", (2, 3, 5, 6), "bilinear", size=(8, 4), dtype=torch.float32)
    case("bicubic_float32", (1, 2, 5, 6), "bicubic", scale=1.5, align=True, dtype=torch.float32)
    case("nearest_float32", (1, 2, 5, 6), "nearest", scale=1.5, dtype=torch.float32)
    case("area_2d", (1, 2, 7, 5), "area", size=(3, 2))

    x = torch.arange(2 * 8 * 2 * 3, dtype=torch.float64).reshape(2, 8, 2, 3)
    y = torch.arange(1 * 2 * 4 * 6, dtype=torch.float64).reshape(1, 2, 4, 6)
    shuffle = {"shuffle_input_shape": [2, 8, 2, 3], "shuffle": t(F.pixel_shuffle(x, 2)),
               "unshuffle_input_shape": [1, 2, 4, 6], "unshuffle": t(F.pixel_unshuffle(y, 2))}

    nn = torch.nn
    reprs = {
        "Upsample(scale 2)": repr(nn.Upsample(scale_factor=2)),
        "Upsample(size (4, 5), bilinear, align)": repr(nn.Upsample(size=(4, 5), mode="bilinear", align_corners=True)),
        "Upsample(scale (2, 1.5), bicubic)": repr(nn.Upsample(scale_factor=(2.0, 1.5), mode="bicubic")),
        "UpsamplingNearest2d(scale 2)": repr(nn.UpsamplingNearest2d(scale_factor=2)),
        "UpsamplingBilinear2d(size 3)": repr(nn.UpsamplingBilinear2d(size=3)),
        "PixelShuffle(2)": repr(nn.PixelShuffle(2)),
        "PixelUnshuffle(3)": repr(nn.PixelUnshuffle(3)),
        "ZeroPad2d(2)": repr(nn.ZeroPad2d(2)),
        "ZeroPad2d(1, 2, 3, 0)": repr(nn.ZeroPad2d((1, 2, 3, 0))),
        "ConstantPad1d(2, 3.5)": repr(nn.ConstantPad1d(2, 3.5)),
        "ConstantPad2d((1, 0, 2, 1), -1)": repr(nn.ConstantPad2d((1, 0, 2, 1), -1.0)),
        "ReflectionPad1d(2)": repr(nn.ReflectionPad1d(2)),
        "ReflectionPad2d(1, 1, 2, 0)": repr(nn.ReflectionPad2d((1, 1, 2, 0))),
        "ReplicationPad1d(1, 2)": repr(nn.ReplicationPad1d((1, 2))),
        "ReplicationPad2d(1)": repr(nn.ReplicationPad2d(1)),
    }
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "interpolate.json")
    with open(path, "w") as f:
        json.dump({"cases": CASES, "pixel_shuffle": shuffle, "reprs": reprs}, f)
    print(path, os.path.getsize(path), len(CASES), "cases")


if __name__ == "__main__":
    main()
