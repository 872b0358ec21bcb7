#include "nn/loss.h"

#include "backend/backend.h"
#include "core/error.h"

namespace convoy {

double SoftmaxCrossEntropy::forward(const Tensor& logits, std::span<const int32_t> labels) {
  return backend_for(logits.device())
      .softmax_cross_entropy(logits, labels, probabilities_, grad_logits_);
}

int64_t count_top_k_correct(const Tensor& scores, std::span<const int32_t> labels, int k) {
  CONVOY_CHECK(scores.rank() == 2 && scores.device() == Device::kCPU &&
                   static_cast<int64_t>(labels.size()) == scores.dim(0),
               "top-k needs CPU (B, classes) scores and B labels");
  const int64_t classes = scores.dim(1);
  int64_t correct = 0;
  for (int64_t b = 0; b < scores.dim(0); ++b) {
    const float* row = scores.data() + b * classes;
    const float target = row[labels[b]];
    // Rank of the label: classes scoring higher, ties broken by lower index first.
    int64_t better = 0;
    for (int64_t c = 0; c < classes; ++c)
      better += row[c] > target || (row[c] == target && c < labels[b]);
    correct += better < k;
  }
  return correct;
}

}  // namespace convoy
