// Every CUDA, cuDNN, cuBLAS and NCCL call is checked and its failure named
// with the call and what it was for:
//   CONVOY_CUDA(cudnnConvolutionForward, "conv2", handle, ...)
// throws "cudnnConvolutionForward(conv2): CUDNN_STATUS_BAD_PARAM ...".
// Running out of device memory is the user's to fix (a smaller batch), so it
// is a user error; anything else is an internal one.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <nccl.h>

#include <string>

namespace convoy::cuda {

void check(cudaError_t status, const char* call, const std::string& what);
void check(cudnnStatus_t status, const char* call, const std::string& what);
void check(cublasStatus_t status, const char* call, const std::string& what);
void check(ncclResult_t status, const char* call, const std::string& what);
// After a kernel launch: a bad launch configuration, named by the kernel.
void check_launch(const char* kernel, const std::string& what);

}  // namespace convoy::cuda

#define CONVOY_CUDA(function, what, ...) ::convoy::cuda::check(function(__VA_ARGS__), #function, what)
