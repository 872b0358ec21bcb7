#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_kernels.h"
#include "core/bfloat16.h"
#include "core/philox.h"
#include "core/philox_block.h"

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
__global__ void dropout_kernel(const float* __restrict__ x, float* __restrict__ mask, float* __restrict__ y,
                               int64_t batch, int64_t width, float keep, uint32_t key0, uint32_t key1, uint32_t step,
                               uint32_t layer, const int64_t* __restrict__ sample_ids) {
  // One thread per block of 4 elements of a row (one Philox evaluation).
  const int64_t blocks_per_row = (width + 3) / 4;
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < batch * blocks_per_row;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t b = t / blocks_per_row, block = t % blocks_per_row;
    const philox::Words words = philox::block(
        philox::counter(static_cast<uint32_t>(block), static_cast<uint32_t>(RandomPurpose::kDropout), layer, step,
                        static_cast<uint32_t>(sample_ids[b])),
        key0, key1);
    const float scale = 1.0f / keep;
    for (int k = 0; k < 4; ++k) {
      const int64_t j = block * 4 + k;
      if (j >= width) break;
      const float factor = philox::uniform(words.w[k]) < keep ? scale : 0.0f;
      mask[b * width + j] = factor;
      y[b * width + j] = x[b * width + j] * factor;
    }
  }
}

__global__ void multiply_kernel(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out,
                                int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = a[i] * b[i];
}

__global__ void fill_kernel(float* values, float value, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    values[i] = value;
}

__global__ void add_bias_kernel(float* __restrict__ y, const float* __restrict__ bias, int64_t batch, int64_t width) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < batch * width;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] += bias[i % width];
}

// One thread block per row: the row's maximum, the sum of exponentials (in
// double, as the CPU), then the probabilities, gradient and loss.
__global__ void softmax_cross_entropy_kernel(const float* __restrict__ logits, const int32_t* __restrict__ labels,
                                             float* __restrict__ probabilities, float* __restrict__ grad,
                                             double* __restrict__ row_loss, int64_t batch, int64_t classes) {
  __shared__ float max_part[kThreads];
  __shared__ double sum_part[kThreads];
  const int64_t b = blockIdx.x;
  const float* z = logits + b * classes;
  float local_max = -INFINITY;
  for (int64_t c = threadIdx.x; c < classes; c += blockDim.x) local_max = fmaxf(local_max, z[c]);
  max_part[threadIdx.x] = local_max;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) max_part[threadIdx.x] = fmaxf(max_part[threadIdx.x], max_part[threadIdx.x + half]);
    __syncthreads();
  }
  const float z_max = max_part[0];
  double local_sum = 0.0;
  for (int64_t c = threadIdx.x; c < classes; c += blockDim.x) local_sum += exp(static_cast<double>(z[c] - z_max));
  sum_part[threadIdx.x] = local_sum;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) sum_part[threadIdx.x] += sum_part[threadIdx.x + half];
    __syncthreads();
  }
  const double log_sum = log(sum_part[0]);
  const int32_t label = labels[b];
  for (int64_t c = threadIdx.x; c < classes; c += blockDim.x) {
    const float p = static_cast<float>(exp(static_cast<double>(z[c] - z_max) - log_sum));
    probabilities[b * classes + c] = p;
    grad[b * classes + c] = (p - (c == label ? 1.0f : 0.0f)) / static_cast<float>(batch);
  }
  if (threadIdx.x == 0) row_loss[b] = log_sum - static_cast<double>(z[label] - z_max);
}

// One thread block per row: how many classes rank above the label.
__global__ void count_top_k_kernel(const float* __restrict__ scores, const int32_t* __restrict__ labels,
                                   int64_t classes, int k, unsigned long long* correct) {
  __shared__ int64_t better_part[kThreads];
  const int64_t b = blockIdx.x;
  const float* row = scores + b * classes;
  const int32_t label = labels[b];
  const float target = row[label];
  int64_t better = 0;
  for (int64_t c = threadIdx.x; c < classes; c += blockDim.x) better += row[c] > target || (row[c] == target && c < label);
  better_part[threadIdx.x] = better;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) better_part[threadIdx.x] += better_part[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0 && better_part[0] < k) atomicAdd(correct, 1ull);
}

