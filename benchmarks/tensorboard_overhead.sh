#!/usr/bin/env bash
# What --tensorboard costs training: train_lenet --max-steps STEPS on MNIST
# with and without it, alternating rounds (ROUNDS, default 7) and which
# runs first, at
# --log-every LOG_EVERY (default 10, the trainers' default; 1 is the worst
# case, an event every step). Times each whole run (start-up included, the
# same for both).
#   benchmarks/tensorboard_overhead.sh [BUILD_DIR] [MNIST_DIR]
# Prints each round, the medians and, last, "summary key=value ...".
set -euo pipefail
build=${1:-build} mnist=${2:-../shared/data/mnist}
rounds=${ROUNDS:-7} steps=${STEPS:-3000} log_every=${LOG_EVERY:-10}
export OMP_WAIT_POLICY=ACTIVE
work=$(mktemp -d /tmp/convoy_tb_overhead_XXXXXX)
trap 'rm -rf "$work"' EXIT
seconds() {  # seconds the command takes
  local start=$(date +%s.%N)
  "$@" > /dev/null 2>&1
  awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}'
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
lenet=("$build/bin/train_lenet" --data "$mnist" --cache-dir "$work/cache" --log-every "$log_every"
       --checkpoint-dir "$work/checkpoints")
"${lenet[@]}" --max-steps 1 > /dev/null  # converts MNIST into the cache once
run=("${lenet[@]}" --max-steps "$steps")
without=() with=()
printf '%-6s %14s %14s\n' round without_s with_s
for ((r = 1; r <= rounds; r++)); do
  rm -rf "$work/checkpoints" "$work/tb"
  if ((r % 2)); then  # which goes first alternates too
    a=$(seconds "${run[@]}") && rm -rf "$work/checkpoints" && b=$(seconds "${run[@]}" --tensorboard "$work/tb")
  else
    b=$(seconds "${run[@]}" --tensorboard "$work/tb") && rm -rf "$work/checkpoints" && a=$(seconds "${run[@]}")
  fi
  without+=("$a") with+=("$b")
  printf '%-6s %14s %14s\n' "$r" "$a" "$b"
done
a=$(printf '%s\n' "${without[@]}" | median) b=$(printf '%s\n' "${with[@]}" | median)
cost=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", 100 * (b - a) / a}')
printf '%-6s %14s %14s   (--tensorboard costs %s%%)\n' median "$a" "$b" "$cost"
echo "summary steps=$steps log_every=$log_every rounds=$rounds without_s=$a with_s=$b cost_percent=$cost"
