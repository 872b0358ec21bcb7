// 2-D convolution on oneDNN with layouts chosen by oneDNN (format_tag::any).
// Activations enter in whatever layout they come (reordered only when it is
// not the chosen one) and leave in the primitive's layout; weights come and
// weight gradients go in plain OIHW. Forward, backward-data and
// backward-weights each get their own weight layout: they may differ.
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
    onednn_call("convolution forward", [&] {
      s.bias.set_data_handle(const_cast<float*>(bias.data()));
      s.fwd.execute(stream(), {{DNNL_ARG_SRC, s.fwd_src.import(x)},
                               {DNNL_ARG_WEIGHTS, s.fwd_weights.import(weight)},
                               {DNNL_ARG_BIAS, s.bias},
                               {DNNL_ARG_DST, s.fwd_dst.bind(y)}});
    });
  }

  void backward_data(const Tensor& dy, const Tensor& weight, Tensor& dx) override {
    CONVOY_CHECK(state_, "convolution backward before forward");
    State& s = *state_;
    CONVOY_CHECK(dy.shape() == s.y_shape, "convolution backward got dy ", dy.shape().to_string(),
                 ", expected ", s.y_shape.to_string());
    ensure_backward_data(s);
    onednn_call("convolution backward data", [&] {
      s.bwd_data->execute(stream(), {{DNNL_ARG_DIFF_DST, s.bwd_data_dy.import(dy)},
                                     {DNNL_ARG_WEIGHTS, s.bwd_data_weights.import(weight)},
                                     {DNNL_ARG_DIFF_SRC, s.bwd_data_dx.bind(dx)}});
    });
  }

  void backward_weights(const Tensor& x, const Tensor& dy, Tensor& dweight, Tensor& dbias,
                        bool accumulate) override {
    State& s = state_for(x.shape());
    ensure_backward_weights(s);
    float* weight_out = dweight_target_.begin(dweight, accumulate);
    onednn_call("convolution backward weights", [&] {
      s.dbias.set_data_handle(dbias_target_.begin(dbias, accumulate));
      s.bwd_weights->execute(stream(),
                             {{DNNL_ARG_SRC, s.bwdw_x.import(x)},
                              {DNNL_ARG_DIFF_DST, s.bwdw_dy.import(dy)},
                              {DNNL_ARG_DIFF_WEIGHTS, s.bwdw_dweight.target(weight_out)},
                              {DNNL_ARG_DIFF_BIAS, s.dbias}});
      s.bwdw_dweight.export_to(weight_out);
    });
    dweight_target_.finish(dweight, accumulate);
    dbias_target_.finish(dbias, accumulate);
  }

 private:
  struct State {
    Shape x_shape, y_shape, w_shape;
    memory::desc any_x, any_w, any_y, bias_md;
    memory::dims strides, padding;
    memory bias, dbias;
    dnnl::convolution_forward::primitive_desc fwd_pd;
    dnnl::convolution_forward fwd;
    InputBridge fwd_src, fwd_weights;
    OutputSlot fwd_dst;
    std::optional<dnnl::convolution_backward_data> bwd_data;
    InputBridge bwd_data_dy, bwd_data_weights;
    OutputSlot bwd_data_dx;
    std::optional<dnnl::convolution_backward_weights> bwd_weights;
    InputBridge bwdw_x, bwdw_dy;
    PlainOutputBridge bwdw_dweight;
  };

  State& state_for(const Shape& x_shape) {
    if (state_ && x_shape == state_->x_shape) return *state_;
    const Convolution2dConfig& c = config_;
    CONVOY_CHECK(x_shape.rank() == 4 && x_shape[1] == c.in_channels, "convolution expects (N, ",
                 c.in_channels, ", H, W) input, got ", x_shape.to_string());
    const int64_t oh = (x_shape[2] + 2 * c.pad_h - c.kernel_h) / c.stride_h + 1;
    const int64_t ow = (x_shape[3] + 2 * c.pad_w - c.kernel_w) / c.stride_w + 1;
    CONVOY_CHECK(oh > 0 && ow > 0, "convolution input ", x_shape.to_string(),
                 " is smaller than its kernel");
    auto s = std::make_unique<State>();
    s->x_shape = x_shape;
    s->y_shape = Shape{x_shape[0], c.out_channels, oh, ow};
    s->w_shape = Shape{c.out_channels, c.in_channels, c.kernel_h, c.kernel_w};
    // With few input channels (an image's 1 or 3), oneDNN's channel-blocked
    // kernels pad them to the vector width and waste most of the work:
    // channels-last runs LeNet's conv1 backward 3.8x and AlexNet's 1.6x faster.
    const auto activation_tag = c.in_channels < 8 ? memory::format_tag::nhwc : memory::format_tag::any;
    s->any_x = tagged_desc(x_shape, activation_tag);
    s->any_w = tagged_desc(s->w_shape, memory::format_tag::any);
    s->any_y = tagged_desc(s->y_shape, activation_tag);
    s->bias_md = plain_desc(Shape{c.out_channels});
    s->strides = {c.stride_h, c.stride_w};
    s->padding = {c.pad_h, c.pad_w};
    onednn_call("convolution forward (create)", [&] {
      dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training,
                                        dnnl::algorithm::convolution_direct, s->any_x, s->any_w,
                                        s->bias_md, s->any_y, s->strides, s->padding, s->padding);
      dnnl::primitive_attr attr;
      if (c.fused_activation) {
        dnnl::post_ops ops;
        ops.append_eltwise(1.0f,
                           *c.fused_activation == ActivationKind::kRelu ? dnnl::algorithm::eltwise_relu
                                                                        : dnnl::algorithm::eltwise_logistic,
                           0.0f, 0.0f);
        attr.set_post_ops(ops);
      }
      s->fwd_pd = dnnl::convolution_forward::primitive_desc(d, attr, engine());
      s->fwd = dnnl::convolution_forward(s->fwd_pd);
      s->fwd_src.init(s->fwd_pd.src_desc());
      s->fwd_weights.init(s->fwd_pd.weights_desc());
      s->fwd_dst.init(s->fwd_pd.dst_desc(), s->y_shape);
      s->bias = memory(s->bias_md, engine(), DNNL_MEMORY_NONE);
      s->dbias = memory(s->bias_md, engine(), DNNL_MEMORY_NONE);
    });
    state_ = std::move(s);
    return *state_;
  }

  void ensure_backward_data(State& s) {
    if (s.bwd_data) return;
    onednn_call("convolution backward data (create)", [&] {
      dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, s.any_x,
                                              s.any_w, s.any_y, s.strides, s.padding, s.padding);
      dnnl::convolution_backward_data::primitive_desc pd(d, engine(), s.fwd_pd);
      s.bwd_data.emplace(pd);
      s.bwd_data_dy.init(pd.diff_dst_desc());
      s.bwd_data_weights.init(pd.weights_desc());
      s.bwd_data_dx.init(pd.diff_src_desc(), s.x_shape);
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
      s.bwdw_x.init(pd.src_desc());
      s.bwdw_dy.init(pd.diff_dst_desc());
      s.bwdw_dweight.init(plain_desc(s.w_shape), pd.diff_weights_desc());
    });
  }

  Convolution2dConfig config_;
  std::unique_ptr<State> state_;
  GradientTarget dweight_target_, dbias_target_;
};

}  // namespace

std::unique_ptr<Convolution2dOp> make_cpu_convolution2d(const Convolution2dConfig& config) {
  return std::make_unique<CpuConvolution2d>(config);
}

}  // namespace convoy::cpu
