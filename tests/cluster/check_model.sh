#!/usr/bin/env bash
# The cluster model (build/bin/cluster_model) against the namespace cluster:
# for LeNet-5 and AlexNet on 2 and 3 hosts (one rank each, 1 thread; the
# hosts share this machine's cores) at two link bandwidths per model, the
# predicted step time beside the measured one. The model's inputs come from
# other runs: per-layer times from one process (bench_train --per-layer), and
# alpha and bandwidth fitted from bench_allreduce on the same hosts at each
# bandwidth (bandwidth over the message sizes of the model's buckets). The measured step is rank 0's step time without its data loading
# (what the model predicts), the median over the steps after a warm-up.
# Then the predictions for 8 H200 per node (cluster_model h200).
#   BUILD_DIR=build tests/cluster/check_model.sh
# Last line: "summary max_error_pct=... rows=... alexnet_eff_64gpu=... lenet_eff_64gpu=...".
# Exit 0: every prediction within ${CONVOY_MODEL_TOLERANCE_PCT:-25}% (the aim);
# 1: not; 77: skipped (no namespaces or no MNIST here).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${BUILD_DIR:-$here/../../build}" && pwd)
bin=$build/bin
tolerance=${CONVOY_MODEL_TOLERANCE_PCT:-25}
mnist=$here/../../../shared/data/mnist
source "$here/cluster_lib.sh"
reason=$(cluster_can_run) || { echo "skipped: $reason"; exit 77; }
[[ -d $mnist ]] || { echo "skipped: no MNIST in $mnist"; exit 77; }
work=$(mktemp -d /tmp/convoy_model_XXXXXX)
trap 'cluster_down; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
export OMP_WAIT_POLICY=ACTIVE

# Per model: per-rank batch, the link rates tried, the steps not counted.
lenet_batch=64
alexnet_batch=8
rates_lenet5="1gbit 100mbit"
rates_alexnet="none 1gbit"  # "none" is always measured: the CPU cost of moving bytes
common=(--threads 1 --workers 0 --log-every 1 --checkpoint-dir "")
warmup_lenet5=20
warmup_alexnet=3

