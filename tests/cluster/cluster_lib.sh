# A cluster on one machine, for tests that cross a network (source this file).
# "Hosts" are Linux network namespaces convoy-cl-h1 .. convoy-cl-hN, each with
# an eth0 (veth) on a bridge that lives in a namespace of its own
# (convoy-cl-switch), addresses 10.213.77.K/24 on a subnet that exists only
# inside these namespaces (no route out, nothing on the machine's own network),
# and its own hostname (a UTS namespace per command), so that Open MPI sees
# separate nodes. mpirun runs on host 1 and starts its daemons on the other
# hosts through tests/cluster/netns_rsh; Open MPI talks TCP over eth0 only
# (/dev/shm is shared by every network namespace, so shared memory would
# bypass the links under test). Everything is removed by cluster_down, which
# the test's traps call on exit, failure and SIGINT; cluster_up first removes
# what a crashed run may have left.
#
#   source tests/cluster/cluster_lib.sh
#   cluster_up 3                      # hosts convoy-cl-h1..h3
#   cluster_shape 100mbit             # tbf on every host's eth0 (both directions); "none" removes it
#   cluster_mpirun -np 3 build/bin/train_lenet ...   # one rank per host, --bind-to none
#   cluster_down

CLUSTER_PREFIX=convoy-cl
CLUSTER_SUBNET=10.213.77
CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLUSTER_HOSTS=()
CLUSTER_RATE=none
CLUSTER_STATE=/tmp/convoy-cluster         # the hostfile; removed by cluster_down
CLUSTER_HOSTFILE=$CLUSTER_STATE/hostfile

cluster_can_run() {
  [[ $(id -u) -eq 0 ]] || { echo "needs root (CAP_NET_ADMIN) to create network namespaces"; return 1; }
  command -v ip > /dev/null && command -v tc > /dev/null && command -v unshare > /dev/null ||
    { echo "needs iproute2 (ip, tc) and util-linux (unshare)"; return 1; }
  ip netns add "$CLUSTER_PREFIX-probe" 2> /dev/null || { echo "cannot create network namespaces here"; return 1; }
  ip netns del "$CLUSTER_PREFIX-probe"
}

cluster_down() {
  local ns pid
  for ns in $(ip netns list 2> /dev/null | awk '{print $1}' | grep "^$CLUSTER_PREFIX-"); do
    for pid in $(ip netns pids "$ns" 2> /dev/null); do kill -CONT "$pid" 2> /dev/null; kill -KILL "$pid" 2> /dev/null; done
    ip netns del "$ns" 2> /dev/null
  done
  rm -rf "$CLUSTER_STATE"
  CLUSTER_HOSTS=()
}

# cluster_up N: N hosts on one bridge.
cluster_up() {
  local n=$1 k host
  cluster_down
  ip netns add "$CLUSTER_PREFIX-switch"
  ip -n "$CLUSTER_PREFIX-switch" link add br0 type bridge
  ip -n "$CLUSTER_PREFIX-switch" link set br0 up
  for ((k = 1; k <= n; k++)); do
    host=$CLUSTER_PREFIX-h$k
    ip netns add "$host"
    ip link add eth0 netns "$host" type veth peer name "port$k" netns "$CLUSTER_PREFIX-switch"
    ip -n "$CLUSTER_PREFIX-switch" link set "port$k" master br0 up
    ip -n "$host" addr add "$CLUSTER_SUBNET.$k/24" dev eth0
    ip -n "$host" link set lo up
    ip -n "$host" link set eth0 up
    # A lost peer shows as a TCP timeout after about 12 s, not the kernel's
    # default 15 minutes (this namespace's setting only; real clusters tune it too).
    ip netns exec "$host" sysctl -q -w net.ipv4.tcp_retries2=5
    CLUSTER_HOSTS+=("$host")
  done
  mkdir -p "$CLUSTER_STATE"
  for host in "${CLUSTER_HOSTS[@]}"; do echo "$host slots=${CLUSTER_SLOTS:-1}"; done > "$CLUSTER_HOSTFILE"
  CLUSTER_RATE=none
}