// LRN: one thread per (image, spatial position), walking its channels
// (stride spatial). Channel c's window is [c - radius, c + radius] clipped to
// the channels; it is symmetric, so c lies in the windows of exactly the
// channels of its own window.
struct ChannelWindow {
  int64_t first, last;
};
__device__ inline ChannelWindow window_of(int64_t c, int radius, int64_t channels) {
  return {c - radius < 0 ? 0 : c - radius, c + radius < channels ? c + radius : channels - 1};
}
// Where (image, channel 0, position) lies for thread index t of batch * spatial.
__device__ inline int64_t position_base(int64_t t, int64_t channels, int64_t spatial) {
  return (t / spatial) * channels * spatial + t % spatial;
}

__global__ void lrn_forward_kernel(const float* __restrict__ x, float* __restrict__ y, float* __restrict__ scale,
                                   int64_t batch, int64_t channels, int64_t spatial, int radius, float alpha,
                                   float beta, float k) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < batch * spatial;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t base = position_base(t, channels, spatial);
    for (int64_t c = 0; c < channels; ++c) {
      const ChannelWindow w = window_of(c, radius, channels);
      float sum = 0.0f;
      for (int64_t j = w.first; j <= w.last; ++j) sum += x[base + j * spatial] * x[base + j * spatial];
      const int64_t at = base + c * spatial;
      scale[at] = k + alpha * sum;
      y[at] = x[at] * powf(scale[at], -beta);
    }
  }
}

__global__ void lrn_backward_kernel(const float* __restrict__ x, const float* __restrict__ y,
                                    const float* __restrict__ scale, const float* __restrict__ dy,
                                    float* __restrict__ dx, int64_t batch, int64_t channels, int64_t spatial,
                                    int radius, float alpha, float beta) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < batch * spatial;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t base = position_base(t, channels, spatial);
    for (int64_t c = 0; c < channels; ++c) {
      const ChannelWindow w = window_of(c, radius, channels);
      float sum = 0.0f;
      for (int64_t i = w.first; i <= w.last; ++i) {
        const int64_t in_window = base + i * spatial;
        sum += dy[in_window] * y[in_window] / scale[in_window];
      }
      const int64_t at = base + c * spatial;
      dx[at] = dy[at] * powf(scale[at], -beta) - 2.0f * alpha * beta * x[at] * sum;
    }
  }
}

__global__ void round_to_bf16_kernel(const float* __restrict__ src, uint16_t* __restrict__ dst, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    dst[i] = float_to_bf16(src[i]);
}

__global__ void widen_from_bf16_kernel(const uint16_t* __restrict__ src, float* __restrict__ dst, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    dst[i] = bf16_to_float(src[i]);
}

__global__ void add_widened_bf16_kernel(const uint16_t* __restrict__ src, float* __restrict__ dst, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    dst[i] += bf16_to_float(src[i]);
}

// One thread per output element (grid-stride), reading its byte where the
// host's rows would (pixel_origin).
__global__ void normalise_pixels_kernel(const uint8_t* __restrict__ pixels, const PixelTransform* __restrict__ maps,
                                        float* __restrict__ out, int64_t count, int64_t channels, int64_t height,
                                        int64_t width) {
  const int64_t n = count * channels * height * width;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const PixelOrigin origin = pixel_origin(i, maps, channels, height, width);
    const PixelAffine& map = maps[origin.sample].affine;
    const float value = pixels[origin.byte];
    out[i] = __fadd_rn(__fmul_rn(value, map.scale[origin.channel]), map.bias[origin.channel]);  // never fused
  }
}

// Each thread's first bad index, the warp's minimum of those, one atomic per
// warp (an all-NaN gradient must not mean one atomic per element).
__global__ void first_non_finite_kernel(const float* __restrict__ values, int64_t n, unsigned long long* first) {
  unsigned long long mine = ~0ull;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    if (!isfinite(values[i])) {
      mine = static_cast<unsigned long long>(i);
      break;
    }
  for (int offset = 16; offset > 0; offset /= 2) {
    const unsigned long long other = __shfl_down_sync(0xffffffffu, mine, offset);
    mine = other < mine ? other : mine;
  }
  if ((threadIdx.x & 31) == 0 && mine != ~0ull) atomicMin(first, mine);
}
}  // namespace

void sgd_step(float* weight, const float* grad, float* velocity, int64_t n, float lr, float momentum,
              float weight_decay, float grad_scale, cudaStream_t stream) {
  if (n == 0) return;
  sgd_step_kernel<<<blocks_for(n), kThreads, 0, stream>>>(weight, grad, velocity, n, lr, momentum, weight_decay,
                                                          grad_scale);
  check_launch("sgd_step_kernel", "SGD step");
}

