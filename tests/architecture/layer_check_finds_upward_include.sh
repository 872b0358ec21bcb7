#!/usr/bin/env bash
# The layer check fails where it must: on a copy of framework/ with one
# upward include added (tensor/ including nn/), and with a folder the table
# does not name; and passes on the copy as it is.
#   layer_check_finds_upward_include.sh SOURCE_DIR
set -euo pipefail
source_dir=$1
check=("$source_dir/tests/architecture/check_layers.py")
table=$source_dir/docs/architecture.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$source_dir/framework" "$work/framework"
python3 "${check[@]}" "$work/framework" "$table" > /dev/null || { echo "FAIL: the unchanged copy did not pass"; exit 1; }

sed -i '0,/^#include "/s//#include "nn\/module.h"\n#include "/' "$work/framework/tensor/tensor.h"
if python3 "${check[@]}" "$work/framework" "$table" > "$work/out"; then
  echo "FAIL: an upward include (tensor/tensor.h including nn/module.h) passed"; exit 1
fi
cat "$work/out"
grep -q 'framework/tensor/tensor.h:[0-9]*: layer tensor includes layer nn ("nn/module.h")' "$work/out" ||
  { echo "FAIL: the report does not name the file, the layers and the include"; exit 1; }

cp -r "$source_dir/framework" "$work/framework2"
mkdir "$work/framework2/newlayer" && echo '#include "core/error.h"' > "$work/framework2/newlayer/thing.h"
if python3 "${check[@]}" "$work/framework2" "$table" > "$work/out2"; then
  echo "FAIL: a folder missing from the table passed"; exit 1
fi
grep -q "framework/newlayer/thing.h: its folder is in no row" "$work/out2" || { cat "$work/out2"; exit 1; }
echo "the layer check fails on an upward include and on a folder the table does not name"
