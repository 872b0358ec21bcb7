#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_kernels.h"

namespace convoy::cuda {

namespace {
constexpr int kThreads = 256;

unsigned int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(blocks < 65535 * 8 ? blocks : 65535 * 8);  // grid-stride beyond
}

__global__ void sgd_step_kernel(float* __restrict__ w, const float* __restrict__ g, float* __restrict__ v,
                                int64_t n, float lr, float mu, float wd, float scale) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    // Separate multiplies and adds, as the CPU loop: no fused multiply-add.
    const float d = __fadd_rn(__fmul_rn(scale, g[i]), __fmul_rn(wd, w[i]));
    const float velocity = __fadd_rn(__fmul_rn(mu, v[i]), d);
    v[i] = velocity;
    w[i] = __fsub_rn(w[i], __fmul_rn(lr, velocity));
  }
}
}  // namespace

void sgd_step(float* weight, const float* grad, float* velocity, int64_t n, float lr, float momentum,
              float weight_decay, float grad_scale, cudaStream_t stream) {
  if (n == 0) return;
  sgd_step_kernel<<<blocks_for(n), kThreads, 0, stream>>>(weight, grad, velocity, n, lr, momentum, weight_decay,
                                                          grad_scale);
  check_launch("sgd_step_kernel", "SGD step");
}

}  // namespace convoy::cuda
