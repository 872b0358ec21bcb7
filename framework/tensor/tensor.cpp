#include "tensor/tensor.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "tensor/allocator.h"

namespace convoy {

Tensor Tensor::empty(const Shape& shape, Device device) {
  Tensor t;
  t.shape_ = shape;
  t.storage_ = std::make_shared<Storage>(static_cast<size_t>(shape.numel()) * sizeof(float), device);
  return t;
}

Tensor Tensor::empty_host(const Shape& shape, Allocator& allocator) {
  Tensor t;
  t.shape_ = shape;
  t.storage_ = std::make_shared<Storage>(static_cast<size_t>(shape.numel()) * sizeof(float), Device::kCPU, allocator);
  return t;
}

Tensor Tensor::zeros(const Shape& shape, Device device) {
  Tensor t = empty(shape, device);
  t.fill(0.0f);
  return t;
}

void Tensor::fail_host_access() const {
  CONVOY_THROW("host access to a ", shape_.to_string(), " tensor on ", to_string(device()),
               ": copy it to the host first (Tensor::to(Device::kCPU))");
}

Tensor Tensor::to(Device target) const {
  require_plain("to()");
  if (!defined() || device() == target) return *this;
  Tensor t = empty(shape_, target);
  copy_bytes(t.device_data(), target, device_data(), device(), static_cast<size_t>(numel()) * sizeof(float));
  return t;
}

void Tensor::require_plain(const char* operation) const {
  CONVOY_CHECK(is_plain(), operation, " needs a plain tensor, this one is ", layout_->describe(),
               " (convert it with as_plain)");
}

Tensor Tensor::view(const Shape& shape) const {
  require_plain("view()");
  CONVOY_CHECK(shape.numel() == numel(), "cannot view ", shape_.to_string(), " as ",
               shape.to_string());
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::slice_batch(int64_t begin, int64_t end) const {
  require_plain("slice_batch()");
  CONVOY_CHECK(rank() >= 1 && 0 <= begin && begin <= end && end <= shape_[0],
               "batch slice [", begin, ", ", end, ") out of ", shape_.to_string());
  Tensor t = *this;
  t.offset_ += begin * shape_.per_sample();
  t.shape_ = shape_.with_batch(end - begin);
  t.bound_ = true;
  t.bound_numel_ = t.shape_.numel();
  return t;
}

Tensor Tensor::view_at(int64_t offset, const Shape& shape) const {
  require_plain("view_at()");
  CONVOY_CHECK(offset >= 0 && offset + shape.numel() <= numel(), "view of ", shape.to_string(),
               " at element ", offset, " is outside ", shape_.to_string());
  Tensor t = *this;
  t.offset_ += offset;
  t.shape_ = shape;
  t.bound_ = true;
  t.bound_numel_ = shape.numel();
  return t;
}

void Tensor::ensure_shape(const Shape& shape, Device device) { ensure_layout(shape, nullptr, device); }

void Tensor::ensure_layout(const Shape& shape, std::shared_ptr<const Layout> layout, Device device) {
  if (bound_) {
    // Reallocating would silently detach the tensor from the memory it views
    // (a gradient leaving its all-reduce bucket): refuse.
    CONVOY_CHECK(!layout && shape.numel() <= bound_numel_ && device == this->device(),
                 "a view of ", bound_numel_, " elements cannot become ",
                 layout ? layout->describe() + " " : std::string(), shape.to_string(),
                 " without leaving the memory it views");
    shape_ = shape;
    return;
  }
  const size_t needed = layout ? layout->bytes() : static_cast<size_t>(shape.numel()) * sizeof(float);
  const bool fits = storage_ && storage_->device() == device && offset_ == 0 &&
                    storage_->bytes() >= needed;
  if (!fits) {
    storage_ = std::make_shared<Storage>(needed, device);
    offset_ = 0;
  }
  shape_ = shape;
  layout_ = std::move(layout);
}

void Tensor::fill(float value) {
  require_plain("fill()");
  if (storage_) fill_floats(device_data(), device(), value, static_cast<size_t>(numel()));
}

void Tensor::copy_from(const Tensor& src) {
  require_plain("copy_from()");
  src.require_plain("copy_from()");
  CONVOY_CHECK(src.numel() == numel(), "copy of ", src.shape().to_string(), " into ",
               shape_.to_string());
  copy_bytes(device_data(), device(), src.device_data(), src.device(), static_cast<size_t>(numel()) * sizeof(float));
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape_, device());
  t.copy_from(*this);
  return t;
}

const Tensor& copied_to(const Tensor& src, Device device, Tensor& buffer) {
  if (src.device() == device) return src;
  buffer.ensure_shape(src.shape(), device);
  buffer.copy_from(src);
  return buffer;
}

}  // namespace convoy
