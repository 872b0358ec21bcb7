// The oneDNN engine and stream of the CPU backend; CpuLayout (a tensor held in
// a oneDNN layout); and the bridges between tensors and primitives: inputs are
// used in place when their layout is what the primitive wants and reordered
// otherwise; outputs are written in the primitive's layout.
#pragma once

#include <dnnl.hpp>
#include <memory>
#include <optional>
#include <string>

#include "core/shape.h"
#include "tensor/tensor.h"

namespace convoy::cpu {

dnnl::engine& engine();
dnnl::stream& stream();

// a / ab / abcd: the plain layout of a shape.
dnnl::memory::desc plain_desc(const Shape& shape);
dnnl::memory::dims dims_of(const Shape& shape);
dnnl::memory::desc tagged_desc(const Shape& shape, dnnl::memory::format_tag tag);
// The channel-blocked layout of this CPU's vector width (nChw8c on AVX2, nChw16c on AVX-512).
dnnl::memory::format_tag blocked_channel_tag();

class CpuLayout final : public Layout {
 public:
  explicit CpuLayout(dnnl::memory::desc desc) : desc_(std::move(desc)) {}
  size_t bytes() const override { return desc_.get_size(); }
  std::string describe() const override;
  const dnnl::memory::desc& desc() const { return desc_; }

 private:
  dnnl::memory::desc desc_;
};

// The oneDNN description of a CPU tensor's memory.
dnnl::memory::desc desc_of(const Tensor& t);
// Null (plain) when desc is the plain layout of shape.
std::shared_ptr<const Layout> layout_for(const dnnl::memory::desc& desc, const Shape& shape);

// Wraps a oneDNN call, re-throwing dnnl::error as convoy::Error naming the primitive.
[[noreturn]] void rethrow_onednn_error(const char* primitive, const dnnl::error& e);
template <typename Fn>
decltype(auto) onednn_call(const char* primitive, Fn&& fn) {
  try {
    return fn();
  } catch (const dnnl::error& e) {
    rethrow_onednn_error(primitive, e);
  }
}

// An input of a primitive that wants layout `wanted`.
class InputBridge {
 public:
  void init(const dnnl::memory::desc& wanted);
  const dnnl::memory::desc& wanted() const { return wanted_; }
  // x in the wanted layout: x's own memory when its layout matches, else a
  // reordered copy in a buffer allocated once.
  dnnl::memory& import(const Tensor& x);

 private:
  dnnl::memory::desc wanted_;
  dnnl::memory direct_;  // wraps the caller's memory
  std::optional<dnnl::memory> internal_, source_;
  std::optional<dnnl::reorder> reorder_;
  dnnl::memory::desc reorder_from_;
};

// An output a primitive writes in its own layout straight into a tensor.
class OutputSlot {
 public:
  void init(const dnnl::memory::desc& desc, const Shape& shape);
  // Gives y the shape and layout, and the memory that wraps it.
  dnnl::memory& bind(Tensor& y);

 private:
  dnnl::memory::desc desc_;
  Shape shape_;
  std::shared_ptr<const Layout> layout_;
  dnnl::memory memory_;
};

// An output that must land in a plain tensor (weight gradients): written in the
// primitive's layout, then reordered when that is not plain.
class PlainOutputBridge {
 public:
  void init(const dnnl::memory::desc& plain, const dnnl::memory::desc& internal);
  dnnl::memory& target(float* plain);
  void export_to(float* plain);

 private:
  dnnl::memory plain_;
  std::optional<dnnl::memory> internal_;
  std::optional<dnnl::reorder> to_plain_;
};

// Where a backward-weights primitive writes a gradient: straight into the
// gradient tensor, or, when accumulating, into a scratch buffer (allocated
// once) that finish() then adds to it.
class GradientTarget {
 public:
  float* begin(Tensor& grad, bool accumulate);
  void finish(Tensor& grad, bool accumulate);

 private:
  Tensor scratch_;
};

}  // namespace convoy::cpu
