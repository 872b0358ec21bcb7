// The CUDA backend's pieces. Tests that need a GPU skip, visibly and with the
// reason, on a machine without one (ctest reports them as skipped, never as
// passed); the others check the build itself: the libraries linked are the
// ones compiled against, and failed calls are named.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <gtest/gtest.h>
#include <nccl.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/caching_allocator.h"
#include "backend/cuda/cublas_on_demand.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_kernels.h"
#include "backend/device_platform.h"
#include "core/error.h"
#include "distributed/device_communicators.h"
#include "tensor/device_runtime.h"
#include "gpu/gpu_test_support.h"
#include "reference/gradcheck.h"

namespace convoy {
namespace {

using testing::random_vec;
using testing::relative_error;
using testing::to_tensor;
using testing::to_vec;

TEST(CudaLibraries, TheLinkedLibrariesAreTheOnesCompiledAgainst) {
  EXPECT_EQ(cudnnGetVersion() / 10000, CUDNN_MAJOR);  // 9xxyy
  int nccl = 0;
  ASSERT_EQ(ncclGetVersion(&nccl), ncclSuccess);
  EXPECT_EQ(nccl / 10000, NCCL_MAJOR);
  int cublas_major = 0;
  ASSERT_EQ(cublasGetProperty(MAJOR_VERSION, &cublas_major), CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(cublas_major, CUBLAS_VER_MAJOR);
  int runtime = 0;
  ASSERT_EQ(cudaRuntimeGetVersion(&runtime), cudaSuccess);
  EXPECT_EQ(runtime / 1000, CUDART_VERSION / 1000);
  int driver = 0;
  cudaDriverGetVersion(&driver);
  std::printf("libraries: cuDNN %zu, NCCL %d, cuBLAS %d, CUDA runtime %d, driver %d (compiled against cuDNN %d, NCCL %d)\n",
              cudnnGetVersion(), nccl, cublas_major, runtime, driver, CUDNN_VERSION, NCCL_VERSION_CODE);
}

// Runs without a GPU: the CUDA backend and NCCL registered themselves when
// this program started (the link anchors of framework/CMakeLists.txt brought
// their registration in), so tensors, backends and communicators on CUDA
// devices find them through the seams.
TEST(CudaRegistration, TheBackendAndNcclRegisteredThemselvesAtStartUp) {
  EXPECT_NE(find_device_runtime(DeviceKind::kCUDA), nullptr);
  EXPECT_NE(find_device_platform(DeviceKind::kCUDA), nullptr);
  EXPECT_NE(find_device_communicator(DeviceKind::kCUDA), nullptr);
  EXPECT_EQ(find_device_runtime(DeviceKind::kCPU), nullptr);  // the host is tensor/'s own
}

// cuBLAS is opened on first use (backend/cuda/cublas_on_demand.cpp): it
// opens here, and each function convoy calls reaches the library's own, which
// refuses a null handle (no GPU needed for that).
TEST(CudaLibraries, CublasOpensOnDemandAndEveryForwardedFunctionReachesIt) {
  std::string why;
  ASSERT_TRUE(cuda::cublas_loads(&why)) << why;
  EXPECT_STREQ(cublasGetStatusName(CUBLAS_STATUS_NOT_INITIALIZED), "CUBLAS_STATUS_NOT_INITIALIZED");
  EXPECT_NE(std::string(cublasGetStatusString(CUBLAS_STATUS_NOT_INITIALIZED)), "");
  cublasHandle_t none = nullptr;
  float x = 0, y = 0;
  const float one = 1;
  EXPECT_EQ(cublasSetStream(none, nullptr), CUBLAS_STATUS_NOT_INITIALIZED);
  EXPECT_EQ(cublasSetMathMode(none, CUBLAS_PEDANTIC_MATH), CUBLAS_STATUS_NOT_INITIALIZED);
  EXPECT_EQ(cublasSgemv(none, CUBLAS_OP_N, 1, 1, &one, &x, 1, &x, 1, &one, &y, 1), CUBLAS_STATUS_NOT_INITIALIZED);
  EXPECT_EQ(cublasSgemm(none, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, &one, &x, 1, &x, 1, &one, &y, 1),
            CUBLAS_STATUS_NOT_INITIALIZED);
  EXPECT_EQ(cublasGemmEx(none, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, &one, &x, CUDA_R_32F, 1, &x, CUDA_R_32F, 1, &one,
                         &y, CUDA_R_32F, 1, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
            CUBLAS_STATUS_NOT_INITIALIZED);
  if (cuda::device_count() == 0) {
    cublasHandle_t handle = nullptr;
    EXPECT_NE(cublasCreate(&handle), CUBLAS_STATUS_SUCCESS) << "no GPU, no handle";
  }
}

TEST(CudaRuntime, NoDeviceComesWithItsReason) {
  std::string why;
  const int count = cuda::device_count(&why);
  if (count == 0) {
    EXPECT_NE(why.find("cudaGetDeviceCount"), std::string::npos) << why;
  } else {
    EXPECT_TRUE(why.empty()) << why;
    EXPECT_FALSE(cuda::describe_device(0).empty());
  }
}

TEST(CudaCheck, AFailedCallIsNamedWithWhatItWasFor) {
  // Device 1<<20 exists nowhere: without a GPU the call fails for want of a
  // driver, with one for a bad ordinal. Either way the message says which
  // call failed, for what, and the runtime's name of the error.
  try {
    CONVOY_CUDA(cudaSetDevice, "probe", 1 << 20);
    FAIL() << "cudaSetDevice(1 << 20) succeeded";
  } catch (const Error& e) {
    const std::string text = e.message();
    EXPECT_EQ(text.rfind("cudaSetDevice(probe): ", 0), 0u) << text;
    EXPECT_NE(text.find("(cudaError"), std::string::npos) << text;
  }
  // A bad ordinal is not sticky: the check cleared it. (Without a driver
  // every call fails alike, so there is nothing to clear.)
  if (cuda::device_count() > 0) {
    EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  }
}

TEST(CudaCheck, LibraryStatusesAreNamed) {
  try {
    cuda::check(CUDNN_STATUS_BAD_PARAM, "cudnnConvolutionForward", "conv2");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message().rfind("cudnnConvolutionForward(conv2): CUDNN_STATUS_BAD_PARAM", 0), 0u) << e.message();
  }
  try {
    cuda::check(CUBLAS_STATUS_INVALID_VALUE, "cublasSgemm_v2", "fc6");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message().rfind("cublasSgemm_v2(fc6): CUBLAS_STATUS_INVALID_VALUE", 0), 0u) << e.message();
  }
  try {
    cuda::check(ncclInvalidArgument, "ncclAllReduce", "bucket 0");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message().rfind("ncclAllReduce(bucket 0): invalid argument", 0), 0u) << e.message();
  }
}

TEST(CudaDevice, ASessionWithoutThatDeviceIsAUserErrorNamingTheOption) {
  try {
    cuda::require_device(1 << 20, "--device cuda:1048576");
    FAIL();
  } catch (const Error& e) {
    EXPECT_TRUE(e.is_user_error());
    EXPECT_EQ(e.message().rfind("--device cuda:1048576: ", 0), 0u) << e.message();
  }
}

TEST(CachingAllocator, RoundsSmallAndLargeRequests) {
  EXPECT_EQ(cuda::CachingAllocator::rounded_size(0), 512u);
  EXPECT_EQ(cuda::CachingAllocator::rounded_size(1), 512u);
  EXPECT_EQ(cuda::CachingAllocator::rounded_size(513), 1024u);
  EXPECT_EQ(cuda::CachingAllocator::rounded_size((1u << 20) - 1), 1u << 20);
  EXPECT_EQ(cuda::CachingAllocator::rounded_size((1u << 20) + 1), 2u << 20);
  EXPECT_EQ(cuda::CachingAllocator::rounded_size((5u << 20) + 1), 6u << 20);
}

TEST(CachingAllocator, AFreedBlockServesTheNextRequestWithoutCudaMalloc) {
  CONVOY_REQUIRE_GPU();
  cuda::CachingAllocator allocator(0);
  void* first = allocator.allocate(3 << 20);
  allocator.deallocate(first);
  void* second = allocator.allocate((3 << 20) - 100);
  EXPECT_EQ(second, first);
  EXPECT_EQ(allocator.stats().device_mallocs, 1);
  void* other = allocator.allocate(3 << 20);  // the cached one is taken: a new block
  EXPECT_NE(other, first);
  EXPECT_EQ(allocator.stats().device_mallocs, 2);
  allocator.deallocate(second);
  allocator.deallocate(other);
  EXPECT_EQ(allocator.stats().in_use_bytes, 0u);
  allocator.release_cache();
  EXPECT_EQ(allocator.stats().cached_bytes, 0u);
}

// A request no device can hold: the cache goes back to the driver and
// cudaMalloc is tried once more, then a user error names the device, the
// size and what tensors hold. The allocator stays usable.
TEST(CachingAllocator, AnImpossibleRequestReturnsTheCacheThenIsAUserError) {
  CONVOY_REQUIRE_GPU();
  cuda::CachingAllocator allocator(0);
  void* held = allocator.allocate(8 << 20);
  allocator.deallocate(allocator.allocate(16 << 20));  // a cached block
  ASSERT_GT(allocator.stats().cached_bytes, 0u);
  const size_t impossible = size_t{1} << 50;  // 1 PiB
  try {
    allocator.allocate(impossible);
    FAIL() << "1 PiB was allocated";
  } catch (const Error& e) {
    EXPECT_TRUE(e.is_user_error());
    EXPECT_NE(e.message().find("out of GPU memory on device 0: " + std::to_string(impossible) + " bytes asked"),
              std::string::npos)
        << e.message();
    EXPECT_NE(e.message().find(std::to_string(8 << 20) + " held by tensors (try a smaller --batch-size)"),
              std::string::npos)
        << e.message();
  }
  EXPECT_EQ(allocator.stats().cached_bytes, 0u) << "the cache went back to the driver before the retry";
  void* after = allocator.allocate(1 << 20);
  EXPECT_NE(after, nullptr);
  allocator.deallocate(after);
  allocator.deallocate(held);
}

TEST(CachingAllocator, AThousandStepsOfTheSameBuffersStayFlat) {
  CONVOY_REQUIRE_GPU();
  cuda::CachingAllocator allocator(0);
  const std::vector<size_t> sizes{4096, 1 << 20, 37 << 20, 600, 9 << 20};
  size_t first_reserved = 0;
  for (int step = 0; step < 1000; ++step) {
    std::vector<void*> blocks;
    for (size_t size : sizes) blocks.push_back(allocator.allocate(size));
    for (void* block : blocks) allocator.deallocate(block);
    const auto stats = allocator.stats();
    if (step == 0) first_reserved = stats.cached_bytes;
    ASSERT_EQ(stats.cached_bytes, first_reserved) << "step " << step;
  }
  EXPECT_EQ(allocator.stats().device_mallocs, static_cast<int64_t>(sizes.size()));
}

TEST(CudaTensor, WithoutAGpuATensorOnCudaIsAUserErrorWithTheReason) {
  std::string why;
  if (cuda::device_count(&why) > 0) GTEST_SKIP() << "this machine has a GPU";
  try {
    Tensor::empty(Shape{4}, Device::cuda(0));
    FAIL();
  } catch (const Error& e) {
    EXPECT_TRUE(e.is_user_error());
    EXPECT_NE(e.message().find("tensor on cuda:0: this machine has no usable CUDA device (cudaGetDeviceCount"),
              std::string::npos)
        << e.message();
  }
}

TEST(CudaTensor, CopiesToTheDeviceAndBackExactly) {
  CONVOY_REQUIRE_GPU();
  const Tensor host = to_tensor(random_vec(1000, 7), Shape{10, 100});
  const Tensor device = host.to(Device::cuda(0));
  EXPECT_EQ(device.device(), Device::cuda(0));
  EXPECT_EQ(to_vec(device.to(Device::kCPU)), to_vec(host));
  EXPECT_EQ(device.to(Device::cuda(0)).device_data(), device.device_data());  // already there: shared
}

TEST(CudaTensor, AHostReadOfADeviceTensorIsAnErrorNotACrash) {
  CONVOY_REQUIRE_GPU();
  Tensor device = Tensor::empty(Shape{3, 5}, Device::cuda(0));
  try {
    (void)device.data();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("host access to a (3, 5) tensor on cuda:0: "), std::string::npos) << e.message();
  }
  device.fill(1.5f);  // fill and copies work on any device
  const Tensor back = device.to(Device::kCPU);
  EXPECT_EQ(std::vector<float>(back.data(), back.data() + 15), std::vector<float>(15, 1.5f));
}

