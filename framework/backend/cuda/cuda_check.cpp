#include "backend/cuda/cuda_check.h"

#include "core/error.h"

namespace convoy::cuda {

namespace {
[[noreturn]] void fail(const char* call, const std::string& what, const std::string& status, bool user) {
  const std::string text = std::string(call) + "(" + what + "): " + status;
  if (user) CONVOY_USER_ERROR(text);
  CONVOY_THROW(text);
}
}  // namespace

void check(cudaError_t status, const char* call, const std::string& what) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clear the sticky error of a failed call that is not fatal
  fail(call, what,
       std::string(cudaGetErrorString(status)) + " (" + cudaGetErrorName(status) + ", error " +
           std::to_string(static_cast<int>(status)) + ")",
       status == cudaErrorMemoryAllocation);
}

void check(cudnnStatus_t status, const char* call, const std::string& what) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  char detail[512] = {};
  cudnnGetLastErrorString(detail, sizeof detail);
  fail(call, what, std::string(cudnnGetErrorString(status)) + (detail[0] ? std::string(": ") + detail : ""),
       status == CUDNN_STATUS_ALLOC_FAILED);
}

void check(cublasStatus_t status, const char* call, const std::string& what) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  fail(call, what, std::string(cublasGetStatusName(status)) + ": " + cublasGetStatusString(status),
       status == CUBLAS_STATUS_ALLOC_FAILED);
}

void check(ncclResult_t status, const char* call, const std::string& what) {
  if (status == ncclSuccess) return;
  const char* last = ncclGetLastError(nullptr);
  fail(call, what, std::string(ncclGetErrorString(status)) + (last && *last ? std::string(": ") + last : ""), false);
}

void check_launch(const char* kernel, const std::string& what) {
  const cudaError_t status = cudaGetLastError();
  // "Not ready" is an event or stream query's answer left as the last error, never a launch's.
  check(status == cudaErrorNotReady ? cudaSuccess : status, kernel, what);
}

}  // namespace convoy::cuda
