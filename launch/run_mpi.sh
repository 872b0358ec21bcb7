#!/usr/bin/env bash
# Runs a convoy program as N MPI ranks with Open MPI's mpirun, on this machine
# or on the hosts of a hostfile:
#   launch/run_mpi.sh -n 2 build/bin/train_lenet
#   launch/run_mpi.sh -n 16 --hostfile launch/hostfile.example build/bin/train_alexnet --data train.h5 --val val.h5
# Extra mpirun options go before the program with --mpi-arg (e.g. --mpi-arg --oversubscribe).
#
# Stopping: SIGTERM or SIGINT to this script (a scheduler's preemption,
# Ctrl-C) reaches the ranks as SIGUSR1, which mpirun forwards without tearing
# the job down: the ranks agree to stop after their current step, rank 0
# writes a checkpoint, every rank and this script exit 0, and --resume auto
# continues (at the same or another rank count with the same global batch).
# Sent to mpirun itself, SIGTERM also gives a checkpoint, later: Open MPI 4.1
# waits odls_base_sigkill_timeout, sends the ranks SIGTERM, SIGKILLs them one
# timeout later, and exits 1. The timeout is raised here (1 s by default) so
# that an AlexNet checkpoint (500 MB with momentum) can be written then.
set -euo pipefail
ranks=1
hostfile=""
mpi_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n|--ranks) ranks=$2; shift 2 ;;
    --hostfile) hostfile=$2; shift 2 ;;
    --mpi-arg) mpi_args+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { echo "usage: $0 -n RANKS [--hostfile FILE] [--mpi-arg ARG]... PROGRAM [OPTIONS]" >&2; exit 2; }
args=(-np "$ranks" --mca odls_base_sigkill_timeout "${CONVOY_SIGKILL_TIMEOUT:-60}")
# mpirun's daemons send keepalives on their idle connections, so that a node
# cut off is noticed in about a minute instead of after the kernel's default
# (a peer that stops answering data: net.ipv4.tcp_retries2, 15 minutes).
args+=(--mca oob_tcp_keepalive_time 30 --mca oob_tcp_keepalive_intvl 10 --mca oob_tcp_keepalive_probes 3)
[[ -n $hostfile ]] && args+=(--hostfile "$hostfile")
# A process group of its own: Ctrl-C reaches this script only, not mpirun.
setsid mpirun "${args[@]}" "${mpi_args[@]}" "$@" &
pid=$!
trap 'kill -USR1 "$pid" 2>/dev/null || true' TERM INT
while true; do
  set +e
  wait "$pid"
  rc=$?
  set -e
  kill -0 "$pid" 2>/dev/null || exit "$rc"  # else a trapped signal interrupted the wait
done
