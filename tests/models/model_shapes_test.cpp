// Layer output shapes and parameter counts against docs/models.md and §2.
#include <gtest/gtest.h>

#include <sstream>

#include "models/alexnet.h"
#include "models/lenet5.h"
#include "nn/summary.h"

namespace convoy::models {
namespace {

std::vector<Shape> shapes_after(Sequential& net, Shape shape) {
  std::vector<Shape> out;
  for (size_t i = 0; i < net.size(); ++i) out.push_back(shape = net.at(i).output_shape(shape));
  return out;
}

Shape after(Sequential& net, const std::string& name, const Shape& input) {
  Shape shape = input;
  for (size_t i = 0; i < net.size(); ++i) {
    shape = net.at(i).output_shape(shape);
    if (net.at(i).name() == name) return shape;
  }
  ADD_FAILURE() << "no layer " << name;
  return shape;
}

TEST(LeNet5, ShapesAndParameterCountMatchSpec) {
  auto net = make_lenet5();
  const Shape in{8, 1, 28, 28};
  EXPECT_EQ(after(*net, "conv1", in), (Shape{8, 6, 28, 28}));
  EXPECT_EQ(after(*net, "pool1", in), (Shape{8, 6, 14, 14}));
  EXPECT_EQ(after(*net, "conv2", in), (Shape{8, 16, 10, 10}));
  EXPECT_EQ(after(*net, "pool2", in), (Shape{8, 16, 5, 5}));
  EXPECT_EQ(after(*net, "flatten", in), (Shape{8, 400}));
  EXPECT_EQ(after(*net, "fc1", in), (Shape{8, 120}));
  EXPECT_EQ(after(*net, "fc2", in), (Shape{8, 84}));
  EXPECT_EQ(after(*net, "fc3", in), (Shape{8, 10}));
  EXPECT_EQ(net->parameter_count(), 61706);
}

TEST(AlexNet, ShapesAndParameterCountMatchSpec) {
  auto net = make_alexnet();
  const Shape in{2, 3, 227, 227};
  EXPECT_EQ(after(*net, "conv1", in), (Shape{2, 96, 55, 55}));
  EXPECT_EQ(after(*net, "pool1", in), (Shape{2, 96, 27, 27}));
  EXPECT_EQ(after(*net, "conv2", in), (Shape{2, 256, 27, 27}));
  EXPECT_EQ(after(*net, "pool2", in), (Shape{2, 256, 13, 13}));
  EXPECT_EQ(after(*net, "conv3", in), (Shape{2, 384, 13, 13}));
  EXPECT_EQ(after(*net, "conv4", in), (Shape{2, 384, 13, 13}));
  EXPECT_EQ(after(*net, "conv5", in), (Shape{2, 256, 13, 13}));
  EXPECT_EQ(after(*net, "pool5", in), (Shape{2, 256, 6, 6}));
  EXPECT_EQ(after(*net, "flatten", in), (Shape{2, 9216}));
  EXPECT_EQ(after(*net, "fc6", in), (Shape{2, 4096}));
  EXPECT_EQ(after(*net, "fc7", in), (Shape{2, 4096}));
  EXPECT_EQ(after(*net, "fc8", in), (Shape{2, 1000}));
  EXPECT_EQ(net->parameter_count(), 62378344);
  // LRN follows the ReLU of conv1 and conv2, before pooling.
  std::vector<std::string> order;
  for (size_t i = 0; i < net->size(); ++i) order.push_back(net->at(i).name());
  EXPECT_EQ(std::vector<std::string>(order.begin(), order.begin() + 8),
            (std::vector<std::string>{"conv1", "relu1", "lrn1", "pool1", "conv2", "relu2", "lrn2", "pool2"}));
}

TEST(AlexNet, ClassCountAndInputSizeAreOptions) {
  auto net = make_alexnet(AlexNetOptions{10, 224});
  const auto shapes = shapes_after(*net, Shape{1, 3, 224, 224});
  EXPECT_EQ(shapes.back(), (Shape{1, 10}));
  // 224 (no conv1 padding): 54 -> 26 -> 12 -> 5.
  EXPECT_EQ(after(*net, "pool5", Shape{1, 3, 224, 224}), (Shape{1, 256, 5, 5}));
}

TEST(Summary, EndsWithParameterCount) {
  auto net = make_lenet5();
  std::ostringstream out;
  print_summary(out, *net, Shape{1, 1, 28, 28});
  const std::string text = out.str();
  EXPECT_NE(text.find("conv1"), std::string::npos);
  EXPECT_NE(text.find("(1, 16, 5, 5)"), std::string::npos);
  EXPECT_EQ(text.substr(text.rfind("params:")), "params: 61706\n");
}

}  // namespace
}  // namespace convoy::models
