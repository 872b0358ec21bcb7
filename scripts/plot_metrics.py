#!/usr/bin/python3
"""Plots a training run's JSON-lines metrics (--metrics FILE) to a PNG:
training loss per step, learning rate, and per-epoch accuracies.

  scripts/plot_metrics.py lenet.jsonl [more.jsonl ...] -o lenet.png
  scripts/plot_metrics.py a.jsonl b.jsonl --labels A B --max-step 120 -o first_steps.png

Uses Debian's python3-matplotlib; not needed for training itself.
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    steps, epochs = [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            row = json.loads(line)
            (steps if row.get("kind") == "step" else epochs).append(row)
    return steps, epochs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("metrics", nargs="+", help="JSON-lines files written by --metrics")
    ap.add_argument("-o", "--output", default="metrics.png")
    ap.add_argument("--labels", nargs="+", help="legend names, one a file (default: the file names)")
    ap.add_argument("--max-step", type=int, default=0, help="plot steps up to this one (0: all)")
    args = ap.parse_args()
    if args.labels and len(args.labels) != len(args.metrics):
        ap.error(f"{len(args.metrics)} files but {len(args.labels)} labels")

    runs = []
    for i, path in enumerate(args.metrics):
        label = args.labels[i] if args.labels else os.path.splitext(os.path.basename(path))[0]
        steps, epochs = load(path)
        if args.max_step:
            steps = [r for r in steps if r["step"] <= args.max_step]
            epochs = [r for r in epochs if r["step"] <= args.max_step]
        runs.append((label, steps, epochs))
    with_epochs = any(epochs for _, _, epochs in runs)  # no accuracy panel for runs cut before an epoch ended
    fig, axes = plt.subplots(1, 3 if with_epochs else 2, figsize=(15 if with_epochs else 10, 4.2))
    ax_loss, ax_lr = axes[0], axes[1]
    for label, steps, epochs in runs:
        if steps:
            ax_loss.plot([r["step"] for r in steps], [r["loss"] for r in steps], lw=0.8, label=label)
            ax_lr.plot([r["step"] for r in steps], [r["lr"] for r in steps], label=label)
        if epochs:
            xs = [r["epoch"] for r in epochs]
            axes[2].plot(xs, [100 * r["train_acc"] for r in epochs], "--", label=f"{label} train")
            if epochs[0].get("val_acc") is not None:
                axes[2].plot(xs, [100 * r["val_acc"] for r in epochs], "o-", ms=3, label=f"{label} val")
    ax_loss.set(xlabel="step", ylabel="training loss", yscale="log", title="loss")
    ax_lr.set(xlabel="step", ylabel="learning rate", title="schedule")
    if with_epochs:
        axes[2].set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
