"""Writes the tiny ImageFolder fixtures of tests/Ember.Data.Tests (committed; tests never run Python).

Run from the repository root with Debian's interpreter (it has PIL and torch):
    /usr/bin/python3 tests/reference/make_imagefolder_fixtures.py

imagefolder/ is a root in torchvision's layout, one folder per class. It exercises what
torchvision.datasets.ImageFolder does: classes are the sub-folder names sorted by code point ('Zebra'
before 'cat'), files are found recursively (dog/puppies/), sorted, filtered by extension case-
insensitively (IMG.PNG counts, notes.txt does not), and every image is converted to RGB as PIL's
default loader does (grayscale replicated, alpha dropped, palette expanded).
imagefolder_bad/ holds one class with a truncated PNG.
imagefolder.json holds the classes, the samples in order, and each image's pixels as PIL decodes them
after .convert("RGB"), channels-first [3, H, W] (what torchvision's ToTensor sees, times 255). PNG
is lossless, so those values are exact; JPEG decoders may differ by rounding, so the JPEGs are written
with quality 95 and no chroma subsampling and the test allows a small tolerance.
"""
import json
import os
import shutil

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.Data.Tests", "Fixtures")
ROOT = os.path.join(OUT, "imagefolder")
BAD = os.path.join(OUT, "imagefolder_bad")
EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def pattern(h, w, channels, seed):
    """Deterministic, varied pixel values (no randomness, so the script is reproducible)."""
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(channels), indexing="ij")
    return ((x * 37 + y * 91 + c * 53 + seed * 17) % 256).astype(np.uint8)


def smooth(h, w, seed):
    """A smooth RGB gradient (JPEG keeps it close)."""
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    return (40 + x * 12 + y * 9 + c * 30 + seed * 5).clip(0, 255).astype(np.uint8)


def save(rel, image, **options):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    image.save(path, **options)


def main():
    for d in (ROOT, BAD):
        shutil.rmtree(d, ignore_errors=True)
    # Non-square sizes catch transposed H and W.
    save("cat/c1.png", Image.fromarray(pattern(5, 4, 3, 1), "RGB"))
    save("cat/c0.png", Image.fromarray(pattern(3, 6, 1, 2)[:, :, 0], "L"))          # grayscale
    open(os.path.join(ROOT, "cat", "notes.txt"), "w").write("not an image\n")
    save("dog/d0.jpg", Image.fromarray(smooth(8, 6, 3), "RGB"), quality=95, subsampling=0)
    save("dog/puppies/p0.png", Image.fromarray(pattern(4, 4, 4, 4), "RGBA"))        # alpha dropped
    palette = Image.fromarray(pattern(4, 5, 1, 5)[:, :, 0] % 4, "P")
    palette.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30] + [0] * (256 * 3 - 12))
    save("dog/IMG.PNG", palette)                                                    # palette, upper-case extension
    save("Zebra/z0.jpeg", Image.fromarray(smooth(6, 7, 6), "RGB"), quality=95, subsampling=0)

    # torchvision's find_classes and make_dataset, written out.
    classes = sorted(e.name for e in os.scandir(ROOT) if e.is_dir())
    samples = []
    for label, name in enumerate(classes):
        for root, _, files in sorted(os.walk(os.path.join(ROOT, name), followlinks=True)):
            for f in sorted(files):
                if f.lower().endswith(EXTENSIONS):
                    samples.append((os.path.relpath(os.path.join(root, f), ROOT), label))
    images = {}
    for rel, _ in samples:
        with Image.open(os.path.join(ROOT, rel)) as im:
            rgb = np.asarray(im.convert("RGB"))
        images[rel] = {"shape": [3, rgb.shape[0], rgb.shape[1]],
                       "pixels": rgb.transpose(2, 0, 1).reshape(-1).tolist(),
                       "exact": not rel.lower().endswith((".jpg", ".jpeg"))}

    os.makedirs(os.path.join(BAD, "broken"), exist_ok=True)
    good = os.path.join(BAD, "broken", "whole.png")
    Image.fromarray(pattern(16, 16, 3, 7), "RGB").save(good)
    data = open(good, "rb").read()
    os.remove(good)
    open(os.path.join(BAD, "broken", "truncated.png"), "wb").write(data[: len(data) // 2])

    with open(os.path.join(OUT, "imagefolder.json"), "w") as f:
        json.dump({"classes": classes, "samples": [[r.replace(os.sep, "/"), l] for r, l in samples],
                   "images": {k.replace(os.sep, "/"): v for k, v in images.items()}}, f, indent=1)
    print("classes", classes)
    print("samples", samples)


if __name__ == "__main__":
    main()
