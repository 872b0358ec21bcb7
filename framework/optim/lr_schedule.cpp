#include "optim/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"

namespace convoy {

std::span<const NamedValue<LrScheduleKind>> named_values(LrScheduleKind) {
  static constexpr NamedValue<LrScheduleKind> kNames[] = {
      {LrScheduleKind::kConstant, "constant"}, {LrScheduleKind::kStep, "step"},
      {LrScheduleKind::kMultistep, "multistep"}, {LrScheduleKind::kCosine, "cosine"},
      {LrScheduleKind::kPlateau, "plateau"}};
  return kNames;
}

LrSchedule::LrSchedule(LrScheduleOptions options) : options_(std::move(options)) {
  const LrScheduleKind k = options_.kind;
  if (options_.base_lr <= 0) CONVOY_USER_ERROR("--lr must be positive, got ", options_.base_lr);
  if (options_.warmup_epochs < 0)
    CONVOY_USER_ERROR("--warmup-epochs must be >= 0, got ", options_.warmup_epochs);
  if (k == LrScheduleKind::kStep && options_.step_size <= 0)
    CONVOY_USER_ERROR("--lr-step-size must be positive, got ", options_.step_size);
  std::sort(options_.milestones.begin(), options_.milestones.end());
}

double LrSchedule::lr(double epoch_progress) const {
  const LrScheduleOptions& o = options_;
  const int64_t epoch = static_cast<int64_t>(std::floor(epoch_progress));
  double rate = o.base_lr;
  if (o.kind == LrScheduleKind::kStep) {
    rate *= std::pow(o.gamma, static_cast<double>(epoch / o.step_size));
  } else if (o.kind == LrScheduleKind::kMultistep) {
    const auto passed = std::upper_bound(o.milestones.begin(), o.milestones.end(), epoch) -
                        o.milestones.begin();
    rate *= std::pow(o.gamma, static_cast<double>(passed));
  } else if (o.kind == LrScheduleKind::kCosine) {
    const double t = std::clamp(epoch_progress / static_cast<double>(std::max<int64_t>(1, o.total_epochs)), 0.0, 1.0);
    rate = o.min_lr + (o.base_lr - o.min_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * t));
  } else if (o.kind == LrScheduleKind::kPlateau) {
    rate *= std::pow(o.gamma, static_cast<double>(state_.decays));
  }
  if (o.warmup_epochs > 0 && epoch_progress < o.warmup_epochs)
    rate *= std::max(epoch_progress, 1e-3 * o.warmup_epochs) / o.warmup_epochs;
  return rate;
}

void LrSchedule::end_epoch(double validation_error) {
  if (options_.kind != LrScheduleKind::kPlateau) return;
  if (validation_error < state_.best_error * (1.0 - options_.threshold)) {
    state_.best_error = validation_error;
    state_.bad_epochs = 0;
    return;
  }
  if (++state_.bad_epochs > options_.patience && state_.decays < options_.max_decays) {
    ++state_.decays;
    state_.bad_epochs = 0;
  }
}

}  // namespace convoy
