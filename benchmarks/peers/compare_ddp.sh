#!/usr/bin/env bash
# convoy's data-parallel training against PyTorch DistributedDataParallel,
# side by side in one run: 2 ranks x 1 thread each, the same models and
# per-rank batch, alternating rounds, medians and their ratio.
#   benchmarks/peers/compare_ddp.sh
# The peer is the newest torch from PyPI, in a throwaway venv (PYTHON=... to
# use another interpreter): created in /tmp/convoy-torch-venv on first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${ROUNDS:-3}"
ranks=2
source benchmarks/peers/torch_python.sh
export OMP_WAIT_POLICY=ACTIVE OPENBLAS_NUM_THREADS=1
[[ $(id -u) -eq 0 ]] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bench=build/bin/bench_scaling
[[ -x $bench ]] || { echo "compare_ddp: build first (scripts/build.sh)" >&2; exit 1; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "# $($python -c 'import torch; print("torch", torch.__version__)'), $ranks ranks x 1 thread, $rounds alternating rounds"
printf '%-8s %6s %14s %14s %7s\n' model batch convoy_img/s ddp_img/s ratio
summary="summary ranks=$ranks"
for config in "lenet5 64 200" "alexnet 32 6"; do
  read -r model batch steps <<<"$config"
  ours=(); theirs=()
  for ((r = 0; r < rounds; r++)); do
    ours+=("$(mpirun -np $ranks $bench --measure --model "$model" --batch-size "$batch" --threads 1 --steps "$steps" |
              sed -n 's/^result .*"images_per_sec":\([0-9.e+]*\).*/\1/p')")
    theirs+=("$($python benchmarks/peers/pytorch_ddp_bench.py --model "$model" --batch-size "$batch" --ranks $ranks \
                --threads 1 --steps "$steps" --repeats 1 | sed -n 's/^summary .*img_per_s=\([0-9.]*\).*/\1/p')")
  done
  a=$(printf '%s\n' "${ours[@]}" | median); b=$(printf '%s\n' "${theirs[@]}" | median)
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a / b}')
  printf '%-8s %6s %14.1f %14.1f %6sx\n' "$model" "$batch" "$a" "$b" "$ratio"
  summary+=" ${model}_convoy=$a ${model}_ddp=$b ${model}_ratio=$ratio"
done
echo "$summary"
