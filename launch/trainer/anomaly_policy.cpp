#include "launch/trainer/anomaly_policy.h"

#include <cstdio>

#include "core/error.h"
#include "distributed/agreement.h"
#include "launch/trainer/console.h"

namespace convoy {

std::span<const NamedValue<AnomalyAction>> named_values(AnomalyAction) {
  static constexpr NamedValue<AnomalyAction> kNames[] = {{AnomalyAction::kStop, "stop"},
                                                        {AnomalyAction::kSkip, "skip"}};
  return kNames;
}

AnomalyPolicy::AnomalyPolicy(AnomalyAction action, int64_t max_skipped)
    : action_(action), max_skipped_(max_skipped) {}

void AnomalyPolicy::non_finite(int64_t step, const std::string& parameter, double lr) {
  char lr_text[32];
  std::snprintf(lr_text, sizeof lr_text, "%.4g", lr);
  if (action_ == AnomalyAction::kStop)
    throw JobError("training diverged at step " + std::to_string(step) + ": the gradient of " + parameter +
                   " is not finite (NaN or infinity), learning rate " + lr_text +
                   "; no update was made and the last checkpoint is kept (lower --lr, or --anomaly skip)");
  ++skipped_;
  if (++in_a_row_ >= max_skipped_)
    throw JobError("training diverged: " + std::to_string(in_a_row_) +
                   " steps in a row had non-finite gradients (the last at step " + std::to_string(step) +
                   ", first in " + parameter + ", learning rate " + lr_text + "; --max-skipped " +
                   std::to_string(max_skipped_) + "); the last checkpoint is kept");
  say("step %lld skipped: the gradient of %s is not finite (learning rate %s)\n", static_cast<long long>(step),
      parameter.c_str(), lr_text);
}

}  // namespace convoy
