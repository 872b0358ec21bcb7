#!/usr/bin/env bash
# The converter at scale, on an ILSVRC-shaped tree (make_ilsvrc_tree):
#   benchmarks/conversion_at_scale.sh TREE OUT_DIR [BUILD_DIR]
# 1. files/s of one thread: a JPEG-storage conversion of the training set,
#    rate between its commits at 30 s and 150 s (then killed: it resumes);
# 2. files/s of two threads and resident memory: the whole training set,
#    resident memory sampled every 2 s, read at 10% and at 100% of the images;
# 3. bytes an image in JPEG storage (2.) and raw storage (the first 20,000 images);
# 4. the projections for ILSVRC-2012's 1,281,167 training images.
# Prints a table; the last line is "summary key=value ...".
set -euo pipefail
tree=$1 out=$2 build=${3:-build}
bin=$build/bin
train=$tree/ILSVRC/Data/CLS-LOC/train
mapping=$tree/LOC_synset_mapping.txt
mkdir -p "$out"
state_done() { sed -n 's/.*"next_input":\([0-9]*\).*/\1/p' "$1.partial/state.json" 2>/dev/null || echo 0; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
total=$(find "$train" -type f | wc -l)

steps=${STEPS:-1 2 3}  # e.g. STEPS="2" to measure the two-thread run alone
rate1=0 raw_bytes=0
# 1. One thread.
if [[ $steps == *1* ]]; then
"$bin/images_to_hdf5" "$train" --synset-mapping "$mapping" --storage jpeg --threads 1 --restart --quiet \
  --out "$out/one_thread.h5" > /dev/null 2>&1 &
pid=$!
sleep 30; n30=$(state_done "$out/one_thread.h5")
sleep 120; n150=$(state_done "$out/one_thread.h5")
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
rm -rf "$out/one_thread.h5.partial"
rate1=$(awk -v a="$n30" -v b="$n150" 'BEGIN { printf "%.1f", (b - a) / 120 }')
echo "1 thread: $n30 images done at 30 s, $n150 at 150 s: $rate1 images/s"
fi

# 2. Two threads, the whole set, resident memory (while converting, then
#    while assembling the finished file from the partial work).
start=$(date +%s.%N)
"$bin/images_to_hdf5" "$train" --synset-mapping "$mapping" --storage jpeg --threads 2 --restart --quiet \
  --out "$out/train_jpeg.h5" > "$out/train_jpeg.log" 2>&1 &
pid=$!
declare -A rss_at=() time_at=() done_at=()
assembly_peak=0
while kill -0 "$pid" 2>/dev/null; do
  sleep 2
  done_now=$(state_done "$out/train_jpeg.h5"); rss=$(rss_kb "$pid"); now=$(date +%s.%N)
  for pct in 10 50 90; do
    if [[ -z ${rss_at[$pct]:-} ]] && ((done_now * 100 >= total * pct)); then
      rss_at[$pct]=$rss time_at[$pct]=$now done_at[$pct]=$done_now
    fi
  done
  if ((done_now >= total && rss > assembly_peak)); then assembly_peak=$rss; fi
done
wait "$pid"
seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
rate2=$(awk -v a="${time_at[10]}" -v b="${time_at[90]}" -v n="${done_at[10]}" -v m="${done_at[90]}" \
  'BEGIN { printf "%.1f", (m - n) / (b - a) }')
rss10=${rss_at[10]} rss50=${rss_at[50]} rss90=${rss_at[90]}
written=$(awk '/^written/ {print $2}' "$out/train_jpeg.log")
jpeg_bytes=$(stat -c %s "$out/train_jpeg.h5")
echo "2 threads: $rate2 images/s from 10% to 90%, $seconds s in all; resident $rss10 kB at 10%, $rss50 kB at 50%," \
  "$rss90 kB at 90%, assembling at most $assembly_peak kB; $written images in $jpeg_bytes bytes"

# 3. Raw storage on the first 20,000 images (list: path and sorted-wnid label).
find "$train" -type f | sort \
  | awk -F/ 'NR <= 20000 { wnid = $(NF - 1); if (!(wnid in index_of)) index_of[wnid] = n++; print $0, index_of[wnid] }' \
  > "$out/raw_list.txt"
"$bin/images_to_hdf5" --list "$out/raw_list.txt" --storage raw --threads 2 --restart --quiet \
  --out "$out/raw_20k.h5" > /dev/null 2>&1
raw_bytes=$(stat -c %s "$out/raw_20k.h5")
rm -f "$out/raw_20k.h5"

awk -v total="$total" -v rate1="$rate1" -v rate2="$rate2" -v rss10="$rss10" -v rss90="$rss90" -v peak="$assembly_peak" \
    -v seconds="$seconds" -v written="$written" -v jpeg="$jpeg_bytes" -v raw="$raw_bytes" 'BEGIN {
  jpeg_per = jpeg / written; raw_per = raw / 20000; imagenet = 1281167
  hours1 = rate1 > 0 ? imagenet / rate1 / 3600 : 0; minutes32 = rate1 > 0 ? imagenet / (32 * rate1) / 60 : 0
  printf "%-44s %s\n", "training images", total
  printf "%-44s %.1f\n", "files/s, 1 thread (commits at 30-150 s)", rate1
  printf "%-44s %.1f (%.1f a thread)\n", "files/s, 2 threads (10%-90% of the set)", rate2, rate2 / 2
  printf "%-44s %d s\n", "whole set, 2 threads, with assembly", seconds
  printf "%-44s %.1f MB at 10%%, %.1f MB at 90%% (%+.1f%%); assembling: %.1f MB\n", "resident memory, converting", \
         rss10 / 1024, rss90 / 1024, 100 * (rss90 - rss10) / rss10, peak / 1024
  printf "%-44s %.1f kB (jpeg q90), %.1f kB (raw)\n", "bytes an image (256x256)", jpeg_per / 1e3, raw_per / 1e3
  printf "%-44s %.1f GB jpeg, %.1f GB raw\n", "ILSVRC-2012 training set", jpeg_per * imagenet / 1e9, raw_per * imagenet / 1e9
  printf "%-44s %.1f h (1 thread), %.1f min (32 threads)\n", "ILSVRC-2012 conversion, projected", hours1, minutes32
  printf "summary images=%d rate_1thread=%.1f rate_2threads=%.1f rss10_mb=%.1f rss90_mb=%.1f assembly_mb=%.1f " \
         "jpeg_kb=%.2f raw_kb=%.2f " \
         "imagenet_jpeg_gb=%.1f imagenet_raw_gb=%.1f imagenet_hours_1thread=%.2f imagenet_minutes_32threads=%.1f\n", \
         total, rate1, rate2, rss10 / 1024, rss90 / 1024, peak / 1024, jpeg_per / 1e3, raw_per / 1e3, jpeg_per * imagenet / 1e9, \
         raw_per * imagenet / 1e9, hours1, minutes32 }'
