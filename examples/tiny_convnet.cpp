// A custom network with convoy's building blocks: a tiny ReLU convnet learns
// to tell horizontal from vertical stripes. Shows the user-facing API:
// Sequential, layers, initialisation, the loss, SGD and a schedule.
#include <cstdio>
#include <iostream>
#include <vector>

#include "core/philox.h"
#include "nn/init.h"
#include "nn/layers/activation.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/flatten.h"
#include "nn/layers/linear.h"
#include "nn/layers/pool2d.h"
#include "nn/loss.h"
#include "nn/sequential.h"
#include "nn/summary.h"
#include "optim/lr_schedule.h"
#include "optim/sgd.h"

using namespace convoy;

// Sample i: 8x8 stripes, horizontal (label 0) or vertical (label 1), random phase, noise.
void make_batch(int64_t first, int64_t batch, Tensor& images, std::vector<int32_t>& labels) {
  images.ensure_shape(Shape{batch, 1, 8, 8});
  labels.resize(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    RandomStream rng(7, RandomPurpose::kSynthetic, static_cast<uint64_t>(first + b));
    const int32_t label = static_cast<int32_t>(rng.next_word() % 2);
    const uint32_t phase = rng.next_word() % 2;
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x) {
        const int line = label == 0 ? y : x;
        images.data()[b * 64 + y * 8 + x] =
            ((line + phase) % 2 ? 1.0f : -1.0f) + 1.0f * static_cast<float>(rng.next_normal());
      }
    labels[b] = label;
  }
}

int main() {
  Sequential net;
  net.add(std::make_unique<Conv2d>(1, 4, 3, 1, 1), "conv");
  net.add(make_relu(), "relu");
  net.add(std::make_unique<Pool2d>(PoolingKind::kMax, 2, 2), "pool");
  net.add(std::make_unique<Flatten>(), "flatten");
  net.add(std::make_unique<Linear>(4 * 4 * 4, 2), "fc");
  print_summary(std::cout, net, Shape{1, 1, 8, 8});

  initialize_parameters(net.parameters(), InitScheme::kKaiming, 1);
  Sgd sgd(net.parameters(), SgdOptions{0.9, 1e-4, false});
  LrSchedule schedule(LrScheduleOptions{.kind = LrScheduleKind::kCosine, .base_lr = 0.05, .total_epochs = 1});
  SoftmaxCrossEntropy loss;
  Tensor images;
  std::vector<int32_t> labels;
  const int64_t steps = 200, batch = 32;
  for (int64_t step = 0; step < steps; ++step) {
    make_batch(step * batch, batch, images, labels);
    StepContext ctx;
    ctx.training = true;
    const double value = loss.forward(net.forward(images, ctx), labels);
    net.backward(loss.grad_logits(), false, {});
    sgd.step(schedule.lr(static_cast<double>(step) / steps));
    if (step % 50 == 0) std::printf("step %3lld  loss %.4f\n", static_cast<long long>(step), value);
  }
  make_batch(1000000, 500, images, labels);
  const Tensor& logits = net.forward(images, StepContext{});
  const double accuracy = count_top_k_correct(logits, labels, 1) / 500.0;
  std::printf("held-out accuracy: %.1f%%\n", 100.0 * accuracy);
  return accuracy > 0.9 ? 0 : 1;
}
