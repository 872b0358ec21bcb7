#!/usr/bin/env bash
# Steady under load: trains LeNet-5 on MNIST for STEPS steps (default 20,000)
# with 2 loader workers, recording resident memory (the metrics' rss_mb) every
# 100 steps, and prints it every 1,000 (and at step 200 and the end).
#   scripts/soak.sh [STEPS] [--check MIB]
# --check MIB: exit 1 if resident memory grew by more than MIB between step 200
# and the end (CI runs "scripts/soak.sh 2000 --check 8"). Needs build/ and
# MNIST (../shared/data/mnist or ./data/mnist). Last line:
# "summary steps=... rss_step200_mb=... rss_end_mb=... growth_mb=...".
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-20000}
limit=""
if [[ ${2:-} == --check ]]; then limit=${3:?--check needs a size in MiB}; fi
work=$(mktemp -d /tmp/convoy_soak_XXXXXX)
trap 'rm -rf "$work"' EXIT
metrics=$work/soak.jsonl
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-ACTIVE}
# Enough epochs that --max-steps ends the run (938 steps an epoch at batch 64).
build/bin/train_lenet --workers 2 --max-steps "$steps" --epochs $((steps / 900 + 2)) --log-every 100 \
  --metrics "$metrics" --checkpoint-dir "$work/checkpoints" > "$work/train.log" 2>&1 ||
  { tail -20 "$work/train.log"; exit 1; }
awk -v steps="$steps" -v limit="$limit" '
  function field(name,   at) {
    if (!match($0, "\"" name "\":[0-9.e+-]+")) return -1
    at = substr($0, RSTART, RLENGTH); sub(/.*:/, "", at); return at + 0
  }
  /"kind":"step"/ {
    step = field("step"); rss = field("rss_mb")
    if (step == 200) base = rss
    if (step % 1000 == 0 || step == 200) printf "%8d %10.1f\n", step, rss
    last = rss; last_step = step
  }
  BEGIN { printf "%8s %10s\n", "step", "rss (MiB)" }
  END {
    if (last_step % 1000 != 0) printf "%8d %10.1f\n", last_step, last
    growth = last - base
    printf "summary steps=%d rss_step200_mb=%.1f rss_end_mb=%.1f growth_mb=%.1f\n", last_step, base, last, growth
    if (limit != "" && growth > limit + 0) { printf "soak: resident memory grew by %.1f MiB, more than %s\n", growth, limit; exit 1 }
  }' "$metrics"
