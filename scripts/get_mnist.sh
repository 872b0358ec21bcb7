#!/usr/bin/env bash
# Downloads the four MNIST IDX files into ./data/mnist (needs internet access).
set -euo pipefail
dest="${1:-data/mnist}"
mkdir -p "$dest"
base="https://ossci-datasets.s3.amazonaws.com/mnist"
if command -v curl >/dev/null; then fetch() { curl -fsSL --connect-timeout 15 -o "$2" "$1"; }
elif command -v wget >/dev/null; then fetch() { wget -q --timeout=15 -O "$2" "$1"; }
else echo "get_mnist: needs curl or wget (apt-get install curl)" >&2; exit 1; fi
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
  [[ -s "$dest/$f" ]] && continue
  if ! fetch "$base/$f" "$dest/$f.part"; then
    rm -f "$dest/$f.part"
    echo "get_mnist: could not download $base/$f (no internet access?). Copy the four IDX files into $dest by hand." >&2
    exit 1
  fi
  mv "$dest/$f.part" "$dest/$f"
done
echo "MNIST is in $dest"
