#!/usr/bin/env bash
# A portable GPU check, for any machine with an NVIDIA GPU, its driver and
# PyTorch's wheels (which bring CUDA, cuBLAS, cuDNN and NCCL), and nothing
# else installed: the GPU tests; the training throughput of LeNet-5 and
# AlexNet on the GPU beside the same models in PyTorch on the same GPU, in one
# table; then train_alexnet on the GPU against the CPU (the losses of its
# first steps) and its throughput and data wait. Needs .gpu-pack/, made by
# benchmarks/gpu/pack.sh on a build machine and copied along with the source:
#   benchmarks/gpu/check.sh        (from the source tree's root on the GPU machine)
# Precision: convoy and PyTorch side by side in fp32 (PyTorch with TF32 off),
# tf32 (PyTorch with TF32 on) and bf16 (convoy's bf16 convolutions and
# products; PyTorch's bf16 autocast); PyTorch with cudnn.benchmark in all three.
#
# The whole check keeps within CHECK_BUDGET_S seconds (default 330; raise it
# for a slower machine, lower it where GPU time is rationed): each step has a
# limit of its own, cut to what the budget has left, and a step the budget
# cannot hold is skipped and said so; the table always comes. A test
# that crashes or hangs is named, and the tests after it still run; at the end,
# with the time left, each failed one runs again alone with
# CUDA_LAUNCH_BLOCKING=1 (an asynchronous fault then names its kernel) and,
# where it works, under compute-sanitizer. Programs that die of a signal print
# their backtrace (addr2line -Cfpe on the packed binary names the lines).
# Results go to $OUT (default /tmp/convoy-gpu-out) as two files: check.log
# (all this prints) and logs.tar.gz (every step's log). Last line:
# summary key=value ...
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/convoy-gpu-out}
budget=${CHECK_BUDGET_S:-330}
root=/tmp/convoy-gpu
logs=$root/logs
rm -rf "$root" && mkdir -p "$root" "$out"
tar -xJf .gpu-pack/convoy-gpu.tar.xz -C "$root" || { echo "check: no .gpu-pack/ (run benchmarks/gpu/pack.sh here, carry .gpu-pack)"; exit 2; }
mkdir -p "$logs"
exec > >(tee "$out/check.log") 2>&1
# At the end: the logs packed, and tee given the time to write the last lines.
trap 'tar -czf "$out/logs.tar.gz" -C "$root" logs 2> /dev/null; exec >&- 2>&-; wait' EXIT

