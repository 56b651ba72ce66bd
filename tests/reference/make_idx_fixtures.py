"""Writes the tiny IDX and CIFAR fixtures of tests/Ember.Data.Tests (committed; tests never run Python).

Run from the repository root with Debian's interpreter (it has torch):
    /usr/bin/python3 tests/reference/make_idx_fixtures.py

IDX (the MNIST family): big-endian header, magic 0x0000 | type 0x08 (ubyte) | ndim, then ndim
big-endian int32 sizes, then the data. The fixture sets:
  idx/                       7 training and 3 test images of 5x4 pixels (not square, to catch
                             transposes) with their labels, plain and gzipped;
  idx_bad/                   deliberately broken files, each with one defect (see BROKEN below).
CIFAR: records of <label byte> 3072 image bytes (cifar-10) or <coarse> <fine> 3072 bytes
(cifar-100), image bytes R plane, G plane, B plane, each 32x32 row-major.
expected.json holds what the datasets must produce, computed here with torch from the same bytes.
"""
import gzip
import json
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.Data.Tests", "Fixtures")
UBYTE = 0x08


def idx_bytes(array: torch.Tensor, type_code: int = UBYTE) -> bytes:
    header = struct.pack(">BBBB", 0, 0, type_code, array.dim())
    header += b"".join(struct.pack(">i", s) for s in array.shape)
    return header + array.contiguous().numpy().tobytes()


def write(path: str, data: bytes, gz: bool = False) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if gz:
        # mtime=0 keeps the bytes identical between runs.
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


def images(count: int, h: int, w: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (count, h, w), generator=g, dtype=torch.uint8)
    x[0, 0, 0] = 0      # both ends of the range appear
    x[0, 0, 1] = 255
    return x


