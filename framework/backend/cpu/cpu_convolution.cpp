// 2-D convolution on oneDNN: layouts chosen by oneDNN (format_tag::any),
// reordered from and to the plain tensors at the op boundary. Forward,
// backward-data and backward-weights each get their own weight layout
// (they may differ: reorder, never share).
#include <optional>

#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/onednn_context.h"
#include "core/error.h"

namespace convoy::cpu {

using dnnl::memory;
namespace {

class CpuConvolution2d final : public Convolution2dOp {
 public:
  explicit CpuConvolution2d(const Convolution2dConfig& config) : config_(config) {}

  void forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y) override {
    State& s = state_for(x.shape());
    y.ensure_shape(s.y_shape);
    onednn_call("convolution forward", [&] {
      memory bias_mem(s.bias_md, engine(), const_cast<float*>(bias.data()));
      s.fwd.execute(stream(), {{DNNL_ARG_SRC, s.fwd_src.import(x.data())},
                               {DNNL_ARG_WEIGHTS, s.fwd_weights.import(weight.data())},
                               {DNNL_ARG_BIAS, bias_mem},
                               {DNNL_ARG_DST, s.fwd_dst.target(y.data())}});
      s.fwd_dst.export_to(y.data());
    });
  }

  void backward_data(const Tensor& dy, const Tensor& weight, Tensor& dx) override {
    State& s = state_for(cached_x_shape_);
    CONVOY_CHECK(dy.shape() == s.y_shape, "convolution backward got dy ", dy.shape().to_string(),
                 ", expected ", s.y_shape.to_string());
    ensure_backward_data(s);
    dx.ensure_shape(cached_x_shape_);
    onednn_call("convolution backward data", [&] {
      s.bwd_data->execute(stream(), {{DNNL_ARG_DIFF_DST, s.bwd_data_dy.import(dy.data())},
                                     {DNNL_ARG_WEIGHTS, s.bwd_data_weights.import(weight.data())},
                                     {DNNL_ARG_DIFF_SRC, s.bwd_data_dx.target(dx.data())}});
      s.bwd_data_dx.export_to(dx.data());
    });
  }

  void backward_weights(const Tensor& x, const Tensor& dy, Tensor& dweight,
                        Tensor& dbias) override {
    State& s = state_for(x.shape());
    ensure_backward_weights(s);
    onednn_call("convolution backward weights", [&] {
      memory dbias_mem(s.bias_md, engine(), dbias.data());
      s.bwd_weights->execute(stream(),
                             {{DNNL_ARG_SRC, s.bwdw_x.import(x.data())},
                              {DNNL_ARG_DIFF_DST, s.bwdw_dy.import(dy.data())},
                              {DNNL_ARG_DIFF_WEIGHTS, s.bwdw_dweight.target(dweight.data())},
                              {DNNL_ARG_DIFF_BIAS, dbias_mem}});
      s.bwdw_dweight.export_to(dweight.data());
    });
  }

 private:
  struct State {
    Shape y_shape;
    memory::desc x_md, w_md, bias_md, y_md, any_x, any_w, any_y;
    memory::dims strides, padding;
    dnnl::convolution_forward::primitive_desc fwd_pd;
    dnnl::convolution_forward fwd;
    LayoutBridge fwd_src, fwd_weights, fwd_dst;
    std::optional<dnnl::convolution_backward_data> bwd_data;
    LayoutBridge bwd_data_dy, bwd_data_weights, bwd_data_dx;
    std::optional<dnnl::convolution_backward_weights> bwd_weights;
    LayoutBridge bwdw_x, bwdw_dy, bwdw_dweight;
  };

  State& state_for(const Shape& x_shape) {
    if (state_ && x_shape == cached_x_shape_) return *state_;
    const Convolution2dConfig& c = config_;
    CONVOY_CHECK(x_shape.rank() == 4 && x_shape[1] == c.in_channels, "convolution expects (N, ",
                 c.in_channels, ", H, W) input, got ", x_shape.to_string());
    const int64_t oh = (x_shape[2] + 2 * c.pad_h - c.kernel_h) / c.stride_h + 1;
    const int64_t ow = (x_shape[3] + 2 * c.pad_w - c.kernel_w) / c.stride_w + 1;
    CONVOY_CHECK(oh > 0 && ow > 0, "convolution input ", x_shape.to_string(),
                 " is smaller than its kernel");
    auto s = std::make_unique<State>();
    s->y_shape = Shape{x_shape[0], c.out_channels, oh, ow};
    const Shape w_shape{c.out_channels, c.in_channels, c.kernel_h, c.kernel_w};
    s->x_md = plain_desc(x_shape);
    s->w_md = plain_desc(w_shape);
    s->bias_md = plain_desc(Shape{c.out_channels});
    s->y_md = plain_desc(s->y_shape);
    auto any = [](const Shape& shape) {
      return memory::desc(dims_of(shape), memory::data_type::f32, memory::format_tag::any);
    };
    s->any_x = any(x_shape);
    s->any_w = any(w_shape);
    s->any_y = any(s->y_shape);
    s->strides = {c.stride_h, c.stride_w};
    s->padding = {c.pad_h, c.pad_w};
    onednn_call("convolution forward (create)", [&] {
      dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training,
                                        dnnl::algorithm::convolution_direct, s->any_x, s->any_w,
                                        s->bias_md, s->any_y, s->strides, s->padding, s->padding);
      s->fwd_pd = dnnl::convolution_forward::primitive_desc(d, engine());
      s->fwd = dnnl::convolution_forward(s->fwd_pd);
      s->fwd_src.init(s->x_md, s->fwd_pd.src_desc());
      s->fwd_weights.init(s->w_md, s->fwd_pd.weights_desc());
      s->fwd_dst.init(s->y_md, s->fwd_pd.dst_desc());
    });
    state_ = std::move(s);
    cached_x_shape_ = x_shape;
    return *state_;
  }

  void ensure_backward_data(State& s) {
    if (s.bwd_data) return;
    onednn_call("convolution backward data (create)", [&] {
      dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, s.any_x,
                                              s.any_w, s.any_y, s.strides, s.padding, s.padding);
      dnnl::convolution_backward_data::primitive_desc pd(d, engine(), s.fwd_pd);
      s.bwd_data.emplace(pd);
      s.bwd_data_dy.init(s.y_md, pd.diff_dst_desc());
      s.bwd_data_weights.init(s.w_md, pd.weights_desc());
      s.bwd_data_dx.init(s.x_md, pd.diff_src_desc());
    });
  }

  void ensure_backward_weights(State& s) {
    if (s.bwd_weights) return;
    onednn_call("convolution backward weights (create)", [&] {
      dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, s.any_x,
                                                 s.any_w, s.bias_md, s.any_y, s.strides,
                                                 s.padding, s.padding);
      dnnl::convolution_backward_weights::primitive_desc pd(d, engine(), s.fwd_pd);
      s.bwd_weights.emplace(pd);
      s.bwdw_x.init(s.x_md, pd.src_desc());
      s.bwdw_dy.init(s.y_md, pd.diff_dst_desc());
      s.bwdw_dweight.init(s.w_md, pd.diff_weights_desc());
    });
  }

  Convolution2dConfig config_;
  Shape cached_x_shape_;
  std::unique_ptr<State> state_;
};

}  // namespace

std::unique_ptr<Convolution2dOp> make_cpu_convolution2d(const Convolution2dConfig& config) {
  return std::make_unique<CpuConvolution2d>(config);
}

}  // namespace convoy::cpu
