#!/usr/bin/env bash
# Downloads the four MNIST IDX files into ./data/mnist (needs internet access).
set -euo pipefail
dest="${1:-data/mnist}"
mkdir -p "$dest"
base="https://ossci-datasets.s3.amazonaws.com/mnist"
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
  [[ -s "$dest/$f" ]] && continue
  if ! curl -fsSL --connect-timeout 15 -o "$dest/$f.part" "$base/$f"; then
    rm -f "$dest/$f.part"
    echo "get_mnist: could not download $base/$f (no internet access?). Copy the four IDX files into $dest by hand." >&2
    exit 1
  fi
  mv "$dest/$f.part" "$dest/$f"
done
echo "MNIST is in $dest"
