// Tensor views: memory sharing, and the rule that a view into part of a larger
// allocation (a gradient inside an all-reduce bucket) never silently moves.
#include "tensor/tensor.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace convoy {
namespace {

TEST(Tensor, ViewAtSharesTheRangeItNames) {
  Tensor flat = Tensor::zeros(Shape{10});
  Tensor part = flat.view_at(4, Shape{2, 3});
  EXPECT_EQ(part.data(), flat.data() + 4);
  EXPECT_TRUE(part.is_bound_view());
  EXPECT_FALSE(flat.is_bound_view());
  part.fill(7.0f);
  EXPECT_EQ(flat.data()[3], 0.0f);
  EXPECT_EQ(flat.data()[4], 7.0f);
  EXPECT_EQ(flat.data()[9], 7.0f);
  EXPECT_THROW(flat.view_at(5, Shape{2, 3}), Error);  // past the end
  EXPECT_THROW(flat.view_at(-1, Shape{1}), Error);
}

TEST(Tensor, BoundViewNeverReallocates) {
  Tensor flat = Tensor::zeros(Shape{12});
  Tensor part = flat.view_at(6, Shape{6});
  float* before = part.data();
  part.ensure_shape(Shape{2, 3});  // same elements, another shape: stays
  EXPECT_EQ(part.data(), before);
  EXPECT_EQ(part.shape(), (Shape{2, 3}));
  // Growing would need new memory: an error, not a silent move out of `flat`.
  EXPECT_THROW(part.ensure_shape(Shape{7}), Error);
  EXPECT_EQ(part.data(), before);
  // The first view (offset 0) is bound too, although its storage is larger.
  Tensor first = flat.view_at(0, Shape{6});
  EXPECT_THROW(first.ensure_shape(Shape{8}), Error);
  // Batch slices are bound views as well.
  Tensor rows = Tensor::zeros(Shape{4, 3}).slice_batch(1, 3);
  EXPECT_TRUE(rows.is_bound_view());
  EXPECT_THROW(rows.ensure_shape(Shape{4, 3}), Error);
}

TEST(Tensor, OwnedTensorReusesOrGrowsItsMemory) {
  Tensor t = Tensor::zeros(Shape{8});
  float* before = t.data();
  t.ensure_shape(Shape{2, 2});
  EXPECT_EQ(t.data(), before);
  t.ensure_shape(Shape{100});
  EXPECT_EQ(t.numel(), 100);
}

}  // namespace
}  // namespace convoy

namespace convoy {
namespace {

TEST(Device, ParsesAndNamesDevices) {
  EXPECT_EQ(parse_device("cpu", "--device"), Device::kCPU);
  EXPECT_EQ(parse_device("cuda", "--device"), Device::cuda(0));
  EXPECT_EQ(parse_device("cuda:3", "--device"), Device::cuda(3));
  EXPECT_EQ(to_string(Device::cuda(3)), "cuda:3");
  EXPECT_EQ(to_string(Device::kCPU), "cpu");
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda:-1", "cuda:123456", "CPU", ""}) {
    try {
      parse_device(bad, "--device");
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_TRUE(e.is_user_error());
      EXPECT_EQ(e.message(), std::string("--device '") + bad + "' is not a device: use cpu, cuda or cuda:N");
    }
  }
}

TEST(Tensor, ToTheDeviceItIsOnSharesItsMemory) {
  Tensor t = Tensor::zeros(Shape{2, 3});
  const Tensor same = t.to(Device::kCPU);
  EXPECT_EQ(same.data(), t.data());
}

TEST(Shape, PerSampleOfAnEmptyBatch) {
  // Used to divide the element count by the batch: SIGFPE for a batch of 0.
  EXPECT_EQ(Shape({0, 3, 4, 5}).per_sample(), 60);
  EXPECT_EQ(Shape({7, 3, 4, 5}).per_sample(), 60);
  EXPECT_EQ(Shape({2}).per_sample(), 1);
  EXPECT_THROW(Shape(std::vector<int64_t>{}).per_sample(), Error);
}

}  // namespace
}  // namespace convoy
