// The tiny stripes convnet of tiny_convnet.cpp trained data-parallel: run it
// as one process or under mpirun, where every rank trains the same model on
// its share of each global batch, as PyTorch's DistributedDataParallel does.
//   mpirun -np 2 ./data_parallel_convnet
// Shows the distributed API: make_communicator (MPI when mpirun started the
// process), DataParallel (broadcast from rank 0, bucketed all-reduce during
// backward, averaged SGD step), and collectives for the evaluation.
#include <cstdio>
#include <iostream>
#include <vector>

#include "core/philox.h"
#include "distributed/data_parallel.h"
#include "distributed/job_setup.h"
#include "nn/init.h"
#include "nn/layers/activation.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/flatten.h"
#include "nn/layers/linear.h"
#include "nn/layers/pool2d.h"
#include "nn/loss.h"
#include "nn/sequential.h"
#include "optim/sgd.h"

using namespace convoy;

// Sample i: 8x8 stripes, horizontal (label 0) or vertical (label 1), random phase, noise.
void make_sample(int64_t index, float* pixels, int32_t& label) {
  RandomStream rng(7, RandomPurpose::kSynthetic, static_cast<uint64_t>(index));
  label = static_cast<int32_t>(rng.next_word() % 2);
  const uint32_t phase = rng.next_word() % 2;
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) {
      const int line = label == 0 ? y : x;
      pixels[y * 8 + x] = ((line + phase) % 2 ? 1.0f : -1.0f) + static_cast<float>(rng.next_normal());
    }
}

int main() {
  std::unique_ptr<Communicator> comm = make_communicator();
  const int rank = comm->rank(), world = comm->size();
  Sequential net;
  net.add(std::make_unique<Conv2d>(1, 4, 3, 1, 1), "conv");
  net.add(make_relu(), "relu");
  net.add(std::make_unique<Pool2d>(PoolingKind::kMax, 2, 2), "pool");
  net.add(std::make_unique<Flatten>(), "flatten");
  net.add(std::make_unique<Linear>(4 * 4 * 4, 2), "fc");
  initialize_parameters(net.parameters(), InitScheme::kKaiming, 1 + static_cast<uint64_t>(rank));  // differs per rank...
  Sgd sgd(net.parameters(), SgdOptions{0.9, 1e-4, false});
  DataParallel ddp(net, sgd, *comm);
  ddp.broadcast_parameters(false);  // ...until every rank takes rank 0's weights

  const int64_t global_batch = 32, per_rank = global_batch / world, steps = 200;
  Tensor images = Tensor::empty(Shape{per_rank, 1, 8, 8});
  std::vector<int32_t> labels(static_cast<size_t>(per_rank));
  std::vector<int64_t> ids(static_cast<size_t>(per_rank));
  SoftmaxCrossEntropy loss;
  for (int64_t step = 0; step < steps; ++step) {
    for (int64_t b = 0; b < per_rank; ++b) {  // this rank's rows of the global batch
      ids[static_cast<size_t>(b)] = step * global_batch + rank + b * world;
      make_sample(ids[static_cast<size_t>(b)], images.data() + b * 64, labels[static_cast<size_t>(b)]);
    }
    StepContext ctx;
    ctx.training = true;
    ctx.sample_ids = ids;
    const double value = loss.forward(net.forward(images, ctx), labels);
    ddp.backward(loss.grad_logits());
    ddp.step(0.05 * (1.0 - static_cast<double>(step) / steps));
    if (rank == 0 && step % 50 == 0) std::printf("step %3lld  loss %.4f (rank 0's rows)\n", static_cast<long long>(step), value);
  }
  // Held-out accuracy: each rank scores its share, the counts are summed.
  const int64_t held_out = 500 / world;
  Tensor test = Tensor::empty(Shape{held_out, 1, 8, 8});
  std::vector<int32_t> test_labels(static_cast<size_t>(held_out));
  for (int64_t i = 0; i < held_out; ++i)
    make_sample(1000000 + rank * held_out + i, test.data() + i * 64, test_labels[static_cast<size_t>(i)]);
  const int64_t correct = count_top_k_correct(net.forward(test, StepContext{}), test_labels, 1);
  int64_t total_correct = 0;
  for (const int64_t c : all_gather_values(*comm, correct, "accuracy")) total_correct += c;
  // Every replica must hold the same weights.
  const float checksum = net.parameters()[0]->value.data()[0] + net.parameters()[2]->value.data()[5];
  bool same = true;
  for (const float c : all_gather_values(*comm, checksum, "checksum")) same = same && c == checksum;
  const double accuracy = static_cast<double>(total_correct) / static_cast<double>(held_out * world);
  if (rank == 0)
    std::printf("%s: held-out accuracy %.1f%%, replicas %s\n", comm->describe().c_str(), 100.0 * accuracy,
                same ? "identical" : "DIFFER");
  return accuracy > 0.9 && same ? 0 : 1;
}
