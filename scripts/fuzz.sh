#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, build-fuzz/) and runs each
# for SECONDS (default 30), starting from seeds made by fuzz_make_seeds and the
# corpus of earlier runs (build-fuzz/corpus/). Inputs that once crashed a
# target (tests/fuzz/regressions/<target>/) are replayed first.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (FUZZ_PARALLEL=2: two targets at a time)
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
  -DCONVOY_FUZZ=ON -DCONVOY_BUILD_TESTS=OFF -DCONVOY_BUILD_BENCHMARKS=OFF -DCONVOY_WITH_CUDA=OFF > /dev/null || exit 1
cmake --build $build --target fuzz_all -j "$(nproc)" > $build/build.log 2>&1 || { tail -30 $build/build.log; exit 1; }
rm -rf $build/seeds && $build/bin/fuzz_make_seeds $build/seeds || exit 1
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
# The targets' scratch files (one per process, also under -fork) go to a
# folder of this run's own, removed at the end.
scratch=$(mktemp -d /tmp/convoy_fuzz_XXXXXX) || exit 1
trap 'rm -rf "$scratch"' EXIT
export TMPDIR=$scratch
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# One target's run; its table row and outcome go to its artifacts folder.
run_target() {
  local target=$1 bin=$build/bin/$1 corpus=$build/corpus/$1 artifacts=$build/artifacts/$1
  rm -rf "$artifacts"  # this run's findings only
  mkdir -p "$corpus" "$artifacts"
  cp -n $build/seeds/$target/* "$corpus"/ 2> /dev/null
  local status=ok regressions=tests/fuzz/regressions/$target
  if [[ -d $regressions ]] && compgen -G "$regressions/*" > /dev/null; then
    "$bin" "$regressions"/* > "$artifacts/regressions.log" 2>&1 || status=regression
  fi
  local log=$artifacts/run.log
  local options=(-max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len=65536 -print_final_stats=1
                 -artifact_prefix="$artifacts/" -close_fd_mask=1)
  # Keep going past libhdf5's own crashes, counting them.
  [[ $target == fuzz_hdf5_raw ]] && options+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  "$bin" "${options[@]}" "$corpus" > "$log" 2>&1
  local rc=$?
  local runs cov ft size crashes
  runs=$(grep -oE "stat::number_of_executed_units: [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+$")
  [[ -n $runs ]] || runs=$(grep -oE "^#[0-9]+" "$log" | tail -1 | tr -d '#')
  cov=$(grep -oE "cov: [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+")
  ft=$(grep -oE "ft: [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+")
  size=$(find "$corpus" -type f | wc -l)
  crashes=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  [[ $target != fuzz_hdf5_raw && $status == ok ]] && ((rc != 0 || crashes > 0)) && status=found
  printf '%-20s %8s %12s %10s %8s %8s %8s %8s\n' "$target" "$seconds" "${runs:-0}" \
    "$(( ${runs:-0} / (seconds > 0 ? seconds : 1) ))" "${cov:-?}" "${ft:-?}" "$size" "$crashes" > "$artifacts/row.txt"
  echo "$status $crashes" > "$artifacts/outcome.txt"
}

# FUZZ_PARALLEL targets at a time (default 1: one core each).
parallel=${FUZZ_PARALLEL:-1}
for target in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= parallel)); do wait -n; done
  run_target "$target" &
done
wait

failed=0
total_crashes=0
hdf5_crashes=0
printf '\n%-20s %8s %12s %10s %8s %8s %8s %8s\n' target seconds executions exec/s cov ft corpus crashes
for target in "${targets[@]}"; do
  artifacts=$build/artifacts/$target
  cat "$artifacts/row.txt"
  read -r status crashes < "$artifacts/outcome.txt"
  if [[ $target == fuzz_hdf5_raw ]]; then
    hdf5_crashes=$crashes
    continue
  fi
  total_crashes=$((total_crashes + crashes))
  case $status in
    regression) failed=1; echo "fuzz: $target fails on a regression input:"; tail -20 "$artifacts/regressions.log" ;;
    found) failed=1; echo "fuzz: $target found a problem; its input is in $artifacts/:"
      grep -E "ERROR|SUMMARY|internal error" "$artifacts/run.log" | head -10 ;;
  esac
done
echo "summary seconds=$seconds targets=${#targets[@]} crashes=$total_crashes libhdf5_crashes=$hdf5_crashes"
exit $failed