def main() -> None:
    expected = {}

    # ---- IDX ----
    train_x, test_x = images(7, 5, 4, 1), images(3, 5, 4, 2)
    train_y = torch.tensor([3, 0, 9, 1, 1, 7, 2], dtype=torch.uint8)
    test_y = torch.tensor([5, 9, 0], dtype=torch.uint8)
    files = {
        "train-images-idx3-ubyte": idx_bytes(train_x),
        "train-labels-idx1-ubyte": idx_bytes(train_y),
        "t10k-images-idx3-ubyte": idx_bytes(test_x),
        "t10k-labels-idx1-ubyte": idx_bytes(test_y),
    }
    for name, data in files.items():
        write(os.path.join(OUT, "idx", name), data)
        write(os.path.join(OUT, "idx", name + ".gz"), data, gz=True)
    mean, std = (0.25,), (0.5,)
    expected["idx"] = {
        "train_shape": list(train_x.shape),
        "train_labels": train_y.tolist(),
        "test_labels": test_y.tolist(),
        "train_pixels": train_x.flatten().tolist(),
        "test_pixels": test_x.flatten().tolist(),
        # torchvision's ToTensor then Normalize((0.25,), (0.5,)), image 2 of the train set.
        "train2_to_tensor": (train_x[2].float() / 255).flatten().tolist(),
        "train2_normalized": ((train_x[2].float() / 255 - mean[0]) / std[0]).flatten().tolist(),
        "normalize_mean": mean,
        "normalize_std": std,
    }

    # ---- broken IDX files: (file name, bytes, what the error must mention) ----
    good_images = files["train-images-idx3-ubyte"]
    good_labels = files["train-labels-idx1-ubyte"]
    broken = {
        "bad_magic": (good_images[:2].replace(b"\0\0", b"\1\0") + good_images[2:], "magic"),
        "bad_type": (good_images[:2] + b"\x0d" + good_images[3:], "type"),
        "wrong_ndim": (idx_bytes(train_x.reshape(7, 20)), "dimensions"),
        "truncated": (good_images[:-5], "truncated"),
        "trailing": (good_images + b"\0\0\0", "trailing"),
        "short_header": (good_images[:10], "header"),
        "negative_dim": (good_images[:4] + struct.pack(">i", -7) + good_images[8:], "size"),
        "huge_dims": (good_images[:4] + struct.pack(">iii", 2**31 - 1, 2**31 - 1, 2**31 - 1), "size"),
    }
    for tag, (data, _) in broken.items():
        write(os.path.join(OUT, "idx_bad", tag, "train-images-idx3-ubyte"), data)
        write(os.path.join(OUT, "idx_bad", tag, "train-labels-idx1-ubyte"), good_labels)
    # Labels that disagree with the images.
    write(os.path.join(OUT, "idx_bad", "count_mismatch", "train-images-idx3-ubyte"), good_images)
    write(os.path.join(OUT, "idx_bad", "count_mismatch", "train-labels-idx1-ubyte"), idx_bytes(train_y[:6]))
    bad_label = train_y.clone()
    bad_label[4] = 10
    write(os.path.join(OUT, "idx_bad", "label_range", "train-images-idx3-ubyte"), good_images)
    write(os.path.join(OUT, "idx_bad", "label_range", "train-labels-idx1-ubyte"), idx_bytes(bad_label))
    # A gzip stream cut short, and a gzip whose content is truncated but whose stream is whole.
    gz_path = os.path.join(OUT, "idx", "train-images-idx3-ubyte.gz")
    with open(gz_path, "rb") as f:
        gz_good = f.read()
    write(os.path.join(OUT, "idx_bad", "gzip_cut", "train-images-idx3-ubyte.gz"), gz_good[: len(gz_good) // 2])
    write(os.path.join(OUT, "idx_bad", "gzip_cut", "train-labels-idx1-ubyte"), good_labels)
    write(os.path.join(OUT, "idx_bad", "gzip_truncated", "train-images-idx3-ubyte.gz"), good_images[:-20], gz=True)
    write(os.path.join(OUT, "idx_bad", "gzip_truncated", "train-labels-idx1-ubyte"), good_labels)
    expected["idx_bad"] = {tag: hint for tag, (_, hint) in broken.items()}
    expected["idx_bad"].update({"count_mismatch": "labels", "label_range": "label",
                                "gzip_cut": "train-images-idx3-ubyte.gz",
                                "gzip_truncated": "truncated"})

    # ---- CIFAR-10 ----
    g = torch.Generator().manual_seed(3)
    c10 = {}
    for name, n in [("data_batch_1.bin", 3), ("data_batch_2.bin", 2), ("data_batch_3.bin", 1),
                    ("data_batch_4.bin", 1), ("data_batch_5.bin", 2), ("test_batch.bin", 2)]:
        x = torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8)
        y = torch.randint(0, 10, (n,), generator=g, dtype=torch.uint8)
        records = torch.cat([y.reshape(n, 1), x.reshape(n, 3072)], dim=1)
        write(os.path.join(OUT, "cifar", "cifar-10-batches-bin", name), records.numpy().tobytes())
        c10[name] = (x, y)
    train = [c10[f"data_batch_{i}.bin"] for i in range(1, 6)]
    train_x = torch.cat([x for x, _ in train])
    train_y = torch.cat([y for _, y in train])
    test_x, test_y = c10["test_batch.bin"]
    expected["cifar10"] = {
        "train_labels": train_y.tolist(),
        "test_labels": test_y.tolist(),
        # Pixel sums per image and channel, and a few pixels in (n, c, h, w) order.
        "train_channel_sums": train_x.sum(dim=(2, 3), dtype=torch.int64).tolist(),
        "test_channel_sums": test_x.sum(dim=(2, 3), dtype=torch.int64).tolist(),
        "train_probe": [[n, c, h, w, int(train_x[n, c, h, w])]
                        for n, c, h, w in [(0, 0, 0, 0), (3, 1, 5, 31), (8, 2, 31, 7), (4, 0, 17, 9)]],
    }
    # A batch file cut in the middle of a record, and one with a label out of range.
    write(os.path.join(OUT, "cifar_bad", "truncated", "test_batch.bin"),
          torch.cat([test_y.reshape(-1, 1), test_x.reshape(-1, 3072)], 1).numpy().tobytes()[:-100])
    bad = torch.cat([test_y.reshape(-1, 1), test_x.reshape(-1, 3072)], 1).clone()
    bad[1, 0] = 10
    write(os.path.join(OUT, "cifar_bad", "label_range", "test_batch.bin"), bad.numpy().tobytes())

    # ---- CIFAR-100 ----
    c100 = {}
    for name, n in [("train.bin", 4), ("test.bin", 2)]:
        x = torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8)
        coarse = torch.randint(0, 20, (n,), generator=g, dtype=torch.uint8)
        fine = torch.randint(0, 100, (n,), generator=g, dtype=torch.uint8)
        records = torch.cat([coarse.reshape(n, 1), fine.reshape(n, 1), x.reshape(n, 3072)], dim=1)
        write(os.path.join(OUT, "cifar", "cifar-100-binary", name), records.numpy().tobytes())
        c100[name] = (x, coarse, fine)
    expected["cifar100"] = {
        split: {"coarse": c100[f][1].tolist(), "fine": c100[f][2].tolist(),
                "channel_sums": c100[f][0].sum(dim=(2, 3), dtype=torch.int64).tolist()}
        for split, f in [("train", "train.bin"), ("test", "test.bin")]
    }

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
