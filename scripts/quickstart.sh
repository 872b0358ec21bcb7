#!/usr/bin/env bash
# Quick start: installs the dependencies, builds, and trains LeNet-5 on MNIST
# with the default recipe, first as one process, then as 2 MPI ranks at the
# same global batch (the product's main job: data-parallel training), and
# prints both test accuracies side by side. Extra arguments go to both runs
# of train_lenet (e.g. --epochs 2); a --batch-size N is the global batch
# (each rank of the second run takes N/2). MNIST is looked up first (in
# ./data/mnist, then ../shared/data/mnist, unless --data is given), and
# fetched with scripts/get_mnist.sh where it is missing: where that fails,
# the script stops before installing anything and says what to run.
set -euo pipefail
cd "$(dirname "$0")/.."

args=("$@") batch=64 data_given=0
for ((i = 0; i < ${#args[@]}; ++i)); do
  case ${args[i]} in
    --batch-size) batch=${args[i + 1]:-64} ;;
    --batch-size=*) batch=${args[i]#--batch-size=} ;;
    --data | --data=*) data_given=1 ;;
  esac
done
has_mnist() { compgen -G "$1/train-images[-.]idx3-ubyte*" > /dev/null; }
if ((!data_given)) && ! has_mnist data/mnist && ! has_mnist ../shared/data/mnist; then
  echo "quickstart: MNIST is in neither ./data/mnist nor ../shared/data/mnist: fetching it (scripts/get_mnist.sh)"
  if ! scripts/get_mnist.sh data/mnist; then
    cat >&2 << 'MESSAGE'
quickstart: stopped before installing anything: MNIST could not be downloaded.
Put the four MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) into ./data/mnist, or run
    scripts/get_mnist.sh data/mnist
on a machine with internet access and copy ./data/mnist here; then run
    scripts/quickstart.sh
again.
MESSAGE
    exit 1
  fi
fi

scripts/install_deps.sh
scripts/build.sh
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-ACTIVE}"
if [[ $(id -u) -eq 0 ]]; then  # Open MPI refuses root unless told (docs/troubleshooting.md)
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

echo "quickstart: LeNet-5 as one process (global batch $batch)"
build/bin/train_lenet --checkpoint-dir checkpoints/lenet5 --metrics build/lenet_metrics.jsonl "${args[@]}"

# The same recipe as 2 MPI ranks: each rank takes half of the global batch.
if ((batch % 2)); then
  echo "quickstart: the batch $batch does not split over 2 ranks: skipping the 2-rank run" >&2
  exit 1
fi
two_rank_args=()
for ((i = 0; i < ${#args[@]}; ++i)); do
  case ${args[i]} in
    --batch-size) ((++i)) ;;
    --batch-size=*) ;;
    *) two_rank_args+=("${args[i]}") ;;
  esac
done
echo "quickstart: the same recipe as 2 MPI ranks (batch $((batch / 2)) each, global batch $batch)"
mpirun -np 2 build/bin/train_lenet --checkpoint-dir checkpoints/lenet5_2ranks \
  --metrics build/lenet_metrics_2ranks.jsonl "${two_rank_args[@]}" --batch-size $((batch / 2))

final_val_acc() { grep -o '"val_acc":[0-9.e-]*' "$1" | tail -1 | cut -d: -f2; }
one=$(final_val_acc build/lenet_metrics.jsonl) two=$(final_val_acc build/lenet_metrics_2ranks.jsonl)
awk -v a="$one" -v b="$two" 'BEGIN {
  printf "\n%-22s %s\n", "run", "final test accuracy"
  printf "%-22s %.2f%%\n%-22s %.2f%%\n", "one process", 100 * a, "2 MPI ranks", 100 * b
  printf "difference: %.2f points\n", (a > b ? a - b : b - a) * 100 }'
echo "metrics: build/lenet_metrics.jsonl, build/lenet_metrics_2ranks.jsonl" \
  "(/usr/bin/python3 scripts/plot_metrics.py build/lenet_metrics.jsonl build/lenet_metrics_2ranks.jsonl -o lenet.png)"
echo "checkpoints: checkpoints/lenet5/, checkpoints/lenet5_2ranks/"
