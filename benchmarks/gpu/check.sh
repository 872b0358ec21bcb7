#!/usr/bin/env bash
# On a lent GPU machine (one H200): the GPU tests; train_alexnet on the GPU
# against the CPU (the losses of its first steps) and its throughput and data
# wait; then the training throughput of LeNet-5 and AlexNet on the GPU beside
# the same models in PyTorch on the same GPU, in one table. Needs .gpu-pack/ (benchmarks/gpu/pack.sh,
# run here first) carried along; writes its logs to $OUT. Well under 10 minutes.
#   run(command="benchmarks/gpu/check.sh", carry=[".gpu-pack"], timeout_s=540)
# Precision: convoy and PyTorch side by side in fp32 (PyTorch with TF32 off),
# tf32 (PyTorch's default math with cudnn.benchmark) and bf16 (convoy's bf16
# convolutions and products; PyTorch's bf16 autocast).
# Every step has a time limit of its own, so that one that hangs costs only
# its limit and the table still comes. Last line: summary key=value ...
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/convoy-gpu-out}
mkdir -p "$out"
root=/tmp/convoy-gpu
rm -rf "$root" && mkdir -p "$root"
tar -xJf .gpu-pack/convoy-gpu.tar.xz -C "$root" || { echo "check: no .gpu-pack/ (run benchmarks/gpu/pack.sh here, carry .gpu-pack)"; exit 2; }

