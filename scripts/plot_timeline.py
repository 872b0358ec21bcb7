#!/usr/bin/env python3
"""Draws a --timeline trace (Chrome-trace JSON) as a PNG: one band per rank and
thread (compute: data wait, forward, backward, all-reduce wait, optimizer;
communication: each collective), for the steps asked.
Usage: plot_timeline.py trace.json out.png [--steps FIRST LAST]"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"data wait": "#bbbbbb", "forward": "#4c72b0", "backward": "#55a868", "all-reduce wait": "#c44e52",
           "optimizer": "#8172b2", "step report": "#937860"}


def colour(name):
    if name.startswith("all-reduce bucket"):
        return "#dd8452"
    return COLOURS.get(name, "#cccccc")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("trace")
    p.add_argument("png")
    p.add_argument("--steps", type=int, nargs=2, default=None, help="first and last step to draw")
    args = p.parse_args()
    events = [e for e in json.load(open(args.trace))["traceEvents"] if e.get("ph") == "X"]
    if args.steps:
        events = [e for e in events if args.steps[0] <= e["args"]["step"] <= args.steps[1]]
    start = min(e["ts"] for e in events)
    rows = sorted({(e["pid"], e["tid"]) for e in events})
    fig, ax = plt.subplots(figsize=(13, 0.8 + 0.55 * len(rows)))
    seen = set()
    for y, (pid, tid) in enumerate(rows):
        for e in (e for e in events if (e["pid"], e["tid"]) == (pid, tid)):
            key = "all-reduce bucket" if e["name"].startswith("all-reduce bucket") else e["name"]
            ax.broken_barh([((e["ts"] - start) / 1000, max(e["dur"] / 1000, 0.05))], (y - 0.35, 0.7),
                           color=colour(e["name"]), label=None if key in seen else key)
            seen.add(key)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"rank {pid} {'compute' if tid == 0 else 'communication'}" for pid, tid in rows])
    ax.invert_yaxis()
    ax.set_xlabel("ms")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=7, fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.png, dpi=110)


if __name__ == "__main__":
    main()
