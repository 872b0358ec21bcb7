#!/usr/bin/env bash
# docs/options.md equals what scripts/options_reference.sh makes of the
# programs' --help: a changed option, default or help text fails here until
# the reference is regenerated.
#   options_reference_check.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir=$1 build_dir=$2
generated=$(mktemp)
trap 'rm -f "$generated"' EXIT
bash "$source_dir/scripts/options_reference.sh" "$build_dir" > "$generated"
if ! diff -u "$source_dir/docs/options.md" "$generated"; then
  echo "docs/options.md differs from the programs' --help (above): regenerate it with" >&2
  echo "  scripts/options_reference.sh $build_dir > docs/options.md" >&2
  exit 1
fi
echo "docs/options.md matches the --help of every program"
