#!/usr/bin/env bash
# AlexNet learns on real images (docs/models.md, "AlexNet on MNIST's digits as photos"):
#   benchmarks/alexnet_on_mnist.sh OUT_DIR [BUILD_DIR]
# data:   MNIST's first 20,000 training and its 10,000 test digits written as
#         <class>/ PNG folders (mnist_image_folders) and converted by
#         images_to_hdf5 to 256x256 RGB in JPEG storage, as a photo set is;
# ranks2: mpirun -np 2 train_alexnet with the recipe below (batch 64 a rank);
# ranks1: one rank at the same global batch (128);
# curves: the paper's and xavier's initialisation, the same recipe, first
#         CURVE_STEPS steps (kaiming's curve is ranks1's);
# step0:  the step-0 weights of kaiming and paper init (one step at lr 1e-30,
#         which leaves them as they were to float precision);
# peer:   PyTorch's loss curve from convoy's step-0 kaiming weights, same
#         recipe and data (benchmarks/peers/pytorch_alexnet_mnist.py), and
#         the paper init's activations and gradients by layer;
# plot:   the curves, docs/images/alexnet_mnist_*.svg.
# STAGES selects stages (default: all, in this order); a stage whose output
# exists is skipped. Prints a table; the last line is "summary key=value ...".
set -euo pipefail
out=$1 build=$(realpath "${2:-build}")
bin=$build/bin here=$(cd "$(dirname "$0")/.." && pwd)
mnist=${MNIST:-$here/../shared/data/mnist}
stages=${STAGES:-data ranks2 ranks1 curves step0 peer plot}
curve_steps=${CURVE_STEPS:-100}
peer_python=${PYTHON:-/usr/bin/python3}
export OMP_WAIT_POLICY=ACTIVE OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$out" && cd "$out"
# The recipe (docs/models.md); --init and --lr are given by each run.
recipe=(--data train.h5 --val test.h5 --no-flip --lr-schedule cosine --warmup-epochs 0.5 --epochs 3
        --momentum 0.9 --weight-decay 0.0005 --log-every 2)
has() { [[ " $stages " == *" $1 "* ]]; }

if has data && [[ ! -f test.h5 ]]; then
  "$bin/mnist_image_folders" --mnist "$mnist" --out folders --train-images 20000 --test-images 10000
  "$bin/images_to_hdf5" --input folders/train --out train.h5 --storage jpeg --quiet
  "$bin/images_to_hdf5" --input folders/test --out test.h5 --storage jpeg --quiet
fi
if has ranks2 && [[ ! -f r2.log ]]; then
  mpirun -np 2 --bind-to none "$bin/train_alexnet" "${recipe[@]}" --init kaiming --lr 0.01 --batch-size 64 --workers 1 \
    --metrics r2.jsonl --checkpoint-dir ck2 > r2.log 2>&1
fi
if has ranks1 && [[ ! -f r1.log ]]; then
  "$bin/train_alexnet" "${recipe[@]}" --init kaiming --lr 0.01 --batch-size 128 --threads 2 --workers 1 \
    --metrics r1.jsonl --checkpoint-dir ck1 > r1.log 2>&1
fi
if has curves; then
  for init in paper xavier; do
    [[ -f $init.log ]] && continue
    "$bin/train_alexnet" "${recipe[@]}" --init "$init" --lr 0.01 --batch-size 128 --threads 2 --workers 1 \
      --max-steps "$curve_steps" --metrics "$init.jsonl" --checkpoint-dir "" > "$init.log" 2>&1
  done
fi
if has step0; then
  for init in kaiming paper; do
    [[ -d step0_$init ]] && continue
    "$bin/train_alexnet" "${recipe[@]}" --init "$init" --lr 1e-30 --batch-size 128 --threads 2 --max-steps 1 \
      --checkpoint-dir "step0_$init" > "step0_$init.log" 2>&1
  done
fi
if has peer && [[ ! -f torch.log ]]; then
  OMP_NUM_THREADS=2 "$peer_python" "$here/benchmarks/peers/pytorch_alexnet_mnist.py" --data train.h5 \
    --weights step0_kaiming/*.h5 --steps "$curve_steps" --metrics torch.jsonl > torch.log 2>&1
  OMP_NUM_THREADS=2 "$peer_python" "$here/benchmarks/peers/pytorch_alexnet_mnist.py" --data train.h5 \
    --weights step0_paper/*.h5 --layer-report > paper_layers.log 2>&1
  OMP_NUM_THREADS=2 "$peer_python" "$here/benchmarks/peers/pytorch_alexnet_mnist.py" --data train.h5 \
    --weights step0_kaiming/*.h5 --layer-report > kaiming_layers.log 2>&1
fi
if has plot; then
  /usr/bin/python3 "$here/scripts/plot_metrics.py" r2.jsonl r1.jsonl --labels "2 ranks x 64" "1 process x 128" \
    -o "$here/docs/images/alexnet_mnist_ranks.svg"
  /usr/bin/python3 "$here/scripts/plot_metrics.py" r1.jsonl xavier.jsonl paper.jsonl torch.jsonl \
    --max-step "$curve_steps" --labels kaiming xavier paper "pytorch (kaiming, same step-0 weights)" \
    -o "$here/docs/images/alexnet_mnist_init.svg"
fi

final_acc() { grep -o '"val_acc":[0-9.]*' "$1" | tail -1 | cut -d: -f2; }
printf '%-40s %s\n' run "final top-1 (fraction)"
for run in r2 r1; do [[ -f $run.jsonl ]] && printf '%-40s %s\n' "$run" "$(final_acc $run.jsonl)"; done
echo "summary ranks2_top1=$(final_acc r2.jsonl 2>/dev/null || echo na) ranks1_top1=$(final_acc r1.jsonl 2>/dev/null || echo na)"
