#!/usr/bin/env bash
# The Slurm path on a real Slurm: a one-node cluster (Debian's slurm-wlm and
# munge, started as root from a generated slurm.conf in a temporary folder,
# on ports of its own) runs launch/slurm_train.sbatch for 2 tasks of LeNet-5;
# they train as one job (2 ranks, global batch 64); `scancel --signal=TERM
# --batch` mid-run gives a checkpoint, the job requeues itself and the restart
# resumes from that checkpoint to --max-steps. Afterwards, whatever happened,
# the job's processes and the daemons are ended (none is left running).
#   tests/slurm/slurm_test.sh BUILD_DIR
# Exit 0: passed; 77: skipped (the reason is printed); else failed.
set -uo pipefail
build=$(cd "$1" && pwd)
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
mnist=$source_dir/../shared/data/mnist
skip() { echo "skipped: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root to start slurmctld, slurmd and munged"
for tool in munged slurmctld slurmd sbatch scontrol squeue scancel; do
  command -v "$tool" > /dev/null || skip "$tool is not installed (scripts/install_deps.sh installs slurm-wlm and munge)"
done
[[ -d $mnist ]] || skip "no MNIST in $mnist"

work=$(mktemp -d /tmp/convoy_slurm_XXXXXX)
chmod 700 "$work"
export SLURM_CONF=$work/slurm.conf
stop_daemons() {
  # The job's own processes (the batch script, srun, the slurmstepd of each
  # step) outlive slurmd when it is killed: end every process that carries
  # this test's SLURM_CONF first.
  local pid
  for pid in $(grep -lsxzF "SLURM_CONF=$SLURM_CONF" /proc/[0-9]*/environ 2> /dev/null | cut -d/ -f3); do
    [[ $pid != "$$" ]] && kill -KILL "$pid" 2> /dev/null
  done
  for daemon in slurmd slurmctld munged; do
    [[ -s $work/$daemon.pid ]] && kill "$(cat "$work/$daemon.pid")" 2> /dev/null
  done
  sleep 1
  for daemon in slurmd slurmctld munged; do
    [[ -s $work/$daemon.pid ]] && kill -KILL "$(cat "$work/$daemon.pid")" 2> /dev/null
  done
  rm -rf "$work"
}
trap stop_daemons EXIT
fail() {
  echo "FAILED: $*"
  for f in "$work"/train-*.out "$work"/slurmctld.log "$work"/slurmd.log; do
    [[ -f $f ]] && { echo "--- $f"; grep -v "^epoch" "$f" | tail -25; }
  done
  exit 1
}

# munge with its own key and socket.
head -c 1024 /dev/urandom > "$work/munge.key"
chmod 400 "$work/munge.key"
munged --key-file="$work/munge.key" --socket="$work/munge.sock" --pid-file="$work/munged.pid" \
  --log-file="$work/munged.log" --seed-file="$work/munge.seed" -f || skip "munged does not start here"

host=$(hostname -s)
port=$((20000 + RANDOM % 20000))
mkdir -p "$work/state" "$work/spool"
cat > "$SLURM_CONF" <<EOF
ClusterName=convoytest
SlurmctldHost=$host
AuthType=auth/munge
AuthInfo=socket=$work/munge.sock,cred_expire=10
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobRequeue=1
MailProg=/bin/true
NodeName=$host CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
# PMIx's per-step folders inside $work too: a step killed with the daemons
# leaves its spmix_appdir behind, and the next run's job 1 would find it in /tmp.
mkdir -p "$work/pmix"
echo "PMIxCliTmpDirBase=$work/pmix" > "$work/mpi.conf"
slurmctld -i || skip "slurmctld does not start here"
slurmd || skip "slurmd does not start here"
for _ in $(seq 30); do sinfo -h -o %T 2> /dev/null | grep -q idle && break; sleep 1; done
sinfo -h -o %T | grep -q idle || skip "the Slurm node did not become idle: $(tail -3 "$work/slurmd.log")"

job=$(sbatch --parsable --ntasks=2 --output="$work/train-%j.out" "$source_dir/launch/slurm_train.sbatch" \
  "$build/bin/train_lenet" --data "$mnist" --cache-dir "$work/cache" --workers 0 --threads 1 --batch-size 32 \
  --max-steps 4000 --log-every 100 --metrics "$work/metrics.jsonl" --checkpoint-dir "$work/checkpoints") ||
  fail "sbatch failed"
out=$work/train-$job.out
for _ in $(seq 600); do grep -qE '"step":300[,}]' "$work/metrics.jsonl" 2> /dev/null && break; sleep 0.1; done
grep -qE '"step":300[,}]' "$work/metrics.jsonl" || fail "the job did not reach step 300"
grep -q "2 ranks x batch 32 x 1 accumulation step = global batch 64" "$out" || fail "the tasks did not train as one job"
scancel --signal=TERM --batch "$job" || fail "scancel failed"
# A requeued job waits until the credentials of its last run have expired
# (cred_expire, 10 s here instead of Slurm's 120 s) before it starts again.
for _ in $(seq 180); do
  grep -q "reached --max-steps at step 4000" "$out" 2> /dev/null && break
  sleep 1
done
grep -qE "stopped by SIGUSR1 at step [0-9]+; checkpoint written" "$out" || fail "no checkpoint on SIGTERM"
stopped=$(grep -oE "stopped by SIGUSR1 at step [0-9]+" "$out" | grep -oE "[0-9]+$")
grep -q "requeueing job $job" "$out" || fail "the job did not requeue itself"
grep -q "(restart 1)" "$out" || fail "the job did not start again"
grep -q "resumed from .*checkpoint-step-$(printf '%08d' "$stopped").h5 at step $stopped" "$out" ||
  fail "the restart did not resume from step $stopped"
grep -q "reached --max-steps at step 4000" "$out" || fail "the resumed job did not finish"
echo "passed: Slurm job $job trained on 2 tasks, stopped at step $stopped with a checkpoint on SIGTERM, requeued, resumed and finished"