# Seconds a step may take: its own cap, or what the budget has left after a
# reserve for the table; 0 when too little is left to start it.
step_limit() {
  local left=$((budget - SECONDS - 10))
  local cap=$(($1 < left ? $1 : left))
  echo $((cap < 5 ? 0 : cap))
}
# within CAP COMMAND...: COMMAND under the step's limit (exit 124 when it ran out).
within() {
  local cap
  cap=$(step_limit "$1")
  shift
  if ((cap == 0)); then
    local what=() arg
    for arg in "$@"; do  # the program (and a python script) without env's settings
      [[ $arg == env || $arg == *=* ]] || what+=("${arg##*/}")
      ((${#what[@]} == 2)) || [[ ${what[0]:-} == python3 ]] || ((${#what[@]} == 0)) || break
    done
    echo "check: skipped for lack of time: ${what[*]} ${*: -1}" >&2
    return 125
  fi
  timeout -k 5 "$cap" "$@"
}

# The CUDA libraries of this machine's PyTorch wheels (nvidia-*): every folder
# holding one. Only convoy's programs get them, with the packed Debian
# libraries, on their library path; PyTorch keeps its own.
wheel_libs=$(python3 - << 'PY'
import os
dirs = set()
try:
    import nvidia
    for base in nvidia.__path__:
        for folder, _, files in os.walk(base):
            if any(f.startswith(("libcudnn", "libcublas", "libcudart", "libnccl")) and ".so" in f for f in files):
                dirs.add(folder)
except ImportError:
    pass
# Then the toolkit's own folder, for any library the wheels lack.
dirs = sorted(dirs) + [d for d in ("/usr/local/cuda/lib64",) if os.path.isdir(d)]
print(":".join(dirs))
PY
)
with_libs=(env "LD_LIBRARY_PATH=$root/lib${wheel_libs:+:$wheel_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
echo "check: CUDA libraries from: ${wheel_libs:-none found among the nvidia wheels of python3}"
missing=$("${with_libs[@]}" ldd "$root"/bin/* | grep "not found" | sort -u)
[[ -z $missing ]] || { echo "check: unresolved libraries:"; echo "$missing"; exit 2; }
timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee "$logs/gpu.txt"

# 1. The GPU tests. A pass that dies leaves its running test without a
# result: that test is marked CRASHED (or HUNG, when it outlived the pass's
# limit), and the tests that have no result yet run in a further pass.
tests_log=$logs/cuda_tests.log
: > "$tests_log"
result_line='^\[ +(OK|FAILED|SKIPPED|CRASHED|HUNG) +\] [A-Za-z0-9_/.]+ \('
filter='*'
for pass in 1 2 3 4 5; do
  within 150 "${with_libs[@]}" "$root/bin/cuda_tests" --gtest_filter="$filter" \
    --gtest_output="xml:$logs/cuda_tests_$pass.xml" >> "$tests_log" 2>&1
  rc=$?
  started=$(grep -oP '^\[ RUN +\] \K\S+' "$tests_log" | tail -1)
  # Done when the last test that started has its result (whatever the exit
  # status: 1 is gtest's for failures, but also a test's own exit(1)).
  if ((rc == 125)) || [[ -z $started ]] ||
    grep -qE "^\[ +(OK|FAILED|SKIPPED) +\] ${started//./\\.} \(" "$tests_log"; then
    ((rc <= 1 || rc == 125)) || echo "[  CRASHED ] at-exit (cuda_tests exit $rc after its tests)" | tee -a "$tests_log"
    break
  fi
  if ((rc == 124 || rc == 137)); then
    echo "[  HUNG    ] $started (still running after the pass's limit)"
  else
    echo "[  CRASHED ] $started (exit $rc)"
  fi | tee -a "$tests_log"
  filter=-$(grep -oP "$result_line" "$tests_log" | sed -E 's/^\[[^]]*\] //; s/ \($//' | sort -u | paste -sd:)
done
grep -E "^\[  (PASSED|SKIPPED|FAILED|CRASHED|HUNG) |^\[==========\]" "$tests_log"
passed=$(grep -cE '^\[ +OK +\] ' "$tests_log")
skipped=$(grep -cE '^\[ +SKIPPED +\] .* \(' "$tests_log")
failed=$(grep -cE '^\[ +(FAILED|CRASHED|HUNG) +\] .* \(' "$tests_log")

# 2. Throughput, side by side: convoy and PyTorch in fp32, tf32 and bf16;
# then AlexNet's step layer by layer.
img_per_s() { sed -n 's/^summary .* img_per_s=\([0-9.]*\).*/\1/p' | tail -1; }
declare -A rate
for run in "lenet5 256 40" "alexnet 128 10"; do
  read -r model batch steps <<< "$run"
  for precision in fp32 tf32 bf16; do
    rate[$model,convoy,$precision]=$(within 45 "${with_libs[@]}" "$root/bin/bench_train" \
      --model "$model" --batch-size "$batch" --device cuda --precision "$precision" --steps "$steps" --warmup 3 \
      --repeats 5 2>&1 | tee "$logs/convoy_${model}_$precision.log" | img_per_s)
    rate[$model,pytorch,$precision]=$(within 60 python3 benchmarks/peers/pytorch_train_bench.py --model "$model" \
      --batch-size "$batch" --device cuda --precision "$precision" --steps "$steps" --warmup 3 --repeats 5 2>&1 |
      tee "$logs/pytorch_${model}_$precision.log" | img_per_s)
    echo "$model $precision: convoy ${rate[$model,convoy,$precision]:--}, PyTorch ${rate[$model,pytorch,$precision]:--} img/s"
  done
done

# Where AlexNet's GPU step goes, layer by layer (each piece waited for), in fp32 and bf16.
for precision in fp32 bf16; do
  within 40 "${with_libs[@]}" CONVOY_LOG_CONV_ALGORITHMS=1 "$root/bin/bench_train" --model alexnet --batch-size 128 \
    --device cuda --precision "$precision" --steps 5 --warmup 2 --repeats 1 --per-layer \
    > "$logs/per_layer_alexnet_$precision.log" 2>&1
  echo "AlexNet per layer, $precision (and the convolution algorithms cuDNN gave):"
  grep "^conv: " "$logs/per_layer_alexnet_$precision.log"
  sed -n '/^per-layer time per step/,/^sgd /p' "$logs/per_layer_alexnet_$precision.log"
done

# 3. The trainer itself on the GPU, on real photographs (the pack's 1000
# ImageNet samples, converted here to a raw set and fed as 8-bit crops that
# the GPU normalises): the losses of its first steps against the CPU's (same
# seed, crops, lighting and dropout masks), then a longer run's rate and how
# long its steps waited for data (14 loader workers; it evaluates at each
# epoch's end, outside the steps' times).
data=$root/imagenet-raw.h5
within 60 "${with_libs[@]}" "$root/bin/images_to_hdf5" --input .gpu-pack/imagenet --out "$data" \
  --size 256 --storage raw --threads 16 --quiet > "$logs/imagenet_to_hdf5.log" 2>&1 ||
  echo "check: no ImageNet set (run benchmarks/gpu/pack.sh again)"
train=("$root/bin/train_alexnet" --data "$data" --input-size 127 --batch-size 32 --max-steps 4
       --log-every 1 --checkpoint-dir "" --workers 4 --threads 16)
within 90 "${with_libs[@]}" "${train[@]}" --device cpu --metrics "$logs/parity_cpu.jsonl" \
  > "$logs/parity_cpu.log" 2>&1
within 90 "${with_libs[@]}" "${train[@]}" --device cuda --metrics "$logs/parity_gpu.jsonl" \
  > "$logs/parity_gpu.log" 2>&1
within 120 "${with_libs[@]}" "$root/bin/train_alexnet" --data "$data" --val "$data" --batch-size 128 \
  --max-steps 60 --log-every 1 --checkpoint-dir "" --workers 14 --device cuda --metrics "$logs/trainer_gpu.jsonl" \
  > "$logs/trainer_gpu.log" 2>&1
read -r loss_gap trainer_rate data_ms < <(python3 benchmarks/gpu/trainer_figures.py "$logs")
echo "trainer: first 4 steps' loss, GPU vs CPU: max relative gap $loss_gap;" \
  "AlexNet batch 128 on raw ImageNet samples: $trainer_rate img/s, median data wait $data_ms ms a step"
grep -h "^training" "$logs/parity_gpu.log" "$logs/trainer_gpu.log"  # the feed ("8-bit, normalised on the device input")
tail -n 3 "$logs/parity_gpu.log" "$logs/trainer_gpu.log"
# The trainer's other options on the GPU, end to end: bf16 math, gradients
# all-reduced in bf16, two micro-batches a step, deterministic algorithms, a
# ten-crop evaluation at the end of the epoch (7 steps of 2 x 64), and
# checkpoints written from the GPU; then a second run resumes from the newest
# and takes 2 more steps, and a third evaluates it.
options=("$root/bin/train_alexnet" --data "$data" --val "$data" --batch-size 64 --accumulate-steps 2
         --precision bf16 --grad-compression bf16 --deterministic --eval-crops 10 --log-every 1
         --checkpoint-dir "$root/checkpoints" --workers 14 --device cuda)
options_ok=0
within 60 "${with_libs[@]}" "${options[@]}" --max-steps 8 > "$logs/options_train.log" 2>&1 &&
  within 40 "${with_libs[@]}" "${options[@]}" --max-steps 10 --resume auto > "$logs/options_resume.log" 2>&1 &&
  newest=$(ls -t "$root"/checkpoints/checkpoint-step-*.h5 | head -1) &&
  within 40 "${with_libs[@]}" "${options[@]}" --evaluate "$newest" > "$logs/options_evaluate.log" 2>&1 &&
  options_ok=1
(($? == 125)) && options_ok=skipped  # the budget could not hold a step (said above)
echo "trainer with --precision bf16 --grad-compression bf16 --accumulate-steps 2 --deterministic" \
  "--eval-crops 10, resumed, evaluated: $(case $options_ok in 1) echo ok ;; skipped) echo skipped ;; *) echo FAILED ;; esac)"
grep -hE "^epoch [0-9]+/[0-9]+  train_loss|reached|resumed|accuracy|error" "$logs"/options_*.log | head -12
# The same model fed through the loader against batches already on the
# device, in alternating rounds: 1.0 means the loader never holds it back.
feed_ratio=$(within 90 "${with_libs[@]}" "$root/bin/bench_train" --model alexnet --batch-size 128 \
  --device cuda --data "$data" --workers 14 --steps 10 --warmup 3 --repeats 3 2>&1 |
  tee "$logs/bench_feed.log" | sed -n 's/^summary .*loader_vs_memory=\([0-9.]*\).*/\1/p')
echo "AlexNet fed by the loader (8-bit, 14 workers) / from device memory: ${feed_ratio:--}"

# 4. Each failed or crashed test again, alone, with the time left (the first
# three to fail, in the order they ran: after a sticky CUDA error every later
# test fails too; not a hung one): with blocking launches, then under
# compute-sanitizer's memcheck.
mapfile -t failures < <(grep -oP '^\[ +(FAILED|CRASHED) +\] \K[A-Za-z0-9_/.]+(?= \()' "$tests_log" |
  awk '!seen[$0]++' | head -3)
for test in "${failures[@]}"; do
  name=${test//\//_}
  echo "check: $test again with CUDA_LAUNCH_BLOCKING=1 (logs/rerun_$name.log)"
  within 60 "${with_libs[@]}" CUDA_LAUNCH_BLOCKING=1 "$root/bin/cuda_tests" \
    --gtest_filter="$test" > "$logs/rerun_$name.log" 2>&1
  grep -E "Failure|error|fatal signal" "$logs/rerun_$name.log" | head -5
  sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2> /dev/null)
  [[ -n $sanitizer ]] && within 90 "${with_libs[@]}" "$sanitizer" --tool memcheck --print-limit 20 \
    "$root/bin/cuda_tests" --gtest_filter="$test" > "$logs/sanitizer_$name.log" 2>&1
done

# The table.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'; }
printf '\n%-8s %6s %-10s %12s %12s %7s %16s\n' model batch precision convoy PyTorch ratio "vs PyTorch fp32"
summary="summary tests_passed=$passed tests_skipped=$skipped tests_failed=$failed trainer_loss_gap=${loss_gap:--}"
summary+=" trainer_alexnet_img_per_s=${trainer_rate:--} trainer_data_wait_ms=${data_ms:--}"
summary+=" loader_vs_memory=${feed_ratio:--} trainer_options_ok=$options_ok"
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
echo "(images/s, medians of 5 rounds; every log in \$OUT/logs.tar.gz; ${SECONDS} s of a ${budget} s budget)"
echo "$summary"
((failed == 0 && passed > 0))
