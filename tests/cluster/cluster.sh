#!/usr/bin/env bash
# The namespace cluster by hand (what the cluster tests use):
#   tests/cluster/cluster.sh up 3            # hosts convoy-cl-h1..h3 on one bridge
#   tests/cluster/cluster.sh shape 100mbit   # every link 100 Mbit/s (tbf); "none" removes it
#   tests/cluster/cluster.sh mpirun -np 3 build/bin/bench_allreduce   # mpirun runs on convoy-cl-h1
#   tests/cluster/cluster.sh on convoy-cl-h2 ip addr
#   tests/cluster/cluster.sh down
# Needs root (CAP_NET_ADMIN). Nothing leaves the namespaces: the subnet
# 10.213.77.0/24 exists only inside them and has no route out.
set -euo pipefail
source "$(dirname "$0")/cluster_lib.sh"
command=${1:-}
shift || true
case "$command" in
  up) reason=$(cluster_can_run) || { echo "$reason" >&2; exit 1; }; cluster_up "${1:-2}"
      echo "hosts: ${CLUSTER_HOSTS[*]}; hostfile: $CLUSTER_HOSTFILE" ;;
  shape) cluster_attach; cluster_shape "$1"; echo "links: $1" ;;
  mpirun) cluster_attach; cluster_mpirun "$@" ;;
  on) cluster_on "$@" ;;
  down) cluster_down ;;
  *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
