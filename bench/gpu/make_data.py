"""Generates the GPU benchmark's data as IDX files (the format of MNIST): a 1,000,000 x 100 float
table with a binary label from a random teacher network, and 60,000 28x28 grey images of ten
classes (a smooth random template per class, shifted and noised). numpy only; seeded.

usage: python3 make_data.py OUT_DIR [--rows N] [--images N]
"""

import argparse
import os
import struct

import numpy as np

TYPE_CODES = {np.dtype(np.uint8): 0x08, np.dtype(">f4"): 0x0D}


def write_idx(path, array):
    array = np.ascontiguousarray(array)
    dtype = array.dtype.newbyteorder(">") if array.dtype.kind == "f" else array.dtype
    with open(path, "wb") as f:
        f.write(struct.pack(">BBBB", 0, 0, TYPE_CODES[np.dtype(dtype)], array.ndim))
        f.write(struct.pack(">" + "I" * array.ndim, *array.shape))
        f.write(array.astype(dtype, copy=False).tobytes())


def table(rows, rng):
    x = rng.standard_normal((rows, 100), dtype=np.float32)
    a = rng.standard_normal((100, 32)).astype(np.float32) / 10.0
    b = rng.standard_normal((32,)).astype(np.float32)
    logit = np.tanh(x @ a) @ b
    y = (logit > np.median(logit)).astype(np.uint8)
    return x, y


def images(count, rng):
    side = 28
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    templates = []
    for _ in range(10):
        t = np.zeros((side, side), np.float32)
        for _ in range(4):
            cy, cx = rng.uniform(6, 22, 2)
            s = rng.uniform(2.0, 4.0)
            t += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
        templates.append(t / t.max())
    labels = rng.integers(0, 10, count).astype(np.uint8)
    out = np.empty((count, side, side), np.uint8)
    shifts = rng.integers(-2, 3, (count, 2))
    for i in range(count):
        img = np.roll(templates[labels[i]], tuple(shifts[i]), axis=(0, 1))
        img = img + rng.normal(0.0, 0.35, (side, side)).astype(np.float32)
        out[i] = np.clip(img * 200.0, 0, 255).astype(np.uint8)
    return out, labels


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--images", type=int, default=60_000)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(7)
    x, y = table(args.rows, rng)
    write_idx(os.path.join(args.out, "table-x.idx"), x)
    write_idx(os.path.join(args.out, "table-y.idx"), y)
    imgs, labels = images(args.images, rng)
    write_idx(os.path.join(args.out, "images-x.idx"), imgs)
    write_idx(os.path.join(args.out, "images-y.idx"), labels)


if __name__ == "__main__":
    main()
