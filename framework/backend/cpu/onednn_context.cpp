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

memory::desc tagged_desc(const Shape& shape, memory::format_tag tag) {
  return memory::desc(dims_of(shape), memory::data_type::f32, tag);
}

memory::desc plain_desc(const Shape& shape) {
  switch (shape.rank()) {
    case 1: return tagged_desc(shape, memory::format_tag::a);
    case 2: return tagged_desc(shape, memory::format_tag::ab);
    case 4: return tagged_desc(shape, memory::format_tag::abcd);
    default: CONVOY_THROW("no plain oneDNN layout for rank ", shape.rank(), " shape ", shape.to_string());
  }
}

memory::format_tag blocked_channel_tag() {
  static const memory::format_tag tag = [] {
    const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
    const bool avx512 = isa == dnnl::cpu_isa::avx512_core || isa == dnnl::cpu_isa::avx512_core_vnni ||
                        isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
    return avx512 ? memory::format_tag::nChw16c : memory::format_tag::nChw8c;
  }();
  return tag;
}

std::string CpuLayout::describe() const {
  // e.g. "oneDNN blocked layout, inner blocks 8b" (b = the channel axis)
  const dnnl_blocking_desc_t& blocking = desc_.data.format_desc.blocking;
  std::string text = "oneDNN blocked layout, inner blocks";
  for (int i = 0; i < blocking.inner_nblks; ++i)
    text += " " + std::to_string(blocking.inner_blks[i]) + static_cast<char>('a' + blocking.inner_idxs[i]);
  return blocking.inner_nblks ? text : "oneDNN layout with permuted strides";
}

memory::desc desc_of(const Tensor& t) {
  if (t.is_plain()) return plain_desc(t.shape());
  const auto* layout = dynamic_cast<const CpuLayout*>(t.layout().get());
  CONVOY_CHECK(layout, "a CPU op got a tensor in a foreign layout: ", t.layout()->describe());
  return layout->desc();
}

std::shared_ptr<const Layout> layout_for(const memory::desc& desc, const Shape& shape) {
  if (desc == plain_desc(shape)) return nullptr;
  return std::make_shared<CpuLayout>(desc);
}

void InputBridge::init(const memory::desc& wanted) {
  wanted_ = wanted;
  direct_ = memory(wanted, engine(), DNNL_MEMORY_NONE);
  internal_.reset();
  source_.reset();
  reorder_.reset();
}

memory& InputBridge::import(const Tensor& x) {
  const memory::desc have = desc_of(x);
  if (have == wanted_) {
    direct_.set_data_handle(const_cast<float*>(x.data()));
    return direct_;
  }
  onednn_call("reorder (input)", [&] {
    if (!reorder_ || !(reorder_from_ == have)) {
      if (!internal_) internal_ = memory(wanted_, engine());  // allocated once
      source_ = memory(have, engine(), DNNL_MEMORY_NONE);
      reorder_ = dnnl::reorder(*source_, *internal_);
      reorder_from_ = have;
    }
    source_->set_data_handle(const_cast<float*>(x.data()));
    reorder_->execute(stream(), *source_, *internal_);
  });
  return *internal_;
}

void OutputSlot::init(const memory::desc& desc, const Shape& shape) {
  desc_ = desc;
  shape_ = shape;
  layout_ = layout_for(desc, shape);
  memory_ = memory(desc, engine(), DNNL_MEMORY_NONE);
}

memory& OutputSlot::bind(Tensor& y) {
  y.ensure_layout(shape_, layout_);
  memory_.set_data_handle(y.data());
  return memory_;
}

void PlainOutputBridge::init(const memory::desc& plain, const memory::desc& internal) {
  plain_ = memory(plain, engine(), DNNL_MEMORY_NONE);
  internal_.reset();
  to_plain_.reset();
  if (plain != internal) {
    onednn_call("reorder (output)", [&] {
      internal_ = memory(internal, engine());
      to_plain_ = dnnl::reorder(*internal_, plain_);
    });
  }
}

memory& PlainOutputBridge::target(float* plain) {
  plain_.set_data_handle(plain);
  return internal_ ? *internal_ : plain_;
}

void PlainOutputBridge::export_to(float* plain) {
  if (!internal_) return;
  plain_.set_data_handle(plain);
  to_plain_->execute(stream(), *internal_, plain_);
}

float* GradientTarget::begin(Tensor& grad, bool accumulate) {
  if (!accumulate) return grad.data();
  scratch_.ensure_shape(grad.shape());
  return scratch_.data();
}

void GradientTarget::finish(Tensor& grad, bool accumulate) {
  if (!accumulate) return;
  float* out = grad.data();
  const float* add = scratch_.data();
  const int64_t n = grad.numel();
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] += add[i];
}

}  // namespace convoy::cpu
