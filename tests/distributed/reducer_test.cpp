// The reducer and DataParallel in one process: bucket layout (DDP's rule in
// reverse parameter order), gradients as views into the flat buffer, errors
// for gradients that leave their bucket or are not reported, when buckets
// start (during backward, or after it without overlap), and gradient
// accumulation (K micro-batches of B/K equal one batch of B).
#include "distributed/reducer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "distributed/data_parallel.h"
#include "distributed/single_process_communicator.h"
#include "models/lenet5.h"
#include "nn/init.h"
#include "nn/loss.h"
#include "tests/common/synthetic_batch.h"
#include "tests/common/test_support.h"

namespace convoy {
namespace {

using testing::expect_error;

Parameter make_parameter(const std::string& name, int64_t elements) {
  Parameter p;
  p.name = name;
  p.value = Tensor::zeros(Shape{elements});
  p.grad = Tensor::zeros(Shape{elements});
  return p;
}

// Records when each all-reduce was started (inside or after backward) and completes it at once.
class RecordingCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  std::string describe() const override { return "recording"; }
  std::shared_ptr<Work> all_reduce_sum_async(void*, int64_t count, DataType, const std::string& label) override {
    started.push_back({label, count, in_backward});
    return inner_.all_reduce_sum_async(nullptr, count, DataType::kFloat32, label);
  }
  void broadcast(void*, int64_t, int, const std::string&) override {}
  std::vector<std::string> all_gather(const std::string& mine, const std::string&) override { return {mine}; }
  void barrier(const std::string&) override {}
  [[noreturn]] void abort(int code) override { std::_Exit(code); }

  struct Start {
    std::string label;
    int64_t count;
    bool during_backward;
  };
  std::vector<Start> started;
  bool in_backward = false;

