#!/usr/bin/env bash
# Quick start, command 1: installs the dependencies, builds, and trains the
# seed LeNet-5 on MNIST with the default recipe. Extra arguments go to
# train_lenet (e.g. --epochs 2).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-ACTIVE}"
exec build/bin/train_lenet --metrics build/lenet_metrics.jsonl "$@"
