#!/usr/bin/env bash
# Installs the Debian 12 packages convoy needs, and says which and why.
#   scripts/install_deps.sh             everything: build, train, test, fuzz, plot
#   scripts/install_deps.sh --minimal   only what building and training need
#                                       (then build with -DCONVOY_BUILD_TESTS=OFF)
# Idempotent: packages already present are skipped. CONVOY_WITH_PEERS=1 adds
# the peer comparisons' Python packages (benchmarks only).
set -euo pipefail
minimal=0
case ${1:-} in
  --minimal) minimal=1 ;;
  "") ;;
  -h | --help) sed -n '2,7p' "$0" | cut -c3-; exit 0 ;;
  *) echo "install_deps: unknown argument '$1' (use --minimal or nothing)" >&2; exit 2 ;;
esac

# Building and training.
build=(
  build-essential cmake pkg-config git
  libdnnl-dev ocl-icd-opencl-dev          # oneDNN 2.x CPU engine (its CMake config needs OpenCL headers)
  libhdf5-dev                             # datasets and checkpoints
  libmatio-dev                            # the ILSVRC-2012 devkit's meta.mat
  libboost-program-options-dev            # command-line options
  zlib1g-dev                              # MNIST .gz files
  libjpeg62-turbo-dev libturbojpeg0-dev   # JPEG decoding and encoding (data pipeline)
  libpng-dev                              # PNG input and the inspect_dataset grid
  libopenmpi-dev openmpi-bin              # multi-rank training on CPUs
  nlohmann-json3-dev                      # metrics JSON lines
  libprotobuf-dev protobuf-compiler       # TensorBoard event files (--tensorboard)
  libonnx-dev                             # export_onnx (ONNX's protobuf classes and checker)
  libxxhash-dev                           # the ranks' parameter checksums (XXH3)
)
# The test suite, fuzzing and plots.
tests=(
  libgtest-dev googletest                 # the unit tests (GoogleTest)
  hdf5-tools                              # h5diff: resumed conversions equal uninterrupted ones
  slurm-wlm munge                         # the Slurm launch template's test (a one-node cluster)
  iproute2 procps                         # the namespace-cluster and whole-job tests (ip, tc; pgrep, ps)
  clang libclang-rt-14-dev                # libFuzzer targets (scripts/fuzz.sh)
  clang-tidy                              # function sizes (tests/architecture/check_function_sizes.sh)
  python3-matplotlib                      # scripts/plot_metrics.py and the other plots
  python3-venv                            # scripts/install_python_tools.sh: TensorBoard's reader for the tests
)
packages=("${build[@]}")
if ((minimal)); then
  echo "install_deps: the minimal set (build and train: ${#build[@]} packages); tests, Slurm, munge, clang and plots left out"
else
  packages+=("${tests[@]}")
  echo "install_deps: build and train (${#build[@]} packages), tests, fuzzing and plots (${#tests[@]}; --minimal leaves these out)"
fi
# Peer comparisons (benchmarks only, never a runtime dependency).
if [[ "${CONVOY_WITH_PEERS:-0}" == "1" ]]; then
  packages+=(python3-torch python3-torchvision python3-h5py python3-numpy python3-pil)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  echo "install_deps: installing ${missing[*]}"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install_deps: all ${#packages[@]} packages already installed"
fi
