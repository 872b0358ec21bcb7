// Fully connected layer on oneDNN's inner product, in plain layouts throughout:
// (B, in) x (out, in)^T. Plain weights select oneDNN's GEMM kernels and spare a
// reorder of the (large) weight matrix on every step.
#include <optional>

#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/onednn_context.h"
#include "core/error.h"

namespace convoy::cpu {

using dnnl::memory;
namespace {

class CpuLinear final : public LinearOp {
 public:
  void forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y) override {
    CONVOY_CHECK(x.is_plain(), "linear input must be plain (flatten converts it)");
    State& s = state_for(x.shape(), weight.shape());
    y.ensure_shape(s.y_shape);
    onednn_call("inner product forward", [&] {
      bind(s, x.data(), weight.data(), bias.data(), y.data());
      s.fwd.execute(stream(), {{DNNL_ARG_SRC, s.x}, {DNNL_ARG_WEIGHTS, s.w},
                               {DNNL_ARG_BIAS, s.b}, {DNNL_ARG_DST, s.y}});
    });
  }

  void backward_data(const Tensor& dy, const Tensor& weight, Tensor& dx) override {
    CONVOY_CHECK(state_, "linear backward before forward");
    State& s = *state_;
    CONVOY_CHECK(dy.shape() == s.y_shape && dy.is_plain(), "linear backward got dy ",
                 dy.shape().to_string(), ", expected plain ", s.y_shape.to_string());
    if (!s.bwd_data) {
      onednn_call("inner product backward data (create)", [&] {
        dnnl::inner_product_backward_data::desc d(s.x_md, s.w_md, s.y_md);
        s.bwd_data.emplace(dnnl::inner_product_backward_data::primitive_desc(d, engine(), s.fwd_pd));
      });
    }
    dx.ensure_shape(cached_x_shape_);
    onednn_call("inner product backward data", [&] {
      bind(s, dx.data(), weight.data(), nullptr, dy.data());
      s.bwd_data->execute(stream(), {{DNNL_ARG_DIFF_DST, s.y}, {DNNL_ARG_WEIGHTS, s.w},
                                     {DNNL_ARG_DIFF_SRC, s.x}});
    });
  }

  void backward_weights(const Tensor& x, const Tensor& dy, Tensor& dweight, Tensor& dbias,
                        bool accumulate) override {
    State& s = state_for(x.shape(), dweight.shape());
    if (!s.bwd_weights) {
      onednn_call("inner product backward weights (create)", [&] {
        dnnl::inner_product_backward_weights::desc d(s.x_md, s.w_md, s.b_md, s.y_md);
        s.bwd_weights.emplace(
            dnnl::inner_product_backward_weights::primitive_desc(d, engine(), s.fwd_pd));
      });
    }
    onednn_call("inner product backward weights", [&] {
      bind(s, x.data(), dweight_target_.begin(dweight, accumulate),
           dbias_target_.begin(dbias, accumulate), dy.data());
      s.bwd_weights->execute(stream(), {{DNNL_ARG_SRC, s.x}, {DNNL_ARG_DIFF_DST, s.y},
                                        {DNNL_ARG_DIFF_WEIGHTS, s.w}, {DNNL_ARG_DIFF_BIAS, s.b}});
    });
    dweight_target_.finish(dweight, accumulate);
    dbias_target_.finish(dbias, accumulate);
  }

 private:
  struct State {
    Shape y_shape;
    memory::desc x_md, w_md, b_md, y_md;
    dnnl::inner_product_forward::primitive_desc fwd_pd;
    dnnl::inner_product_forward fwd;
    std::optional<dnnl::inner_product_backward_data> bwd_data;
    std::optional<dnnl::inner_product_backward_weights> bwd_weights;
    memory x, w, b, y;  // handles rebound on every call
  };

  static void bind(State& s, const float* x, const float* w, const float* b, const float* y) {
    s.x.set_data_handle(const_cast<float*>(x));
    s.w.set_data_handle(const_cast<float*>(w));
    if (b) s.b.set_data_handle(const_cast<float*>(b));
    s.y.set_data_handle(const_cast<float*>(y));
  }

  State& state_for(const Shape& x_shape, const Shape& w_shape) {
    if (state_ && x_shape == cached_x_shape_) return *state_;
    CONVOY_CHECK(x_shape.rank() == 2 && w_shape.rank() == 2 && x_shape[1] == w_shape[1],
                 "linear layer expects (B, ", w_shape[1], ") input, got ", x_shape.to_string());
    auto s = std::make_unique<State>();
    s->y_shape = Shape{x_shape[0], w_shape[0]};
    s->x_md = plain_desc(x_shape);
    s->w_md = plain_desc(w_shape);
    s->b_md = plain_desc(Shape{w_shape[0]});
    s->y_md = plain_desc(s->y_shape);
    onednn_call("inner product forward (create)", [&] {
      dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_training, s->x_md, s->w_md,
                                          s->b_md, s->y_md);
      s->fwd_pd = dnnl::inner_product_forward::primitive_desc(d, engine());
      s->fwd = dnnl::inner_product_forward(s->fwd_pd);
      s->x = memory(s->x_md, engine(), DNNL_MEMORY_NONE);
      s->w = memory(s->w_md, engine(), DNNL_MEMORY_NONE);
      s->b = memory(s->b_md, engine(), DNNL_MEMORY_NONE);
      s->y = memory(s->y_md, engine(), DNNL_MEMORY_NONE);
    });
    state_ = std::move(s);
    cached_x_shape_ = x_shape;
    return *state_;
  }

  Shape cached_x_shape_;
  std::unique_ptr<State> state_;
  GradientTarget dweight_target_, dbias_target_;
};

}  // namespace

std::unique_ptr<LinearOp> make_cpu_linear() { return std::make_unique<CpuLinear>(); }

}  // namespace convoy::cpu
