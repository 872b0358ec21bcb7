#include "nn/loss.h"

#include "backend/backend.h"

namespace convoy {

double SoftmaxCrossEntropy::forward(const Tensor& logits, std::span<const int32_t> labels) {
  return backend_for(logits.device())
      .softmax_cross_entropy(logits, labels, probabilities_, grad_logits_);
}

int64_t count_top_k_correct(const Tensor& scores, std::span<const int32_t> labels, int k) {
  return backend_for(scores.device()).count_top_k_correct(scores, labels, k);  // checks the labels
}

}  // namespace convoy
