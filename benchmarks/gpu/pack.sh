#!/usr/bin/env bash
# On a build machine (Debian 12 with CUDA, cuDNN and NCCL), before the
# portable GPU check: builds convoy with the CUDA backend
# and packs what benchmarks/gpu/check.sh runs there into .gpu-pack/: the GPU
# test program, bench_train, train_alexnet, images_to_hdf5, and the Debian libraries they load (oneDNN, HDF5,
# Open MPI, Boost, libjpeg, ...; the GPU machine needs none of them
# installed), and the ImageNet samples, shrunk. The CUDA libraries (runtime, cuBLAS, cuDNN, NCCL) are not packed:
# check.sh takes those of the GPU machine's PyTorch wheels, same sonames.
#   benchmarks/gpu/pack.sh        here; then copy the source tree with .gpu-pack/
#   benchmarks/gpu/check.sh       to the GPU machine, and run this there
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qxF '/.gpu-pack/' .git/info/exclude 2> /dev/null || echo '/.gpu-pack/' >> .git/info/exclude
# Only the programs it packs are built (the whole tree takes far longer on a small machine).
targets=(cuda_tests bench_train train_alexnet images_to_hdf5)
mkdir -p build
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCONVOY_WITH_CUDA=ON > build/configure.log ||
  { cat build/configure.log; exit 1; }
cmake --build build -j "$(nproc)" --target "${targets[@]}" > /dev/null
programs=("${targets[@]/#/build/bin/}")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"
cp "${programs[@]}" "$stage/bin/"
for lib in $(ldd "${programs[@]}" | awk '/=> \// {print $3}' | sort -u); do
  case $(basename "$lib") in
    # glibc stays the machine's; the CUDA libraries come from its wheels.
    libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | libresolv.so.* | ld-linux*) continue ;;
    libcudart.so.* | libcublas.so.* | libcublasLt.so.* | libcudnn*.so.* | libnccl.so.*) continue ;;
  esac
  cp -L "$lib" "$stage/lib/"
done
mkdir -p .gpu-pack
tar -cJf .gpu-pack/convoy-gpu.tar.xz -C "$stage" .
echo "pack: $(ls "$stage/lib" | wc -l) libraries, $(du -sh .gpu-pack/convoy-gpu.tar.xz | cut -f1) in .gpu-pack/convoy-gpu.tar.xz"
# Real photographs for the trainer runs (../shared does not travel): the
# 1000 ImageNet samples as 256x256 JPEGs (about 25 MB, so that the whole
# carry stays under its 64 MiB); check.sh converts them there to a raw set.
rm -rf .gpu-pack/imagenet
/usr/bin/python3 benchmarks/gpu/shrink_samples.py ../shared/data/imagenet-samples .gpu-pack/imagenet 256
echo "pack: $(find .gpu-pack/imagenet -name '*.jpg' | wc -l) ImageNet samples, $(du -sh .gpu-pack/imagenet | cut -f1)," \
  "in .gpu-pack/imagenet; $(du -sh .gpu-pack | cut -f1) to carry"
