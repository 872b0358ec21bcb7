# Waiting on a background training job, for the whole-job test scripts
# (source it). Callers set $job (the PID of mpirun), $metrics (rank 0's
# --metrics file) and define fail().

# wait_for_step N: until rank 0's metrics show step N (at most 60 s); 1 if the job ended first.
wait_for_step() {
  for _ in $(seq 600); do
    grep -qE "\"step\":$1[,}]" "$metrics" 2> /dev/null && return 0
    kill -0 "$job" 2> /dev/null || return 1
    sleep 0.1
  done
  return 1
}

# wait_for_file PATH: until PATH exists (at most 60 s); 1 if the job ended first.
wait_for_file() {
  for _ in $(seq 600); do
    [[ -e $1 ]] && return 0
    kill -0 "$job" 2> /dev/null || return 1
    sleep 0.1
  done
  return 1
}

# wait_for_end LIMIT: until the job ends (fails after LIMIT s); sets rc and elapsed.
wait_for_end() {
  local limit=$1 start=$SECONDS
  while kill -0 "$job" 2> /dev/null; do
    ((SECONDS - start > limit)) && fail "the job still runs after ${limit} s"
    sleep 0.2
  done
  wait "$job"
  rc=$?
  elapsed=$((SECONDS - start))
}