# Median over steps after the warm-up of rank 0's step time without data
# loading, and of its exposed all-reduce wait.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
measured_step_ms() {  # metrics.jsonl warmup global_batch -> "step_ms exposed_ms"
  local rows
  rows=$(awk -v skip="$2" -v batch="$3" '
    function field(name,   at) {
      if (!match($0, "\"" name "\":[0-9.e+-]+")) return 0
      at = substr($0, RSTART, RLENGTH); sub(/.*:/, "", at); return at + 0
    }
    /"kind":"step"/ && field("step") > skip { print batch * 1000 / field("images_per_sec") - field("data_ms"), field("allreduce_ms") }' "$1")
  echo "$(cut -d' ' -f1 <<< "$rows" | median) $(cut -d' ' -f2 <<< "$rows" | median)"
}

echo "inputs: per-layer times (one process, 1 thread)"
"$bin/bench_train" --model lenet5 --batch-size $lenet_batch --threads 1 --steps 100 --repeats 3 --per-layer \
  --per-layer-csv "$work/lenet5_layers.csv" > /dev/null || exit 1
"$bin/bench_train" --model alexnet --batch-size $alexnet_batch --threads 1 --steps 3 --warmup 1 --repeats 1 --per-layer \
  --per-layer-csv "$work/alexnet_layers.csv" > /dev/null || exit 1
echo "inputs: compute of 2 and 3 processes stepping together on these $(nproc) cores (bench_lockstep)"
"$bin/bench_lockstep" --model lenet5 --batch-size $lenet_batch --threads 1 --processes 2,3 --steps 100 \
  > "$work/lenet5_lockstep.txt" || exit 1
"$bin/bench_lockstep" --model alexnet --batch-size $alexnet_batch --threads 1 --processes 2,3 --steps 3 --warmup 1 \
  --rounds 1 > "$work/alexnet_lockstep.txt" || exit 1
for model in lenet5 alexnet; do
  echo "inputs: $model: $(tail -1 "$work/${model}_lockstep.txt" | grep -oE 'slowdown_[0-9]=[0-9.]+' | tr '\n' ' ')"
done
slowdown() { tail -1 "$work/$1_lockstep.txt" | grep -oE "slowdown_$2=[0-9.]+" | cut -d= -f2; }

cluster_up 3
for rate in $(echo none $rates_lenet5 $rates_alexnet | tr ' ' '\n' | sort -u); do
  cluster_shape "$rate"
  for hosts in 2 3; do
    cluster_mpirun -np $hosts "$bin/bench_allreduce" -b 4 -f 4 -e 16M --seconds 0.1 \
      --csv "$work/links_${rate}_$hosts.csv" > /dev/null || { echo "bench_allreduce failed at $rate"; exit 1; }
    for model in lenet5 alexnet; do  # bandwidth is fitted over the sizes of each model's buckets
      fit=$("$bin/cluster_model" predict --model $model --per-layer "$work/${model}_layers.csv" \
        --allreduce "$work/links_${rate}_$hosts.csv" --ranks $hosts | grep -oE "alpha_us=[0-9.]+ bandwidth_mbps=[0-9.]+")
      echo "inputs: links at $rate, $hosts hosts, for $model: $(echo "$fit" | sed 's/_us=/ (us) /; s/bandwidth_mbps=/bandwidth (MB\/s) /')"
    done
  done
done

printf '\n%-8s %5s %8s %12s %12s %8s %16s %16s\n' model hosts link "predicted ms" "measured ms" "error" \
  "exposed, pred." "exposed, meas."
rows=0
worst=0
in_range=""
for model in lenet5 alexnet; do
  rates_var=rates_$model
  warmup_var=warmup_$model
  batch_var=alexnet_batch
  [[ $model == lenet5 ]] && batch_var=lenet_batch
  for rate in ${!rates_var}; do
    cluster_shape "$rate"
    for hosts in 2 3; do
      metrics=$work/${model}_${hosts}_$rate.jsonl
      if [[ $model == lenet5 ]]; then
        cluster_mpirun -np "$hosts" "$bin/train_lenet" --data "$mnist" --cache-dir "$work/cache" --batch-size $lenet_batch \
          --max-steps 80 "${common[@]}" --metrics "$metrics" > "$work/run.log" 2>&1
      else
        cluster_mpirun -np "$hosts" "$bin/train_alexnet" --synthetic 300 --batch-size $alexnet_batch --max-steps 9 \
          "${common[@]}" --metrics "$metrics" > "$work/run.log" 2>&1
      fi || { cat "$work/run.log"; echo "training failed: $model, $hosts hosts, $rate"; exit 1; }
      read -r measured measured_wait < <(measured_step_ms "$metrics" "${!warmup_var}" $((${!batch_var} * hosts)))
      prediction=$("$bin/cluster_model" predict --model $model --per-layer "$work/${model}_layers.csv" \
        --allreduce "$work/links_${rate}_$hosts.csv" --communication-cpu "$work/links_none_$hosts.csv" --ranks "$hosts" \
        --compute-scale "$(slowdown $model "$hosts")" --link-burst "$(cluster_burst_bytes "$rate")")
      predicted=$(grep -oE "step_ms=[0-9.]+" <<< "$prediction" | cut -d= -f2)
      predicted_wait=$(grep -oE "exposed_ms=[0-9.]+" <<< "$prediction" | cut -d= -f2)
      read -r error share_p share_m < <(awk -v p="$predicted" -v m="$measured" -v pw="$predicted_wait" -v mw="$measured_wait" \
        'BEGIN { printf "%.1f %.0f %.0f\n", 100 * (p - m) / m, 100 * pw / p, 100 * mw / m }')
      printf '%-8s %5d %8s %12.1f %12.1f %7s%% %15s%% %15s%%\n' $model "$hosts" "$rate" "$predicted" "$measured" "$error" \
        "$share_p" "$share_m"
      rows=$((rows + 1))
      worst=$(awk -v w="$worst" -v e="$error" 'BEGIN { e = e < 0 ? -e : e; print (e > w) ? e : w }')
      (( share_m >= 20 && share_m <= 80 )) && in_range+=" $model/$hosts hosts/$rate (${share_m}%)"
    done
  done
done
echo
echo "exposed communication between 20% and 80% of the step:${in_range:- none}"
echo
# (from the step times and per-layer profiles measured on one H200: benchmarks/gpu/results/)
"$bin/cluster_model" h200 --csv "$work/h200.csv" > "$work/h200.txt" || exit 1
eff=$(tail -1 "$work/h200.txt" | sed 's/^summary //')
echo "summary max_error_pct=$worst rows=$rows $eff"
awk -v w="$worst" -v t="$tolerance" 'BEGIN { exit !(w <= t) }'
