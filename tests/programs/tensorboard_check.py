"""Checks a --tensorboard folder with TensorBoard's own reader (EventAccumulator)
against the run's JSON-lines metrics:

  python tensorboard_check.py TB_DIR METRICS.jsonl   every tag holds exactly the steps of
      the metrics lines that carry its field (the last line of a step wins, as after a
      resume), each value equal to the metric rounded to float32; no other tag
  python tensorboard_check.py TB_DIR --live N        exits 0 once train/loss has N events
"""
import json
import os
import sys

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

# (metrics line kind, JSON field) -> TensorBoard tag: launch/trainer/training_report.cpp.
TAGS = {
    ("step", "loss"): "train/loss", ("step", "lr"): "train/lr",
    ("step", "images_per_sec"): "train/images_per_sec", ("step", "skipped_steps"): "train/skipped_steps",
    ("step", "data_ms"): "time/data_ms", ("step", "compute_ms"): "time/compute_ms",
    ("step", "allreduce_ms"): "time/allreduce_ms",
    ("epoch", "train_loss"): "epoch/train_loss", ("epoch", "train_acc"): "epoch/train_acc",
    ("epoch", "val_acc"): "epoch/val_acc", ("epoch", "val_top5"): "epoch/val_top5",
}


def scalars(folder):
    acc = EventAccumulator(folder, size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def expected(metrics_path):
    want = {}
    with open(metrics_path) as f:
        for line in f:
            row = json.loads(line)
            for (kind, key), tag in TAGS.items():
                if row.get("kind") == kind and isinstance(row.get(key), (int, float)):
                    want.setdefault(tag, {})[row["step"]] = float(np.float32(row[key]))
    return {tag: sorted(steps.items()) for tag, steps in want.items()}


def main():
    folder = sys.argv[1]
    if sys.argv[2] == "--live":
        if not os.path.isdir(folder):
            sys.exit(1)  # the run has not made it yet
        got = scalars(folder).get("train/loss", [])
        print(f"tensorboard_check: train/loss has {len(got)} events so far")
        sys.exit(0 if len(got) >= int(sys.argv[3]) else 1)
    got, want = scalars(folder), expected(sys.argv[2])
    failures = [f"tags: TensorBoard has {sorted(got)}, the metrics give {sorted(want)}"] if set(got) != set(want) else []
    for tag in sorted(want):
        have = [(s, float(np.float32(v))) for s, v in got.get(tag, [])]
        if have != want[tag]:
            diff = [(w, h) for w, h in zip(want[tag], have) if w != h][:3]
            failures.append(f"{tag}: {len(have)} events, {len(want[tag])} expected; first differences "
                            f"(expected, read): {diff}")
        else:
            print(f"tensorboard_check: {tag:<22} {len(have):4d} events, steps {have[0][0]}..{have[-1][0]}: equal")
    for f in failures:
        print("tensorboard_check: FAILED", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
