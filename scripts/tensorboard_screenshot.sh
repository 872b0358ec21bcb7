#!/usr/bin/env bash
# The screenshot in README/docs of TensorBoard showing a convoy run: LeNet-5
# for EPOCHS epochs (default 4) with --tensorboard, TensorBoard (from
# scripts/install_python_tools.sh) on its folder, headless Chromium (Debian's
# `chromium`) photographing the scalars page.
#   scripts/tensorboard_screenshot.sh OUT.png [BUILD_DIR] [EPOCHS]
set -euo pipefail
out=$1 build=${2:-build} epochs=${3:-4}
tools=${CONVOY_PYTHON_TOOLS:-$HOME/.cache/convoy/python-tools}
work=$(mktemp -d /tmp/convoy_tb_shot_XXXXXX)
tb_pid=
trap '[[ -n $tb_pid ]] && kill $tb_pid 2> /dev/null; rm -rf "$work"' EXIT
"$build/bin/train_lenet" --epochs "$epochs" --tensorboard "$work/runs/lenet5" --checkpoint-dir "$work/checkpoints" \
  --log-every 20 | tail -3
"$tools/bin/tensorboard" --logdir "$work/runs" --host 127.0.0.1 --port 6066 > "$work/tensorboard.log" 2>&1 &
tb_pid=$!
for ((i = 0; i < 60; i++)); do
  curl -sf http://127.0.0.1:6066/ > /dev/null 2>&1 && break
  sleep 1
done
chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1500,770 \
  --virtual-time-budget=20000 --screenshot="$out" "http://127.0.0.1:6066/?darkMode=false#scalars&_smoothingWeight=0&_ignoreYOutliers=false&tagFilter=loss%7Cacc%7Clr" 2> /dev/null
echo "wrote $out"
