// cuDNN descriptors as owning values: made in the constructor, destroyed in
// the destructor, every call checked.
#pragma once

#include <cudnn.h>

#include <cstdint>

#include "backend/cuda/cuda_check.h"
#include "core/shape.h"

namespace convoy::cuda {

template <typename Handle, cudnnStatus_t (*Create)(Handle*), cudnnStatus_t (*Destroy)(Handle)>
class Descriptor {
 public:
  Descriptor() { check(Create(&handle_), "cudnnCreate...Descriptor", "descriptor"); }
  ~Descriptor() { Destroy(handle_); }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  operator Handle() const { return handle_; }

 private:
  Handle handle_{};
};

using TensorDescriptor = Descriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDescriptor = Descriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvolutionDescriptor =
    Descriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor, cudnnDestroyConvolutionDescriptor>;
using PoolingDescriptor = Descriptor<cudnnPoolingDescriptor_t, cudnnCreatePoolingDescriptor, cudnnDestroyPoolingDescriptor>;
using ActivationDescriptor =
    Descriptor<cudnnActivationDescriptor_t, cudnnCreateActivationDescriptor, cudnnDestroyActivationDescriptor>;
using LrnDescriptor = Descriptor<cudnnLRNDescriptor_t, cudnnCreateLRNDescriptor, cudnnDestroyLRNDescriptor>;

// Sets `d` to a plain NCHW tensor of `shape` (rank 4, or (N, C) as N x C x 1 x 1).
inline void set_nchw(cudnnTensorDescriptor_t d, const Shape& shape, const char* what,
                     cudnnDataType_t type = CUDNN_DATA_FLOAT) {
  const int n = static_cast<int>(shape[0]), c = static_cast<int>(shape[1]);
  const int h = shape.rank() == 4 ? static_cast<int>(shape[2]) : 1;
  const int w = shape.rank() == 4 ? static_cast<int>(shape[3]) : 1;
  CONVOY_CUDA(cudnnSetTensor4dDescriptor, what, d, CUDNN_TENSOR_NCHW, type, n, c, h, w);
}

}  // namespace convoy::cuda
