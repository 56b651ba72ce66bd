"""Reads the real Fashion-MNIST files (Debian's dataset-fashion-mnist package) and writes the few
values tests/Ember.Data.Tests checks them against when they are installed:
    /usr/bin/python3 tests/reference/make_fashion_mnist_reference.py [folder]
"""
import gzip
import json
import os
import struct
import sys

import torch

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.Data.Tests", "Fixtures", "fashion_mnist_reference.json")


def read_idx(path: str) -> torch.Tensor:
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and type_code == 0x08
    sizes = struct.unpack(">" + "i" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(sizes)


def summary(prefix: str) -> dict:
    x = read_idx(os.path.join(ROOT, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(ROOT, f"{prefix}-labels-idx1-ubyte.gz"))
    last = x.shape[0] - 1
    return {
        "count": x.shape[0],
        "label_histogram": torch.bincount(y.long(), minlength=10).tolist(),
        "first_labels": y[:16].tolist(),
        "first_image_row14": x[0, 14].tolist(),
        "last_image_row20": x[last, 20].tolist(),
        "first_image_sum": int(x[0].sum(dtype=torch.int64)),
        "pixel_sum": int(x.sum(dtype=torch.int64)),
        # ToTensor of image 1, flattened: a few positions.
        "image1_probe": [[i, float(x[1].flatten()[i].float() / 255)] for i in (0, 100, 400, 783)],
    }


def main() -> None:
    ref = {"train": summary("train"), "test": summary("t10k")}
    with open(OUT, "w") as f:
        json.dump(ref, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
