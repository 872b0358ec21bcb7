#!/usr/bin/env bash
# LeNet-5's default recipe (train_lenet: 20 epochs, batch 64, SGD lr 0.2,
# momentum 0.9, weight decay 5e-5, cosine schedule, Xavier init) for several
# seeds as one process, then seed 1 as 2 MPI ranks at the same global batch
# (--batch-size 32 each): the final and best test accuracy and the wall time
# of each run, as docs/results.md quotes them.
#   benchmarks/lenet_recipe.sh [SEEDS...]     (default: 1 2 3; BUILD_DIR=build)
# Last line: "summary seeds=... seedS_final_acc=... seedS_best_acc=... seedS_seconds=... median_final_acc=...
# ranks2_final_acc=... ranks2_best_acc=... ranks2_seconds=...".
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BUILD_DIR:-build}/bin
seeds=("$@")
[[ ${#seeds[@]} -gt 0 ]] || seeds=(1 2 3)
[[ -x $bin/train_lenet ]] || { echo "lenet_recipe: build first (scripts/build.sh)" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# "done: 18740 steps, 44.6 s, 26867 img/s training, final val_acc 99.11%, best 99.14%" -> "99.11 99.14 44.6"
figures() { sed -n 's/^done: .* steps, \([0-9.]*\) s, .*final val_acc \([0-9.]*\)%, best \([0-9.]*\)%.*/\2 \3 \1/p' "$1" | tail -1; }
run() {  # NAME COMMAND...: runs it, prints its row, keeps its figures in $work/NAME
  local name=$1
  shift
  "$@" --checkpoint-dir "$work/$name.checkpoints" > "$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; exit 1; }
  figures "$work/$name.log" > "$work/$name"
  [[ -s $work/$name ]] || { echo "lenet_recipe: no 'done:' line from: $*" >&2; exit 1; }
  read -r final best seconds < "$work/$name"
  printf '%-22s %9s%% %9s%% %9s s\n' "$name" "$final" "$best" "$seconds"
}

printf '%-22s %10s %10s %11s\n' run final_acc best_acc wall
summary="summary seeds=$(IFS=,; echo "${seeds[*]}")"
for seed in "${seeds[@]}"; do
  run "seed$seed" "$bin/train_lenet" --epochs 20 --seed "$seed"
  read -r final best seconds < "$work/seed$seed"
  summary+=" seed${seed}_final_acc=$final seed${seed}_best_acc=$best seed${seed}_seconds=$seconds"
done
median=$(for seed in "${seeds[@]}"; do cut -d' ' -f1 "$work/seed$seed"; done | sort -g |
         awk '{v[NR]=$1} END {printf "%.2f", (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}')
run ranks2 mpirun -np 2 --bind-to none "$bin/train_lenet" --epochs 20 --seed "${seeds[0]}" --batch-size 32
read -r final best seconds < "$work/ranks2"
echo "median final accuracy over seeds ${seeds[*]}: $median%; 2 ranks x batch 32 with seed ${seeds[0]}: $final%"
echo "$summary median_final_acc=$median ranks2_final_acc=$final ranks2_best_acc=$best ranks2_seconds=$seconds"
