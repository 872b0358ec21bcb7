// Collectives under mpirun -np 2 and -np 3: all-reduce of odd sizes (fp32 and
// bf16), many concurrent all-reduces, broadcast from every root, all-gather
// of different lengths, the reducer summing every rank's gradients in many
// buckets, the start-up broadcast, shards, the agreement check, sharded
// evaluation and the comparison of the ranks' parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <set>

#include "data_pipeline/sampler.h"
#include "distributed/agreement.h"
#include "distributed/data_parallel.h"
#include "distributed/parameter_check.h"
#include "distributed/single_process_communicator.h"
#include "launch/trainer/evaluator.h"
#include "models/lenet5.h"
#include "nn/init.h"
#include "nn/loss.h"
#include "tests/common/synthetic_batch.h"
#include "tests/distributed/mpi_test_support.h"

namespace convoy::testing {
namespace {

uint16_t to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return static_cast<uint16_t>(bits >> 16);  // exact for the small integers used here
}
float from_bf16(uint16_t h) {
  const uint32_t bits = uint32_t{h} << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

TEST(MpiCommunicator, KnowsItsRankAndNode) {
  Communicator& comm = world();
  const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
  ASSERT_NE(size, nullptr) << "run under mpirun";
  EXPECT_EQ(comm.size(), std::atoi(size));
  EXPECT_EQ(comm.rank(), std::atoi(std::getenv("OMPI_COMM_WORLD_RANK")));
  EXPECT_EQ(comm.local_size(), comm.size());  // one machine
  EXPECT_EQ(comm.local_rank(), comm.rank());
  EXPECT_NE(comm.describe().find("MPI"), std::string::npos);
}

TEST(MpiCommunicator, AllReduceSumsOddSizes) {
  Communicator& comm = world();
  const float ranks_sum = static_cast<float>(comm.size() * (comm.size() + 1) / 2);
  for (const int64_t n : {int64_t{1}, int64_t{3}, int64_t{1023}, (int64_t{1} << 20) + 7}) {
    std::vector<float> values(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) values[static_cast<size_t>(i)] = static_cast<float>((comm.rank() + 1) * (i % 7 + 1));
    comm.all_reduce_sum(values.data(), n, DataType::kFloat32, "test fp32");
    int64_t wrong = 0;
    for (int64_t i = 0; i < n; ++i) wrong += values[static_cast<size_t>(i)] != ranks_sum * static_cast<float>(i % 7 + 1);
    EXPECT_EQ(wrong, 0) << n << " elements";

    std::vector<uint16_t> halves(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) halves[static_cast<size_t>(i)] = to_bf16(static_cast<float>((comm.rank() + 1) * (i % 5)));
    comm.all_reduce_sum(halves.data(), n, DataType::kBFloat16, "test bf16");
    wrong = 0;
    for (int64_t i = 0; i < n; ++i) wrong += from_bf16(halves[static_cast<size_t>(i)]) != ranks_sum * static_cast<float>(i % 5);
    EXPECT_EQ(wrong, 0) << n << " bf16 elements";
  }
}

TEST(MpiCommunicator, ManyAllReducesInFlightCompleteInAnyWaitOrder) {
  Communicator& comm = world();
  std::vector<std::vector<float>> buffers;
  std::vector<std::shared_ptr<Work>> works;
  for (int b = 0; b < 25; ++b) buffers.emplace_back(static_cast<size_t>(1 + b * 997), static_cast<float>(comm.rank() + b));
  for (int b = 0; b < 25; ++b)
    works.push_back(comm.all_reduce_sum_async(buffers[static_cast<size_t>(b)].data(),
                                              static_cast<int64_t>(buffers[static_cast<size_t>(b)].size()),
                                              DataType::kFloat32, "bucket " + std::to_string(b)));
  for (int b = 24; b >= 0; --b) works[static_cast<size_t>(b)]->wait();
  for (int b = 0; b < 25; ++b) {
    const float expected = static_cast<float>(comm.size() * (comm.size() - 1) / 2 + comm.size() * b);
    EXPECT_EQ(buffers[static_cast<size_t>(b)].front(), expected);
    EXPECT_EQ(buffers[static_cast<size_t>(b)].back(), expected);
    EXPECT_TRUE(works[static_cast<size_t>(b)]->is_completed());
  }
}

TEST(MpiCommunicator, BroadcastsFromEveryRootAndGathersDifferentLengths) {
  Communicator& comm = world();
  for (int root = 0; root < comm.size(); ++root) {
    std::vector<int32_t> data(1001, comm.rank() == root ? root * 10 + 1 : -1);
    comm.broadcast(data.data(), static_cast<int64_t>(data.size() * 4), root, "test broadcast");
    EXPECT_EQ(data.front(), root * 10 + 1);
    EXPECT_EQ(data.back(), root * 10 + 1);
    EXPECT_EQ(broadcast_string(comm, comm.rank() == root ? "from " + std::to_string(root) : "", root, "text"),
              "from " + std::to_string(root));
  }
  const std::vector<std::string> all = comm.all_gather(std::string(static_cast<size_t>(comm.rank()) * 3, 'x') + "|",
                                                       "test all-gather");
  ASSERT_EQ(all.size(), static_cast<size_t>(comm.size()));
  for (int r = 0; r < comm.size(); ++r) EXPECT_EQ(all[static_cast<size_t>(r)], std::string(static_cast<size_t>(r) * 3, 'x') + "|");
}

void make_batch(int64_t first, int64_t batch, Tensor& images, std::vector<int32_t>& labels, std::vector<int64_t>& ids) {
  make_synthetic_batch(9, first, batch, images, labels, ids);
}

std::vector<float> gradients_of(Sequential& model) {
  std::vector<float> all;
  for (Parameter* p : model.parameters()) all.insert(all.end(), p->grad.data(), p->grad.data() + p->grad.numel());
  return all;
}

TEST(Reducer, SumsEveryRanksGradientsInManyBuckets) {
  Communicator& comm = world();
  auto model = models::make_lenet5();
  initialize_parameters(model->parameters(), InitScheme::kXavier, 2);
  ReducerOptions tiny;
  tiny.first_bucket_bytes = 1000;  // odd sizes: buckets do not align with anything
  tiny.bucket_bytes = 7000;
  Reducer reducer(model->parameters(), comm, tiny);
  // fc3 | fc2 | fc1 | conv2 | conv1: five buckets of odd sizes.
  EXPECT_EQ(reducer.buckets().size(), 5u);
  SoftmaxCrossEntropy loss;
  Tensor images;
  std::vector<int32_t> labels;
  std::vector<int64_t> ids;
  StepContext ctx;
  ctx.training = true;
  make_batch(comm.rank() * 5, 5, images, labels, ids);
  ctx.sample_ids = ids;
  loss.forward(model->forward(images, ctx), labels);
  reducer.begin_backward(true);
  model->backward(loss.grad_logits(), false, {.on_ready = [&](Parameter& p) { reducer.mark_ready(p); }});
  reducer.finish();
  const std::vector<float> reduced = gradients_of(*model);

  // The same sum computed here, rank by rank, in one process.
  auto reference = models::make_lenet5();
  initialize_parameters(reference->parameters(), InitScheme::kXavier, 2);
  std::vector<float> sum(reduced.size(), 0.0f);
  for (int r = 0; r < comm.size(); ++r) {
    make_batch(r * 5, 5, images, labels, ids);
    ctx.sample_ids = ids;
    loss.forward(reference->forward(images, ctx), labels);
    reference->backward(loss.grad_logits(), false, {});
    const std::vector<float> g = gradients_of(*reference);
    for (size_t i = 0; i < g.size(); ++i) sum[i] += g[i];
  }
  EXPECT_LT(relative_difference(sum, reduced), 1e-6);
}

TEST(Reducer, ABf16WireSumsWithinBf16PrecisionAndAlikeOnEveryRank) {
  Communicator& comm = world();
  auto model = models::make_lenet5();
  initialize_parameters(model->parameters(), InitScheme::kXavier, 2);
  ReducerOptions options;
  options.first_bucket_bytes = 1000;
  options.bucket_bytes = 7000;
  options.wire = DataType::kBFloat16;
  Reducer reducer(model->parameters(), comm, options);
  // Rank r's gradient: (r + 1) x a fixed pattern, so the sum is known exactly.
  std::vector<float> pattern;
  for (const Parameter* p : model->parameters())
    for (int64_t i = 0; i < p->grad.numel(); ++i) pattern.push_back(std::sin(0.37f * static_cast<float>(pattern.size())));
  size_t at = 0;
  for (Parameter* p : model->parameters())
    for (int64_t i = 0; i < p->grad.numel(); ++i) p->grad.data()[i] = static_cast<float>(comm.rank() + 1) * pattern[at++];
  reducer.begin_backward(true);
  const std::vector<Parameter*> parameters = model->parameters();
  for (auto it = parameters.rbegin(); it != parameters.rend(); ++it) reducer.mark_ready(**it);
  reducer.finish();
  const std::vector<float> reduced = gradients_of(*model);
  const float factor = static_cast<float>(comm.size() * (comm.size() + 1) / 2);
  std::vector<float> exact(pattern.size());
  for (size_t i = 0; i < pattern.size(); ++i) exact[i] = factor * pattern[i];
  const double error = relative_difference(exact, reduced);
  EXPECT_LT(error, 1e-2) << "bf16 keeps 8 significant bits";
  EXPECT_GT(error, 1e-5) << "the values did travel in bf16";
  // Every rank holds the same words.
  const std::string mine(reinterpret_cast<const char*>(reduced.data()), reduced.size() * sizeof(float));
  for (const std::string& theirs : comm.all_gather(mine, "bf16 results")) EXPECT_TRUE(theirs == mine);
}

TEST(DataParallel, BroadcastGivesEveryRankTheParametersAndMomentumOfRank0) {
  Communicator& comm = world();
  auto model = models::make_lenet5();
  initialize_parameters(model->parameters(), InitScheme::kXavier, 100 + static_cast<uint64_t>(comm.rank()));
  Sgd sgd(model->parameters(), SgdOptions{0.9, 0.0, false});
  for (Tensor& v : sgd.velocities()) v.fill(static_cast<float>(comm.rank()) + 0.5f);
  DataParallel ddp(*model, sgd, comm);
  ddp.broadcast_parameters(true);
  auto expected = models::make_lenet5();
  initialize_parameters(expected->parameters(), InitScheme::kXavier, 100);
  for (size_t i = 0; i < model->parameters().size(); ++i) {
    const Tensor& a = model->parameters()[i]->value;
    const Tensor& b = expected->parameters()[i]->value;
    EXPECT_TRUE(std::equal(a.data(), a.data() + a.numel(), b.data())) << model->parameters()[i]->name;
    EXPECT_EQ(sgd.velocities()[i].data()[0], 0.5f);
  }
}

TEST(Sharding, ShardsAreDisjointAndCoverTheEpoch) {
  Communicator& comm = world();
  for (const bool drop_last : {true, false}) {
    const int64_t count = 103;
    const std::vector<int64_t> mine = distributed_order(count, comm.rank(), comm.size(), true, 7, 3, drop_last);
    std::string bytes(reinterpret_cast<const char*>(mine.data()), mine.size() * sizeof(int64_t));
    const std::vector<std::string> all = comm.all_gather(bytes, "shards");
    std::vector<int64_t> seen(static_cast<size_t>(count), 0);
    size_t shard_length = 0;
    for (const std::string& shard : all) {
      const auto* ids = reinterpret_cast<const int64_t*>(shard.data());
      const size_t n = shard.size() / sizeof(int64_t);
      if (shard_length == 0) shard_length = n;
      EXPECT_EQ(n, shard_length);  // equal steps on every rank
      for (size_t i = 0; i < n; ++i) ++seen[static_cast<size_t>(ids[i])];
    }
    const int64_t world_size = comm.size();
    const int64_t padded = (count + world_size - 1) / world_size * world_size;
    int64_t twice = 0, missing = 0;
    for (const int64_t s : seen) twice += s > 1, missing += s == 0;
    if (drop_last) {
      EXPECT_EQ(twice, 0);
      EXPECT_EQ(missing, count % world_size);  // the dropped tail only
    } else {
      EXPECT_EQ(missing, 0);
      EXPECT_EQ(twice, padded - count);  // the padding repeats the first samples
    }
  }
}

TEST(Agreement, EveryRankLearnsTheFirstDifferenceOrAnyRanksError) {
  Communicator& comm = world();
  const std::vector<Fact> same{{"--epochs", "3"}, {"--lr", "0.01"}};
  EXPECT_NO_THROW(require_agreement(comm, same, ""));
  const std::vector<Fact> differ{{"--epochs", "3"}, {"--lr", comm.rank() == 1 ? "0.02" : "0.01"}};
  try {
    require_agreement(comm, differ, "");
    ADD_FAILURE() << "no error";
  } catch (const JobError& e) {
    EXPECT_EQ(e.message(), "ranks disagree: rank 1: --lr 0.02, rank 0: --lr 0.01");
  }
  try {
    require_agreement(comm, same, comm.rank() == comm.size() - 1 ? "cannot open 'x.h5'" : "");
    ADD_FAILURE() << "no error";
  } catch (const JobError& e) {
    EXPECT_EQ(e.message(), "rank " + std::to_string(comm.size() - 1) + ": cannot open 'x.h5'");
  }
  try {
    require_agreement(comm, same, "--lr must be a number");
    ADD_FAILURE() << "no error";
  } catch (const JobError& e) {
    EXPECT_EQ(e.message(), "--lr must be a number");  // all ranks alike: said once, without a rank
  }
}

TEST(Evaluator, ShardedEvaluationCountsEverySampleOnce) {
  Communicator& comm = world();
  auto model = models::make_lenet5();
  initialize_parameters(model->parameters(), InitScheme::kXavier, 4);
  auto source = make_synthetic_source(103, 10, Shape{1, 28, 28}, 21);  // 103: the shards need padding
  TrainOptions options;
  options.eval_batch_size = 8;
  options.workers = 0;
  Evaluator sharded(*source, options, comm);
  const EvalResult a = sharded.evaluate(*model);
  SingleProcessCommunicator alone;
  Evaluator whole(*source, options, alone);
  const EvalResult b = whole.evaluate(*model);
  EXPECT_EQ(a.count, 103);
  EXPECT_EQ(b.count, 103);
  EXPECT_NEAR(a.loss, b.loss, 1e-9 * std::abs(b.loss));
  EXPECT_EQ(a.top1, b.top1);
  EXPECT_EQ(a.top5, b.top5);
  EXPECT_GT(a.top5, a.top1);  // the model is untrained but not degenerate
}

TEST(ParameterCheck, EqualParametersPassAndOneFlippedBitOnOneRankIsNamedOnEveryRank) {
  Communicator& comm = world();
  auto model = models::make_lenet5();
  initialize_parameters(model->parameters(), InitScheme::kXavier, 3);  // the same seed: the same bits on every rank
  const std::vector<Parameter*> parameters = model->parameters();
  ParameterCheck check;
  EXPECT_NO_THROW(check.require_equal(comm, parameters, "at step 7"));
  // Rank 1 perturbs the lowest bit of one element of the third tensor: every rank names that tensor and the ranks.
  Parameter& third = *parameters[2];
  const std::vector<uint64_t> before = check.hashes(parameters);
  if (comm.rank() == 1) {
    uint32_t bits;
    std::memcpy(&bits, &third.value.data()[5], sizeof bits);
    bits ^= 1u;
    std::memcpy(&third.value.data()[5], &bits, sizeof bits);
  }
  const std::vector<uint64_t> after = check.hashes(parameters);
  EXPECT_EQ(before[2] != after[2], comm.rank() == 1);
  std::string message;
  try {
    check.require_equal(comm, parameters, "at step 8");
  } catch (const JobError& e) {
    message = e.message();
  }
  ASSERT_FALSE(message.empty()) << "no error on rank " << comm.rank();
  EXPECT_NE(message.find("the ranks' parameters differ at step 8: " + third.name + " holds other bits"),
            std::string::npos)
      << message;
  std::string others = comm.size() > 2 ? "ranks 0" : "rank 0";  // those that hold the unchanged bits
  for (int r = 2; r < comm.size(); ++r) others += ", " + std::to_string(r);
  EXPECT_NE(message.find(others + ": "), std::string::npos) << message;
  EXPECT_NE(message.find("rank 1: "), std::string::npos) << message;
}

}  // namespace
}  // namespace convoy::testing
