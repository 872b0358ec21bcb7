// The oneDNN engine and stream of the CPU backend, plain-layout descriptors,
// and LayoutBridge: a buffer in a primitive's preferred layout bridged to a
// tensor in plain layout, reordering only where the two differ.
#pragma once

#include <dnnl.hpp>
#include <optional>
#include <string>

#include "core/shape.h"

namespace convoy::cpu {

dnnl::engine& engine();
dnnl::stream& stream();

// nchw for rank 4, nc for rank 2, x for rank 1 (and oihw / oi when is_weight).
dnnl::memory::desc plain_desc(const Shape& shape);
dnnl::memory::dims dims_of(const Shape& shape);

// Wraps a oneDNN call, re-throwing dnnl::error as convoy::Error naming the primitive.
template <typename Fn>
decltype(auto) onednn_call(const char* primitive, Fn&& fn) {
  try {
    return fn();
  } catch (const dnnl::error& e) {
    void rethrow_onednn_error(const char* primitive, const dnnl::error& e);
    rethrow_onednn_error(primitive, e);
    throw;  // unreachable
  }
}

class LayoutBridge {
 public:
  // internal: the layout the primitive asked for; plain: the tensor's layout.
  void init(const dnnl::memory::desc& plain, const dnnl::memory::desc& internal);
  bool reorders() const { return internal_.has_value(); }

  // For an input: the memory the primitive reads, reordered from `plain` when needed.
  dnnl::memory& import(const float* plain);
  // For an output: the memory the primitive writes; then call export_to(plain).
  dnnl::memory& target(float* plain);
  void export_to(float* plain);
  const dnnl::memory::desc& internal_desc() const { return internal_desc_; }

 private:
  dnnl::memory plain_;
  std::optional<dnnl::memory> internal_;
  dnnl::memory::desc internal_desc_;
  std::optional<dnnl::reorder> to_internal_, to_plain_;
};

}  // namespace convoy::cpu
