#!/usr/bin/env bash
# The test suite under sanitizers (GCC's; CUDA off, benchmarks not built):
#   scripts/sanitize.sh [asan|tsan|all]      (default: all)
# asan: AddressSanitizer + UndefinedBehaviorSanitizer (with LeakSanitizer) in
#       build-asan/: every test except the namespace cluster, the one-node Slurm,
#       the installed-package example (those test launchers and networks,
#       and run in the normal build) and the source checks (label lint).
# tsan: ThreadSanitizer in build-tsan/: the loader, the converter, the
#       reducer/DataParallel and trainer tests, and the MPI communicator's
#       collectives under mpirun -np 2 and 3 (our threads: loader workers,
#       converter threads, the communication thread and its watchdog), with 1
#       OpenMP thread (libgomp is not instrumented).
# Suppressions (tests/sanitizers/*.supp) cover only leaks inside Open MPI and
# HDF5, each one commented. Any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
here=$(pwd)
jobs=$(nproc)

configure_and_build() {  # DIR SANITIZERS TARGETS...
  local dir=$1 sanitizers=$2
  shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVOY_SANITIZE="$sanitizers" \
    -DCONVOY_BUILD_BENCHMARKS=OFF -DCONVOY_WITH_CUDA=OFF > /dev/null
  cmake --build "$dir" -j "$jobs" ${1:+--target "$@"}
}

run_asan() {
  configure_and_build build-asan "address,undefined"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1:strict_init_order=1"
  # Whole stacks (the fast unwinder stops at libraries built without frame
  # pointers), and Open MPI's components kept loaded, so that the suppressions
  # can match their frames.
  export LSAN_OPTIONS="suppressions=$here/tests/sanitizers/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0"
  export OMPI_MCA_mca_base_component_disable_dlclose=1
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  (cd build-asan && ctest --output-on-failure -j "$jobs" -LE "cluster|slurm|lint" -E ExampleBuildsAgainstInstalledPackage)
  echo "sanitize: ASan+UBSan clean"
}

run_tsan() {
  configure_and_build build-tsan thread data_pipeline_tests image_tests distributed_tests launch_tests distributed_mpi_tests
  export TSAN_OPTIONS="suppressions=$here/tests/sanitizers/tsan.supp:halt_on_error=1:second_deadlock_stack=1"
  export OMP_NUM_THREADS=1
  (cd build-tsan && ctest --output-on-failure -j "$jobs" \
    -R "^(Loader|LoaderDeathTest|Hdf5|NormalizedSource|ImagesToHdf5|ImageDataset|AugmentedSource|Reducer|DataParallel|TrainerTest|MpiCollectives)\.")
  echo "sanitize: TSan clean"
}

case $what in
  asan) run_asan ;;
  tsan) run_tsan ;;
  all) run_asan && run_tsan ;;
  *) echo "usage: scripts/sanitize.sh [asan|tsan|all]" >&2; exit 2 ;;
esac
