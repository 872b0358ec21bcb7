// What a step does whose summed gradients are not finite (--anomaly): stop
// the job, or drop that update and go on, ending the job after --max-skipped
// such steps in a row. The summed gradients are the same on every rank, so
// every rank decides alike without a word to the others.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/named_values.h"

namespace convoy {

enum class AnomalyAction { kStop, kSkip };
std::span<const NamedValue<AnomalyAction>> named_values(AnomalyAction);  // stop | skip

class AnomalyPolicy {
 public:
  AnomalyPolicy(AnomalyAction action, int64_t max_skipped);

  // The gradient of `parameter` was not finite at `step`: throws a JobError
  // (stop, or too many skipped in a row); returns when the update is to be
  // dropped instead.
  void non_finite(int64_t step, const std::string& parameter, double lr);
  // A step whose update was made.
  void finite() { in_a_row_ = 0; }

  int64_t skipped_steps() const { return skipped_; }

 private:
  AnomalyAction action_;
  int64_t max_skipped_;
  int64_t skipped_ = 0, in_a_row_ = 0;
};

}  // namespace convoy
