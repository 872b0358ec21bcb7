#!/usr/bin/env bash
# docs/imagenet.md's walkthrough, run as written on a small ILSVRC-shaped tree
# (make_ilsvrc_tree): every "```sh walkthrough" block of the page, in order,
# in one shell, from a folder whose build/ is this build. Only the settings
# block's values change, and only those of the variables listed here, each
# of which the block must set; so the page cannot drift from what runs.
#   tests/programs/imagenet_walkthrough.sh SOURCE_DIR BUILD_DIR PHOTOS_DIR
set -euo pipefail
source_dir=$1 build_dir=$2 photos=$3
page=$source_dir/docs/imagenet.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 20 classes x 15 images: one step of 2 ranks x 128; 30 validation images.
"$build_dir/bin/make_ilsvrc_tree" --photos "$photos" --out "$work/ilsvrc" --classes 20 --train-per-class 15 \
  --val 30 > /dev/null
declare -A test_value=([ILSVRC]="$work/ilsvrc" [DATA]="$work/data" [GPUS]=2 [EPOCHS]=1 [PRECISION]=fp32)

blocks=$work/blocks.sh
awk '/^```sh walkthrough$/ { inside = 1; block += 1; print "# block " block; next }
     /^```/ && inside { inside = 0; next }
     inside' "$page" > "$blocks"
settings=$(awk '/^# block 2$/ { exit } NR > 1' "$blocks")
[[ -n $settings ]] || { echo "no '\`\`\`sh walkthrough' blocks in $page"; exit 1; }
for name in "${!test_value[@]}"; do
  grep -q "^$name=" <<< "$settings" || { echo "the settings block of $page does not set $name"; exit 1; }
done
if grep -vE '^(#.*|[A-Z_]+=[^ ;&|]*( +#.*)?)?$' <<< "$settings"; then  # it runs before the test's values: no side effects
  echo "the settings block of $page may only set variables; it has the lines above"
  exit 1
fi

script=$work/walkthrough.sh
{
  echo "set -euxo pipefail"
  echo "cd '$work'"
  awk '/^# block 2$/ { exit } { print }' "$blocks"  # the settings block as written, then the test's values
  for name in "${!test_value[@]}"; do echo "$name='${test_value[$name]}'"; done
  awk 'found { print } /^# block 2$/ { found = 1; print }' "$blocks"
} > "$script"
ln -s "$build_dir" "$work/build"
if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMP_NUM_THREADS=1
bash "$script"
# What the walkthrough must have made.
for file in imagenet_train.h5 imagenet_val.h5 imagenet_val_devkit.h5 alexnet.jsonl; do
  [[ -s $work/data/$file ]] || { echo "the walkthrough did not make $file"; exit 1; }
done
grep -q '"val_acc"' "$work/data/alexnet.jsonl" || { echo "no evaluation in alexnet.jsonl"; exit 1; }
echo "imagenet walkthrough: $(grep -c '^# block' "$blocks") blocks ran as written"
