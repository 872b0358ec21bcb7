// Which of cuDNN's convolution algorithms convoy takes in true fp32. The
// transform-based ones (FFT and Winograd) run in FMA math but compute in a
// transformed domain whose rounding is not a direct sum's; cuDNN may still
// rank them fastest, and a timing race would then decide between algorithms
// of different precision from run to run. In fp32 convoy takes the direct and
// GEMM-based algorithms only (tests/gpu/cuda_algorithms_test.cpp prints every
// algorithm's error against the CPU); tf32 and bf16 take any.
#pragma once

#include <cudnn.h>

namespace convoy::cuda {

constexpr bool keeps_fp32_precision(cudnnConvolutionFwdAlgo_t algo) {
  return algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM || algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM ||
         algo == CUDNN_CONVOLUTION_FWD_ALGO_GEMM || algo == CUDNN_CONVOLUTION_FWD_ALGO_DIRECT;
}
constexpr bool keeps_fp32_precision(cudnnConvolutionBwdDataAlgo_t algo) {
  return algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_0 || algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
}
constexpr bool keeps_fp32_precision(cudnnConvolutionBwdFilterAlgo_t algo) {
  return algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 || algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1 ||
         algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3;
}

}  // namespace convoy::cuda