# The CUDA libraries of this machine's PyTorch wheels (nvidia-*): every folder holding one.
wheel_libs=$(python3 - << 'PY'
import os, sys
dirs = set()
try:
    import nvidia
    for base in nvidia.__path__:
        for folder, _, files in os.walk(base):
            if any(f.startswith(("libcudnn", "libcublas", "libcudart", "libnccl")) and ".so" in f for f in files):
                dirs.add(folder)
except ImportError:
    pass
print(":".join(sorted(dirs)))
PY
)
export LD_LIBRARY_PATH="$root/lib${wheel_libs:+:$wheel_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "check: CUDA libraries from: ${wheel_libs:-none found among the nvidia wheels of python3}"
missing=$(ldd "$root"/bin/* | grep "not found" | sort -u)
[[ -z $missing ]] || { echo "check: unresolved libraries:"; echo "$missing"; exit 2; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee "$out/gpu.txt"

# 1. The GPU tests (a test that skips says why; any failure fails the check).
timeout 150 "$root/bin/cuda_tests" --gtest_output="xml:$out/cuda_tests.xml" > "$out/cuda_tests.log" 2>&1
tests_rc=$?
grep -E "^\[  (PASSED|SKIPPED|FAILED) |^\[==========\]" "$out/cuda_tests.log"
passed=$(grep -c "^\[       OK \]" "$out/cuda_tests.log")
skipped=$(grep -c "^\[  SKIPPED \] .*(" "$out/cuda_tests.log")
failed=$(grep -c "^\[  FAILED  \] .*(" "$out/cuda_tests.log")

# 2. The trainer itself on the GPU, on real photographs (the pack's 1000
# ImageNet samples, converted here to a raw set and fed as 8-bit crops that
# the GPU normalises): the losses of its first steps against the CPU's (same
# seed, crops, lighting and dropout masks), then a longer run's rate and how
# long its steps waited for data (14 loader workers).
data=$root/imagenet-raw.h5
timeout 60 "$root/bin/images_to_hdf5" --input .gpu-pack/imagenet --out "$data" --size 256 --storage raw --threads 16 \
  --quiet > "$out/imagenet_to_hdf5.log" 2>&1 || echo "check: no ImageNet set (run benchmarks/gpu/pack.sh again)"
train=(timeout 90 "$root/bin/train_alexnet" --data "$data" --input-size 127 --batch-size 32 --max-steps 4
       --log-every 1 --checkpoint-dir "" --workers 4 --threads 16)
"${train[@]}" --device cpu --metrics "$out/parity_cpu.jsonl" > "$out/parity_cpu.log" 2>&1
"${train[@]}" --device cuda --metrics "$out/parity_gpu.jsonl" > "$out/parity_gpu.log" 2>&1
timeout 120 "$root/bin/train_alexnet" --data "$data" --batch-size 128 --max-steps 60 --log-every 1 \
  --checkpoint-dir "" --workers 14 --device cuda --metrics "$out/trainer_gpu.jsonl" > "$out/trainer_gpu.log" 2>&1
read -r loss_gap trainer_rate data_ms < <(python3 benchmarks/gpu/trainer_figures.py "$out")
echo "trainer: first 4 steps' loss, GPU vs CPU: max relative gap $loss_gap;" \
  "AlexNet batch 128 on raw ImageNet samples: $trainer_rate img/s, median data wait $data_ms ms a step"
grep -h "^training" "$out/parity_gpu.log" "$out/trainer_gpu.log"  # the feed ("8-bit, normalised on the device input")
tail -n 3 "$out/parity_gpu.log" "$out/trainer_gpu.log"
# The same model fed through the loader against batches already on the
# device, in alternating rounds: 1.0 means the loader never holds it back.
feed_ratio=$(timeout 90 "$root/bin/bench_train" --model alexnet --batch-size 128 --device cuda --data "$data" --workers 14 \
  --steps 10 --warmup 3 --repeats 3 2>&1 | tee "$out/bench_feed.log" | sed -n 's/^summary .*loader_vs_memory=\([0-9.]*\).*/\1/p')
echo "AlexNet fed by the loader (8-bit, 14 workers) / from device memory: ${feed_ratio:--}"

# 3. Throughput, side by side: convoy and PyTorch in fp32, tf32 and bf16.
img_per_s() { sed -n 's/^summary .*img_per_s=\([0-9.]*\).*/\1/p' | tail -1; }
declare -A rate
for run in "lenet5 256 40" "alexnet 128 10"; do
  read -r model batch steps <<< "$run"
  for precision in fp32 tf32 bf16; do
    rate[$model,convoy,$precision]=$(timeout 45 "$root/bin/bench_train" --model "$model" --batch-size "$batch" --device cuda \
      --precision "$precision" --steps "$steps" --warmup 3 --repeats 5 2>&1 |
      tee "$out/convoy_${model}_$precision.log" | img_per_s)
    rate[$model,pytorch,$precision]=$(timeout 60 python3 benchmarks/peers/pytorch_train_bench.py --model "$model" \
      --batch-size "$batch" --device cuda --precision "$precision" --steps "$steps" --warmup 3 --repeats 5 2>&1 |
      tee "$out/pytorch_${model}_$precision.log" | img_per_s)
  done
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'; }
printf '\n%-8s %6s %-10s %12s %12s %7s %16s\n' model batch precision convoy PyTorch ratio "vs PyTorch fp32"
summary="summary tests_passed=$passed tests_skipped=$skipped tests_failed=$failed trainer_loss_gap=$loss_gap"
summary+=" trainer_alexnet_img_per_s=$trainer_rate trainer_data_wait_ms=$data_ms loader_vs_memory=${feed_ratio:--}"
for run in "lenet5 256" "alexnet 128"; do
  read -r model batch <<< "$run"
  for precision in fp32 tf32 bf16; do
    c=${rate[$model,convoy,$precision]:-} p=${rate[$model,pytorch,$precision]:-} f=${rate[$model,pytorch,fp32]:-}
    printf '%-8s %6s %-10s %12s %12s %7s %16s\n' "$model" "$batch" "$precision" "${c:--}" "${p:--}" \
      "$(ratio "$c" "$p")" "$(ratio "$c" "$f")"
    summary+=" ${model}_${precision}_convoy=${c:-0} ${model}_${precision}_pytorch=${p:-0}"
    summary+=" ${model}_${precision}_ratio=$(ratio "$c" "$p")"
  done
done
echo "(images/s, medians of 5 rounds; logs in $out)"
echo "$summary"
((tests_rc == 0))
