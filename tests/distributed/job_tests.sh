#!/usr/bin/env bash
# Whole jobs under mpirun, as users run them: how they end when ranks
# disagree, when one rank fails, when a rank is killed or hangs, and when the
# job is preempted and resumed at another rank count.
#   tests/distributed/job_tests.sh BUILD_DIR CASE
# CASE: mismatch | rank_error | unwritable_checkpoints | sigkill | stall | startup_stall | preempt_resume
# Exit 0: passed; 77: skipped (the reason is printed); anything else: failed.
set -uo pipefail
build=$(cd "$1" && pwd)
case_name=$2
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
bin=$build/bin
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpirun=(mpirun --bind-to none)
work=$(mktemp -d /tmp/convoy_job_XXXXXX)
log=$work/job.log

# Every rank process this test started carries $work in its arguments.
our_ranks() { pgrep -f -- "$work" | grep -vx "$$" || true; }
cleanup() {
  for pid in $(our_ranks); do kill -CONT "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAILED: $*"; echo "--- job output ---"; cat "$log" 2>/dev/null | tail -40; exit 1; }
pass() { echo "passed: $*"; exit 0; }

# A small AlexNet (99x99 inputs, 10 classes) on random images: no data needed.
metrics=$work/metrics.jsonl
alexnet=("$bin/train_alexnet" --synthetic 4000 --num-classes 10 --input-size 99 --batch-size 2 --workers 0
         --threads 1 --log-every 1 --epochs 1 --metrics "$metrics")

# The PID of rank R's process.
rank_pid() {
  local rank=$1 pid
  for pid in $(our_ranks); do
    if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$rank"; then
      echo "$pid"; return 0
    fi
  done
  return 1
}
source "$(dirname "$0")/../common/job_wait.sh"
no_ranks_left() {
  sleep 1
  [[ -z "$(our_ranks)" ]] || fail "rank processes remain: $(our_ranks | tr '\n' ' ')"
}

