#!/usr/bin/env bash
# convoy vs PyTorch training throughput, side by side in one run: for each
# configuration the two alternate for ROUNDS rounds (so both see the same
# machine state), and the table reports the medians and their ratio.
#   benchmarks/peers/compare.sh [--quick]
# Needs build/bin/bench_train and Debian's python3-torch (/usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
threads="${THREADS:-$(nproc)}"
rounds="${ROUNDS:-3}"
export OMP_WAIT_POLICY=ACTIVE OPENBLAS_NUM_THREADS=1
bench=build/bin/bench_train
peer=benchmarks/peers/pytorch_train_bench.py
[[ -x $bench ]] || { echo "compare: build first (scripts/build.sh)" >&2; exit 1; }

configs=("lenet5 64 30 5 3" "lenet5 256 20 5 3" "alexnet 32 2 1 1")
[[ "${1:-}" == "--quick" ]] && configs=("lenet5 256 10 3 1" "alexnet 32 1 1 1") && rounds=1

img_per_s() { sed -n 's/^summary .*img_per_s=\([0-9.]*\).*/\1/p' | tail -1; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

# pytorch: stock nn.Linear (Debian's torch uses the reference BLAS for it);
# pytorch_fcconv: its fully connected layers run as 1x1 convolutions (oneDNN), a stronger peer.
printf '%-8s %6s %8s %13s %13s %15s %7s %9s\n' model batch threads convoy_img/s pytorch_img/s pytorch_fcconv ratio ratio_fc
summary="summary threads=$threads"
for config in "${configs[@]}"; do
  read -r model batch steps warmup repeats <<<"$config"
  ours=(); theirs=(); theirs_fc=()
  for ((r = 0; r < rounds; r++)); do
    ours+=("$($bench --model "$model" --batch-size "$batch" --steps "$steps" --warmup "$warmup" \
               --repeats "$repeats" --threads "$threads" | img_per_s)")
    theirs+=("$(/usr/bin/python3 "$peer" --model "$model" --batch-size "$batch" --steps "$steps" \
                 --warmup "$warmup" --repeats "$repeats" --threads "$threads" | img_per_s)")
    theirs_fc+=("$(/usr/bin/python3 "$peer" --model "$model" --batch-size "$batch" --steps "$steps" \
                 --warmup "$warmup" --repeats "$repeats" --threads "$threads" --fc-impl conv | img_per_s)")
  done
  a=$(printf '%s\n' "${ours[@]}" | median); b=$(printf '%s\n' "${theirs[@]}" | median)
  c=$(printf '%s\n' "${theirs_fc[@]}" | median)
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a / b}')
  ratio_fc=$(awk -v a="$a" -v c="$c" 'BEGIN {printf "%.2f", a / c}')
  printf '%-8s %6s %8s %13.1f %13.1f %15.1f %6sx %8sx\n' "$model" "$batch" "$threads" "$a" "$b" "$c" "$ratio" "$ratio_fc"
  summary+=" ${model}_b${batch}_convoy=$a ${model}_b${batch}_pytorch=$b ${model}_b${batch}_ratio=$ratio ${model}_b${batch}_ratio_fcconv=$ratio_fc"
done
echo "$summary"
