#!/usr/bin/env bash
# convoy's input pipeline vs torchvision's transforms, one core each, side by
# side in one run (alternating rounds; medians). Both read the same 256x256
# raw and JPEG HDF5 files; without arguments bench_pipeline makes them from
# ../shared/data/imagenet-samples.
#   benchmarks/peers/compare_pipeline.sh [RAW.h5 JPEG.h5]
set -euo pipefail
cd "$(dirname "$0")/../.."
source benchmarks/peers/torch_python.sh
rounds="${ROUNDS:-3}"
bench=build/bin/bench_pipeline
peer=benchmarks/peers/torchvision_pipeline_bench.py
[[ -x $bench ]] || { echo "compare_pipeline: build first (scripts/build.sh)" >&2; exit 1; }
cache="${HOME}/.cache/convoy/bench_pipeline"
raw="${1:-$cache/samples_raw.h5}"; jpeg="${2:-$cache/samples_jpeg.h5}"
[[ -f $raw && -f $jpeg ]] || $bench --max-workers 1 --repeats 1 --images-per-run 256 >/dev/null

field() { sed -n "s/^summary .*$1=\([0-9.]*\).*/\1/p" | tail -1; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ours_raw=(); ours_jpeg=(); tv_raw=(); tv_jpeg=()
for ((r = 0; r < rounds; r++)); do
  out=$($bench --raw "$raw" --jpeg "$jpeg" --max-workers 1 --repeats 1)
  ours_raw+=("$(field raw_img_per_s_per_core <<<"$out")"); ours_jpeg+=("$(field jpeg_img_per_s_per_core <<<"$out")")
  out=$(OMP_NUM_THREADS=1 "$python" $peer --raw "$raw" --jpeg "$jpeg" --repeats 1)
  tv_raw+=("$(field raw_img_per_s_per_core <<<"$out")"); tv_jpeg+=("$(field jpeg_img_per_s_per_core <<<"$out")")
done
a=$(printf '%s\n' "${ours_raw[@]}" | median); b=$(printf '%s\n' "${tv_raw[@]}" | median)
c=$(printf '%s\n' "${ours_jpeg[@]}" | median); d=$(printf '%s\n' "${tv_jpeg[@]}" | median)
printf '%-6s %16s %18s %8s\n' mode convoy_img/s torchvision_img/s ratio
printf '%-6s %16.0f %18.0f %7.1fx\n' raw "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {print a / b}')"
printf '%-6s %16.0f %18.0f %7.1fx\n' jpeg "$c" "$d" "$(awk -v a="$c" -v b="$d" 'BEGIN {print a / b}')"
echo "summary raw_convoy=$a raw_torchvision=$b jpeg_convoy=$c jpeg_torchvision=$d"
