// Reducer: sums gradients over ranks in buckets while backward still runs
// (PyTorch DDP's design for a static graph). Every gradient becomes a view
// into one flat buffer, bucketed in reverse parameter order (the order
// backward finishes them): the first bucket up to 1 MiB so that
// communication starts early, the others up to 25 MiB. When the last
// gradient of a bucket is reported ready, the bucket's all-reduce starts;
// finish() waits for all of them. Gradients are plain (docs/distributed.md), so ranks on
// different hardware sum the same elements. Buffers are allocated once.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "distributed/communicator.h"
#include "nn/parameter.h"

namespace convoy {

struct ReducerOptions {
  int64_t first_bucket_bytes = int64_t{1} << 20;
  int64_t bucket_bytes = int64_t{25} << 20;
  // false: every bucket is all-reduced in finish(), after backward (for comparison).
  bool overlap = true;
  // kBFloat16: each bucket is rounded to bf16, all-reduced in bf16 (half the
  // bytes on the wire) and widened back (--grad-compression bf16).
  DataType wire = DataType::kFloat32;
};

struct GradientBucket {
  int64_t offset = 0, count = 0;        // elements of the flat buffer
  std::vector<Parameter*> parameters;  // in the order backward reports them
  std::string label;                   // "all-reduce bucket 1 (fc8.bias..fc7.weight, 64.0 MiB)"
};

class Reducer {
 public:
  // Moves the parameters' gradients into the buckets (their values are kept).
  Reducer(std::vector<Parameter*> parameters, Communicator& comm, ReducerOptions options);
  Reducer(const Reducer&) = delete;
  Reducer& operator=(const Reducer&) = delete;

  // Before each backward: reduce = false for the micro-batches that only
  // accumulate, true for the one whose gradients are then all-reduced.
  void begin_backward(bool reduce);
  // The GradientReadyHook: parameter p's gradient is final for this backward.
  void mark_ready(Parameter& p);
  // After a reducing backward: starts what has not started, waits for every
  // bucket, and returns the milliseconds it waited (the exposed communication).
  // Fails naming a parameter whose gradient was never reported or left its bucket.
  double finish();

  const std::vector<GradientBucket>& buckets() const { return buckets_; }
  // All gradients, back to back (bucket by bucket).
  const Tensor& flat() const { return flat_; }
  int64_t total_elements() const { return flat_.numel(); }

 private:
  void launch_ready_buckets();
  uint16_t* wire_words() { return reinterpret_cast<uint16_t*>(wire_.device_data()); }
  void check_reported_and_in_place() const;

  Communicator& comm_;
  ReducerOptions options_;
  Tensor flat_;
  std::vector<GradientBucket> buckets_;
  Tensor wire_;  // bf16 words of every bucket (two per float of storage); with a bf16 wire only
  struct Slot {
    size_t bucket;
    int64_t offset;
    bool reported;  // in the current backward
  };
  std::unordered_map<const Parameter*, Slot> slots_;
  std::vector<int64_t> pending_;  // per bucket: gradients not reported yet in this backward
  std::vector<std::shared_ptr<Work>> work_;
  size_t next_launch_ = 0;
  bool reducing_ = false, in_backward_ = false;
};

}  // namespace convoy
