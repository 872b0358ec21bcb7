// The CUDA backend against the CPU backend: every layer kind, forward and
// backward, and whole training steps of LeNet-5 and AlexNet. In fp32 the
// relative error ||gpu - cpu|| / ||cpu|| must stay below 1e-4; with TF32
// tensor cores (10-bit mantissas) below 5e-3 for a layer; in bf16 (8-bit
// mantissas, fp32 accumulation) below 2e-2 for a layer and 5e-2 for a whole
// step. Skipped, with the reason, where there is no GPU.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <numeric>
#include <utility>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "gpu/gpu_test_support.h"
#include "reference/gradcheck.h"
#include "backend/cuda/caching_allocator.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_device.h"
#include "io/checkpoint.h"
#include "models/alexnet.h"
#include "models/lenet5.h"
#include "nn/init.h"
#include "nn/layers/activation.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/dropout.h"
#include "nn/layers/linear.h"
#include "nn/layers/lrn.h"
#include "nn/layers/pool2d.h"
#include "nn/loss.h"
#include "nn/sequential.h"
#include "optim/sgd.h"

namespace convoy {
namespace {

constexpr double kFp32Bound = 1e-4, kTf32Bound = 5e-3, kBf16LayerBound = 2e-2, kBf16StepBound = 5e-2;

// Ops made in this scope compute in `math` (cuda_context.h); fp32 again after it.
struct MathScope {
  explicit MathScope(cuda::Math math) { cuda::set_math(math); }
  ~MathScope() { cuda::set_math(cuda::Math::kFp32); }
};
const Device kGpu = Device::cuda(0);

using testing::random_vec;
using testing::to_tensor;
using testing::to_vec;

using testing::random_tensor;
using testing::relative_error;

// make()'s module on the CPU and a copy of it (same parameters) on the GPU.
struct ModulePair {
  std::unique_ptr<Module> cpu, gpu;
};
ModulePair on_both(const std::function<std::unique_ptr<Module>()>& make) {
  ModulePair pair{make(), make()};
  const std::vector<Parameter*> cpu_params = pair.cpu->parameters(), gpu_params = pair.gpu->parameters();
  for (size_t i = 0; i < cpu_params.size(); ++i) {
    cpu_params[i]->value.copy_from(random_tensor(cpu_params[i]->value.shape(), 100 + static_cast<unsigned>(i)));
    gpu_params[i]->value.copy_from(cpu_params[i]->value);
  }
  pair.gpu->to(kGpu);
  return pair;
}

// Forward of x, backward of dy on both; compares outputs, input gradients and
// parameter gradients.
void expect_step_parity(ModulePair& pair, const Shape& input, const StepContext& ctx, double bound) {
  const Tensor x = random_tensor(input, 1);
  const Tensor& y_cpu = pair.cpu->forward(x, ctx);
  const Tensor& y_gpu = pair.gpu->forward(x.to(kGpu), ctx);
  EXPECT_LT(relative_error(y_gpu, y_cpu), bound) << "forward";
  const Tensor dy = random_tensor(y_cpu.shape(), 2);
  const Tensor& dx_cpu = pair.cpu->backward(dy, true, {});
  const Tensor& dx_gpu = pair.gpu->backward(dy.to(kGpu), true, {});
  EXPECT_LT(relative_error(dx_gpu, dx_cpu), bound) << "input gradient";
  const std::vector<Parameter*> cpu_params = pair.cpu->parameters(), gpu_params = pair.gpu->parameters();
  for (size_t i = 0; i < cpu_params.size(); ++i)
    EXPECT_LT(relative_error(gpu_params[i]->grad, cpu_params[i]->grad), bound) << cpu_params[i]->name;
}

void expect_layer_parity(const std::string& what, const std::function<std::unique_ptr<Module>()>& make,
                         const Shape& input, const StepContext& ctx = StepContext{true, 5, 3, {}},
                         double bound = kFp32Bound) {
  SCOPED_TRACE(what);
  ModulePair pair = on_both(make);
  expect_step_parity(pair, input, ctx, bound);
}

// The layers whose math --precision changes: convolutions and fully
// connected. No ReLU here: a pre-activation that rounding moves across zero
// flips its mask, a difference of kind, not of precision (LeNet-5's sigmoid
// is smooth).
void expect_products_within(double bound) {
  const StepContext ctx{true, 5, 3, {}};
  expect_layer_parity("conv 11x11 s4 (conv1)", [] { return std::make_unique<Conv2d>(3, 8, 11, 4, 0); },
                      Shape{2, 3, 39, 39}, ctx, bound);
  expect_layer_parity("conv 3x3 p1 + fused sigmoid", [] {
    auto conv = std::make_unique<Conv2d>(16, 12, 3, 1, 1);
    conv->fuse_activation(ActivationKind::kSigmoid);
    return conv;
  }, Shape{3, 16, 6, 6}, ctx, bound);
  expect_layer_parity("linear", [] { return std::make_unique<Linear>(300, 50); }, Shape{4, 300}, ctx, bound);
}

TEST(CudaParity, Tf32ConvolutionsAndProductsStayWithinTf32Precision) {
  CONVOY_REQUIRE_GPU();
  MathScope tf32(cuda::Math::kTf32);
  expect_products_within(kTf32Bound);
}

TEST(CudaParity, Bf16ConvolutionsAndProductsStayWithinBf16Precision) {
  CONVOY_REQUIRE_GPU();
  MathScope bf16(cuda::Math::kBf16);
  expect_products_within(kBf16LayerBound);
}

// Gradient accumulation over micro-batches (--accumulate-steps): a second
// backward with ctx.accumulate adds to the parameter gradients of the first,
// as on the CPU. In bf16 the weight gradient comes out of cuDNN as bf16 words
// and is added to the fp32 gradient by a kernel of convoy's.
void expect_accumulation_within(double bound) {
  const StepContext ctx{true, 5, 3, {}};
  const std::pair<const char*, std::function<std::unique_ptr<Module>()>> layers[] = {
      {"conv 5x5 p2", [] { return std::make_unique<Conv2d>(8, 16, 5, 1, 2); }},
      {"linear", [] { return std::make_unique<Linear>(300, 50); }}};
  const Shape inputs[] = {Shape{2, 8, 13, 13}, Shape{4, 300}};
  for (size_t l = 0; l < 2; ++l) {
    SCOPED_TRACE(layers[l].first);
    ModulePair pair = on_both(layers[l].second);
    const std::vector<Parameter*> cpu_params = pair.cpu->parameters(), gpu_params = pair.gpu->parameters();
    std::vector<testing::Vec> first;  // the CPU's gradients of the first micro-batch alone
    for (int micro = 0; micro < 2; ++micro) {
      const Tensor x = random_tensor(inputs[l], 10 + static_cast<uint64_t>(micro));
      const Tensor dy = random_tensor(pair.cpu->output_shape(inputs[l]), 20 + static_cast<uint64_t>(micro));
      const BackwardContext backward{micro > 0, {}};
      pair.cpu->forward(x, ctx);
      pair.gpu->forward(x.to(kGpu), ctx);
      pair.cpu->backward(dy, false, backward);
      pair.gpu->backward(dy.to(kGpu), false, backward);
      for (size_t i = 0; i < cpu_params.size(); ++i) {
        SCOPED_TRACE(cpu_params[i]->name + ", micro-batch " + std::to_string(micro + 1));
        EXPECT_LT(relative_error(gpu_params[i]->grad, cpu_params[i]->grad), bound);
        if (micro == 0) first.push_back(to_vec(cpu_params[i]->grad));
        else EXPECT_GT(testing::relative_error(to_vec(cpu_params[i]->grad), first[i]), 0.1) << "nothing was added";
      }
    }
  }
}

TEST(CudaParity, GradientsAccumulateOverMicroBatchesInEveryPrecision) {
  CONVOY_REQUIRE_GPU();
  {
    SCOPED_TRACE("fp32");
    expect_accumulation_within(kFp32Bound);
  }
  {
    SCOPED_TRACE("tf32");
    MathScope tf32(cuda::Math::kTf32);
    expect_accumulation_within(kTf32Bound);
  }
  {
    SCOPED_TRACE("bf16");
    MathScope bf16(cuda::Math::kBf16);
    expect_accumulation_within(kBf16LayerBound);
  }
}

TEST(CudaParity, EveryLayerForwardAndBackwardMatchesTheCpu) {
  CONVOY_REQUIRE_GPU();
  expect_layer_parity("conv 11x11 s4 (conv1)", [] { return std::make_unique<Conv2d>(3, 8, 11, 4, 0); },
                      Shape{2, 3, 39, 39});
  expect_layer_parity("conv 5x5 p2 (conv2)", [] { return std::make_unique<Conv2d>(8, 16, 5, 1, 2); },
                      Shape{2, 8, 13, 13});
  expect_layer_parity("conv 3x3 p1 + fused relu", [] {
    auto conv = std::make_unique<Conv2d>(16, 12, 3, 1, 1);
    conv->fuse_activation(ActivationKind::kRelu);
    return conv;
  }, Shape{3, 16, 6, 6});
  expect_layer_parity("max pool 3x3 s2", [] { return std::make_unique<Pool2d>(PoolingKind::kMax, 3, 2); },
                      Shape{2, 8, 13, 13});
  expect_layer_parity("average pool 2x2 s2", [] { return std::make_unique<Pool2d>(PoolingKind::kAverage, 2, 2); },
                      Shape{2, 6, 28, 28});
  expect_layer_parity("LRN n=5", [] { return std::make_unique<Lrn>(LrnConfig{5, 1e-4, 0.75, 2.0}); },
                      Shape{2, 16, 7, 7});
  expect_layer_parity("LRN n=4 (even: window 5), large alpha",
                      [] { return std::make_unique<Lrn>(LrnConfig{4, 0.5, 0.75, 1.0}); }, Shape{2, 9, 5, 5});
  expect_layer_parity("relu", [] { return std::make_unique<Activation>(ActivationKind::kRelu); }, Shape{4, 33});
  expect_layer_parity("sigmoid", [] { return std::make_unique<Activation>(ActivationKind::kSigmoid); },
                      Shape{4, 5, 3, 3});
  expect_layer_parity("linear", [] { return std::make_unique<Linear>(300, 50); }, Shape{4, 300});
  expect_layer_parity("linear of a 4-d input", [] { return std::make_unique<Linear>(64, 10); }, Shape{3, 4, 4, 4});
}

// Shapes a convolution first sees in this scope take the algorithm cuDNN's
// heuristics rank first; measured ones again after it.
struct HeuristicAlgorithmsScope {
  HeuristicAlgorithmsScope() { cuda::set_measured_algorithms(false); }
  ~HeuristicAlgorithmsScope() { cuda::set_measured_algorithms(true); }
};

TEST(CudaParity, ConvolutionsMatchTheCpuWithHeuristicAlgorithmsToo) {
  CONVOY_REQUIRE_GPU();
  HeuristicAlgorithmsScope heuristic;
  expect_layer_parity("conv 11x11 s4 (conv1), heuristic", [] { return std::make_unique<Conv2d>(3, 8, 11, 4, 0); },
                      Shape{2, 3, 39, 39});
  expect_layer_parity("conv 5x5 p2 (conv2), heuristic", [] { return std::make_unique<Conv2d>(8, 16, 5, 1, 2); },
                      Shape{2, 8, 13, 13});
}

// Training batches, a smaller last batch, an evaluation batch, training
// again: each shape keeps its own descriptors and algorithms. Then more
// shapes than a convolution keeps (8): the oldest is dropped, and made again
// when it comes back.
TEST(CudaParity, AConvolutionKeepsMatchingAsBatchShapesTakeTurns) {
  CONVOY_REQUIRE_GPU();
  ModulePair pair = on_both([] { return std::make_unique<Conv2d>(8, 16, 5, 1, 2); });
  for (const int64_t batch : {4, 3, 6, 4, 3, 1, 2, 5, 7, 8, 9, 10, 4, 3}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    expect_step_parity(pair, Shape{batch, 8, 13, 13}, StepContext{true, 5, 3, {}}, kFp32Bound);
  }
}

TEST(CudaParity, DropoutMasksAreTheCpusBitForBit) {
  CONVOY_REQUIRE_GPU();
  const std::vector<int64_t> ids{7, 123456, 0, 42};
  const Tensor x = random_tensor(Shape{4, 1001}, 3);
  Tensor mask_cpu, y_cpu, mask_gpu, y_gpu;
  backend_for(Device::kCPU).dropout_forward(x, 0.5f, 99, 17, 6, ids, mask_cpu, y_cpu);
  backend_for(kGpu).dropout_forward(x.to(kGpu), 0.5f, 99, 17, 6, ids, mask_gpu, y_gpu);
  EXPECT_EQ(to_vec(mask_gpu), to_vec(mask_cpu));
  EXPECT_EQ(to_vec(y_gpu), to_vec(y_cpu));
}

TEST(CudaParity, SoftmaxCrossEntropyMatchesTheCpu) {
  CONVOY_REQUIRE_GPU();
  const Tensor logits = random_tensor(Shape{5, 1000}, 4);
  const std::vector<int32_t> labels{0, 999, 500, 3, 3};
  SoftmaxCrossEntropy cpu, gpu;
  const double loss_cpu = cpu.forward(logits, labels);
  const double loss_gpu = gpu.forward(logits.to(kGpu), labels);
  EXPECT_NEAR(loss_gpu, loss_cpu, 1e-6 * std::abs(loss_cpu));
  EXPECT_LT(relative_error(gpu.grad_logits(), cpu.grad_logits()), kFp32Bound);
  EXPECT_LT(relative_error(gpu.probabilities(), cpu.probabilities()), kFp32Bound);
}

// AlexNet for the tests: 99x99 inputs, 10 classes.
std::unique_ptr<Sequential> small_alexnet() {
  models::AlexNetOptions options;
  options.num_classes = 10;
  options.input_size = 99;
  return models::make_alexnet(options);
}

// One SGD step of a whole model on each backend, from the same weights and
// batch: the loss, every gradient and every updated weight agree.
void expect_training_step_parity(const std::function<std::unique_ptr<Sequential>()>& make, const Shape& input,
                                 int64_t classes, double bound = kFp32Bound) {
  auto cpu = make(), gpu = make();
  initialize_parameters(cpu->parameters(), InitScheme::kXavier, 11);
  initialize_parameters(gpu->parameters(), InitScheme::kXavier, 11);
  gpu->to(kGpu);
  Sgd sgd_cpu(cpu->parameters(), SgdOptions{0.9, 5e-4, false});
  Sgd sgd_gpu(gpu->parameters(), SgdOptions{0.9, 5e-4, false});
  const Tensor x = random_tensor(input, 5);
  std::vector<int32_t> labels(static_cast<size_t>(input[0]));
  std::vector<int64_t> ids(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>((i * 7) % classes), ids[i] = 1000 + i;
  const StepContext ctx{true, 3, 1, ids};
  SoftmaxCrossEntropy loss_cpu, loss_gpu;
  const double l_cpu = loss_cpu.forward(cpu->forward(x, ctx), labels);
  const double l_gpu = loss_gpu.forward(gpu->forward(x.to(kGpu), ctx), labels);
  EXPECT_NEAR(l_gpu, l_cpu, bound / 10 * std::abs(l_cpu));
  cpu->backward(loss_cpu.grad_logits(), false, {});
  gpu->backward(loss_gpu.grad_logits(), false, {});
  const auto cpu_params = cpu->parameters(), gpu_params = gpu->parameters();
  for (size_t i = 0; i < cpu_params.size(); ++i)
    EXPECT_LT(relative_error(gpu_params[i]->grad, cpu_params[i]->grad), bound) << cpu_params[i]->name;
  sgd_cpu.step(0.01);
  sgd_gpu.step(0.01);
  for (size_t i = 0; i < cpu_params.size(); ++i)
    EXPECT_LT(relative_error(gpu_params[i]->value, cpu_params[i]->value), bound) << cpu_params[i]->name;
}

TEST(CudaParity, ALeNet5TrainingStepMatchesTheCpu) {
  CONVOY_REQUIRE_GPU();
  expect_training_step_parity([] { return models::make_lenet5(); }, Shape{16, 1, 28, 28}, 10);
}

TEST(CudaParity, ALeNet5TrainingStepInBf16StaysWithinBf16Precision) {
  CONVOY_REQUIRE_GPU();
  MathScope bf16(cuda::Math::kBf16);
  expect_training_step_parity([] { return models::make_lenet5(); }, Shape{16, 1, 28, 28}, 10, kBf16StepBound);
}

// Each of AlexNet's layers alone, at the shapes of the step test below
// (batch 4 of 99x99 images), from random inputs: the shapes at which cuDNN
// picks other algorithms than at the small shapes above. Prints every error.
TEST(CudaParity, EveryAlexNetLayerAtItsOwnShapeMatchesTheCpu) {
  CONVOY_REQUIRE_GPU();
  struct Case {
    std::string what;
    std::function<std::unique_ptr<Module>()> make;
    Shape input;
  };
  const LrnConfig lrn{5, 1e-4, 0.75, 2.0};
  const std::vector<Case> cases{
      {"conv1 11x11 s4", [] { return std::make_unique<Conv2d>(3, 96, 11, 4, 0); }, Shape{4, 3, 99, 99}},
      {"relu1", [] { return std::make_unique<Activation>(ActivationKind::kRelu); }, Shape{4, 96, 23, 23}},
      {"lrn1", [=] { return std::make_unique<Lrn>(lrn); }, Shape{4, 96, 23, 23}},
      {"pool1 3x3 s2", [] { return std::make_unique<Pool2d>(PoolingKind::kMax, 3, 2); }, Shape{4, 96, 23, 23}},
      {"conv2 5x5 p2", [] { return std::make_unique<Conv2d>(96, 256, 5, 1, 2); }, Shape{4, 96, 11, 11}},
      {"lrn2", [=] { return std::make_unique<Lrn>(lrn); }, Shape{4, 256, 11, 11}},
      {"conv3 3x3 p1", [] { return std::make_unique<Conv2d>(256, 384, 3, 1, 1); }, Shape{4, 256, 5, 5}},
      {"conv4 3x3 p1", [] { return std::make_unique<Conv2d>(384, 384, 3, 1, 1); }, Shape{4, 384, 5, 5}},
      {"conv5 3x3 p1", [] { return std::make_unique<Conv2d>(384, 256, 3, 1, 1); }, Shape{4, 384, 5, 5}},
      {"pool5 3x3 s2", [] { return std::make_unique<Pool2d>(PoolingKind::kMax, 3, 2); }, Shape{4, 256, 5, 5}},
      {"fc6", [] { return std::make_unique<Linear>(1024, 4096); }, Shape{4, 256, 2, 2}},
      {"fc7", [] { return std::make_unique<Linear>(4096, 4096); }, Shape{4, 4096}},
      {"fc8", [] { return std::make_unique<Linear>(4096, 10); }, Shape{4, 4096}},
  };
  const StepContext ctx{true, 3, 1, {}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ModulePair pair = on_both(c.make);
    const Tensor x = random_tensor(c.input, 1), x_gpu = x.to(kGpu);
    const Tensor& y_cpu = pair.cpu->forward(x, ctx);
    const Tensor& y_gpu = pair.gpu->forward(x_gpu, ctx);
    const double forward = relative_error(y_gpu, y_cpu);
    const Tensor dy = random_tensor(y_cpu.shape(), 2), dy_gpu = dy.to(kGpu);
    const double input_gradient =
        relative_error(pair.gpu->backward(dy_gpu, true, {}), pair.cpu->backward(dy, true, {}));
    std::printf("%-16s forward %.2e  input gradient %.2e", c.what.c_str(), forward, input_gradient);
    EXPECT_LT(forward, kFp32Bound) << "forward";
    EXPECT_LT(input_gradient, kFp32Bound) << "input gradient";
    const std::vector<Parameter*> cpu_params = pair.cpu->parameters(), gpu_params = pair.gpu->parameters();
    for (size_t i = 0; i < cpu_params.size(); ++i) {
      const double error = relative_error(gpu_params[i]->grad, cpu_params[i]->grad);
      std::printf("  %s %.2e", cpu_params[i]->name.c_str(), error);
      EXPECT_LT(error, kFp32Bound) << cpu_params[i]->name;
      // An error of 0 means equal sums, not two gradients never computed.
      EXPECT_GT(relative_error(Tensor::zeros(cpu_params[i]->grad.shape()), cpu_params[i]->grad), 0.5)
          << cpu_params[i]->name << ": the CPU's gradient is zero";
    }
    std::printf("\n");
  }
}

TEST(CudaParity, AnAlexNetTrainingStepMatchesTheCpu) {
  CONVOY_REQUIRE_GPU();
  expect_training_step_parity(small_alexnet, Shape{4, 3, 99, 99}, 10);
}

// Ops made in this scope take deterministic algorithms only (--deterministic).
struct DeterministicScope {
  DeterministicScope() { cuda::set_deterministic_algorithms(true); }
  ~DeterministicScope() { cuda::set_deterministic_algorithms(false); }
};

// One SGD step of a fresh AlexNet on the GPU (its own ops, so its own choice
// of algorithms) from seed-11 weights: the gradients and the new weights.
std::vector<testing::Vec> fresh_alexnet_step_on_the_gpu() {
  auto model = small_alexnet();
  initialize_parameters(model->parameters(), InitScheme::kXavier, 11);
  model->to(kGpu);
  Sgd sgd(model->parameters(), SgdOptions{0.9, 5e-4, false});
  const int64_t batch = 16;
  std::vector<int32_t> labels(static_cast<size_t>(batch));
  std::vector<int64_t> ids(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>((i * 7) % 10), ids[i] = 1000 + i;
  SoftmaxCrossEntropy loss;
  loss.forward(model->forward(random_tensor(Shape{batch, 3, 99, 99}, 5).to(kGpu), StepContext{true, 3, 1, ids}),
               labels);
  model->backward(loss.grad_logits(), false, {});
  std::vector<testing::Vec> state;
  for (Parameter* p : model->parameters()) state.push_back(to_vec(p->grad));
  sgd.step(0.01);
  for (Parameter* p : model->parameters()) state.push_back(to_vec(p->value));
  return state;
}

// --deterministic: two AlexNets built apart take bit-identical steps from the
// same weights and batch, in every precision; in fp32 the step also matches
// the CPU's. cuDNN must offer a deterministic algorithm for every direction
// of every convolution (it throws, naming the convolution, if not).
TEST(CudaParity, DeterministicAlgorithmsGiveBitIdenticalStepsInEveryPrecision) {
  CONVOY_REQUIRE_GPU();
  DeterministicScope deterministic;
  EXPECT_NE(backend_for(kGpu).name().find("deterministic algorithms"), std::string::npos) << backend_for(kGpu).name();
  for (const cuda::Math math : {cuda::Math::kFp32, cuda::Math::kTf32, cuda::Math::kBf16}) {
    MathScope scope(math);
    SCOPED_TRACE(backend_for(kGpu).name());
    const std::vector<testing::Vec> first = fresh_alexnet_step_on_the_gpu(), second = fresh_alexnet_step_on_the_gpu();
    ASSERT_EQ(first.size(), second.size());
    int64_t differing = 0;
    for (size_t i = 0; i < first.size(); ++i) differing += first[i] != second[i];
    EXPECT_EQ(differing, 0) << "of " << first.size() << " gradient and weight tensors differ between the runs";
  }
  expect_training_step_parity(small_alexnet, Shape{4, 3, 99, 99}, 10);
}

// One SGD step of LeNet-5 on `device` from seed-11 weights (momentum non-zero afterwards).
void take_a_step(Sequential& model, Sgd& sgd, Device device) {
  const Tensor x = random_tensor(Shape{8, 1, 28, 28}, 6).to(device);
  const std::vector<int32_t> labels{0, 1, 2, 3, 4, 5, 6, 7};
  SoftmaxCrossEntropy loss;
  loss.forward(model.forward(x, StepContext{true, 1, 0, {}}), labels);
  model.backward(loss.grad_logits(), false, {});
  sgd.step(0.05);
}

void expect_same_state(Sequential& a, Sgd& a_sgd, Sequential& b, Sgd& b_sgd) {
  const auto pa = a.parameters(), pb = b.parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(to_vec(pa[i]->value), to_vec(pb[i]->value)) << pa[i]->name;
    EXPECT_EQ(to_vec(a_sgd.velocities()[i]), to_vec(b_sgd.velocities()[i])) << pa[i]->name;
  }
}

TEST(CudaParity, ACheckpointWrittenOnTheGpuResumesOnTheCpuAndBack) {
  CONVOY_REQUIRE_GPU();
  const std::string folder = std::filesystem::temp_directory_path() / ("convoy_gpu_ckpt_" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  TrainingPosition position;
  position.model = "lenet5";
  position.global_step = 1;
  auto gpu = models::make_lenet5();
  initialize_parameters(gpu->parameters(), InitScheme::kXavier, 11);
  gpu->to(kGpu);
  Sgd gpu_sgd(gpu->parameters(), SgdOptions{0.9, 5e-4, false});
  take_a_step(*gpu, gpu_sgd, kGpu);
  save_checkpoint(folder + "/from_gpu.h5", gpu->parameters(), gpu_sgd.velocities(), position);
  auto cpu = models::make_lenet5();
  Sgd cpu_sgd(cpu->parameters(), SgdOptions{0.9, 5e-4, false});
  load_checkpoint(folder + "/from_gpu.h5", cpu->parameters(), &cpu_sgd.velocities());
  expect_same_state(*gpu, gpu_sgd, *cpu, cpu_sgd);
  save_checkpoint(folder + "/from_cpu.h5", cpu->parameters(), cpu_sgd.velocities(), position);
  auto back = models::make_lenet5();
  back->to(kGpu);
  Sgd back_sgd(back->parameters(), SgdOptions{0.9, 5e-4, false});
  load_checkpoint(folder + "/from_cpu.h5", back->parameters(), &back_sgd.velocities());
  expect_same_state(*cpu, cpu_sgd, *back, back_sgd);
  std::filesystem::remove_all(folder);
}

TEST(CudaParity, AThousandTrainingStepsKeepDeviceMemoryFlat) {
  CONVOY_REQUIRE_GPU();
  auto model = models::make_lenet5();
  initialize_parameters(model->parameters(), InitScheme::kXavier, 11);
  model->to(kGpu);
  Sgd sgd(model->parameters(), SgdOptions{0.9, 5e-4, false});
  for (int step = 0; step < 10; ++step) take_a_step(*model, sgd, kGpu);  // buffers made once
  const auto settled = cuda::caching_allocator(0).stats();
  for (int step = 10; step < 1000; ++step) take_a_step(*model, sgd, kGpu);
  const auto after = cuda::caching_allocator(0).stats();
  EXPECT_EQ(after.device_mallocs, settled.device_mallocs) << "cudaMalloc during training";
  EXPECT_EQ(after.in_use_bytes, settled.in_use_bytes);
}

}  // namespace
}  // namespace convoy
