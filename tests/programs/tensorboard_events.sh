#!/usr/bin/env bash
# --tensorboard read by TensorBoard's own EventAccumulator (installed by
# scripts/install_python_tools.sh; skipped visibly without it):
# 1. a run stopped at step 36 (past epoch 2) and resumed from its step-16 checkpoint leaves
#    every tag with exactly the JSON-lines metrics' steps and values (the
#    resumed run's events supersede the first run's from step 17 on);
# 2. a running job's events are read while it trains, then it is stopped
#    (SIGINT) and its whole record checked the same way;
# 3. under mpirun with 2 ranks, rank 0 alone writes, the same figures as its metrics.
#   tensorboard_events.sh BUILD_DIR resumed|live|mpi
set -euo pipefail
build=$1 case_name=$2
python=${CONVOY_PYTHON_TOOLS:-$HOME/.cache/convoy/python-tools}/bin/python
here=$(cd "$(dirname "$0")" && pwd)
if ! "$python" -c "import tensorboard" 2> /dev/null; then
  echo "skipped: no TensorBoard for $python (scripts/install_python_tools.sh installs it)"
  exit 77
fi
work=$(mktemp -d /tmp/convoy_tensorboard_XXXXXX)
pid=
trap '[[ -n $pid ]] && kill -9 $pid 2> /dev/null; rm -rf "$work"' EXIT
fail() { echo "tensorboard_events: FAILED: $*" >&2; exit 1; }
# A small AlexNet on random images: 16 steps an epoch, a checkpoint at each epoch's end.
alexnet=("$build/bin/train_alexnet" --synthetic 64 --synthetic-val 8 --num-classes 10 --input-size 99
         --batch-size 4 --lr 0.001 --workers 0 --threads 1 --log-every 2 --keep-checkpoints 0)

case $case_name in
resumed)
run=("${alexnet[@]}" --epochs 3 --metrics "$work/metrics.jsonl" --tensorboard "$work/tb" --checkpoint-dir "$work/ck")
"${run[@]}" --max-steps 36 > "$work/first.log" 2>&1 || { cat "$work/first.log"; fail "the first run failed"; }
sleep 1  # event files are named by the second they start in
"${run[@]}" --resume "$work/ck/checkpoint-step-00000016.h5" > "$work/resumed.log" 2>&1 ||
  { cat "$work/resumed.log"; fail "the resumed run failed"; }
ls "$work/tb" | grep -c tfevents | grep -qx 2 || fail "expected 2 event files in $work/tb: $(ls "$work/tb")"
"$python" "$here/tensorboard_check.py" "$work/tb" "$work/metrics.jsonl" || fail "stopped and resumed run"
;;
live)
"${alexnet[@]}" --epochs 1000 --metrics "$work/live.jsonl" --tensorboard "$work/live" --checkpoint-dir "$work/ck2" \
  > "$work/live.log" 2>&1 &
pid=$!
for ((i = 0; i < 240; i++)); do
  kill -0 $pid 2> /dev/null || { cat "$work/live.log"; fail "the run ended before its events were read"; }
  "$python" "$here/tensorboard_check.py" "$work/live" --live 3 > /dev/null && break
  sleep 0.5
done
kill -0 $pid 2> /dev/null || fail "the run was not running when its events were read"
echo "tensorboard_events: read 3 or more train/loss events while the run trained"
kill -INT $pid
wait $pid || true
pid=
"$python" "$here/tensorboard_check.py" "$work/live" "$work/live.jsonl" || fail "the live run"
;;
mpi)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun --bind-to none -np 2 "${alexnet[@]}" --epochs 1 --metrics "$work/mpi.jsonl" --tensorboard "$work/mpi" \
  --checkpoint-dir "$work/ck3" > "$work/mpi.log" 2>&1 || { cat "$work/mpi.log"; fail "the 2-rank run failed"; }
grep -q "2 ranks" "$work/mpi.log" || fail "not 2 ranks: $(head -3 "$work/mpi.log")"
files=$(ls "$work/mpi" | grep -c tfevents)
[[ $files == 1 ]] || fail "$files event files from 2 ranks (rank 0 alone writes): $(ls "$work/mpi")"
"$python" "$here/tensorboard_check.py" "$work/mpi" "$work/mpi.jsonl" || fail "the 2-rank run"
;;
*) fail "unknown case '$case_name' (resumed, live or mpi)" ;;
esac
echo "tensorboard_events: $case_name: passed"