TEST(CudaTensor, StorageComesFromTheCachingAllocator) {
  CONVOY_REQUIRE_GPU();
  { Tensor warm = Tensor::empty(Shape{1000, 1000}, Device::cuda(0)); }  // a 4 MB block, now cached
  const int64_t before = cuda::caching_allocator(0).stats().device_mallocs;
  for (int i = 0; i < 10; ++i) {
    Tensor a = Tensor::empty(Shape{1000, 1000}, Device::cuda(0));
    a.fill(static_cast<float>(i));
  }
  EXPECT_EQ(cuda::caching_allocator(0).stats().device_mallocs, before);  // every one a cached block
}

TEST(CudaKernels, SgdStepMatchesTheCpuBackend) {
  CONVOY_REQUIRE_GPU();
  const int64_t n = 100003;  // not a multiple of the block size
  const SgdHyper hyper{0.05f, 0.9f, 5e-4f, 0.25f};
  Tensor w = to_tensor(random_vec(n, 1), Shape{n}), v = to_tensor(random_vec(n, 3), Shape{n});
  const Tensor grad = to_tensor(random_vec(n, 2), Shape{n});
  Tensor gpu_w = w.to(Device::cuda(0)), gpu_v = v.to(Device::cuda(0));
  const Tensor gpu_grad = grad.to(Device::cuda(0));
  backend_for(Device::kCPU).sgd_step(w, grad, v, hyper);  // the reference
  cuda::sgd_step(gpu_w.device_data(), gpu_grad.device_data(), gpu_v.device_data(), n, hyper.lr, hyper.momentum,
                 hyper.weight_decay, hyper.grad_scale, cuda::context(0).stream);
  EXPECT_LT(relative_error(to_vec(gpu_w), to_vec(w)), 1e-6);
  EXPECT_LT(relative_error(to_vec(gpu_v), to_vec(v)), 1e-6);
}

}  // namespace
}  // namespace convoy
