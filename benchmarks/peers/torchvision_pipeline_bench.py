#!/usr/bin/python3
"""torchvision peer of bench_pipeline: the same per-image work (docs/data.md, augmentation) with
torchvision's transforms on one core, from the same 256x256 HDF5 files:
decode (JPEG storage) -> RandomCrop(227) -> RandomHorizontalFlip -> ToTensor
-> PCA lighting (dataset eigenvectors from the file) -> Normalize.

  /usr/bin/python3 benchmarks/peers/torchvision_pipeline_bench.py --raw raw.h5 --jpeg jpeg.h5

Last line: summary raw_img_per_s_per_core=... jpeg_img_per_s_per_core=...
"""
import argparse
import io
import statistics
import time

import h5py
import numpy as np
import torch
from PIL import Image
from torchvision import transforms

torch.set_num_threads(1)


def make_transform(f, crop):
    mean = [float(v) for v in f.attrs["channel_mean"]]
    std = [float(v) for v in f.attrs["channel_std"]]
    eigval = torch.tensor(np.asarray(f.attrs["pca_eigval"], dtype=np.float32))
    eigvec = torch.tensor(np.asarray(f.attrs["pca_eigvec"], dtype=np.float32).reshape(3, 3))

    def lighting(x):  # AlexNet-style PCA lighting, sigma 0.1, in [0,1] units
        alpha = torch.randn(3) * 0.1
        return x + (eigvec @ (alpha * eigval)).view(3, 1, 1)

    return transforms.Compose([
        transforms.RandomCrop(crop), transforms.RandomHorizontalFlip(), transforms.ToTensor(),
        transforms.Lambda(lighting), transforms.Normalize(mean, std)])


def rate(path, count, crop):
    with h5py.File(path, "r") as f:
        transform = make_transform(f, crop)
        jpeg = "jpeg" in f
        data = f["jpeg"] if jpeg else f["images"]
        n = data.shape[0]
        items = [bytes(data[i]) if jpeg else data[i] for i in range(min(n, count))]  # held in memory
    start = time.perf_counter()
    done = 0
    while done < count:
        for item in items:
            image = Image.open(io.BytesIO(item)).convert("RGB") if jpeg else Image.fromarray(item)
            transform(image)
            done += 1
            if done == count:
                break
    return done / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", required=True)
    ap.add_argument("--jpeg", required=True)
    ap.add_argument("--images", type=int, default=500, help="images per run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--crop", type=int, default=227)
    args = ap.parse_args()
    results = {}
    print(f"{'mode':<6} {'img/s (med, 1 core)':>20}")
    for mode, path in (("raw", args.raw), ("jpeg", args.jpeg)):
        results[mode] = statistics.median(rate(path, args.images, args.crop) for _ in range(args.repeats))
        print(f"{mode:<6} {results[mode]:>20.0f}")
    print(f"summary raw_img_per_s_per_core={results['raw']:.0f} jpeg_img_per_s_per_core={results['jpeg']:.0f}")


if __name__ == "__main__":
    main()
