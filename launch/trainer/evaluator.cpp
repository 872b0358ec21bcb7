#include "launch/trainer/evaluator.h"

#include <algorithm>

#include "core/error.h"
#include "data_pipeline/sampler.h"
#include "launch/trainer/batch_feed.h"

namespace convoy {

Evaluator::Evaluator(SampleSource& source, const TrainOptions& options, Communicator& comm)
    : source_(source), comm_(comm), crops_(std::max(1, options.eval_crops)) {
  const Shape sample = source_.sample_shape();
  CONVOY_CHECK(sample[0] % crops_ == 0, "validation samples of ", sample.to_string(), " do not hold ", crops_,
               " crops");
  batch_size_ = options.eval_batch_size > 0 ? options.eval_batch_size : options.batch_size;
  workers_ = options.workers;
}

// The loader's batches suit the uploader (8-bit ones for a GPU): both are
// remade when the model moves. Built aside, so that a failure leaves no
// half-made pair.
void Evaluator::ensure_loader(Device device) {
  if (loader_ && uploader_device_ == device) return;
  loader_.reset();
  std::unique_ptr<BatchUploader> uploader = make_batch_uploader(device);
  std::unique_ptr<Loader> loader = make_feeding_loader(source_, batch_size_, workers_, 2, *uploader);
  uploader_ = std::move(uploader);
  loader_ = std::move(loader);
  uploader_device_ = device;
}

void Evaluator::score_batch(Sequential& model, const Tensor& images, std::span<const int32_t> labels, Sums& sums) {
  StepContext ctx;  // evaluation: no dropout
  const Tensor& logits = model.forward(images, ctx);
  sums.loss += loss_.forward(logits, labels) * static_cast<double>(labels.size());
  sums.top1 += count_top_k_correct(logits, labels, 1);
  sums.top5 += count_top_k_correct(logits, labels, 5);
}

// The crops of a sample are consecutive rows; their softmax probabilities are averaged.
void Evaluator::score_crops(Sequential& model, const Tensor& images, std::span<const int32_t> labels, Sums& sums) {
  StepContext ctx;  // evaluation: no dropout
  const Shape sample = source_.sample_shape();
  const int64_t n = static_cast<int64_t>(labels.size());
  const Tensor crops = images.view(Shape{n * crops_, sample[0] / crops_, sample[1], sample[2]});
  crop_labels_.resize(static_cast<size_t>(n * crops_));
  for (int64_t i = 0; i < n * crops_; ++i) crop_labels_[static_cast<size_t>(i)] = labels[static_cast<size_t>(i / crops_)];
  sums.loss += loss_.forward(model.forward(crops, ctx), crop_labels_) * static_cast<double>(n);
  const Tensor& p = copied_to(loss_.probabilities(), Device::kCPU, host_probabilities_);
  const int64_t classes = p.dim(1);
  averaged_.ensure_shape(Shape{n, classes});
  averaged_.fill(0.0f);
  for (int64_t i = 0; i < n * crops_; ++i)
    for (int64_t c = 0; c < classes; ++c)
      averaged_.data()[(i / crops_) * classes + c] += p.data()[i * classes + c] / static_cast<float>(crops_);
  sums.top1 += count_top_k_correct(averaged_, labels, 1);
  sums.top5 += count_top_k_correct(averaged_, labels, 5);
}

EvalResult Evaluator::combine(const Sums& mine) {
  Sums all;
  for (const Sums& s : all_gather_values(comm_, mine, "evaluation sums")) {
    all.loss += s.loss;
    all.top1 += s.top1;
    all.top5 += s.top5;
    all.count += s.count;
  }
  CONVOY_CHECK(all.count == source_.size(), "evaluation counted ", all.count, " of ", source_.size(), " samples");
  EvalResult result;
  result.count = all.count;
  if (all.count > 0) {
    result.loss = all.loss / static_cast<double>(all.count);
    result.top1 = static_cast<double>(all.top1) / static_cast<double>(all.count);
    result.top5 = static_cast<double>(all.top5) / static_cast<double>(all.count);
  }
  return result;
}

EvalResult Evaluator::evaluate(Sequential& model) {
  const int64_t total = source_.size();
  const int64_t rank = comm_.rank(), world = comm_.size();
  // Shard positions at or past `total` are padding (copies of the first samples).
  int64_t to_count = total > rank ? (total - rank + world - 1) / world : 0;
  ensure_loader(model.device());
  loader_->start(distributed_order(total, rank, world, false, 0, 0, false), 0, 0, true);
  Sums sums;
  while (const LoadedBatch* batch = loader_->next()) {
    const int64_t n = std::min<int64_t>(static_cast<int64_t>(batch->labels.size()), to_count);
    to_count -= n;
    if (n == 0) continue;
    const std::span<const int32_t> labels(batch->labels.data(), static_cast<size_t>(n));
    const Tensor images = upload_batch(*uploader_, *batch, n);
    if (crops_ == 1)
      score_batch(model, images, labels, sums);
    else
      score_crops(model, images, labels, sums);
    sums.count += n;
  }
  return combine(sums);
}

}  // namespace convoy
