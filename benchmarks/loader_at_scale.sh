#!/usr/bin/env bash
# The loader at scale (docs/data.md, "The loader at scale"), on a large JPEG
# set that images_to_hdf5 wrote (e.g. conversion_at_scale.sh's train_jpeg.h5
# of 200,000 images) and the tree it came from:
#   benchmarks/loader_at_scale.sh FILE.h5 TREE [OLD_LAYOUT.h5] [BUILD_DIR]
# 1. layouts: random reads of encoded images from OLD_LAYOUT.h5 (the same set
#    with variable-length /jpeg) against FILE.h5's flat layout (jpeg_layout_bench);
# 2. one whole epoch with --cache-in-memory off, 1 and 2 workers, from the
#    page cache and after evicting the file's pages (vmtouch -e): time to the
#    first batch, images/s, resident memory at 10%, 50% and 100%;
# 3. two processes reading the same file at once, one worker each, as two
#    ranks of one node do (--rank 0/1 --world 2), warm and cold;
# 4. the torchvision ImageFolder way over TREE (the photos as they are),
#    main process only and 2 DataLoader workers, warm (a second run over
#    the same files) and cold (TREE's pages evicted): listing, first batch, images/s.
# Nothing else should run meanwhile. Prints each step's table; the last line
# is "summary key=value ...".
set -euo pipefail
file=$(realpath "$1") tree=$(realpath "$2") old=${3:+$(realpath "$3")} build=$(realpath "${4:-build}")
bin=$build/bin
train=$tree/ILSVRC/Data/CLS-LOC/train
cd "$(dirname "$0")/.."  # the peer script's path; the arguments are absolute by now
export OMP_WAIT_POLICY=ACTIVE
summary="summary"
field() { sed -n "s/^summary .*[ ]$1=\([0-9.]*\).*/\1/p" | tail -1; }
add() { summary+=" $1=$2"; }

if [[ -n $old ]]; then
  echo "== 1. HDF5 layouts: random reads of whole encoded images"
  out=$("$bin/jpeg_layout_bench" --vlen "$old" --flat "$file" --reads 4096)
  echo "$out"
  for k in vlen-reopen_cold_t1 vlen-reopen_warm_t1 flat-pread_cold_t1 flat-pread_cold_t2 flat-pread_warm_t1; do
    add "layout_${k//-/_}" "$(field "$k" <<<"$out")"
  done
fi

echo "== 2. one epoch, --cache-in-memory off"
for pages in warm cold; do
  for workers in 1 2; do
    if [[ $pages == cold ]]; then vmtouch -e -q "$file"; else vmtouch -t -q "$file"; fi
    out=$("$bin/bench_pipeline" --epoch --jpeg "$file" --cache-in-memory off --max-workers "$workers")
    echo "-- $pages, $workers workers"
    echo "$out" | grep -v '^summary'
    for k in first_batch_s img_per_s rss_mb_10 rss_mb_100; do add "epoch_${pages}_w${workers}_$k" "$(field $k <<<"$out")"; done
  done
done

echo "== 3. two processes on the same file, one worker each"
for pages in warm cold; do
  if [[ $pages == cold ]]; then vmtouch -e -q "$file"; else vmtouch -t -q "$file"; fi
  logs=()
  for rank in 0 1; do
    log=$(mktemp)
    logs+=("$log")
    "$bin/bench_pipeline" --epoch --jpeg "$file" --cache-in-memory off --max-workers 1 --rank $rank --world 2 >"$log" &
  done
  wait
  total=0
  for log in "${logs[@]}"; do
    rate=$(field img_per_s <"$log")
    echo "-- $pages: $(sed -n 1p "$log"): $rate images/s"
    total=$(awk -v a="$total" -v b="$rate" 'BEGIN {print a + b}')
    rm -f "$log"
  done
  echo "-- $pages: both together $total images/s"
  add "two_ranks_${pages}_img_per_s" "$total"
done

echo "== 4. torchvision ImageFolder over the photos"
source benchmarks/peers/torch_python.sh
for workers in 0 2; do
  for pages in cold warm; do
    [[ $pages == cold ]] && vmtouch -e -q "$train"
    out=$(OMP_NUM_THREADS=1 "$python" benchmarks/peers/torchvision_pipeline_bench.py --image-folder "$train" \
      --stats-from "$file" --workers $workers --images 2048 --seed 1)
    echo "-- $pages, $workers workers"
    echo "$out" | grep -v '^summary'
    for k in list_s first_batch_s img_per_s; do add "folder_${pages}_w${workers}_$k" "$(field $k <<<"$out")"; done
  done
done
echo "$summary"
