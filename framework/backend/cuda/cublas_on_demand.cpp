// cuBLAS, loaded when a GPU first needs it rather than when a program starts.
// Linked, libcublas and libcublasLt (about 600 MB of library) are mapped,
// relocated and initialised in every process: 150 MiB of resident memory in
// a CPU run of a CUDA build. So convoy does not link them. It defines the
// few cuBLAS functions it calls, and each one forwards to the function of that
// name in libcublas.so.<major>, opened once with dlopen. A missing library
// is an error naming it, raised by the first GPU run that needs cuBLAS.
#include <cublas_v2.h>
#include <dlfcn.h>

#include <string>

#include "backend/cuda/cublas_on_demand.h"
#include "core/error.h"

namespace convoy::cuda {
namespace {

const std::string& cublas_soname() {
  static const std::string soname = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
  return soname;
}

void* cublas_library() {
  static void* const library = [] {
    void* handle = dlopen(cublas_soname().c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      CONVOY_USER_ERROR("the GPU path needs cuBLAS (", cublas_soname(), "), which could not be loaded: ", dlerror(),
                        "; add its folder to LD_LIBRARY_PATH");
    return handle;
  }();
  return library;
}

// cuBLAS's own `name`, of type Function.
template <typename Function>
Function* cublas_function(const char* name) {
  void* symbol = dlsym(cublas_library(), name);
  CONVOY_CHECK(symbol != nullptr, cublas_soname(), " has no ", name);
  return reinterpret_cast<Function*>(symbol);
}

}  // namespace

bool cublas_loads(std::string* why) {
  try {
    cublas_library();
    return true;
  } catch (const Error& e) {
    if (why) *why = e.what();
    return false;
  }
}

}  // namespace convoy::cuda

using convoy::cuda::cublas_function;

// The declarations of cublas_api.h, forwarded. (cublasGemmEx is overloaded
// in C++: the C function is the one with a cublasComputeType_t.)
extern "C" {

cublasStatus_t CUBLASWINAPI cublasGetProperty(libraryPropertyType type, int* value) {
  static auto* const real = cublas_function<decltype(cublasGetProperty)>("cublasGetProperty");
  return real(type, value);
}

cublasStatus_t CUBLASWINAPI cublasCreate_v2(cublasHandle_t* handle) {
  static auto* const real = cublas_function<decltype(cublasCreate_v2)>("cublasCreate_v2");
  return real(handle);
}

cublasStatus_t CUBLASWINAPI cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream) {
  static auto* const real = cublas_function<decltype(cublasSetStream_v2)>("cublasSetStream_v2");
  return real(handle, stream);
}

cublasStatus_t CUBLASWINAPI cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  static auto* const real = cublas_function<decltype(cublasSetMathMode)>("cublasSetMathMode");
  return real(handle, mode);
}

const char* CUBLASWINAPI cublasGetStatusName(cublasStatus_t status) {
  static auto* const real = cublas_function<decltype(cublasGetStatusName)>("cublasGetStatusName");
  return real(status);
}

const char* CUBLASWINAPI cublasGetStatusString(cublasStatus_t status) {
  static auto* const real = cublas_function<decltype(cublasGetStatusString)>("cublasGetStatusString");
  return real(status);
}

cublasStatus_t CUBLASWINAPI cublasSgemv_v2(cublasHandle_t handle, cublasOperation_t trans, int m, int n,
                                           const float* alpha, const float* a, int lda, const float* x, int incx,
                                           const float* beta, float* y, int incy) {
  static auto* const real = cublas_function<decltype(cublasSgemv_v2)>("cublasSgemv_v2");
  return real(handle, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

cublasStatus_t CUBLASWINAPI cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                           int m, int n, int k, const float* alpha, const float* a, int lda,
                                           const float* b, int ldb, const float* beta, float* c, int ldc) {
  static auto* const real = cublas_function<decltype(cublasSgemm_v2)>("cublasSgemm_v2");
  return real(handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

using GemmEx = cublasStatus_t(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
                              const void*, cudaDataType, int, const void*, cudaDataType, int, const void*, void*,
                              cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);

cublasStatus_t CUBLASWINAPI cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                         int m, int n, int k, const void* alpha, const void* a, cudaDataType a_type,
                                         int lda, const void* b, cudaDataType b_type, int ldb, const void* beta,
                                         void* c, cudaDataType c_type, int ldc, cublasComputeType_t compute_type,
                                         cublasGemmAlgo_t algo) {
  static auto* const real = cublas_function<GemmEx>("cublasGemmEx");
  return real(handle, transa, transb, m, n, k, alpha, a, a_type, lda, b, b_type, ldb, beta, c, c_type, ldc,
              compute_type, algo);
}

}  // extern "C"
