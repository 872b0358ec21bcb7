// Softmax cross-entropy, averaged over the batch.
#pragma once

#include <cstdint>
#include <span>

#include "tensor/tensor.h"

namespace convoy {

class SoftmaxCrossEntropy {
 public:
  // Returns the mean loss over the batch; keeps probabilities and d(loss)/d(logits).
  double forward(const Tensor& logits, std::span<const int32_t> labels);
  const Tensor& grad_logits() const { return grad_logits_; }
  const Tensor& probabilities() const { return probabilities_; }

 private:
  Tensor probabilities_, grad_logits_;
};

// How many rows have their label among the k highest scores.
int64_t count_top_k_correct(const Tensor& scores, std::span<const int32_t> labels, int k);

}  // namespace convoy
