#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, build-fuzz/) and runs each
# for SECONDS (default 30), starting from seeds made by fuzz_make_seeds and the
# corpus of earlier runs (build-fuzz/corpus/). Inputs that once crashed a
# target (tests/fuzz/regressions/<target>/) are replayed first.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Prints a table (executions, executions/s, coverage, corpus, crashes) and as
# its last line "summary seconds=... targets=... crashes=... libhdf5_crashes=...".
# Exit 1 on a crash, hang or leak in any target but fuzz_hdf5_raw, whose
# crashes inside Debian's (uninstrumented) libhdf5 are counted, kept under
# build-fuzz/artifacts/fuzz_hdf5_raw/ and listed, not failed (see README).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(fuzz_mnist_idx fuzz_image_decode fuzz_command_line fuzz_hdf5_dataset fuzz_checkpoint fuzz_hdf5_raw)
build=build-fuzz
cmake -S . -B $build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCONVOY_FUZZ=ON -DCONVOY_BUILD_TESTS=OFF -DCONVOY_BUILD_BENCHMARKS=OFF -DCMAKE_CUDA_COMPILER= > /dev/null || exit 1
cmake --build $build --target fuzz_all -j "$(nproc)" > $build.log 2>&1 || { tail -30 $build.log; exit 1; }
rm -rf $build/seeds && $build/bin/fuzz_make_seeds $build/seeds || exit 1
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

failed=0
total_crashes=0
hdf5_crashes=0
rows=()
for target in "${targets[@]}"; do
  bin=$build/bin/$target
  corpus=$build/corpus/$target
  artifacts=$build/artifacts/$target
  rm -rf "$artifacts"  # this run's findings only
  mkdir -p "$corpus" "$artifacts"
  cp -n $build/seeds/$target/* "$corpus"/ 2> /dev/null
  regressions=tests/fuzz/regressions/$target
  if [[ -d $regressions ]] && compgen -G "$regressions/*" > /dev/null; then
    "$bin" "$regressions"/* > "$artifacts/regressions.log" 2>&1 || {
      echo "fuzz: $target fails on a regression input:"; tail -20 "$artifacts/regressions.log"; failed=1; }
  fi
  log=$artifacts/run.log
  options=(-max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len=65536 -print_final_stats=1
           -artifact_prefix="$artifacts/" -close_fd_mask=1)
  if [[ $target == fuzz_hdf5_raw ]]; then
    # Keep going past libhdf5's own crashes, counting them.
    options+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  fi
  "$bin" "${options[@]}" "$corpus" > "$log" 2>&1
  rc=$?
  runs=$(grep -oE "stat::number_of_executed_units: [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+$")
  [[ -n $runs ]] || runs=$(grep -oE "^#[0-9]+" "$log" | tail -1 | tr -d '#')
  cov=$(grep -oE "cov: [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+")
  ft=$(grep -oE "ft: [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+")
  size=$(find "$corpus" -type f | wc -l)
  crashes=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [[ $target == fuzz_hdf5_raw ]]; then
    hdf5_crashes=$crashes
  else
    total_crashes=$((total_crashes + crashes))
    if ((rc != 0 || crashes > 0)); then
      failed=1
      echo "fuzz: $target found a problem (exit $rc); its input is in $artifacts/:"
      grep -E "ERROR|SUMMARY|internal error|#[0-9]+ 0x" "$log" | head -20
    fi
  fi
  rows+=("$(printf '%-20s %8s %12s %10s %8s %8s %8s %8s' "$target" "$seconds" "${runs:-0}" \
    "$(( ${runs:-0} / (seconds > 0 ? seconds : 1) ))" "${cov:-?}" "${ft:-?}" "$size" "$crashes")")
done
printf '\n%-20s %8s %12s %10s %8s %8s %8s %8s\n' target seconds executions exec/s cov ft corpus crashes
printf '%s\n' "${rows[@]}"
echo "summary seconds=$seconds targets=${#targets[@]} crashes=$total_crashes libhdf5_crashes=$hdf5_crashes"
exit $failed
