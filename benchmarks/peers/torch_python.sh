# Sourced by the peer comparisons: sets $python to the interpreter of the peer
# a user would pick, the newest torch from PyPI, in a throwaway venv made in
# /tmp/convoy-torch-venv on first use (about 2 GB, a few minutes). PYTHON=...
# names another interpreter.
venv=/tmp/convoy-torch-venv
python="${PYTHON:-$venv/bin/python}"
if [[ ! -x $python ]]; then
  echo "${0##*/}: creating $venv with the newest torch from PyPI (about 2 GB, a few minutes)" >&2
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch torchvision numpy pillow h5py
fi
