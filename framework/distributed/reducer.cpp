#include "distributed/reducer.h"

#include <chrono>
#include <cstdio>

#include "backend/backend.h"
#include "core/error.h"

namespace convoy {

namespace {
std::string mebibytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}
}  // namespace

Reducer::Reducer(std::vector<Parameter*> parameters, Communicator& comm, ReducerOptions options)
    : comm_(comm), options_(options) {
  CONVOY_CHECK(!parameters.empty(), "a reducer needs parameters");
  CONVOY_CHECK(options.first_bucket_bytes > 0 && options.bucket_bytes > 0, "bucket sizes must be positive");
  // Reverse parameter order; as DDP, a bucket closes once it reaches its limit.
  auto limit = [&](size_t bucket) { return bucket == 0 ? options.first_bucket_bytes : options.bucket_bytes; };
  int64_t total = 0;
  for (auto it = parameters.rbegin(); it != parameters.rend(); ++it) {
    Parameter* p = *it;
    CONVOY_CHECK(p->grad.defined() && p->grad.is_plain() && p->grad.numel() == p->value.numel(),
                 "parameter ", p->name, " has no plain gradient of its size");
    CONVOY_CHECK(!slots_.count(p), "parameter ", p->name, " is listed twice");
    if (buckets_.empty() || buckets_.back().count * 4 >= limit(buckets_.size() - 1)) {
      buckets_.emplace_back();
      buckets_.back().offset = total;
    }
    GradientBucket& bucket = buckets_.back();
    slots_[p] = Slot{buckets_.size() - 1, total, false};
    bucket.parameters.push_back(p);
    bucket.count += p->grad.numel();
    total += p->grad.numel();
  }
  flat_ = Tensor::zeros(Shape{total}, parameters.front()->grad.device());
  for (Parameter* p : parameters) {
    Tensor view = flat_.view_at(slots_.at(p).offset, p->grad.shape());
    view.copy_from(p->grad);
    p->grad = view;
  }
  for (size_t b = 0; b < buckets_.size(); ++b) {
    GradientBucket& bucket = buckets_[b];
    bucket.label = "all-reduce bucket " + std::to_string(b) + " (" + bucket.parameters.front()->name +
                   (bucket.parameters.size() > 1 ? ".." + bucket.parameters.back()->name : "") + ", " +
                   mebibytes(bucket.count * static_cast<int64_t>(element_size(options_.wire))) +
                   (options_.wire == DataType::kBFloat16 ? " in bf16)" : ")");
  }
  if (options_.wire == DataType::kBFloat16) wire_ = Tensor::zeros(Shape{(total + 1) / 2}, flat_.device());
  pending_.assign(buckets_.size(), 0);
  work_.assign(buckets_.size(), nullptr);
}

void Reducer::begin_backward(bool reduce) {
  for (const auto& work : work_)
    CONVOY_CHECK(!work, "begin_backward while the last step's all-reduce is in flight (call finish() first)");
  for (size_t b = 0; b < buckets_.size(); ++b) pending_[b] = static_cast<int64_t>(buckets_[b].parameters.size());
  for (auto& [parameter, slot] : slots_) slot.reported = false;
  next_launch_ = 0;
  reducing_ = reduce;
  in_backward_ = true;
}

void Reducer::mark_ready(Parameter& p) {
  const auto found = slots_.find(&p);
  CONVOY_CHECK(found != slots_.end(), "gradient of ", p.name, " reported ready, but the reducer does not hold it");
  CONVOY_CHECK(in_backward_, "gradient of ", p.name, " reported outside a backward (call begin_backward first)");
  Slot& slot = found->second;
  CONVOY_CHECK(!slot.reported, "gradient of ", p.name, " reported ready twice in one backward");
  slot.reported = true;
  if (--pending_[slot.bucket] == 0 && reducing_ && options_.overlap) launch_ready_buckets();
}

void Reducer::launch_ready_buckets() {
  // Buckets start in index order on every rank, so all ranks issue the same collectives in the same order.
  while (next_launch_ < buckets_.size() && pending_[next_launch_] == 0) {
    GradientBucket& bucket = buckets_[next_launch_];
    if (options_.wire == DataType::kBFloat16) {
      uint16_t* words = wire_words() + bucket.offset;
      backend_for(flat_.device()).round_to_bf16(flat_.device_data() + bucket.offset, words, bucket.count);
      work_[next_launch_] = comm_.all_reduce_sum_async(words, bucket.count, DataType::kBFloat16, bucket.label);
    } else {
      work_[next_launch_] = comm_.all_reduce_sum_async(flat_.device_data() + bucket.offset, bucket.count,
                                                       DataType::kFloat32, bucket.label);
    }
    ++next_launch_;
  }
}

double Reducer::finish() {
  CONVOY_CHECK(in_backward_ && reducing_, "finish() without a reducing backward");
  in_backward_ = false;
  // What is in flight writes into the buckets: wait for it before anything can throw.
  const auto start = std::chrono::steady_clock::now();
  auto wait_in_flight = [&] {
    for (auto& work : work_)
      if (work) {
        std::shared_ptr<Work> done = std::move(work);
        done->wait();
      }
  };
  try {
    check_reported_and_in_place();
  } catch (...) {
    wait_in_flight();
    throw;
  }
  launch_ready_buckets();  // all of them without overlap
  wait_in_flight();
  if (options_.wire == DataType::kBFloat16)
    backend_for(flat_.device()).widen_from_bf16(wire_words(), flat_.device_data(), flat_.numel());
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

void Reducer::check_reported_and_in_place() const {
  for (const GradientBucket& bucket : buckets_)
    for (const Parameter* p : bucket.parameters)
      CONVOY_CHECK(slots_.at(p).reported, "the gradient of ", p->name,
                   " was not reported ready in this backward (a module that skips its GradientReadyHook?)");
  for (const GradientBucket& bucket : buckets_)
    for (const Parameter* p : bucket.parameters)
      CONVOY_CHECK(p->grad.device_data() == flat_.device_data() + slots_.at(p).offset && p->grad.numel() == p->value.numel(),
                   "the gradient of ", p->name, " left its all-reduce bucket (it was replaced or reallocated)");
}

}  // namespace convoy
