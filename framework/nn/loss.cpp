#include "nn/loss.h"

#include "backend/backend.h"
#include "core/error.h"

namespace convoy {

double SoftmaxCrossEntropy::forward(const Tensor& logits, std::span<const int32_t> labels) {
  return backend_for(logits.device())
      .softmax_cross_entropy(logits, labels, probabilities_, grad_logits_);
}

int64_t count_top_k_correct(const Tensor& scores, std::span<const int32_t> labels, int k) {
  CONVOY_CHECK(scores.rank() == 2 && static_cast<int64_t>(labels.size()) == scores.dim(0),
               "top-k needs (B, classes) scores and B labels, got ", scores.shape().to_string(), " and ",
               labels.size(), " labels");
  for (size_t b = 0; b < labels.size(); ++b)
    CONVOY_CHECK(labels[b] >= 0 && labels[b] < scores.dim(1), "label ", labels[b], " of row ", b,
                 " is outside [0, ", scores.dim(1), ")");
  return backend_for(scores.device()).count_top_k_correct(scores, labels, k);
}

}  // namespace convoy