case "$case_name" in
  mismatch)
    # Ranks that disagree on an option that changes the maths: every rank
    # exits non-zero and rank 0 names the first difference once.
    "${mpirun[@]}" -np 1 "${alexnet[@]}" --lr 0.01 : -np 1 "${alexnet[@]}" --lr 0.02 > "$log" 2>&1
    rc=$?
    [[ $rc -ne 0 ]] || fail "the job exited 0"
    n=$(grep -c "train_alexnet: error: ranks disagree: rank 1: --lr 0.02, rank 0: --lr 0.01" "$log")
    [[ $n -eq 1 ]] || fail "expected the difference named once, found $n times"
    grep -q "^training" "$log" && fail "the job trained"
    # One rank on the CPU, one asking for a GPU: without a GPU that rank's
    # set-up error, with one the device kinds differ; named once either way.
    "${mpirun[@]}" -np 1 "${alexnet[@]}" --device cpu : -np 1 "${alexnet[@]}" --device cuda > "$log.device" 2>&1
    device_rc=$?
    [[ $device_rc -ne 0 ]] || fail "the job with a CPU rank and a GPU rank exited 0"
    n=$(grep -cE "train_alexnet: error: (rank 1: --device cuda: |ranks disagree: rank 1: device kind cuda)" "$log.device")
    [[ $n -eq 1 ]] || { cat "$log.device" >> "$log"; fail "expected the device named once, found $n times"; }
    pass "rank 0 named the difference once; exit code $rc; devices: $(grep -m1 -o "error: .*" "$log.device" | cut -c1-80)"
    ;;

  rank_error)
    # An error on one rank only, mid-training: the checkpoint folder becomes
    # a file after the start (checked writable then), and a stop makes rank 0
    # alone write a checkpoint. Its message once, with the rank, and the whole
    # job ends non-zero.
    mkdir "$work/checkpoints"
    "${mpirun[@]}" -np 2 "${alexnet[@]}" --checkpoint-dir "$work/checkpoints" > "$log" 2>&1 &
    job=$!
    wait_for_step 3 || fail "training did not start"
    rm -rf "$work/checkpoints" && : > "$work/checkpoints"
    kill -USR1 "$job"
    wait_for_end 60
    [[ $rc -ne 0 ]] || fail "the job exited 0"
    n=$(grep -c "train_alexnet: rank 0: .*error" "$log")
    [[ $n -eq 1 ]] || fail "expected rank 0's error once, found $n"
    no_ranks_left
    pass "rank 0's error printed once, job ended with $rc after ${elapsed} s"
    ;;
  unwritable_checkpoints)
    # A checkpoint folder that cannot be made is found at the start, not
    # after the first epoch: one message, every rank exits, nothing trained.
    : > "$work/not_a_folder"
    "${mpirun[@]}" -np 2 "${alexnet[@]}" --checkpoint-dir "$work/not_a_folder/checkpoints" > "$log" 2>&1 &
    job=$!
    wait_for_end 60
    [[ $rc -ne 0 ]] || fail "the job exited 0"
    n=$(grep -c "error: rank 0: --checkpoint-dir '$work/not_a_folder/checkpoints' cannot be created" "$log")
    [[ $n -eq 1 ]] || fail "expected the folder's error once, found $n"
    [[ ! -s $metrics ]] || fail "training started before the folder was checked"
    no_ranks_left
    pass "the unwritable folder was reported once at the start; job ended with $rc after ${elapsed} s"
    ;;

  sigkill)
    # A rank killed with SIGKILL: the job ends non-zero within 60 s, naming the rank.
    "${mpirun[@]}" -np 2 "${alexnet[@]}" --checkpoint-dir "$work/checkpoints" > "$log" 2>&1 &
    job=$!
    wait_for_step 3 || fail "training did not start"
    victim=$(rank_pid 1) || fail "no rank 1 process"
    kill -KILL "$victim"
    wait_for_end 60
    [[ $rc -ne 0 ]] || fail "the job exited 0"
    grep -qiE "rank 1" "$log" || fail "no message names rank 1"
    no_ranks_left
    pass "rank 1 killed: the job ended with $rc after ${elapsed} s; $(grep -iE -m1 'rank 1' "$log")"
    ;;

  stall)
    # A hung rank (SIGSTOP): the watchdog names the operation, the step and the
    # missing rank within --collective-timeout + 30 s, and the job ends.
    timeout=5
    "${mpirun[@]}" -np 2 "${alexnet[@]}" --collective-timeout $timeout --checkpoint-dir "$work/checkpoints" \
      > "$log" 2>&1 &
    job=$!
    wait_for_step 3 || fail "training did not start"
    victim=$(rank_pid 1) || fail "no rank 1 process"
    kill -STOP "$victim"
    wait_for_end $((timeout + 30))
    [[ $rc -ne 0 ]] || fail "the job exited 0"
    grep -qE "rank 0: .* at step [0-9]+ has not completed after [0-9.]+ s .*ranks not arrived: 1 " "$log" ||
      fail "no watchdog report naming rank 1"
    no_ranks_left
    pass "ended with $rc after ${elapsed} s: $(grep -m1 'has not completed' "$log")"
    ;;

  startup_stall)
    # A rank stopped right after its process starts, before MPI_Init: the
    # others wait in MPI_Init, where no collective watchdog runs; the start-up
    # watchdog ends the job within --startup-timeout + 30 s, saying what did
    # not complete.
    timeout=5
    stop_rank_1='if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then kill -STOP $$; fi; exec "$@"'
    "${mpirun[@]}" -np 2 sh -c "$stop_rank_1" sh "${alexnet[@]}" --startup-timeout $timeout \
      --checkpoint-dir "$work/checkpoints" > "$log" 2>&1 &
    job=$!
    wait_for_end $((timeout + 30))
    [[ $rc -ne 0 ]] || fail "the job exited 0"
    grep -qE "rank 0: error: start-up did not complete within $timeout s \(--startup-timeout\): still waiting for MPI_Init" \
      "$log" || fail "no message says that MPI_Init did not complete"
    grep -q "^training" "$log" && fail "the job trained"
    no_ranks_left
    pass "ended with $rc after ${elapsed} s: $(grep -m1 'start-up did not complete' "$log")"
    ;;

  preempt_resume)
    # SIGTERM to mpirun (preemption) gives a checkpoint (Open MPI 4.1 waits
    # odls_base_sigkill_timeout, then sends the ranks SIGTERM, and SIGKILL one
    # timeout later: 5 s here). Resumed at another rank count with the same
    # global batch (2 x 3 = 3 x 2), the job continues as one process at batch
    # 6 continues from the same checkpoint.
    mnist=$source_dir/../shared/data/mnist
    [[ -d $mnist ]] || { echo "skipped: no MNIST in $mnist"; exit 77; }
    lenet=("$bin/train_lenet" --data "$mnist" --cache-dir "$work/cache" --workers 0 --threads 1 --log-every 1
           --lr-schedule constant --lr 0.05)
    "${mpirun[@]}" --mca odls_base_sigkill_timeout 5 -np 2 "${lenet[@]}" --max-steps 1000000 --batch-size 3 \
      --checkpoint-dir "$work/split" --metrics "$metrics" > "$log" 2>&1 &
    job=$!
    wait_for_step 40 || fail "training did not reach step 40"
    kill -TERM "$job"
    wait_for_end 60
    grep -q "stopped by SIGTERM at step" "$log" || fail "no checkpoint on SIGTERM"
    grep -qi "error" "$log" && fail "a rank reported an error"
    stopped=$(grep -oE "stopped by SIGTERM at step [0-9]+" "$log" | grep -oE "[0-9]+$")
    [[ -f $work/split/$(printf 'checkpoint-step-%08d.h5' "$stopped") ]] || fail "checkpoint of step $stopped missing"
    no_ranks_left
    echo "preempted at step $stopped (mpirun's own exit code after SIGTERM: $rc)"
    end=$((stopped + 100))
    last=$(printf 'checkpoint-step-%08d.h5' "$end")
    cp "$work/split/$(printf 'checkpoint-step-%08d.h5' "$stopped")" "$work/straight_start.h5"

    "${mpirun[@]}" -np 3 "${lenet[@]}" --max-steps $end --batch-size 2 --checkpoint-dir "$work/split" --resume auto \
      > "$log" 2>&1 ||
      fail "the resumed job failed"
    grep -q "resumed from .*checkpoint-step-$(printf '%08d' "$stopped").h5 at step $stopped" "$log" ||
      fail "did not resume from step $stopped"
    "${lenet[@]}" --max-steps $end --batch-size 6 --checkpoint-dir "$work/straight" \
      --resume "$work/straight_start.h5" > "$log" 2>&1 || fail "the one-process run failed"
    "$build/bin/compare_checkpoints" "$work/straight/$last" "$work/split/$last" --max-relative 1e-4 | tee -a "$log" ||
      fail "the runs differ"

    # The launch script turns SIGTERM into a clean stop: exit 0.
    metrics=$work/script_metrics.jsonl
    "$source_dir/launch/run_mpi.sh" -n 2 --mpi-arg --bind-to --mpi-arg none "${lenet[@]}" --max-steps 1000000 \
      --batch-size 3 --checkpoint-dir "$work/script" --metrics "$metrics" > "$log" 2>&1 &
    job=$!
    wait_for_step 20 || fail "training under launch/run_mpi.sh did not start"
    kill -TERM "$job"
    wait_for_end 60
    [[ $rc -eq 0 ]] || fail "launch/run_mpi.sh exited $rc after SIGTERM"
    grep -q "stopped by SIGUSR1 at step" "$log" || fail "no checkpoint under launch/run_mpi.sh"
    no_ranks_left
    pass "stopped at step $stopped, resumed on 3 ranks, equal to one process; launch/run_mpi.sh exits 0 on SIGTERM"
    ;;

  *)
    echo "unknown case $case_name"; exit 2 ;;
esac
