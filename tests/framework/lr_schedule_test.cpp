#include "optim/lr_schedule.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace convoy {
namespace {

LrSchedule make(const std::string& kind, double warmup = 0.0) {
  LrScheduleOptions o;
  o.kind = parse_named<LrScheduleKind>(kind, "--lr-schedule");
  o.base_lr = 0.1;
  o.warmup_epochs = warmup;
  o.step_size = 2;
  o.milestones = {3, 1};
  o.total_epochs = 10;
  o.patience = 1;
  o.max_decays = 2;
  return LrSchedule(o);
}

TEST(LrSchedule, Shapes) {
  EXPECT_DOUBLE_EQ(make("constant").lr(7.5), 0.1);
  EXPECT_NEAR(make("step").lr(1.9), 0.1, 1e-12);
  EXPECT_NEAR(make("step").lr(2.0), 0.01, 1e-12);
  EXPECT_NEAR(make("step").lr(4.5), 0.001, 1e-12);
  EXPECT_NEAR(make("multistep").lr(0.5), 0.1, 1e-12);
  EXPECT_NEAR(make("multistep").lr(1.0), 0.01, 1e-12);
  EXPECT_NEAR(make("multistep").lr(3.2), 0.001, 1e-12);
  EXPECT_NEAR(make("cosine").lr(0.0), 0.1, 1e-12);
  EXPECT_NEAR(make("cosine").lr(5.0), 0.05, 1e-12);
  EXPECT_NEAR(make("cosine").lr(10.0), 0.0, 1e-12);
}

TEST(LrSchedule, LinearWarmup) {
  const LrSchedule s = make("constant", 2.0);
  EXPECT_NEAR(s.lr(0.5), 0.025, 1e-12);
  EXPECT_NEAR(s.lr(1.0), 0.05, 1e-12);
  EXPECT_NEAR(s.lr(2.0), 0.1, 1e-12);
}

TEST(LrSchedule, PlateauDecaysAfterPatienceAtMostMaxTimes) {
  LrSchedule s = make("plateau");
  s.end_epoch(0.5);
  s.end_epoch(0.4);  // improving
  EXPECT_NEAR(s.lr(2), 0.1, 1e-12);
  s.end_epoch(0.4);  // 1 bad epoch: within patience
  EXPECT_NEAR(s.lr(3), 0.1, 1e-12);
  s.end_epoch(0.41);  // 2 bad epochs: decay
  EXPECT_NEAR(s.lr(4), 0.01, 1e-12);
  for (int i = 0; i < 10; ++i) s.end_epoch(0.9);
  EXPECT_NEAR(s.lr(20), 0.001, 1e-12);  // capped at max_decays = 2
}

TEST(LrSchedule, RejectsUnknownKind) {
  EXPECT_THROW(make("linear"), Error);
}

}  // namespace
}  // namespace convoy