void dropout_forward(const float* x, float* mask, float* y, int64_t batch, int64_t width, float keep, uint64_t seed,
                     uint32_t step, uint32_t layer, const int64_t* sample_ids, cudaStream_t stream) {
  if (batch == 0 || width == 0) return;
  dropout_kernel<<<blocks_for(batch * ((width + 3) / 4)), kThreads, 0, stream>>>(
      x, mask, y, batch, width, keep, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), step, layer,
      sample_ids);
  check_launch("dropout_kernel", "dropout");
}

void multiply(const float* a, const float* b, float* out, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  multiply_kernel<<<blocks_for(n), kThreads, 0, stream>>>(a, b, out, n);
  check_launch("multiply_kernel", "multiply");
}

void fill(float* values, float value, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  fill_kernel<<<blocks_for(n), kThreads, 0, stream>>>(values, value, n);
  check_launch("fill_kernel", "fill");
}

void add_bias(float* y, const float* bias, int64_t batch, int64_t width, cudaStream_t stream) {
  if (batch * width == 0) return;
  add_bias_kernel<<<blocks_for(batch * width), kThreads, 0, stream>>>(y, bias, batch, width);
  check_launch("add_bias_kernel", "bias");
}

void softmax_cross_entropy(const float* logits, const int32_t* labels, float* probabilities, float* grad,
                           double* row_loss, int64_t batch, int64_t classes, cudaStream_t stream) {
  if (batch == 0) return;
  softmax_cross_entropy_kernel<<<static_cast<unsigned int>(batch), kThreads, 0, stream>>>(
      logits, labels, probabilities, grad, row_loss, batch, classes);
  check_launch("softmax_cross_entropy_kernel", "softmax cross-entropy");
}

void count_top_k_correct(const float* scores, const int32_t* labels, int64_t batch, int64_t classes, int k,
                         unsigned long long* correct, cudaStream_t stream) {
  if (batch == 0) return;
  count_top_k_kernel<<<static_cast<unsigned int>(batch), kThreads, 0, stream>>>(scores, labels, classes, k, correct);
  check_launch("count_top_k_kernel", "top-k count");
}

void lrn_forward(const float* x, float* y, float* scale, int64_t batch, int64_t channels, int64_t spatial, int radius,
                 float alpha, float beta, float k, cudaStream_t stream) {
  if (batch * spatial == 0) return;
  lrn_forward_kernel<<<blocks_for(batch * spatial), kThreads, 0, stream>>>(x, y, scale, batch, channels, spatial,
                                                                            radius, alpha, beta, k);
  check_launch("lrn_forward_kernel", "LRN forward");
}

void lrn_backward(const float* x, const float* y, const float* scale, const float* dy, float* dx, int64_t batch,
                  int64_t channels, int64_t spatial, int radius, float alpha, float beta, cudaStream_t stream) {
  if (batch * spatial == 0) return;
  lrn_backward_kernel<<<blocks_for(batch * spatial), kThreads, 0, stream>>>(x, y, scale, dy, dx, batch, channels,
                                                                             spatial, radius, alpha, beta);
  check_launch("lrn_backward_kernel", "LRN backward");
}

void round_to_bf16(const float* src, uint16_t* dst, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  round_to_bf16_kernel<<<blocks_for(n), kThreads, 0, stream>>>(src, dst, n);
  check_launch("round_to_bf16_kernel", "bf16 gradients");
}

void widen_from_bf16(const uint16_t* src, float* dst, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  widen_from_bf16_kernel<<<blocks_for(n), kThreads, 0, stream>>>(src, dst, n);
  check_launch("widen_from_bf16_kernel", "bf16 gradients");
}

void add_widened_bf16(const uint16_t* src, float* dst, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  add_widened_bf16_kernel<<<blocks_for(n), kThreads, 0, stream>>>(src, dst, n);
  check_launch("add_widened_bf16_kernel", "bf16 gradient accumulation");
}

void first_non_finite(const float* values, int64_t n, unsigned long long* first, cudaStream_t stream) {
  if (n == 0) return;
  first_non_finite_kernel<<<blocks_for(n), kThreads, 0, stream>>>(values, n, first);
  check_launch("first_non_finite_kernel", "non-finite scan");
}

void normalise_pixels(const uint8_t* pixels, const PixelTransform* transforms, float* out, int64_t count,
                      int64_t channels, int64_t height, int64_t width, cudaStream_t stream) {
  const int64_t n = count * channels * height * width;
  if (n == 0) return;
  normalise_pixels_kernel<<<blocks_for(n), kThreads, 0, stream>>>(pixels, transforms, out, count, channels, height,
                                                                   width);
  check_launch("normalise_pixels_kernel", "input normalisation");
}

}  // namespace convoy::cuda
