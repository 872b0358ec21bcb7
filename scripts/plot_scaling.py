#!/usr/bin/env python3
"""Plots bench_scaling's CSV: weak-scaling efficiency and strong-scaling speedup
per model against the rank count, and AlexNet's exposed all-reduce time beside
the same all-reduce run alone.  Usage: plot_scaling.py bench_scaling.csv out.png"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(csv_path, png_path):
    rows = list(csv.DictReader(open(csv_path)))
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    for ax, kind, label in ((axes[0], "weak", "weak-scaling efficiency"), (axes[1], "strong", "strong-scaling speedup")):
        for model, marker in (("lenet5", "o"), ("alexnet", "s")):
            points = sorted((int(r["ranks"]), float(r["images_per_sec"])) for r in rows
                            if r["model"] == model and kind in r["scaling"].split("+"))
            if points:  # relative to the one-rank run of the same question
                points = [(n, rate / points[0][1]) for n, rate in points]
            if points:
                ax.plot([p[0] for p in points], [p[1] for p in points], marker=marker, label=model)
        ranks = sorted({int(r["ranks"]) for r in rows})
        ax.plot(ranks, [1.0 for _ in ranks], "k:", linewidth=1, label="ideal (the same cores)")
        ax.set_ylim(0.7, 1.15)
        ax.set_xlabel("ranks (threads per rank = cores / ranks)")
        ax.set_title(label)
        ax.set_xticks(ranks)
        ax.grid(alpha=0.3)
        ax.legend()
    alex = [r for r in rows if r["model"] == "alexnet" and int(r["ranks"]) > 1 and "weak" in r["scaling"] or
            r["model"] == "alexnet" and r["scaling"] == "no-overlap"]
    names = [("overlap" if r["scaling"] != "no-overlap" else "no overlap") + f"\n{r['ranks']} ranks, b{r['batch_per_rank']}" for r in alex]
    x = range(len(alex))
    axes[2].bar([i - 0.2 for i in x], [float(r["exposed_ms"]) for r in alex], 0.4, label="exposed wait (ms)")
    axes[2].bar([i + 0.2 for i in x], [float(r["alone_ms"]) for r in alex], 0.4, label="all-reduce alone (ms)")
    axes[2].set_xticks(list(x))
    axes[2].set_xticklabels(names, fontsize=8)
    axes[2].set_title("AlexNet: communication hidden behind backward")
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
