// Which of cuDNN's convolution algorithms convoy takes in true fp32, where a
// layer must match the CPU within 1e-4. All run in FMA math, but two compute
// in a transformed domain: FFT, and Winograd. Measured on an H200 against
// the CPU (tests/gpu/cuda_algorithms_test.cpp prints every algorithm's
// error at AlexNet's shapes): the direct and GEMM-based algorithms and FFT
// stay within 2e-6; non-fused Winograd stays within 4e-6 on 3x3 filters but
// is 1e-3 off on 5x5 ones (forward, backward data and backward weights).
// Taking it there would let a timing race pick, run to run, an algorithm
// ten times outside fp32's bound. So in fp32 Winograd is taken for 3x3
// filters only (the fused kind, never seen offered, not at all); tf32 and
// bf16, which round far more, take any.
#pragma once

#include <cudnn.h>

namespace convoy::cuda {

constexpr bool keeps_fp32_precision(cudnnConvolutionFwdAlgo_t algo, bool filter_3x3) {
  return algo != CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD &&
         (algo != CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED || filter_3x3);
}
constexpr bool keeps_fp32_precision(cudnnConvolutionBwdDataAlgo_t algo, bool filter_3x3) {
  return algo != CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD &&
         (algo != CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED || filter_3x3);
}
constexpr bool keeps_fp32_precision(cudnnConvolutionBwdFilterAlgo_t algo, bool filter_3x3) {
  return algo != CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED || filter_3x3;
}

}  // namespace convoy::cuda
