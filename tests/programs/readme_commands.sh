#!/usr/bin/env bash
# The README's commands, run as written: every "```sh readme" block (the
# programs and the MPI sections: what needs no GPU and no cluster), in order,
# in one shell, from a folder laid out as a clone (build/, scripts/, launch/,
# and ../shared for the data). Only the substitutions listed here change them
# (to keep the runs short), and each must still find its text, so the README
# cannot drift from what runs. The quick start's two scripts are run by CI
# itself (.ci/run).
#   tests/programs/readme_commands.sh SOURCE_DIR BUILD_DIR SHARED_DIR
set -euo pipefail
source_dir=$1 build_dir=$2 shared_dir=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clone=$work/clone
mkdir -p "$clone"
ln -s "$build_dir" "$clone/build"
ln -s "$source_dir/scripts" "$clone/scripts"
ln -s "$source_dir/launch" "$clone/launch"
ln -s "$shared_dir" "$work/shared"

# text as written => text as run
substitutions=(
  "build/bin/train_lenet --epochs 20 --metrics lenet.jsonl=>build/bin/train_lenet --epochs 2 --max-steps 300 --metrics lenet.jsonl"
  "build/bin/train_lenet --epochs 20 --resume auto=>build/bin/train_lenet --epochs 2 --resume auto"
  "checkpoint-step-00018740.h5=>checkpoint-step-00001874.h5"
  "build/bin/train_alexnet --data samples.h5=>build/bin/train_alexnet --max-steps 2 --batch-size 8 --data samples.h5"
  "build/bin/train_lenet --batch-size 32 =>build/bin/train_lenet --batch-size 32 --epochs 1 "
)
script=$work/readme.sh
awk '/^```sh readme$/ { inside = 1; next } /^```/ && inside { inside = 0; next } inside' \
  "$source_dir/README.md" > "$script"
[[ -s $script ]] || { echo "no '\`\`\`sh readme' blocks in README.md"; exit 1; }
for pair in "${substitutions[@]}"; do
  from=${pair%%=>*} to=${pair#*=>}
  grep -qF -- "$from" "$script" || { echo "README.md no longer holds '$from' (update this test)"; exit 1; }
  FROM=$from TO=$to perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/g' "$script"
done
echo "the README's commands, as run:"
cat "$script"
if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMP_NUM_THREADS=1
(cd "$clone" && bash -euxo pipefail "$script")
# What the commands must have made.
for file in lenet.jsonl lenet.png samples.h5 trace.json checkpoints/lenet5/checkpoint-step-00001874.h5; do
  [[ -s $clone/$file ]] || { echo "FAIL: the README's commands did not make $file"; exit 1; }
done
echo "README: $(grep -c . "$script") command lines ran as written"
