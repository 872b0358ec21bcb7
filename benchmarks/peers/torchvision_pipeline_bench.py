#!/usr/bin/env python3
"""torchvision peer of bench_pipeline: the same per-image work (docs/data.md, augmentation) with
torchvision's transforms on one core, from the same 256x256 HDF5 files:
decode (JPEG storage) -> RandomCrop(227) -> RandomHorizontalFlip -> ToTensor
-> PCA lighting (dataset eigenvectors from the file) -> Normalize.

  python benchmarks/peers/torchvision_pipeline_bench.py --raw raw.h5 --jpeg jpeg.h5

Last line: summary raw_img_per_s_per_core=... jpeg_img_per_s_per_core=...

With --image-folder ROOT instead, the torchvision ImageFolder way a user
without a converter takes: one JPEG file a sample (<class>/<image> under
ROOT, the photos as they are), PIL decode -> Resize(256) -> CenterCrop(256)
(what images_to_hdf5 stores) -> the same augmentation, through a DataLoader
with a shuffled sampler over the whole set, batches of 128, --workers worker
processes (0: the main process, one core). Prints the time ImageFolder takes
to list ROOT, the time to the first batch (listing included) and the rate
after it. Mean, std and eigenvectors come from --stats-from FILE.h5.

Last line: summary folder_images=... list_s=... first_batch_s=... img_per_s=... workers=...
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
        jpeg = "jpeg_bytes" in f or "jpeg" in f
        if "jpeg_bytes" in f:  # the flat layout (docs/data.md); "jpeg": an older file's one element an image
            offsets = f["jpeg_offsets"][: count + 1]
            blob = f["jpeg_bytes"][: offsets[-1]]
            items = [bytes(blob[offsets[i]:offsets[i + 1]]) for i in range(len(offsets) - 1)]
        else:
            data = f["jpeg"] if jpeg else f["images"]
            items = [bytes(data[i]) if jpeg else data[i] for i in range(min(data.shape[0], count))]  # held in memory
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


def folder_run(args):
    """ImageFolder + DataLoader over args.image_folder; returns (files, list_s, first_batch_s, img_per_s)."""
    from torch.utils.data import DataLoader, RandomSampler
    from torchvision.datasets import ImageFolder

    with h5py.File(args.stats_from, "r") as f:
        augment = make_transform(f, args.crop)
    transform = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(256), augment])
    start = time.perf_counter()
    dataset = ImageFolder(args.image_folder, transform=transform)
    listed = time.perf_counter() - start
    sampler = RandomSampler(dataset, num_samples=args.images, generator=torch.Generator().manual_seed(args.seed))
    loader = DataLoader(dataset, batch_size=128, sampler=sampler, num_workers=args.workers)
    batches = iter(loader)
    first = next(batches)
    first_batch = time.perf_counter() - start
    after = time.perf_counter()
    done = 0
    for images, _ in batches:
        done += len(images)
    rate = done / (time.perf_counter() - after) if done else len(first[0]) / first_batch
    return len(dataset), listed, first_batch, rate


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw")
    ap.add_argument("--jpeg")
    ap.add_argument("--image-folder", help="ImageFolder mode: the <class>/<image> tree to read")
    ap.add_argument("--stats-from", help="ImageFolder mode: the HDF5 file whose mean, std and PCA to use")
    ap.add_argument("--workers", type=int, default=0, help="ImageFolder mode: DataLoader worker processes")
    ap.add_argument("--seed", type=int, default=1, help="ImageFolder mode: the sampler's seed (same seed, same files)")
    ap.add_argument("--images", type=int, default=500, help="images per run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--crop", type=int, default=227)
    args = ap.parse_args()
    if args.image_folder:
        if not args.stats_from:
            ap.error("--image-folder needs --stats-from FILE.h5")
        # (not `rate`: that name is the function the other mode calls)
        files, listed, first_batch, img_per_s = folder_run(args)
        print(f"{'files':>8} {'list s':>8} {'first batch s':>14} {'img/s':>8} {'workers':>8}")
        print(f"{files:>8} {listed:>8.2f} {first_batch:>14.2f} {img_per_s:>8.0f} {args.workers:>8}")
        print(f"summary folder_images={files} list_s={listed:.2f} first_batch_s={first_batch:.2f} "
              f"img_per_s={img_per_s:.0f} workers={args.workers}")
        return
    if not (args.raw and args.jpeg):
        ap.error("give --raw and --jpeg, or --image-folder")
    results = {}
    print(f"{'mode':<6} {'img/s (med, 1 core)':>20}")
    for mode, path in (("raw", args.raw), ("jpeg", args.jpeg)):
        results[mode] = statistics.median(rate(path, args.images, args.crop) for _ in range(args.repeats))
        print(f"{mode:<6} {results[mode]:>20.0f}")
    print(f"summary raw_img_per_s_per_core={results['raw']:.0f} jpeg_img_per_s_per_core={results['jpeg']:.0f}")


if __name__ == "__main__":
    main()
