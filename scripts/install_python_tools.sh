#!/usr/bin/env bash
# Installs the Python tools the interoperability tests check convoy against,
# pinned, into a virtual environment of their own (Debian packages none of
# them): TensorBoard's own event reader for --tensorboard files.
#   scripts/install_python_tools.sh [VENV]   (default ~/.cache/convoy/python-tools)
# Needs python3-venv and PyPI; idempotent. Training never needs these.
set -euo pipefail
venv=${1:-${CONVOY_PYTHON_TOOLS:-$HOME/.cache/convoy/python-tools}}
pins=(tensorboard==2.21.0)
if [[ -x $venv/bin/python ]] && "$venv/bin/python" -m pip freeze 2>/dev/null | grep -qxF "${pins[0]}"; then
  echo "install_python_tools: $venv has ${pins[*]}"
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}"
echo "install_python_tools: installed ${pins[*]} into $venv"
