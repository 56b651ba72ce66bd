"""Reference values for Ember.Vision's Resize, RandomRotation, RandomResizedCrop and ColorJitter.

Run from the repository root with Debian's interpreter (PyTorch 1.13; torchvision is not installed):
    /usr/bin/python3 tests/reference/make_transforms_reference.py
Writes tests/Ember.Data.Tests/Fixtures/transforms.json (committed; the tests never run Python).

torchvision 0.14's tensor code paths are written out below with plain torch ops, formula for formula:
resize = interpolate(antialias=False) on float (uint8 is cast to float32 and rounded back),
rotate = an inverse affine matrix, an affine grid and grid_sample with a mask channel for the fill,
resized_crop = crop then resize, and the colour adjustments = _blend, rgb_to_grayscale, _rgb2hsv and
_hsv2rgb. Random transforms are checked with fixed parameters (what get_params would have drawn).
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.Data.Tests", "Fixtures", "transforms.json")


# ---- torchvision's tensor functions, written out ----

def cast_in(img, dtypes):
    squeeze = img.ndim < 4
    if squeeze:
        img = img.unsqueeze(0)
    out_dtype = img.dtype
    cast = out_dtype not in dtypes
    if cast:
        img = img.to(dtypes[0])
    return img, cast, squeeze, out_dtype


def cast_out(img, cast, squeeze, out_dtype):
    if squeeze:
        img = img.squeeze(0)
    if cast:
        if out_dtype in (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64):
            img = torch.round(img)
        img = img.to(out_dtype)
    return img


def resized_output_size(h, w, size, max_size=None):
    if isinstance(size, int):
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = size, int(size * long / short)
        if max_size is not None and new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
        return [new_long, new_short] if w <= h else [new_short, new_long]
    return list(size)


def resize(img, size, mode, max_size=None):
    oh, ow = resized_output_size(img.shape[-2], img.shape[-1], size, max_size)
    x, cast, squeeze, out_dtype = cast_in(img, [torch.float32, torch.float64])
    x = F.interpolate(x, size=[oh, ow], mode=mode, align_corners=False if mode == "bilinear" else None, antialias=False)
    return cast_out(x, cast, squeeze, out_dtype)


def inverse_affine_matrix(center, angle, translate, scale, shear):
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def affine_output_size(matrix, w, h):
    pts = torch.tensor([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]])
    theta = torch.tensor(matrix, dtype=torch.float).view(2, 3)
    new_pts = torch.matmul(pts, theta.T)
    lo, hi = new_pts.min(dim=0).values, new_pts.max(dim=0).values
    lo += torch.tensor((w * 0.5, h * 0.5))
    hi += torch.tensor((w * 0.5, h * 0.5))
    tol = 1e-4
    cmax = torch.ceil((hi / tol).trunc_() * tol)
    cmin = torch.floor((lo / tol).trunc_() * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def affine_grid(theta, w, h, ow, oh):
    d = 0.5
    base = torch.empty(1, oh, ow, 3, dtype=theta.dtype)
    base[..., 0].copy_(torch.linspace(-ow * 0.5 + d, ow * 0.5 + d - 1, steps=ow))
    base[..., 1].copy_(torch.linspace(-oh * 0.5 + d, oh * 0.5 + d - 1, steps=oh).unsqueeze_(-1))
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=theta.dtype)
    return base.view(1, oh * ow, 3).bmm(rescaled).view(1, oh, ow, 2)


def rotate(img, angle, mode="nearest", expand=False, center=None, fill=0.0):
    channels, h, w = img.shape[-3], img.shape[-2], img.shape[-1]
    fill = [float(fill)] * channels if isinstance(fill, (int, float)) else [float(f) for f in fill]
    center_f = [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, [w, h])]
    matrix = inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    ow, oh = affine_output_size(matrix, w, h) if expand else (w, h)
    dtype = img.dtype if torch.is_floating_point(img) else torch.float32
    theta = torch.tensor(matrix, dtype=dtype).reshape(1, 2, 3)
    grid = affine_grid(theta, w, h, ow, oh)
    x, cast, squeeze, out_dtype = cast_in(img, [grid.dtype])
    if x.shape[0] > 1:
        grid = grid.expand(x.shape[0], grid.shape[1], grid.shape[2], grid.shape[3])
    x = torch.cat((x, torch.ones((x.shape[0], 1, x.shape[2], x.shape[3]), dtype=x.dtype)), dim=1)
    x = F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    mask = x[:, -1:, :, :]
    x = x[:, :-1, :, :]
    mask = mask.expand_as(x)
    fill_img = torch.tensor(fill, dtype=x.dtype).view(1, len(fill), 1, 1).expand_as(x)
    if mode == "nearest":
        mask = mask < 0.5
        x[mask] = fill_img[mask]
    else:
        x = x * mask + (1.0 - mask) * fill_img
    return cast_out(x, cast, squeeze, out_dtype)


def blend(img1, img2, ratio):
    bound = 1.0 if img1.is_floating_point() else 255.0
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def grayscale(img):
    r, g, b = img.unbind(dim=-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)


def adjust_brightness(img, f):
    return blend(img, torch.zeros_like(img), f)


def adjust_contrast(img, f):
    dtype = img.dtype if torch.is_floating_point(img) else torch.float32
    mean = torch.mean(grayscale(img).to(dtype), dim=(-3, -2, -1), keepdim=True)
    return blend(img, mean, f)


def adjust_saturation(img, f):
    return blend(img, grayscale(img), f)


def rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc = torch.max(img, dim=-3).values
    minc = torch.min(img, dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    cr_divisor = torch.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = torch.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return torch.stack((h, s, maxc), dim=-3)


def hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = torch.floor(h * 6.0)
    f = (h * 6.0) - i
    i = i.to(dtype=torch.int32)
    p = torch.clamp((v * (1.0 - s)), 0.0, 1.0)
    q = torch.clamp((v * (1.0 - s * f)), 0.0, 1.0)
    t = torch.clamp((v * (1.0 - s * (1.0 - f))), 0.0, 1.0)
    i = i % 6
    mask = i.unsqueeze(dim=-3) == torch.arange(6).view(-1, 1, 1)
    a1 = torch.stack((v, q, p, p, t, v), dim=-3)
    a2 = torch.stack((t, v, v, q, p, p), dim=-3)
    a3 = torch.stack((p, p, t, v, v, q), dim=-3)
    a4 = torch.stack((a1, a2, a3), dim=-4)
    return torch.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), a4)


def adjust_hue(img, f):
    orig = img.dtype
    if img.dtype == torch.uint8:
        img = img.to(dtype=torch.float32) / 255.0
    hsv = rgb2hsv(img)
    h, s, v = hsv.unbind(dim=-3)
    h = (h + f) % 1.0
    out = hsv2rgb(torch.stack((h, s, v), dim=-3))
    if orig == torch.uint8:
        out = (out * 255.0).to(dtype=orig)
    return out


def color_jitter(img, order, b, c, s, h):
    for fn in order:
        if fn == 0 and b is not None:
            img = adjust_brightness(img, b)
        elif fn == 1 and c is not None:
            img = adjust_contrast(img, c)
        elif fn == 2 and s is not None:
            img = adjust_saturation(img, s)
        elif fn == 3 and h is not None:
            img = adjust_hue(img, h)
    return img


# ---- cases ----

def tensor_json(t):
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
            "values": t.reshape(-1).tolist()}


def main():
    g = torch.Generator().manual_seed(20240607)
    u8 = torch.randint(0, 256, (3, 7, 9), dtype=torch.uint8, generator=g)
    f32 = torch.rand((3, 7, 9), generator=g)
    f64 = torch.rand((3, 6, 5), generator=g, dtype=torch.float64)
    batch = torch.rand((2, 3, 6, 8), generator=g)
    # A colourful image with grey pixels and each channel as the maximum somewhere (all hue branches).
    colour = torch.rand((3, 5, 6), generator=g)
    colour[:, 0, 0] = 0.4
    colour[:, 1, 1] = torch.tensor([0.9, 0.2, 0.2])
    colour[:, 1, 2] = torch.tensor([0.2, 0.9, 0.2])
    colour[:, 1, 3] = torch.tensor([0.2, 0.2, 0.9])
    colour_u8 = (colour * 255).to(torch.uint8)
    inputs = {"u8": u8, "f32": f32, "f64": f64, "batch": batch, "colour": colour, "colour_u8": colour_u8}

    cases = []

    def add(kind, source, args, out):
        cases.append({"kind": kind, "input": source, "args": args, "expected": tensor_json(out)})

    for size in ([5, 4], [12, 15], [7, 9], 6, [3, 20]):
        for mode in ("bilinear", "nearest"):
            add("resize", "f32", {"size": size, "mode": mode}, resize(f32, size, mode))
    add("resize", "f32", {"size": 5, "mode": "bilinear", "max_size": 6}, resize(f32, 5, "bilinear", max_size=6))
    for mode in ("bilinear", "nearest"):
        add("resize", "u8", {"size": [5, 13], "mode": mode}, resize(u8, [5, 13], mode))
        add("resize", "batch", {"size": [4, 11], "mode": mode}, resize(batch, [4, 11], mode))
    add("resize", "f64", {"size": [9, 4], "mode": "bilinear"}, resize(f64, [9, 4], "bilinear"))

    add("rotate", "f32", {"angle": 30.0, "mode": "nearest", "expand": False, "fill": [0.0]}, rotate(f32, 30.0))
    add("rotate", "f32", {"angle": 30.0, "mode": "bilinear", "expand": False, "fill": [0.5, 0.25, 0.125]},
        rotate(f32, 30.0, "bilinear", fill=[0.5, 0.25, 0.125]))
    add("rotate", "f32", {"angle": -47.5, "mode": "bilinear", "expand": True, "fill": [0.0]}, rotate(f32, -47.5, "bilinear", expand=True))
    add("rotate", "f32", {"angle": 12.0, "mode": "bilinear", "expand": False, "center": [2, 3], "fill": [1.0]},
        rotate(f32, 12.0, "bilinear", center=[2, 3], fill=1.0))
    add("rotate", "u8", {"angle": 17.0, "mode": "bilinear", "expand": False, "fill": [0.0]}, rotate(u8, 17.0, "bilinear"))
    add("rotate", "u8", {"angle": 161.0, "mode": "nearest", "expand": False, "fill": [9.0]}, rotate(u8, 161.0, fill=9))
    add("rotate", "batch", {"angle": -70.0, "mode": "bilinear", "expand": False, "fill": [0.0]}, rotate(batch, -70.0, "bilinear"))
    add("rotate", "f64", {"angle": 75.0, "mode": "bilinear", "expand": True, "fill": [0.0]}, rotate(f64, 75.0, "bilinear", expand=True))

    for (i, j, h, w), size in (((1, 2, 5, 6), [4, 4]), ((0, 0, 7, 9), [3, 5]), ((2, 3, 3, 2), [6, 6])):
        crop = f32[..., i:i + h, j:j + w]
        add("resized_crop", "f32", {"top": i, "left": j, "height": h, "width": w, "size": size, "mode": "bilinear"},
            resize(crop, size, "bilinear"))
    crop = u8[..., 1:6, 2:8]
    add("resized_crop", "u8", {"top": 1, "left": 2, "height": 5, "width": 6, "size": [4, 9], "mode": "bilinear"},
        resize(crop, [4, 9], "bilinear"))

    for source in ("colour", "colour_u8", "batch"):
        img = inputs[source]
        add("brightness", source, {"factor": 1.3}, adjust_brightness(img, 1.3))
        add("contrast", source, {"factor": 0.6}, adjust_contrast(img, 0.6))
        add("saturation", source, {"factor": 1.7}, adjust_saturation(img, 1.7))
        add("hue", source, {"factor": 0.12}, adjust_hue(img, 0.12))
        add("hue", source, {"factor": -0.3}, adjust_hue(img, -0.3))
        add("color_jitter", source, {"order": [2, 0, 3, 1], "brightness": 0.8, "contrast": 1.25, "saturation": 0.3, "hue": 0.05},
            color_jitter(img, [2, 0, 3, 1], 0.8, 1.25, 0.3, 0.05))
        add("color_jitter", source, {"order": [3, 1, 0, 2], "brightness": None, "contrast": 0.5, "saturation": None, "hue": -0.2},
            color_jitter(img, [3, 1, 0, 2], None, 0.5, None, -0.2))

    with open(OUT, "w") as f:
        json.dump({"inputs": {k: tensor_json(v) for k, v in inputs.items()}, "cases": cases}, f)
    print(f"{len(cases)} cases -> {OUT}")


if __name__ == "__main__":
    main()