# cluster_on HOST CMD...: runs CMD on HOST (its namespace and hostname).
cluster_on() { "$CLUSTER_DIR/on_host" "$@"; }

# The token bucket's burst in bytes (tc's "32kb"): what crosses at once after a pause.
CLUSTER_BURST=32768
# cluster_burst_bytes RATE: the burst the links get at RATE (0 unshaped).
cluster_burst_bytes() { [[ $1 == none ]] && echo 0 || echo "$CLUSTER_BURST"; }

# cluster_shape RATE: token-bucket rate on every host's eth0 and the switch ports
# (both directions), e.g. 100mbit, 1gbit; "none" unshaped. Latency is what veth has.
cluster_shape() {
  local rate=$1 k
  for ((k = 1; k <= ${#CLUSTER_HOSTS[@]}; k++)); do
    ip netns exec "$CLUSTER_PREFIX-h$k" tc qdisc del dev eth0 root 2> /dev/null || true
    ip netns exec "$CLUSTER_PREFIX-switch" tc qdisc del dev "port$k" root 2> /dev/null || true
    if [[ $rate != none ]]; then
      # A small bucket (32 kB): a burst as large as a message (LeNet's 247 kB
      # of gradients) would cross the link at full speed, unshaped.
      # A queue of a second's worth: TCP sees delay, not drops, so large
      # messages get the rate too.
      ip netns exec "$CLUSTER_PREFIX-h$k" tc qdisc add dev eth0 root tbf rate "$rate" burst "$CLUSTER_BURST" latency 1s
      ip netns exec "$CLUSTER_PREFIX-switch" tc qdisc add dev "port$k" root tbf rate "$rate" burst "$CLUSTER_BURST" latency 1s
    fi
  done
  CLUSTER_RATE=$rate
}

# mpirun on host 1 over the cluster's TCP links; its daemons' idle
# connections send keepalives, so that a host cut off is noticed.
# The hosts share this machine's cores: a rank waiting in MPI yields its core
# (Open MPI cannot know that the "nodes" are one machine). All-reduce runs as
# a ring, the bandwidth-optimal algorithm the cluster model assumes (Open
# MPI's own choice for 3 ranks moves the whole buffer through one rank).
CLUSTER_MPIRUN_ENV=(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
                    OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_coll_tuned_use_dynamic_rules=1
                    OMPI_MCA_coll_tuned_allreduce_algorithm=4)
cluster_mpirun_command() {
  CLUSTER_MPIRUN=(mpirun --hostfile "$CLUSTER_HOSTFILE"
    --mca plm_rsh_agent "$CLUSTER_DIR/netns_rsh" --mca pml ob1 --mca btl tcp,self
    --mca btl_tcp_if_include eth0 --mca oob_tcp_if_include eth0 --mca routed direct
    --mca oob_tcp_keepalive_time 5 --mca oob_tcp_keepalive_intvl 2 --mca oob_tcp_keepalive_probes 3
    --bind-to none)
}
# cluster_mpirun ARGS...: runs the job and waits for it.
cluster_mpirun() {
  cluster_mpirun_command
  env "${CLUSTER_MPIRUN_ENV[@]}" "$CLUSTER_DIR/on_host" "$CLUSTER_PREFIX-h1" "${CLUSTER_MPIRUN[@]}" "$@"
}
# cluster_mpirun_background ARGS...: starts the job; CLUSTER_JOB is mpirun's PID.
cluster_mpirun_background() {
  cluster_mpirun_command
  (exec env "${CLUSTER_MPIRUN_ENV[@]}" "$CLUSTER_DIR/on_host" "$CLUSTER_PREFIX-h1" "${CLUSTER_MPIRUN[@]}" "$@") &
  CLUSTER_JOB=$!
}

# cluster_attach: picks up the hosts of a cluster made by an earlier command.
cluster_attach() {
  CLUSTER_HOSTS=()
  local k=1
  while ip netns list | awk '{print $1}' | grep -qx "$CLUSTER_PREFIX-h$k"; do
    CLUSTER_HOSTS+=("$CLUSTER_PREFIX-h$k")
    ((k++))
  done
  ((${#CLUSTER_HOSTS[@]})) || { echo "no cluster: run 'up' first" >&2; return 1; }
}
