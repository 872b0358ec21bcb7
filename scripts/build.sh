#!/usr/bin/env bash
# Configures and builds convoy into build/ (programs land in build/bin/).
# The CUDA backend is built when nvcc, cuDNN and NCCL are found (nvcc on PATH
# or in /usr/local/cuda); the configure step says in one line whether it is.
#   scripts/build.sh [CMAKE_ARGS...]     e.g. -DCONVOY_WITH_CUDA=OFF
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
if ! cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" > build/configure.log 2>&1; then
  cat build/configure.log
  exit 1
fi
grep -E "^-- convoy:" build/configure.log || true
cmake --build build -j "$(nproc)"
