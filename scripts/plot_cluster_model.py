#!/usr/bin/env python3
"""Plots cluster_model h200's CSV: predicted scaling efficiency against GPU
count (8 H200 per node), one line per model and network.
Usage: plot_cluster_model.py cluster_model.csv out.png"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {"8nic_fp32": "8 NICs/node, fp32 gradients", "1nic_fp32": "1 NIC/node, fp32 gradients",
          "8nic_bf16": "8 NICs/node, bf16 gradients"}
STYLES = {"8nic_fp32": "-", "1nic_fp32": "--", "8nic_bf16": ":"}


def main(csv_path, png_path):
    rows = list(csv.DictReader(open(csv_path)))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for table in LABELS:
        for model, marker in (("alexnet", "s"), ("lenet5", "o")):
            points = sorted((int(r["gpus"]), float(r["efficiency"])) for r in rows
                            if r["table"] == table and r["model"] == model)
            if points:
                ax.plot([p[0] for p in points], [100 * p[1] for p in points], STYLES[table], marker=marker,
                        label=f"{model}, {LABELS[table]}")
    ax.set_xscale("log", base=2)
    ticks = sorted({int(r["gpus"]) for r in rows})
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(t) for t in ticks])
    ax.set_xlabel("GPUs (8 H200 per node)")
    ax.set_ylabel("predicted efficiency (%)")
    ax.set_ylim(0, 105)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title("Predicted data-parallel efficiency, per-GPU batch 128")
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
