#!/usr/bin/env bash
# On a lent GPU machine (one H200): the GPU tests, then the training
# throughput of LeNet-5 and AlexNet on the GPU beside the same models in
# PyTorch on the same GPU, in one table. Needs .gpu-pack/ (benchmarks/gpu/pack.sh,
# run here first) carried along; writes its logs to $OUT. Well under 10 minutes.
#   run(command="benchmarks/gpu/check.sh", carry=[".gpu-pack"], timeout_s=540)
# Precision: convoy trains in true fp32 (no TF32); PyTorch is measured in fp32
# (TF32 off), tf32 (its default math with cudnn.benchmark) and bf16 autocast.
# Last line: summary key=value ...
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
missing=$(ldd "$root/bin/cuda_tests" "$root/bin/bench_train" | grep "not found" | sort -u)
[[ -z $missing ]] || { echo "check: unresolved libraries:"; echo "$missing"; exit 2; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee "$out/gpu.txt"

# 1. The GPU tests (a test that skips says why; any failure fails the check).
"$root/bin/cuda_tests" --gtest_output="xml:$out/cuda_tests.xml" > "$out/cuda_tests.log" 2>&1
tests_rc=$?
grep -E "^\[  (PASSED|SKIPPED|FAILED) |^\[==========\]" "$out/cuda_tests.log"
passed=$(grep -c "^\[       OK \]" "$out/cuda_tests.log")
skipped=$(grep -c "^\[  SKIPPED \] .*(" "$out/cuda_tests.log")
failed=$(grep -c "^\[  FAILED  \] .*(" "$out/cuda_tests.log")

# 2. Throughput, side by side: convoy fp32 and PyTorch fp32 / tf32 / bf16.
img_per_s() { sed -n 's/^summary .*img_per_s=\([0-9.]*\).*/\1/p' | tail -1; }
declare -A rate
for run in "lenet5 256 40" "alexnet 128 10"; do
  read -r model batch steps <<< "$run"
  rate[$model,convoy]=$("$root/bin/bench_train" --model "$model" --batch-size "$batch" --device cuda \
    --steps "$steps" --warmup 3 --repeats 5 2>&1 | tee "$out/convoy_$model.log" | img_per_s)
  for precision in fp32 tf32 bf16; do
    rate[$model,$precision]=$(python3 benchmarks/peers/pytorch_train_bench.py --model "$model" --batch-size "$batch" \
      --device cuda --precision "$precision" --steps "$steps" --warmup 3 --repeats 5 2>&1 |
      tee "$out/pytorch_${model}_$precision.log" | img_per_s)
  done
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'; }
printf '\n%-8s %6s %14s %14s %8s %14s %14s\n' model batch "convoy fp32" "PyTorch fp32" ratio "PyTorch tf32" "PyTorch bf16"
summary="summary tests_passed=$passed tests_skipped=$skipped tests_failed=$failed"
for run in "lenet5 256" "alexnet 128"; do
  read -r model batch <<< "$run"
  c=${rate[$model,convoy]:-} f=${rate[$model,fp32]:-}
  printf '%-8s %6s %14s %14s %8s %14s %14s\n' "$model" "$batch" "${c:--}" "${f:--}" "$(ratio "$c" "$f")" \
    "${rate[$model,tf32]:--}" "${rate[$model,bf16]:--}"
  summary+=" ${model}_convoy_fp32=${c:-0} ${model}_pytorch_fp32=${f:-0} ${model}_vs_pytorch_fp32=$(ratio "$c" "$f")"
done
echo "(images/s, medians of 5 rounds; logs in $out)"
echo "$summary"
((tests_rc == 0))
