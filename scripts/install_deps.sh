#!/usr/bin/env bash
# Installs every Debian package convoy needs to build, test and benchmark.
# Idempotent: packages already present are skipped by apt.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libdnnl-dev ocl-icd-opencl-dev          # oneDNN 2.x CPU engine (its CMake config needs OpenCL headers)
  libhdf5-dev                             # datasets and checkpoints
  hdf5-tools                              # h5diff: resumed conversions equal uninterrupted ones (tests)
  libmatio-dev                            # the ILSVRC-2012 devkit's meta.mat
  libboost-program-options-dev            # command-line options
  libgtest-dev googletest                 # tests
  zlib1g-dev                              # MNIST .gz files
  libjpeg62-turbo-dev libturbojpeg0-dev   # JPEG decoding and encoding (data pipeline)
  libpng-dev                              # PNG input and the inspect_dataset grid
  libopenmpi-dev openmpi-bin              # multi-rank training on CPUs
  slurm-wlm munge                         # the Slurm launch template's test (a one-node cluster)
  iproute2 procps                         # the namespace-cluster and whole-job tests (ip, tc; pgrep, ps)
  nlohmann-json3-dev                      # metrics JSON lines
  clang libclang-rt-14-dev                # libFuzzer targets (scripts/fuzz.sh)
  python3-matplotlib                      # scripts/plot_metrics.py and the other plots
)
# Peer comparisons and plots (benchmarks only, never a runtime dependency).
if [[ "${CONVOY_WITH_PEERS:-0}" == "1" ]]; then
  packages+=(python3-torch python3-torchvision python3-h5py python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install_deps: all ${#packages[@]} packages already installed"
fi