 private:
  SingleProcessCommunicator inner_;
};

TEST(Reducer, BucketsFollowDdpRuleInReverseParameterOrder) {
  // Elements: 1 MiB = 262144 floats.
  std::vector<Parameter> params{make_parameter("p0", 100), make_parameter("p1", 300000),
                                make_parameter("p2", 10), make_parameter("p3", 5000000),
                                make_parameter("p4", 2000000), make_parameter("p5", 1)};
  std::vector<Parameter*> pointers;
  for (Parameter& p : params) pointers.push_back(&p);
  SingleProcessCommunicator comm;
  Reducer reducer(pointers, comm, ReducerOptions{});
  const auto& buckets = reducer.buckets();
  // Bucket 0 closes once it holds >= 1 MiB: p5 (4 B), then p4 (8 MB).
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(buckets[0].parameters, (std::vector<Parameter*>{&params[5], &params[4]}));
  // Bucket 1 (25 MiB limit) takes the rest: 21.2 MB.
  EXPECT_EQ(buckets[1].parameters, (std::vector<Parameter*>{&params[3], &params[2], &params[1], &params[0]}));
  EXPECT_EQ(buckets[0].offset, 0);
  EXPECT_EQ(buckets[1].offset, 2000001);
  EXPECT_EQ(reducer.total_elements(), 7300111);
  EXPECT_NE(buckets[1].label.find("p3..p0"), std::string::npos) << buckets[1].label;

  ReducerOptions small;
  small.first_bucket_bytes = 4;
  small.bucket_bytes = 40;
  std::vector<Parameter> tiny{make_parameter("a", 3), make_parameter("b", 7), make_parameter("c", 20),
                              make_parameter("d", 2)};
  Reducer many({&tiny[0], &tiny[1], &tiny[2], &tiny[3]}, comm, small);
  // d (8 B >= 4): bucket 0; c (80 B >= 40): bucket 1; b (28 B) + a (12 B = 40 B): bucket 2.
  ASSERT_EQ(many.buckets().size(), 3u);
  EXPECT_EQ(many.buckets()[2].parameters, (std::vector<Parameter*>{&tiny[1], &tiny[0]}));
}

TEST(Reducer, GradientsBecomeViewsIntoOneBufferKeepingTheirValues) {
  std::vector<Parameter> params{make_parameter("w", 5), make_parameter("b", 3)};
  params[0].grad.fill(1.5f);
  params[1].grad.fill(-2.0f);
  SingleProcessCommunicator comm;
  Reducer reducer({&params[0], &params[1]}, comm, ReducerOptions{});
  // Reverse order: b first, then w, contiguous.
  EXPECT_EQ(params[0].grad.data(), params[1].grad.data() + 3);
  EXPECT_TRUE(params[0].grad.is_bound_view());
  EXPECT_EQ(params[0].grad.data()[4], 1.5f);
  EXPECT_EQ(params[1].grad.data()[0], -2.0f);
  // A gradient that leaves its bucket is an error, not a silent copy.
  EXPECT_THROW(params[0].grad.ensure_shape(Shape{6}), Error);
  reducer.begin_backward(true);
  reducer.mark_ready(params[1]);
  reducer.mark_ready(params[0]);
  EXPECT_GE(reducer.finish(), 0.0);
  params[0].grad = Tensor::zeros(Shape{5});  // replaced behind the reducer's back
  reducer.begin_backward(true);
  reducer.mark_ready(params[1]);
  reducer.mark_ready(params[0]);
  expect_error([&] { reducer.finish(); }, "the gradient of w left its all-reduce bucket");
}

TEST(Reducer, ABf16WireRoundsEachGradientToNearestEvenAndKeepsNonFiniteValues) {
  // bf16 keeps 8 significant bits: near 1 its step is 2^-7.
  const float step = std::ldexp(1.0f, -7), inf = std::numeric_limits<float>::infinity();
  const std::vector<float> sent{1.0f + step / 2,      // a tie: to the even 1.0
                                1.0f + 3 * step / 2,  // a tie: to the even 1 + 2 steps
                                1.0f + step / 2 + step / 8,  // above the tie: up
                                -3.0f,                // exact
                                1e-30f,  // 1.2677 x 2^-100: 8 significant bits give 162/128 x 2^-100
                                inf,
                                std::nanf("")};
  const std::vector<float> expected{1.0f, 1.0f + 2 * step, 1.0f + step, -3.0f, std::ldexp(162.0f, -107), inf};
  std::vector<Parameter> params{make_parameter("w", static_cast<int64_t>(sent.size()))};
  std::copy(sent.begin(), sent.end(), params[0].grad.data());
  RecordingCommunicator comm;
  ReducerOptions options;
  options.wire = DataType::kBFloat16;
  Reducer reducer({&params[0]}, comm, options);
  EXPECT_NE(reducer.buckets()[0].label.find("in bf16"), std::string::npos) << reducer.buckets()[0].label;
  reducer.begin_backward(true);
  reducer.mark_ready(params[0]);
  reducer.finish();
  ASSERT_EQ(comm.started.size(), 1u);
  EXPECT_EQ(comm.started[0].count, static_cast<int64_t>(sent.size()));
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(params[0].grad.data()[i], expected[i]) << i;
  EXPECT_TRUE(std::isnan(params[0].grad.data()[6]));
}

TEST(Reducer, UnreportedOrTwiceReportedGradientsAreErrors) {
  std::vector<Parameter> params{make_parameter("w", 5), make_parameter("b", 3)};
  SingleProcessCommunicator comm;
  Reducer reducer({&params[0], &params[1]}, comm, ReducerOptions{});
  reducer.begin_backward(true);
  reducer.mark_ready(params[1]);
  expect_error([&] { reducer.finish(); }, "the gradient of w was not reported ready");
  reducer.begin_backward(true);
  reducer.mark_ready(params[1]);
  expect_error([&] { reducer.mark_ready(params[1]); }, "b reported ready twice");
  Parameter stranger = make_parameter("stranger", 1);
  expect_error([&] { reducer.mark_ready(stranger); }, "the reducer does not hold it");
}

void make_batch(int64_t first, int64_t batch, Tensor& images, std::vector<int32_t>& labels,
                std::vector<int64_t>& ids) {
  testing::make_synthetic_batch(3, first, batch, images, labels, ids);
}

struct LenetRun {
  std::unique_ptr<Sequential> model = models::make_lenet5();
  std::unique_ptr<Sgd> sgd;
  LenetRun() {
    initialize_parameters(model->parameters(), InitScheme::kXavier, 5);
    sgd = std::make_unique<Sgd>(model->parameters(), SgdOptions{0.9, 5e-4, false});
  }
  std::vector<float> flat_parameters() {
    std::vector<float> all;
    for (Parameter* p : model->parameters()) all.insert(all.end(), p->value.data(), p->value.data() + p->value.numel());
    return all;
  }
};

TEST(DataParallel, BucketsStartDuringBackwardUnlessOverlapIsOff) {
  for (const bool overlap : {true, false}) {
    LenetRun run;
    RecordingCommunicator comm;
    DataParallelOptions options;
    options.reducer.first_bucket_bytes = 1024;
    options.reducer.bucket_bytes = 16 * 1024;
    options.reducer.overlap = overlap;
    DataParallel ddp(*run.model, *run.sgd, comm, options);
    Tensor images;
    std::vector<int32_t> labels;
    std::vector<int64_t> ids;
    make_batch(0, 8, images, labels, ids);
    SoftmaxCrossEntropy loss;
    StepContext ctx;
    ctx.training = true;
    ctx.sample_ids = ids;
    loss.forward(run.model->forward(images, ctx), labels);
    comm.in_backward = true;
    ddp.backward(loss.grad_logits());
    comm.in_backward = false;
    ddp.step(0.1);
    const size_t buckets = ddp.reducer().buckets().size();
    ASSERT_GE(buckets, 4u);
    ASSERT_EQ(comm.started.size(), buckets);
    for (size_t b = 0; b < buckets; ++b) {
      EXPECT_EQ(comm.started[b].label, ddp.reducer().buckets()[b].label);  // in bucket order
      // With overlap every bucket starts inside backward, as soon as its last gradient is ready.
      EXPECT_EQ(comm.started[b].during_backward, overlap) << b;
    }
  }
}

TEST(DataParallel, SingleProcessStepEqualsPlainBackwardAndSgd) {
  LenetRun plain, wrapped;
  SingleProcessCommunicator comm;
  DataParallel ddp(*wrapped.model, *wrapped.sgd, comm);
  SoftmaxCrossEntropy loss;
  Tensor images;
  std::vector<int32_t> labels;
  std::vector<int64_t> ids;
  for (int64_t step = 0; step < 3; ++step) {
    make_batch(step * 8, 8, images, labels, ids);
    StepContext ctx;
    ctx.training = true;
    ctx.sample_ids = ids;
    loss.forward(plain.model->forward(images, ctx), labels);
    plain.model->backward(loss.grad_logits(), false, {});
    plain.sgd->step(0.1);
    loss.forward(wrapped.model->forward(images, ctx), labels);
    ddp.backward(loss.grad_logits());
    ddp.step(0.1);
  }
  EXPECT_EQ(plain.flat_parameters(), wrapped.flat_parameters());  // bit for bit
}

TEST(DataParallel, AccumulatedMicroBatchesEqualOneBatch) {
  LenetRun whole, split;
  SingleProcessCommunicator comm;
  DataParallel one(*whole.model, *whole.sgd, comm);
  DataParallel four(*split.model, *split.sgd, comm, {.reducer = {}, .accumulate_steps = 4});
  SoftmaxCrossEntropy loss;
  Tensor images;
  std::vector<int32_t> labels;
  std::vector<int64_t> ids;
  for (int64_t step = 0; step < 3; ++step) {
    StepContext ctx;
    ctx.training = true;
    make_batch(step * 8, 8, images, labels, ids);
    ctx.sample_ids = ids;
    loss.forward(whole.model->forward(images, ctx), labels);
    one.backward(loss.grad_logits());
    one.step(0.1);
    for (int k = 0; k < 4; ++k) {
      make_batch(step * 8 + 2 * k, 2, images, labels, ids);
      ctx.sample_ids = ids;
      loss.forward(split.model->forward(images, ctx), labels);
      four.backward(loss.grad_logits());
      EXPECT_EQ(four.micro_batches_done(), k + 1);
    }
    four.step(0.1);
  }
  const std::vector<float> a = whole.flat_parameters(), b = split.flat_parameters();
  double max_diff = 0, max_abs = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(static_cast<double>(a[i]) - b[i]));
    max_abs = std::max(max_abs, std::abs(static_cast<double>(a[i])));
  }
  EXPECT_LT(max_diff / max_abs, 1e-5);
  EXPECT_GT(max_diff, 0.0);  // different summation orders: not the same bits, so the test compares real work
  expect_error([&] { four.step(0.1); }, "the step's gradients finished after 0 backward() calls");
}

}  // namespace
}  // namespace convoy

