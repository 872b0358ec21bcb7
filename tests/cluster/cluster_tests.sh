#!/usr/bin/env bash
# Training across "hosts" (network namespaces, tests/cluster/cluster_lib.sh)
# over TCP: equivalence with one process, a 3-host AlexNet, and faults of a
# host during training: its link cut, its training processes killed (say by
# the out-of-memory killer) or hung, everything on it killed (a crash), and a
# preemption resumed on another host count.
#   tests/cluster/cluster_tests.sh BUILD_DIR CASE
# CASE: lenet_2hosts | alexnet_3hosts | link_down | ranks_killed | ranks_hung | host_crash | preempt_resume
# Exit 0: passed; 77: skipped (the reason is printed); else failed.
set -uo pipefail
build=$(cd "$1" && pwd)
case_name=$2
here=$(cd "$(dirname "$0")" && pwd)
bin=$build/bin
source "$here/cluster_lib.sh"
reason=$(cluster_can_run) || { echo "skipped: $reason"; exit 77; }

work=$(mktemp -d /tmp/convoy_cluster_test_XXXXXX)
log=$work/job.log
metrics=$work/metrics.jsonl
finish() {
  cluster_down
  pkill -KILL -f -- "$work" 2> /dev/null
  rm -rf "$work"
}
trap finish EXIT
trap 'exit 130' INT TERM
fail() { echo "FAILED: $*"; echo "--- job output ---"; grep -v "^epoch" "$log" 2> /dev/null | head -60; exit 1; }
pass() {
  cluster_down
  [[ -z $(ip netns list | grep "^$CLUSTER_PREFIX-") ]] || fail "namespaces left behind"
  echo "passed: $*"
  exit 0
}
source "$(dirname "$0")/../common/job_wait.sh"
# No rank process may remain on any host once mpirun has returned (a rank
# that mpirun killed as it returned may still be exiting, its memory being
# freed: each host's ranks get 5 s); Open MPI's daemon on a host that was cut
# off leaves when its keepalives go unanswered (within 30 s).
no_processes_left() {
  local k pids waited left
  for ((k = 1; k <= ${#CLUSTER_HOSTS[@]}; k++)); do
    for ((waited = 0; waited < 50; waited++)); do
      left=$(ranks_on $k | tr '\n' ' ')
      [[ -z $left ]] && break
      sleep 0.1
    done
    [[ -z $left ]] || fail "rank processes left on $CLUSTER_PREFIX-h$k 5 s after mpirun returned: $left"
  done
  for ((waited = 0; waited < 30; waited++)); do
    pids=$(for ((k = 1; k <= ${#CLUSTER_HOSTS[@]}; k++)); do ip netns pids "$CLUSTER_PREFIX-h$k"; done)
    [[ -z $pids ]] && { echo "no process of the job left on any host (${waited} s after mpirun)"; return 0; }
    sleep 1
  done
  fail "processes left: $(ps -o pid=,comm= -p "$(echo $pids | tr ' ' ,)" | tr '\n' ' ')"
}
# The PIDs of the rank processes on host K.
ranks_on() { for pid in $(ip netns pids "$CLUSTER_PREFIX-h$1"); do
  [[ $(cat /proc/$pid/comm 2> /dev/null) == train_* ]] && echo "$pid"; done; }

mnist=$here/../../../shared/data/mnist
lenet=("$bin/train_lenet" --data "$mnist" --cache-dir "$work/cache" --workers 0 --threads 1 --log-every 1
       --lr-schedule constant --lr 0.05 --metrics "$metrics")
# A small AlexNet (99x99 inputs, 10 classes, random images): 10 steps an epoch
# on 2 hosts, a checkpoint at each epoch's end.
small_alexnet=("$bin/train_alexnet" --synthetic 40 --num-classes 10 --input-size 99 --batch-size 2 --workers 0
               --threads 1 --log-every 1 --epochs 1000 --metrics "$metrics" --checkpoint-dir "$work/checkpoints"
               --keep-checkpoints 0)
# The newest checkpoint loads (train_alexnet --evaluate reads every tensor).
last_checkpoint_loads() {
  local last
  last=$(ls "$work"/checkpoints/checkpoint-step-*.h5 2> /dev/null | sort | tail -1)
  [[ -n $last ]] || fail "no checkpoint was written"
  "$bin/train_alexnet" --synthetic 40 --synthetic-val 8 --num-classes 10 --input-size 99 --workers 0 \
    --evaluate "$last" > "$work/evaluate.log" 2>&1 || { cat "$work/evaluate.log"; fail "$last does not load"; }
  echo "$(basename "$last") loads: $(tail -1 "$work/evaluate.log")"
}

case "$case_name" in
  lenet_2hosts)
    # 2 hosts x 1 rank at batch 32 end where 1 process at batch 64 ends.
    [[ -d $mnist ]] || { echo "skipped: no MNIST in $mnist"; exit 77; }
    cluster_up 2
    cluster_mpirun -np 2 "${lenet[@]}" --batch-size 32 --max-steps 100 --checkpoint-dir "$work/hosts" > "$log" 2>&1 ||
      fail "the 2-host job failed"
    grep -q "2 ranks x batch 32" "$log" || fail "not 2 ranks"
    "${lenet[@]}" --batch-size 64 --max-steps 100 --checkpoint-dir "$work/one" > "$log" 2>&1 || fail "one process failed"
    "$bin/compare_checkpoints" "$work/one/checkpoint-step-00000100.h5" "$work/hosts/checkpoint-step-00000100.h5" \
      --max-relative 1e-4 | tee "$log" || fail "the runs differ"
    pass "2 hosts = 1 process after 100 steps: $(cat "$log")"
    ;;

  alexnet_3hosts)
    # AlexNet (227x227, 10 classes) for a few steps on 3 hosts over TCP.
    cluster_up 3
    cluster_mpirun -np 3 "$bin/train_alexnet" --synthetic 60 --num-classes 10 --batch-size 2 --workers 0 --threads 1 \
      --max-steps 4 --checkpoint-dir "$work/checkpoints" --log-every 1 --metrics "$metrics" > "$log" 2>&1 ||
      fail "the 3-host AlexNet failed"
    grep -q "3 ranks x batch 2" "$log" || fail "not 3 ranks"
    grep -q "reached --max-steps at step 4" "$log" || fail "did not finish"
    pass "AlexNet, 3 hosts, 4 steps: $(grep -c '"kind":"step"' "$metrics") step lines"
    ;;

  link_down | ranks_killed | ranks_hung | host_crash)
    timeout=5
    cluster_up 2
    cluster_mpirun_background -np 2 "${small_alexnet[@]}" --collective-timeout $timeout > "$log" 2>&1
    job=$CLUSTER_JOB
    wait_for_file "$work/checkpoints/checkpoint-step-00000010.h5" || fail "no checkpoint was written"
    wait_for_step 12 || fail "training stopped"
    case "$case_name" in
      link_down) ip -n "$CLUSTER_PREFIX-h2" link set eth0 down ;;
      ranks_killed) for pid in $(ranks_on 2); do kill -KILL "$pid"; done ;;
      ranks_hung) for pid in $(ranks_on 2); do kill -STOP "$pid"; done ;;
      host_crash) for pid in $(ip netns pids "$CLUSTER_PREFIX-h2"); do kill -KILL "$pid"; done ;;
    esac
    wait_for_end $((timeout + 30))
    [[ $rc -ne 0 ]] || fail "mpirun exited 0"
    # Named: rank 1 by our watchdog, or by mpirun ("process rank 1 ... on
    # node ... exited on signal 9"). When the whole host dies, Open MPI names
    # at best the host (rank 0 printed at the start which host runs which
    # ranks), and at times only "ORTE was unable to reliably start one or
    # more daemons" (its launcher's process died): that case checks the end.
    if [[ $case_name == host_crash ]]; then
      message=$(grep -m1 -E "(node|host):? +$CLUSTER_PREFIX-h2|lost communication|unable to reliably start" "$log") ||
        fail "Open MPI said nothing of the lost host"
    else
      message=$(grep -m1 -E "ranks not arrived: 1 |process rank 1 .*exited on signal" "$log") ||
        fail "no message names rank 1"
    fi
    if [[ $case_name == link_down || $case_name == ranks_hung ]]; then
      grep -qE "at step [0-9]+ has not completed" "$log" || fail "no message names the step and operation"
    fi
    no_processes_left
    last_checkpoint_loads
    pass "$case_name: mpirun ended ($rc) ${elapsed} s after the fault: $message"
    ;;

  preempt_resume)
    # SIGTERM to mpirun: a checkpoint and a clean exit on every host; the job
    # then continues on 3 hosts (global batch 6 = 2 x 3 = 3 x 2).
    [[ -d $mnist ]] || { echo "skipped: no MNIST in $mnist"; exit 77; }
    cluster_up 3
    cluster_mpirun_background --mca odls_base_sigkill_timeout 5 -np 2 "${lenet[@]}" --batch-size 3 \
      --max-steps 1000000 --checkpoint-dir "$work/checkpoints" > "$log" 2>&1
    job=$CLUSTER_JOB
    wait_for_step 50 || fail "training did not start"
    kill -TERM "$job"
    wait_for_end 60
    stopped=$(grep -oE "stopped by SIGTERM at step [0-9]+" "$log" | grep -oE "[0-9]+$") || fail "no checkpoint on SIGTERM"
    grep -qiE "rank [0-9]+: .*error" "$log" && fail "a rank reported an error"
    no_processes_left
    end=$((stopped + 50))
    cluster_mpirun -np 3 "${lenet[@]}" --batch-size 2 --max-steps $end --checkpoint-dir "$work/checkpoints" \
      --resume auto > "$log" 2>&1 || fail "the resumed 3-host job failed"
    grep -q "resumed from .*checkpoint-step-$(printf '%08d' "$stopped").h5 at step $stopped" "$log" ||
      fail "did not resume from step $stopped"
    grep -q "reached --max-steps at step $end" "$log" || fail "did not continue to step $end"
    pass "preempted at step $stopped on 2 hosts (mpirun's exit code $rc), resumed on 3 hosts to step $end"
    ;;

  *) echo "unknown case $case_name"; exit 2 ;;
esac
