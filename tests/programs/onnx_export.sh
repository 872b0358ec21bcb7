#!/usr/bin/env bash
# export_onnx checked by ONNX's own software (onnx.checker at full check and
# ONNX Runtime, pinned, from scripts/install_python_tools.sh; skipped visibly
# without them), tests/programs/onnx_runtime_check.py:
#   lenet    LeNet-5 after 100 steps on MNIST (skipped without SHARED/data/mnist)
#   alexnet  AlexNet (227x227, LRN) after 4 steps on random images
#   custom   a custom network through the library call: even-sized LRN with a
#            large alpha, average pooling over padding, padded max pooling
#   photo    a real photo through classify and through ONNX Runtime: the same top 5
#   errors   a file that is not a checkpoint, a missing one, a layer export does not know:
#            clear errors naming them, no file written
#   onnx_export.sh BUILD_DIR SHARED_DIR CASE
set -euo pipefail
build=$1 shared=$2 case_name=$3
bin=$build/bin
python=${CONVOY_PYTHON_TOOLS:-$HOME/.cache/convoy/python-tools}/bin/python
check=$(cd "$(dirname "$0")" && pwd)/onnx_runtime_check.py
if ! "$python" -c "import onnx, onnxruntime" 2> /dev/null; then
  echo "skipped: no onnx and onnxruntime for $python (scripts/install_python_tools.sh installs them)"
  exit 77
fi
work=$(mktemp -d /tmp/convoy_onnx_XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "onnx_export: FAILED: $*" >&2; exit 1; }
alexnet=("$bin/train_alexnet" --synthetic 16 --num-classes 10 --batch-size 4 --workers 0 --max-steps 4
         --checkpoint-dir "$work/alexnet")
case $case_name in
  lenet)
    [[ -d $shared/data/mnist ]] || { echo "skipped: no MNIST in $shared/data/mnist"; exit 77; }
    "$bin/train_lenet" --data "$shared/data/mnist" --cache-dir "$work/cache" --max-steps 100 \
      --checkpoint-dir "$work/lenet" > "$work/train.log" 2>&1 || { cat "$work/train.log"; fail "training"; }
    "$bin/export_onnx" --checkpoint "$work/lenet/checkpoint-step-00000100.h5" --out "$work/lenet.onnx" \
      --reference "$work/ref" --reference-images 16
    "$python" "$check" "$work/lenet.onnx" "$work/ref" || fail "LeNet-5"
    ;;
  alexnet)
    "${alexnet[@]}" > "$work/train.log" 2>&1 || { cat "$work/train.log"; fail "training"; }
    "$bin/export_onnx" --checkpoint "$work/alexnet/checkpoint-step-00000004.h5" --out "$work/alexnet.onnx" \
      --reference "$work/ref"
    "$python" "$check" "$work/alexnet.onnx" "$work/ref" || fail "AlexNet"
    "$bin/export_onnx" --checkpoint "$work/alexnet/checkpoint-step-00000004.h5" --out "$work/softmax.onnx" \
      --softmax --reference "$work/ref_softmax" --reference-images 2
    "$python" "$check" "$work/softmax.onnx" "$work/ref_softmax" || fail "AlexNet with softmax"
    ;;
  custom)
    "$bin/onnx_custom_network" "$work/custom"
    "$python" "$check" "$work/custom/custom.onnx" "$work/custom" || fail "the custom network"
    ;;
  photo)
    photo=$(find "$shared/data/imagenet-samples" -name '*.JPEG' 2> /dev/null | sort | head -1 || true)
    [[ -n $photo ]] || { echo "skipped: no photo in $shared/data/imagenet-samples"; exit 77; }
    "${alexnet[@]}" > "$work/train.log" 2>&1 || { cat "$work/train.log"; fail "training"; }
    checkpoint=$work/alexnet/checkpoint-step-00000004.h5
    "$bin/export_onnx" --checkpoint "$checkpoint" --out "$work/alexnet.onnx"
    "$bin/classify" --checkpoint "$checkpoint" --save-input "$work/input.f32" "$photo" | tee "$work/classify.txt"
    mapfile -t top < <(awk 'NR > 1 {print $1}' "$work/classify.txt")
    "$python" "$check" "$work/alexnet.onnx" --top5 "$work/input.f32" 3 227 227 "${top[@]}" || fail "the photo's top 5"
    ;;
  errors)
    echo "not a checkpoint" > "$work/bad.h5"
    if "$bin/export_onnx" --checkpoint "$work/bad.h5" --out "$work/x.onnx" > "$work/err.log" 2>&1; then
      fail "a file that is not a checkpoint was exported"
    fi
    grep -q "bad.h5" "$work/err.log" || fail "the error does not name the file: $(cat "$work/err.log")"
    if "$bin/export_onnx" --checkpoint "$work/missing.h5" --out "$work/x.onnx" > "$work/err.log" 2>&1; then
      fail "a missing checkpoint was exported"
    fi
    grep -q "missing.h5" "$work/err.log" || fail "the error does not name the file: $(cat "$work/err.log")"
    [[ ! -e $work/x.onnx ]] || fail "a failed export left a file"
    if "$bin/onnx_custom_network" "$work/custom" --unknown-layer > "$work/err2.log" 2>&1; then
      fail "a network with an unknown layer was exported"
    fi
    grep -q "cannot export layer 'puzzle' (mystery)" "$work/err2.log" || fail "unknown layer: $(cat "$work/err2.log")"
    [[ ! -e $work/custom/custom.onnx ]] || fail "a failed export left a file"
    cat "$work/err2.log"
    echo "errors: $(head -1 "$work/err.log")"
    ;;
  *) fail "unknown case '$case_name'" ;;
esac
echo "onnx_export: $case_name: passed"
