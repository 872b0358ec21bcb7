#!/usr/bin/env bash
# Quick start, command 2: builds (if needed) and runs the whole test suite with ctest.
# Arguments go to ctest (scripts/run_tests.sh -L mpi). Without any, the
# namespace-cluster tests run alone after the others: they compare measured
# compute slowdowns with the cluster model, and other tests' load on the same
# cores would skew those measurements.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
cd build
if (($# > 0)); then
  exec ctest --output-on-failure -j "$(nproc)" "$@"
fi
status=0
ctest --output-on-failure -j "$(nproc)" -LE cluster || status=1
ctest --output-on-failure -L cluster || status=1
exit $status
