"""Writes the safetensors fixtures of tests/Ember.Data.Tests (committed; tests never run Python).

    /usr/bin/python3 tests/reference/make_safetensors_fixtures.py

The `safetensors` package is not installed on the build machines (and cannot be fetched), so this
script writes the published format by hand with struct and json
(https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N, N bytes of
JSON {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}, padded
with spaces to a multiple of 8, then the raw little-endian tensor bytes. Like the reference
implementation it writes compact JSON with "__metadata__" first and lays the data out by dtype
(widest alignment first), then by name, so the data order differs from the name order that Ember
writes. The tensor values come from torch; expected.json records each element's raw bits.
"""
import json
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.Data.Tests", "Fixtures", "safetensors")

DTYPES = {  # safetensors name -> (torch dtype, integer view for the raw bits, rank in the library's order)
    "BOOL": (torch.bool, torch.uint8, 0),
    "U8": (torch.uint8, torch.uint8, 1),
    "I8": (torch.int8, torch.uint8, 2),
    "I16": (torch.int16, torch.int16, 5),
    "F16": (torch.float16, torch.int16, 7),
    "BF16": (torch.bfloat16, torch.int16, 8),
    "I32": (torch.int32, torch.int32, 9),
    "F32": (torch.float32, torch.int32, 11),
    "F64": (torch.float64, torch.int64, 12),
    "I64": (torch.int64, torch.int64, 13),
}
inf, nan = float("inf"), float("nan")
VALUES = {
    "BOOL": [[True, False, True], [False, False, True]],
    "U8": [[0, 1, 127], [128, 254, 255]],
    "I8": [[-128, -1, 0], [1, 100, 127]],
    "I16": [[-32768, -2, 0], [7, 1000, 32767]],
    "F16": [[1.0, -2.5, 65504.0], [6.103515625e-05, -inf, nan]],
    "BF16": [[1.0, -3.0, 0.1], [3.0e38, inf, -0.0]],
    "I32": [[-2147483648, -5, 0], [9, 123456789, 2147483647]],
    "F32": [[1.5, -2.25, 3.4028234663852886e38], [1e-45, -inf, nan]],
    "F64": [[1 / 3, -1e300, 5e-324], [2.0 ** 60, inf, -0.0]],
    "I64": [[-(2 ** 63), -3, 0], [2 ** 53 + 1, 2 ** 62, 2 ** 63 - 1]],
}


def raw(t: torch.Tensor) -> bytes:
    view = DTYPES_BY_TORCH[t.dtype]
    return t.contiguous().view(view).numpy().tobytes() if t.dtype != torch.bool else t.numpy().tobytes()


DTYPES_BY_TORCH = {d: v for d, v, _ in DTYPES.values()}
NAME_BY_TORCH = {d: n for n, (d, _, _) in DTYPES.items()}


def bits(t: torch.Tensor) -> list:
    if t.dtype == torch.bool:
        return t.to(torch.uint8).flatten().tolist()
    size = t.element_size() * 8
    return [v & ((1 << size) - 1) for v in t.contiguous().view(DTYPES_BY_TORCH[t.dtype]).flatten().tolist()]


def write_file(path: str, tensors: dict, metadata: dict = None) -> dict:
    order = sorted(tensors, key=lambda n: (-DTYPES[NAME_BY_TORCH[tensors[n].dtype]][2], n))
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in order:
        data = raw(tensors[name])
        header[name] = {"dtype": NAME_BY_TORCH[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    return {name: {"dtype": NAME_BY_TORCH[t.dtype], "shape": list(t.shape), "bits": bits(t)}
            for name, t in tensors.items()}


def main() -> None:
    expected = {}
    for name, (dtype, _, _) in DTYPES.items():
        matrix = torch.tensor(VALUES[name], dtype=dtype)
        tensors = {
            "matrix": matrix,
            "column": matrix.t().contiguous(),       # shape (3, 2)
            "scalar": matrix[1, 1].clone(),          # 0-d
            "empty": torch.zeros((0, 4), dtype=dtype),
        }
        expected[f"dtype_{name}.safetensors"] = {"tensors": write_file(os.path.join(OUT, f"dtype_{name}.safetensors"), tensors)}

    g = torch.Generator().manual_seed(7)
    mixed = {
        "encoder.weight": torch.randn(4, 3, generator=g),
        "encoder.bias": torch.randn(4, generator=g).to(torch.float16),
        "step": torch.tensor(1234, dtype=torch.int64),
        "mask": torch.rand(2, 2, 2, generator=g) > 0.5,
        "a.first": torch.arange(5, dtype=torch.int32),
    }
    metadata = {"format": "pt", "epoch": "3", "note": "written by make_safetensors_fixtures.py"}
    expected["with_metadata.safetensors"] = {
        "tensors": write_file(os.path.join(OUT, "with_metadata.safetensors"), mixed, metadata),
        "metadata": metadata,
    }

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