namespace convoy {
namespace {

TEST(DataParallel, NonFiniteGradientsAreFoundAndTheirUpdateSkipped) {
  // A NaN put into the summed gradient of one layer: found (the last layer
  // first, the order backward computes them), the update skipped with the
  // parameters untouched, and the next step as if the bad one never happened.
  LenetRun run, reference;
  SingleProcessCommunicator comm;
  DataParallel ddp(*run.model, *run.sgd, comm), plain(*reference.model, *reference.sgd, comm);
  SoftmaxCrossEntropy loss;
  Tensor images;
  std::vector<int32_t> labels;
  std::vector<int64_t> ids;
  make_batch(0, 8, images, labels, ids);
  StepContext ctx;
  ctx.training = true;
  ctx.sample_ids = ids;
  loss.forward(run.model->forward(images, ctx), labels);
  ddp.backward(loss.grad_logits());
  ddp.finish_gradients();
  EXPECT_EQ(ddp.first_non_finite_gradient(), nullptr);
  std::vector<Parameter*> parameters = run.model->parameters();
  parameters[2]->grad.data()[5] = std::numeric_limits<float>::quiet_NaN();  // conv2.weight
  parameters[0]->grad.data()[0] = std::numeric_limits<float>::infinity();   // conv1.weight
  const Parameter* bad = ddp.first_non_finite_gradient();
  ASSERT_NE(bad, nullptr);
  EXPECT_EQ(bad->name, parameters[2]->name);
  const std::vector<float> before = run.flat_parameters();
  ddp.skip();
  EXPECT_EQ(run.flat_parameters(), before);
  for (int64_t step = 1; step < 3; ++step) {  // both models take the same good steps
    make_batch(step * 8, 8, images, labels, ids);
    ctx.sample_ids = ids;
    loss.forward(run.model->forward(images, ctx), labels);
    ddp.backward(loss.grad_logits());
    ddp.finish_gradients();
    EXPECT_EQ(ddp.first_non_finite_gradient(), nullptr);
    ddp.apply(0.1);
    loss.forward(reference.model->forward(images, ctx), labels);
    plain.backward(loss.grad_logits());
    plain.step(0.1);
  }
  EXPECT_EQ(run.flat_parameters(), reference.flat_parameters());
}

}  // namespace
}  // namespace convoy
