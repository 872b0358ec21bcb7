#include "backend/cpu/onednn_context.h"

#include "core/error.h"

namespace convoy::cpu {

using dnnl::memory;

dnnl::engine& engine() {
  static dnnl::engine instance(dnnl::engine::kind::cpu, 0);
  return instance;
}

dnnl::stream& stream() {
  static dnnl::stream instance(engine());
  return instance;
}

void rethrow_onednn_error(const char* primitive, const dnnl::error& e) {
  CONVOY_THROW("oneDNN ", primitive, " failed: ", e.what(), " (status ", e.status, ")");
}

memory::dims dims_of(const Shape& shape) {
  return memory::dims(shape.dims().begin(), shape.dims().end());
}

memory::desc plain_desc(const Shape& shape) {
  memory::format_tag tag;
  switch (shape.rank()) {
    case 1: tag = memory::format_tag::a; break;
    case 2: tag = memory::format_tag::ab; break;
    case 4: tag = memory::format_tag::abcd; break;
    default: CONVOY_THROW("no plain oneDNN layout for rank ", shape.rank(), " shape ", shape.to_string());
  }
  return memory::desc(dims_of(shape), memory::data_type::f32, tag);
}

void LayoutBridge::init(const memory::desc& plain, const memory::desc& internal) {
  plain_ = memory(plain, engine(), DNNL_MEMORY_NONE);
  internal_desc_ = internal;
  internal_.reset();
  to_internal_.reset();
  to_plain_.reset();
  if (plain != internal) {
    onednn_call("reorder", [&] {
      internal_ = memory(internal, engine());  // allocated once, reused every step
      to_internal_ = dnnl::reorder(plain_, *internal_);
      to_plain_ = dnnl::reorder(*internal_, plain_);
    });
  }
}

memory& LayoutBridge::import(const float* plain) {
  plain_.set_data_handle(const_cast<float*>(plain));
  if (!internal_) return plain_;
  to_internal_->execute(stream(), plain_, *internal_);
  return *internal_;
}

memory& LayoutBridge::target(float* plain) {
  plain_.set_data_handle(plain);
  return internal_ ? *internal_ : plain_;
}

void LayoutBridge::export_to(float* plain) {
  if (!internal_) return;
  plain_.set_data_handle(plain);
  to_plain_->execute(stream(), *internal_, plain_);
}

}  // namespace convoy::cpu
