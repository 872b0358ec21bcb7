#!/usr/bin/env bash
# Configures and builds convoy into build/ (programs land in build/bin/).
set -euo pipefail
cd "$(dirname "$0")/.."
cuda_args=()
if [[ -x /usr/local/cuda/bin/nvcc ]]; then cuda_args+=(-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc); fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${cuda_args[@]}" >/dev/null
cmake --build build -j "$(nproc)"
