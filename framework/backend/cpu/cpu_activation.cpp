// ReLU and sigmoid on oneDNN's eltwise primitives, differentiated from the
// forward output (the *_use_dst_for_bwd algorithms), in the tensors' plain layout.
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
    State& s = state_for(x.shape());
    y.ensure_shape(x.shape());
    onednn_call("eltwise forward", [&] {
      s.x.set_data_handle(const_cast<float*>(x.data()));
      s.y.set_data_handle(y.data());
      s.fwd.execute(stream(), {{DNNL_ARG_SRC, s.x}, {DNNL_ARG_DST, s.y}});
    });
  }

  void backward(const Tensor& y, const Tensor& dy, Tensor& dx) override {
    State& s = state_for(y.shape());
    CONVOY_CHECK(dy.shape() == y.shape(), "activation backward: dy ", dy.shape().to_string(),
                 " vs y ", y.shape().to_string());
    if (!s.bwd) {
      onednn_call("eltwise backward (create)", [&] {
        dnnl::eltwise_backward::desc d(algorithm(), s.md, s.md, 0.0f, 0.0f);
        s.bwd.emplace(dnnl::eltwise_backward::primitive_desc(d, engine(), s.fwd_pd));
      });
    }
    dx.ensure_shape(y.shape());
    onednn_call("eltwise backward", [&] {
      s.y.set_data_handle(const_cast<float*>(y.data()));
      s.dy.set_data_handle(const_cast<float*>(dy.data()));
      s.dx.set_data_handle(dx.data());
      s.bwd->execute(stream(), {{DNNL_ARG_DST, s.y}, {DNNL_ARG_DIFF_DST, s.dy},
                                {DNNL_ARG_DIFF_SRC, s.dx}});
    });
  }

 private:
  struct State {
    memory::desc md;
    dnnl::eltwise_forward::primitive_desc fwd_pd;
    dnnl::eltwise_forward fwd;
    std::optional<dnnl::eltwise_backward> bwd;
    memory x, y, dy, dx;
  };

  dnnl::algorithm algorithm() const {
    return kind_ == ActivationKind::kRelu ? dnnl::algorithm::eltwise_relu_use_dst_for_bwd
                                          : dnnl::algorithm::eltwise_logistic_use_dst_for_bwd;
  }

  State& state_for(const Shape& shape) {
    if (state_ && shape == cached_shape_) return *state_;
    auto s = std::make_unique<State>();
    s->md = plain_desc(shape);
    onednn_call("eltwise forward (create)", [&] {
      dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_training, algorithm(), s->md, 0.0f,
                                    0.0f);
      s->fwd_pd = dnnl::eltwise_forward::primitive_desc(d, engine());
      s->fwd = dnnl::eltwise_forward(s->fwd_pd);
      for (memory* m : {&s->x, &s->y, &s->dy, &s->dx})
        *m = memory(s->md, engine(), DNNL_MEMORY_NONE);
    });
    state_ = std::move(s);
    cached_shape_ = shape;
    return *state_;
  }

  ActivationKind kind_;
  Shape cached_shape_;
  std::unique_ptr<State> state_;
};

}  // namespace

std::unique_ptr<ActivationOp> make_cpu_activation(ActivationKind kind) {
  return std::make_unique<CpuActivation>(kind);
}

}  // namespace convoy::cpu
