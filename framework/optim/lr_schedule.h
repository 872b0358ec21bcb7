// Learning-rate schedules: constant | step | multistep | cosine | plateau, each
// with an optional linear warm-up over the first epochs (Goyal et al. 2017).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/named_values.h"

namespace convoy {

enum class LrScheduleKind { kConstant, kStep, kMultistep, kCosine, kPlateau };
std::span<const NamedValue<LrScheduleKind>> named_values(LrScheduleKind);  // constant | step | ... | plateau

struct LrScheduleOptions {
  LrScheduleKind kind = LrScheduleKind::kConstant;
  double base_lr = 0.01;
  double warmup_epochs = 0.0;
  double gamma = 0.1;             // step, multistep, plateau: the factor per decay
  int64_t step_size = 30;         // step: epochs between decays
  std::vector<int64_t> milestones;  // multistep: epochs at which to decay
  int64_t total_epochs = 1;       // cosine: the epoch at which lr reaches min_lr
  double min_lr = 0.0;            // cosine floor
  int64_t patience = 2;           // plateau: epochs without improvement before a decay
  int64_t max_decays = 3;         // plateau: at most this many decays (AlexNet: three)
  double threshold = 1e-4;        // plateau: relative improvement that counts
};

class LrSchedule {
 public:
  explicit LrSchedule(LrScheduleOptions options);

  // The rate for a step, `epoch_progress` = epoch index + fraction of it done.
  double lr(double epoch_progress) const;
  // Reports an epoch's validation error (plateau uses it; the others ignore it).
  void end_epoch(double validation_error);

  // Plateau state, for checkpoints.
  struct State {
    double best_error = 1e300;
    int64_t bad_epochs = 0;
    int64_t decays = 0;
  };
  const State& state() const { return state_; }
  void set_state(const State& state) { state_ = state; }
  const LrScheduleOptions& options() const { return options_; }

 private:
  LrScheduleOptions options_;
  State state_;
};

}  // namespace convoy
