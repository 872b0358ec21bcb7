#!/usr/bin/env bash
# Installs the Python tools the interoperability tests check convoy against,
# pinned, into a virtual environment of their own (Debian packages none of
# them): TensorBoard's own event reader for --tensorboard files, ONNX's
# checker and ONNX Runtime for export_onnx's models.
#   scripts/install_python_tools.sh [VENV]   (default ~/.cache/convoy/python-tools)
# Needs python3-venv and PyPI; idempotent. Training never needs these.
set -euo pipefail
venv=${1:-${CONVOY_PYTHON_TOOLS:-$HOME/.cache/convoy/python-tools}}
pins=(tensorboard==2.21.0 onnx==1.23.2 onnxruntime==1.32.0)
installed() {  # every pin present
  local frozen pin
  frozen=$("$venv/bin/python" -m pip freeze 2> /dev/null) || return 1
  for pin in "${pins[@]}"; do grep -qxF "$pin" <<< "$frozen" || return 1; done
}
if [[ -x $venv/bin/python ]] && installed; then
  echo "install_python_tools: $venv has ${pins[*]}"
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}"
echo "install_python_tools: installed ${pins[*]} into $venv"
