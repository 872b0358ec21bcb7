// The seams through which a device's backend joins convoy (tensor/device_runtime.h,
// backend/device_platform.h, distributed/device_communicators.h): what tensor/,
// backend/ and distributed/ ask of a device goes to what was registered for
// its kind, with the device's index; without a registration it is a user
// error naming the operation. A fake device stands in for a GPU, so this runs
// on any machine and in any build; the real registration is restored after.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "backend/batch_uploader.h"
#include "backend/device_choice.h"
#include "backend/device_platform.h"
#include "core/error.h"
#include "tensor/allocator.h"
#include "tensor/device_runtime.h"

namespace convoy {
namespace {

struct FakeAllocator final : Allocator {
  std::vector<size_t> sizes;
  void* allocate(size_t bytes) override {
    sizes.push_back(bytes);
    return std::malloc(bytes);
  }
  void deallocate(void* block) override { std::free(block); }
};

struct FakeRuntime final : DeviceRuntime {
  FakeAllocator allocators[4];
  std::vector<int> copies_to, copies_from, synchronised;
  Allocator& allocator(int index) override { return allocators[index]; }
  void copy(void* dst, int dst_index, const void* src, int src_index, size_t bytes) override {
    std::memcpy(dst, src, bytes);
    copies_to.push_back(dst_index);
    copies_from.push_back(src_index);
  }
  void synchronize(int index) override { synchronised.push_back(index); }
  void fill(float* data, int, float value, size_t count) override { std::fill(data, data + count, value); }
};

struct FakePlatform final : DevicePlatform {
  int math_calls = 0;
  Precision precision = Precision::kFp32;
  Backend& backend(int) override { CONVOY_THROW("not used"); }
  std::unique_ptr<BatchUploader> make_batch_uploader(int) override { return nullptr; }
  int usable_devices(std::string* why, std::string* brief) override {
    if (why) *why = "fake";
    if (brief) *brief = "fake";
    return 3;
  }
  void configure_math(Precision p, bool, bool) override {
    ++math_calls;
    precision = p;
  }
  std::string physical_id(int index) override { return "fake:" + std::to_string(index); }
};

// Registers the fakes for the CUDA kind for one test and puts back what was there.
class DeviceSeams : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_runtime_ = register_device_runtime(DeviceKind::kCUDA, &runtime_);
    previous_platform_ = register_device_platform(DeviceKind::kCUDA, &platform_);
  }
  void TearDown() override {
    register_device_runtime(DeviceKind::kCUDA, previous_runtime_);
    register_device_platform(DeviceKind::kCUDA, previous_platform_);
  }
  FakeRuntime runtime_;
  FakePlatform platform_;
  DeviceRuntime* previous_runtime_ = nullptr;
  DevicePlatform* previous_platform_ = nullptr;
};

TEST_F(DeviceSeams, TensorMemoryOfADeviceGoesToItsRegisteredRuntime) {
  Allocator& allocator = allocator_for(Device::cuda(2));
  void* block = allocator.allocate(100);
  EXPECT_EQ(runtime_.allocators[2].sizes, std::vector<size_t>{100});
  float host[3] = {1, 2, 3};
  copy_bytes(block, Device::cuda(2), host, Device::kCPU, sizeof host);
  float back[3] = {};
  copy_bytes(back, Device::kCPU, block, Device::cuda(2), sizeof back);
  EXPECT_EQ(back[2], 3.0f);
  EXPECT_EQ(runtime_.copies_to, (std::vector<int>{2, -1}));
  EXPECT_EQ(runtime_.copies_from, (std::vector<int>{-1, 2}));
  fill_floats(static_cast<float*>(block), Device::cuda(2), 7.0f, 3);
  copy_bytes(back, Device::kCPU, block, Device::cuda(2), sizeof back);
  EXPECT_EQ(back[0], 7.0f);
  synchronize(Device::cuda(1));
  synchronize(Device::kCPU);  // the host has nothing to wait for
  EXPECT_EQ(runtime_.synchronised, std::vector<int>{1});
  allocator.deallocate(block);
  // The host never goes through a runtime.
  void* host_block = allocator_for(Device::kCPU).allocate(64);
  allocator_for(Device::kCPU).deallocate(host_block);
  EXPECT_EQ(runtime_.allocators[0].sizes.size(), 0u);
}

TEST_F(DeviceSeams, DeviceChoiceAndMathGoToTheRegisteredPlatform) {
  EXPECT_EQ(usable_cuda_devices(), 3);
  EXPECT_EQ(choose_device("cuda", 4).device, Device::cuda(1));  // local rank 4 mod 3 devices
  EXPECT_EQ(choose_device("auto", 0).device, Device::cuda(0));
  configure_gpu_math(Precision::kBf16, false, ConvAlgorithms::kMeasured);
  EXPECT_EQ(platform_.math_calls, 1);
  EXPECT_EQ(platform_.precision, Precision::kBf16);
}

TEST_F(DeviceSeams, WithoutARegistrationADeviceIsAUserErrorNamingTheOperation) {
  register_device_runtime(DeviceKind::kCUDA, nullptr);
  register_device_platform(DeviceKind::kCUDA, nullptr);
  try {
    allocator_for(Device::cuda(0));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(e.is_user_error());
    EXPECT_NE(std::string(e.what()).find("a tensor on cuda:0: this build of convoy has no CUDA backend"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(make_batch_uploader(Device::cuda(0)), Error);
  EXPECT_EQ(usable_cuda_devices(), 0);
  configure_gpu_math(Precision::kTf32, true, ConvAlgorithms::kHeuristic);  // nothing to configure: no error either
  synchronize(Device::cuda(0));                        // nor here
  EXPECT_EQ(choose_device("auto", 0).device, Device::kCPU);
}

}  // namespace
}  // namespace convoy
