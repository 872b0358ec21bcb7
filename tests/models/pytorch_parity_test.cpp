// Whole networks against PyTorch: LeNet-5 and AlexNet (67x67, 10 classes,
// dropout off) on deterministic weights and inputs; the loss and every
// parameter gradient (norm and sampled entries) must match the vectors that
// tests/data/make_model_vectors.py made with Debian's PyTorch.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "models/alexnet.h"
#include "models/lenet5.h"
#include "nn/loss.h"

namespace convoy::models {
namespace {

nlohmann::json load_vectors() {
  const std::string path = std::string(CONVOY_TEST_DATA_DIR) + "/model_vectors.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  return nlohmann::json::parse(in);
}

// The formulas of make_model_vectors.py.
void fill_parameters(Sequential& model) {
  const auto params = model.parameters();
  for (size_t p = 0; p < params.size(); ++p) {
    Tensor& v = params[p]->value;
    const double scale = v.rank() > 1 ? 1.0 / std::sqrt(static_cast<double>(v.shape().per_sample())) : 0.1;
    for (int64_t j = 0; j < v.numel(); ++j)
      v.data()[j] = static_cast<float>(scale * std::sin(0.7 * static_cast<double>(j) + 0.3 * static_cast<double>(p)));
  }
}

Tensor make_input(const Shape& shape, double scale) {
  Tensor x = Tensor::empty(shape);
  for (int64_t j = 0; j < x.numel(); ++j)
    x.data()[j] = static_cast<float>(scale * std::sin(0.05 * static_cast<double>(j)));
  return x;
}

void expect_matches_pytorch(Sequential& model, const nlohmann::json& expected) {
  fill_parameters(model);
  const Shape input_shape(expected["input_shape"].get<std::vector<int64_t>>());
  const std::vector<int32_t> labels = expected["labels"].get<std::vector<int32_t>>();
  std::vector<int64_t> ids(labels.size());
  StepContext ctx;
  ctx.training = true;
  ctx.sample_ids = ids;
  SoftmaxCrossEntropy loss;
  const double value = loss.forward(model.forward(make_input(input_shape, expected["input_scale"].get<double>()), ctx), labels);
  EXPECT_NEAR(value, expected["loss"].get<double>(), 1e-5 * std::abs(value));
  model.backward(loss.grad_logits(), false, {});

  const auto params = model.parameters();
  const auto& grads = expected["gradients"];
  ASSERT_EQ(params.size(), grads.size());
  for (size_t p = 0; p < params.size(); ++p) {
    const Tensor& g = params[p]->grad;
    ASSERT_EQ(g.shape().dims(), grads[p]["shape"].get<std::vector<int64_t>>()) << params[p]->name;
    double norm = 0;
    for (int64_t j = 0; j < g.numel(); ++j) norm += static_cast<double>(g.data()[j]) * g.data()[j];
    norm = std::sqrt(norm);
    const double expected_norm = grads[p]["norm"].get<double>();
    EXPECT_NEAR(norm, expected_norm, 1e-4 * expected_norm) << params[p]->name;
    const auto picks = grads[p]["picks"].get<std::vector<int64_t>>();
    const auto values = grads[p]["values"].get<std::vector<double>>();
    for (size_t k = 0; k < picks.size(); ++k)
      EXPECT_NEAR(g.data()[picks[k]], values[k], 1e-4 * expected_norm) << params[p]->name << "[" << picks[k] << "]";
  }
}

TEST(PyTorchParity, LeNet5LossAndGradients) {
  auto model = make_lenet5();
  expect_matches_pytorch(*model, load_vectors()["lenet5"]);
}

TEST(PyTorchParity, AlexNetLossAndGradients) {
  AlexNetOptions options;
  options.num_classes = 10;
  options.input_size = 67;
  options.dropout = 0.0;
  auto model = make_alexnet(options);
  expect_matches_pytorch(*model, load_vectors()["alexnet"]);
}

}  // namespace
}  // namespace convoy::models
