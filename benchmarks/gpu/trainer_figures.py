"""Figures of check.sh's trainer runs, from their JSON-lines metrics in the
folder given: the largest relative gap between the GPU's and the CPU's loss
over the first steps, and the GPU run's median images/s and data wait (ms a
step) after its first 10 steps. Prints the three, '-' for a missing one."""
import json
import statistics
import sys


def steps(name):
    try:
        with open(f"{sys.argv[1]}/{name}") as lines:
            return [r for r in map(json.loads, lines) if r.get("kind") == "step"]
    except (OSError, ValueError):
        return []


cpu, gpu, run = steps("parity_cpu.jsonl"), steps("parity_gpu.jsonl"), steps("trainer_gpu.jsonl")[10:]
gap = None
if cpu and len(cpu) == len(gpu):
    gap = max(abs(g["loss"] - c["loss"]) / abs(c["loss"]) for c, g in zip(cpu, gpu))
rate = statistics.median(r["images_per_sec"] for r in run) if run else None
wait = statistics.median(r["data_ms"] for r in run) if run else None
print(*("-" if v is None else f"{v:.3g}" for v in (gap, rate, wait)))
