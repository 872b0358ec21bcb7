#!/usr/bin/env bash
# Runs a benchmark and keeps what it printed as a result log, the source of
# docs/results.md's tables (scripts/results_page.py renders them from the
# logs' summary and result lines):
#   benchmarks/record.sh NAME COMMAND [ARGS...]
# writes benchmarks/results/NAME.log: a header (the date, the commit, the
# machine: CPU model, instruction sets, cores, memory; the command), then the
# command's output as it printed it. The command's exit status is kept too.
# Record on a quiet machine; commit the log with the page it feeds.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 2 ]] || { echo "usage: benchmarks/record.sh NAME COMMAND [ARGS...]" >&2; exit 2; }
name=$1
shift
log=benchmarks/results/$name.log
mkdir -p benchmarks/results
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
# Two CPUs of one name can differ: the family and model numbers and the clock tell them apart.
cpu_id=$(awk -F': ' '/^cpu family/ {f = $2} /^model[[:space:]]*:/ {m = $2} /^cpu MHz/ {c = $2} END {
  if (f != "") printf "family %s model %s, %.0f MHz", f, m, c }' /proc/cpuinfo)
isa=$(grep -m1 -o -w -E 'avx512_bf16|avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ' | sed 's/ $//')
memory=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2> /dev/null | head -1 || true)
dirty=$(git status --porcelain --untracked-files=no | grep -q . && echo " (with uncommitted changes)" || true)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
  echo "date: $(date -u +%Y-%m-%d)"
  echo "commit: $(git rev-parse --short HEAD)$dirty"
  echo "machine: ${cpu:-unknown CPU}${cpu_id:+ ($cpu_id)}, ${isa:-no AVX2}, $(nproc) cores, $memory${gpu:+, $gpu}"
  echo "command: $*"
  echo "---"
} > "$tmp"
status=0
"$@" >> "$tmp" 2>&1 || status=$?
echo "exit: $status" >> "$tmp"
chmod 644 "$tmp"
mv "$tmp" "$log"
trap - EXIT
tail -3 "$log"
echo "recorded: $log"
exit "$status"
