#!/usr/bin/env bash
# scripts/quickstart.sh on a fresh clone with no MNIST anywhere and no way to
# download it stops at once, before installing or building anything, and
# says which command to run.
#   quickstart_without_mnist.sh SOURCE_DIR
set -euo pipefail
source_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/clone/scripts" "$work/bin"
cp "$source_dir/scripts/quickstart.sh" "$source_dir/scripts/get_mnist.sh" "$work/clone/scripts/"
for step in install_deps build; do  # reaching these would be the failure
  printf '#!/bin/sh\necho "quickstart reached %s.sh" >&2\nexit 99\n' "$step" > "$work/clone/scripts/$step.sh"
done
for tool in curl wget; do  # no network: every download fails at once
  printf '#!/bin/sh\necho "%s: could not resolve host" >&2\nexit 6\n' "$tool" > "$work/bin/$tool"
done
chmod +x "$work"/clone/scripts/*.sh "$work"/bin/*
status=0
PATH="$work/bin:$PATH" timeout 60 bash "$work/clone/scripts/quickstart.sh" > "$work/out" 2>&1 || status=$?
cat "$work/out"
[[ $status -eq 1 ]] || { echo "FAIL: quickstart exited $status, expected 1"; exit 1; }
grep -q "reached" "$work/out" && { echo "FAIL: quickstart went on to install or build"; exit 1; }
grep -q "scripts/get_mnist.sh data/mnist" "$work/out" || { echo "FAIL: no command to run in the message"; exit 1; }
grep -q "stopped before installing anything" "$work/out" || { echo "FAIL: no word that nothing was installed"; exit 1; }
echo "quickstart without MNIST stopped at once with the command to run"
