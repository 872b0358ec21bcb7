#!/usr/bin/env bash
# convoy vs PyTorch training throughput on the CPU, side by side in one run:
# for each configuration the two alternate for ROUNDS rounds (so both see the
# same machine state), and the table reports the medians and their ratio.
#   benchmarks/peers/compare.sh [--quick]
# The peer is the one a user would pick: the newest torch from PyPI, in a
# throwaway venv (PYTHON=... to use another interpreter), created in
# /tmp/convoy-torch-venv on first use (as compare_ddp.sh). Needs
# build/bin/bench_train.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads="${THREADS:-$(nproc)}"
rounds="${ROUNDS:-3}"
source benchmarks/peers/torch_python.sh
export OMP_WAIT_POLICY=ACTIVE OPENBLAS_NUM_THREADS=1
bench=build/bin/bench_train
peer=benchmarks/peers/pytorch_train_bench.py
[[ -x $bench ]] || { echo "compare: build first (scripts/build.sh)" >&2; exit 1; }

configs=("lenet5 64 30 5 3" "lenet5 256 20 5 3" "alexnet 32 2 1 1")
[[ "${1:-}" == "--quick" ]] && configs=("lenet5 256 10 3 1" "alexnet 32 1 1 1") && rounds=1

img_per_s() { sed -n 's/^summary .* img_per_s=\([0-9.]*\).*/\1/p' | tail -1; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "# $($python -c 'import torch; print("torch", torch.__version__)' 2> /dev/null), $threads threads, $rounds alternating rounds"
printf '%-8s %6s %8s %13s %13s %7s\n' model batch threads convoy_img/s pytorch_img/s ratio
summary="summary threads=$threads"
for config in "${configs[@]}"; do
  read -r model batch steps warmup repeats <<< "$config"
  ours=() theirs=()
  for ((r = 0; r < rounds; r++)); do
    ours+=("$($bench --model "$model" --batch-size "$batch" --steps "$steps" --warmup "$warmup" \
      --repeats "$repeats" --threads "$threads" | img_per_s)")
    theirs+=("$("$python" "$peer" --model "$model" --batch-size "$batch" --steps "$steps" \
      --warmup "$warmup" --repeats "$repeats" --threads "$threads" 2> /dev/null | img_per_s)")
  done
  a=$(printf '%s\n' "${ours[@]}" | median)
  b=$(printf '%s\n' "${theirs[@]}" | median)
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a / b}')
  printf '%-8s %6s %8s %13.1f %13.1f %6sx\n' "$model" "$batch" "$threads" "$a" "$b" "$ratio"
  summary+=" ${model}_b${batch}_convoy=$a ${model}_b${batch}_pytorch=$b ${model}_b${batch}_ratio=$ratio"
done
echo "$summary"
