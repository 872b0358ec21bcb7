// ReLU and sigmoid on oneDNN's eltwise primitives, in whatever layout the
// input has (the output keeps it), differentiated from the forward output
// (the *_use_dst_for_bwd algorithms). Being element-wise, they run over the
// buffer as one dense vector: oneDNN's JIT kernels then apply even to padded
// blocked layouts (6 channels stored as 8), where it would otherwise fall
// back to its reference kernel. Padding holds zeros, which ReLU and both
// backward passes keep; only a sigmoid forward on a padded layout must use
// the layout-aware (slow) kernel — Conv2d fuses it instead.
#include <optional>

#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/onednn_context.h"
#include "core/error.h"

namespace convoy::cpu {

using dnnl::memory;
namespace {

class CpuActivation final : public ActivationOp {
 public:
  explicit CpuActivation(ActivationKind kind) : kind_(kind) {}

  void forward(const Tensor& x, Tensor& y) override {
    State& s = state_for(x);
    onednn_call("eltwise forward", [&] {
      s.fwd_src.set_data_handle(const_cast<float*>(x.data()));
      s.fwd_dst.set_data_handle(s.y.bind(y).get_data_handle());
      s.fwd.execute(stream(), {{DNNL_ARG_SRC, s.fwd_src}, {DNNL_ARG_DST, s.fwd_dst}});
    });
  }

  void backward(const Tensor& y, const Tensor& dy, Tensor& dx) override {
    State& s = state_for(y);
    CONVOY_CHECK(dy.shape() == y.shape(), "activation backward: dy ", dy.shape().to_string(),
                 " vs y ", y.shape().to_string());
    if (!s.bwd) {
      onednn_call("eltwise backward (create)", [&] {
        const dnnl::eltwise_forward::primitive_desc hint(
            dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_training, algorithm(), s.dense, 0.0f, 0.0f),
            engine());
        dnnl::eltwise_backward::desc d(algorithm(), s.dense, s.dense, 0.0f, 0.0f);
        s.bwd.emplace(dnnl::eltwise_backward::primitive_desc(d, engine(), hint));
      });
    }
    onednn_call("eltwise backward", [&] {
      s.bwd_y.set_data_handle(const_cast<float*>(y.data()));
      s.bwd_dy.set_data_handle(s.dy.import(dy).get_data_handle());
      s.bwd_dx.set_data_handle(s.dx.bind(dx).get_data_handle());
      s.bwd->execute(stream(), {{DNNL_ARG_DST, s.bwd_y}, {DNNL_ARG_DIFF_DST, s.bwd_dy},
                                {DNNL_ARG_DIFF_SRC, s.bwd_dx}});
    });
  }

 private:
  struct State {
    Shape shape;
    memory::desc md;     // the tensors' layout
    memory::desc dense;  // the same buffer as one vector
    dnnl::eltwise_forward fwd;
    std::optional<dnnl::eltwise_backward> bwd;
    memory fwd_src, fwd_dst, bwd_y, bwd_dy, bwd_dx;
    OutputSlot y, dx;
    InputBridge dy;
  };

  dnnl::algorithm algorithm() const {
    return kind_ == ActivationKind::kRelu ? dnnl::algorithm::eltwise_relu_use_dst_for_bwd
                                          : dnnl::algorithm::eltwise_logistic_use_dst_for_bwd;
  }

  State& state_for(const Tensor& t) {
    const memory::desc md = desc_of(t);
    if (state_ && t.shape() == state_->shape && md == state_->md) return *state_;
    auto s = std::make_unique<State>();
    s->shape = t.shape();
    s->md = md;
    const auto elements = static_cast<memory::dim>(md.get_size() / sizeof(float));
    s->dense = memory::desc({elements}, memory::data_type::f32, memory::format_tag::a);
    const bool padded = elements != t.numel();
    const memory::desc& fwd_md = padded && kind_ == ActivationKind::kSigmoid ? md : s->dense;
    onednn_call("eltwise forward (create)", [&] {
      dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_training, algorithm(), fwd_md, 0.0f, 0.0f);
      s->fwd = dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(d, engine()));
      s->fwd_src = memory(fwd_md, engine(), DNNL_MEMORY_NONE);
      s->fwd_dst = memory(fwd_md, engine(), DNNL_MEMORY_NONE);
      for (memory* m : {&s->bwd_y, &s->bwd_dy, &s->bwd_dx}) *m = memory(s->dense, engine(), DNNL_MEMORY_NONE);
      s->y.init(md, t.shape());
      s->dx.init(md, t.shape());
      s->dy.init(md);
    });
    state_ = std::move(s);
    return *state_;
  }

  ActivationKind kind_;
  std::unique_ptr<State> state_;
};

}  // namespace

std::unique_ptr<ActivationOp> make_cpu_activation(ActivationKind kind) {
  return std::make_unique<CpuActivation>(kind);
}

}  // namespace convoy::cpu
