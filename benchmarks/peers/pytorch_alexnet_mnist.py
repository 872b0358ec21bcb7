#!/usr/bin/env python3
"""PyTorch peer of docs/models.md's "AlexNet on MNIST's digits as photos".

Trains the same one-tower AlexNet (pytorch_train_bench.alexnet: LRN mapped as
docs/models.md says) from convoy's step-0 weights (a checkpoint written by
`train_alexnet --lr 0 --max-steps 1`, whose weights are still the initial
ones) with the same recipe: SGD, momentum 0.9, weight decay 5e-4 on weights
only, lr 0.01 with a linear warm-up over half an epoch and a cosine decay over
3 epochs (convoy's LrSchedule, step by step), batch 128, dropout 0.5; on the
same HDF5 file (JPEG storage) with the same augmentation (random 227 crop, no
flip, the dataset's PCA lighting with sigma 0.1, per-channel normalisation;
SPEC section 5). Sampling order and dropout masks are PyTorch's own, so the
curves agree in distribution, not step for step.

  python3 pytorch_alexnet_mnist.py --data train.h5 --weights step0/alexnet_*.h5 \
      --steps 100 --metrics torch.jsonl
  python3 pytorch_alexnet_mnist.py --data train.h5 --weights step0/alexnet_*.h5 --layer-report

--layer-report prints, for one batch at those weights, each layer's output
spread across the batch (how much it still depends on the input) and its
weights' gradient norm against their norm (how far a step moves them).

Uses Debian's python3-torch, python3-h5py and python3-pil; the last line is
"summary key=value ...".
"""
import argparse
import io
import json
import math
import os
import sys
import time

import h5py
import numpy as np
import torch
import torch.nn as nn
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_train_bench as bench  # noqa: E402


def load_convoy_weights(model, path):
    with h5py.File(path, "r") as f:
        group = f["parameters"]
        for name, p in model.named_parameters():
            if name not in group:
                sys.exit(f"{path}: no /parameters/{name} (has {sorted(group.keys())[:4]} ...)")
            value = torch.from_numpy(np.asarray(group[name], dtype=np.float32))
            if value.numel() != p.numel():
                sys.exit(f"{path}: /parameters/{name} has {value.numel()} values, the model {p.numel()}")
            p.data.copy_(value.view_as(p))


class Batches:
    """Random batches of the training file with SPEC section 5's augmentation (no flip)."""

    def __init__(self, path, batch, size, seed):
        self.file = h5py.File(path, "r")
        self.jpeg, self.labels = self.file["jpeg"], np.asarray(self.file["labels"])
        attrs = self.file.attrs
        self.mean = np.asarray(attrs["channel_mean"], np.float32)
        self.std = np.asarray(attrs["channel_std"], np.float32)
        self.eigval = np.asarray(attrs["pca_eigval"], np.float32)
        self.eigvec = np.asarray(attrs["pca_eigvec"], np.float32).reshape(3, 3)
        self.batch, self.size, self.rng = batch, size, np.random.default_rng(seed)
        self.order, self.next = self.rng.permutation(len(self.labels)), 0

    def __next__(self):
        if self.next + self.batch > len(self.order):
            self.order, self.next = self.rng.permutation(len(self.labels)), 0
        index = np.sort(self.order[self.next:self.next + self.batch])
        self.next += self.batch
        images = []
        for i in index:
            image = np.asarray(Image.open(io.BytesIO(bytes(self.jpeg[i]))).convert("RGB"), np.float32) / 255.0
            y, x = self.rng.integers(0, image.shape[0] - self.size + 1, 2)
            crop = image[y:y + self.size, x:x + self.size]
            delta = self.eigvec @ (self.rng.normal(0.0, 0.1, 3).astype(np.float32) * self.eigval)
            images.append(((crop + delta - self.mean) / self.std).transpose(2, 0, 1))
        return torch.from_numpy(np.stack(images)), torch.from_numpy(self.labels[index].astype(np.int64))


def convoy_lr(step, steps_per_epoch, base=0.01, warmup=0.5, epochs=3):
    """convoy's LrSchedule (cosine with a linear warm-up) at 1-based `step`."""
    progress = (step - 1) / steps_per_epoch
    rate = base * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress / epochs)))
    if progress < warmup:
        rate *= max(progress, 1e-3 * warmup) / warmup
    return rate


def layer_report(model, images, labels):
    spreads, grads = {}, {}
    for name, module in model.named_children():
        module.register_forward_hook(lambda m, i, o, name=name: spreads.__setitem__(
            name, (o.detach().flatten(1).std(0).mean().item(), o.detach().abs().mean().item())))
    model.train()
    loss = nn.functional.cross_entropy(model(images), labels)
    loss.backward()
    print(f"loss at these weights: {loss.item():.4f} (ln 10 = {math.log(10):.4f})")
    print(f"{'layer':8} {'spread across batch':>20} {'mean |output|':>14} {'|grad w| / |w|':>15}")
    for name, module in model.named_children():
        w = getattr(module, "weight", None)
        ratio = f"{(w.grad.norm() / w.norm()).item():15.3e}" if w is not None else " " * 15
        print(f"{name:8} {spreads[name][0]:20.3e} {spreads[name][1]:14.3e} {ratio}")
    return loss.item()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="train.h5 in JPEG storage (images_to_hdf5 --storage jpeg)")
    ap.add_argument("--weights", required=True, help="convoy checkpoint holding the step-0 weights")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--metrics", help="JSON-lines file of step rows, as train_alexnet --metrics writes")
    ap.add_argument("--layer-report", action="store_true", help="report one batch's layers and exit")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    bench.FC = bench.LinearViaConv  # Debian's torch: reference BLAS for nn.Linear (see pytorch_train_bench)
    model = bench.alexnet(num_classes=10, input_size=227)
    load_convoy_weights(model, args.weights)
    batches = Batches(args.data, args.batch_size, 227, args.seed)
    if args.layer_report:
        loss = layer_report(model, *next(batches))
        print(f"summary weights={os.path.basename(args.weights)} loss={loss:.4f}")
        return

    steps_per_epoch = len(batches.labels) // args.batch_size
    opt = torch.optim.SGD(bench.param_groups(model, 5e-4), lr=0.0, momentum=0.9)
    out = open(args.metrics, "w") if args.metrics else None
    start, losses = time.time(), []
    model.train()
    for step in range(1, args.steps + 1):
        images, labels = next(batches)
        lr = convoy_lr(step, steps_per_epoch)
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if out:
            out.write(json.dumps({"kind": "step", "step": step, "loss": losses[-1], "lr": lr,
                                  "seconds": time.time() - start}) + "\n")
            out.flush()
        if step % 10 == 0:
            print(f"step {step:4d}  loss {losses[-1]:.4f}  lr {lr:.5f}  "
                  f"{step * args.batch_size / (time.time() - start):.1f} img/s", flush=True)
    last = losses[-10:]
    print(f"summary steps={args.steps} batch={args.batch_size} first_loss={losses[0]:.4f} "
          f"last10_mean_loss={sum(last) / len(last):.4f} img_per_s={args.steps * args.batch_size / (time.time() - start):.1f}")


if __name__ == "__main__":
    main()
