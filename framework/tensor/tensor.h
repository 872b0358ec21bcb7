// Tensor: a shape, a device, a layout and a view into shared storage. Float32.
// Plain (row-major: NCHW, OIHW, (B, L)) unless a backend gave it a Layout of
// its own. No math here: layers call the backend of the tensor's device.
#pragma once

#include <cstdint>
#include <memory>

#include "core/shape.h"
#include "tensor/device.h"
#include "tensor/layout.h"
#include "tensor/storage.h"

namespace convoy {

class Tensor {
 public:
  Tensor() = default;
  static Tensor empty(const Shape& shape, Device device = Device::kCPU);
  // A host tensor in memory from `allocator` (pinned memory, for batches a
  // GPU copies from where they lie); the allocator must outlive it.
  static Tensor empty_host(const Shape& shape, Allocator& allocator);
  static Tensor zeros(const Shape& shape, Device device = Device::kCPU);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int64_t numel() const { return shape_.numel(); }
  int64_t dim(int axis) const { return shape_[axis]; }
  int rank() const { return shape_.rank(); }
  Device device() const { return storage_ ? storage_->device() : Device::kCPU; }
  bool is_plain() const { return layout_ == nullptr; }
  // The backend layout, or null when plain.
  const std::shared_ptr<const Layout>& layout() const { return layout_; }

  // The elements, for host code: an error (not a crash) on a device tensor.
  float* data() {
    require_host();
    return device_data();
  }
  const float* data() const {
    require_host();
    return device_data();
  }
  // The elements wherever they live (backends, copies): no check.
  float* device_data() { return storage_ ? static_cast<float*>(storage_->data()) + offset_ : nullptr; }
  const float* device_data() const {
    return storage_ ? static_cast<const float*>(storage_->data()) + offset_ : nullptr;
  }

  // This tensor's elements on `device`, plain: itself when already there,
  // else a copy.
  Tensor to(Device device) const;

  // The same memory seen with another shape of the same element count.
  Tensor view(const Shape& shape) const;
  // Rows [begin, end) of the outermost axis, sharing memory.
  Tensor slice_batch(int64_t begin, int64_t end) const;
  // Elements [offset, offset + shape.numel()) of this plain tensor seen with
  // `shape`, sharing memory (a gradient inside a flat all-reduce bucket).
  Tensor view_at(int64_t offset, const Shape& shape) const;
  // Whether the tensor views part of a larger allocation (slice_batch,
  // view_at). Such a tensor never moves to memory of its own: ensure_shape
  // and ensure_layout throw instead of reallocating it.
  bool is_bound_view() const { return bound_; }

  // Gives the tensor `shape` (plain, or in `layout`), keeping its memory when
  // that is large enough: buffers are allocated once and reused across steps.
  void ensure_shape(const Shape& shape, Device device = Device::kCPU);
  void ensure_layout(const Shape& shape, std::shared_ptr<const Layout> layout,
                     Device device = Device::kCPU);

  void fill(float value);             // plain tensors, any device
  void copy_from(const Tensor& src);  // same element count, plain, between any devices
  Tensor clone() const;

 private:
  void require_plain(const char* operation) const;
  void require_host() const {
    if (storage_ && !storage_->device().is_cpu()) fail_host_access();
  }
  [[noreturn]] void fail_host_access() const;

  std::shared_ptr<Storage> storage_;
  std::shared_ptr<const Layout> layout_;
  int64_t offset_ = 0;  // in elements
  Shape shape_;
  bool bound_ = false;       // a view into part of storage_ (see is_bound_view)
  int64_t bound_numel_ = 0;  // the elements a bound view may use
};

// src itself when it lies on `device`, else src copied into `buffer` (given
// src's shape on `device`; its memory is reused across calls).
const Tensor& copied_to(const Tensor& src, Device device, Tensor& buffer);

}  // namespace convoy
