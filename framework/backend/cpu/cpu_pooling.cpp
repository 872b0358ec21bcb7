// Max and average pooling (overlapping windows allowed) on oneDNN, computed in
// nhwc (oneDNN's JIT kernels; plain nchw would be slower), reordered at the boundary.
#include <optional>

#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/onednn_context.h"
#include "core/error.h"

namespace convoy::cpu {

using dnnl::memory;
namespace {

class CpuPooling2d final : public Pooling2dOp {
 public:
  explicit CpuPooling2d(const Pooling2dConfig& config) : config_(config) {}

  void forward(const Tensor& x, Tensor& y, bool training) override {
    State& s = state_for(x.shape());
    y.ensure_shape(s.y_shape);
    onednn_call("pooling forward", [&] {
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, s.src.import(x.data())},
                                           {DNNL_ARG_DST, s.dst.target(y.data())}};
      if (s.workspace) args.emplace(DNNL_ARG_WORKSPACE, *s.workspace);
      s.fwd.execute(stream(), args);
      s.dst.export_to(y.data());
    });
    forward_was_training_ = training;
  }

  void backward(const Tensor& dy, Tensor& dx) override {
    CONVOY_CHECK(state_ && forward_was_training_,
                 "pooling backward needs a training forward first");
    State& s = *state_;
    CONVOY_CHECK(dy.shape() == s.y_shape, "pooling backward got dy ", dy.shape().to_string(),
                 ", expected ", s.y_shape.to_string());
    if (!s.bwd) {
      onednn_call("pooling backward (create)", [&] {
        dnnl::pooling_backward::desc d(algorithm(), s.x_nhwc, s.y_nhwc, strides(), window(),
                                       padding(), padding());
        dnnl::pooling_backward::primitive_desc pd(d, engine(), s.fwd_pd);
        s.bwd.emplace(pd);
        s.diff_dst.init(plain_desc(s.y_shape), pd.diff_dst_desc());
        s.diff_src.init(plain_desc(cached_x_shape_), pd.diff_src_desc());
      });
    }
    dx.ensure_shape(cached_x_shape_);
    onednn_call("pooling backward", [&] {
      std::unordered_map<int, memory> args{{DNNL_ARG_DIFF_DST, s.diff_dst.import(dy.data())},
                                           {DNNL_ARG_DIFF_SRC, s.diff_src.target(dx.data())}};
      if (s.workspace) args.emplace(DNNL_ARG_WORKSPACE, *s.workspace);
      s.bwd->execute(stream(), args);
      s.diff_src.export_to(dx.data());
    });
  }

 private:
  struct State {
    Shape y_shape;
    memory::desc x_nhwc, y_nhwc;
    dnnl::pooling_forward::primitive_desc fwd_pd;
    dnnl::pooling_forward fwd;
    std::optional<memory> workspace;
    LayoutBridge src, dst;
    std::optional<dnnl::pooling_backward> bwd;
    LayoutBridge diff_dst, diff_src;
  };

  dnnl::algorithm algorithm() const {
    return config_.kind == PoolingKind::kMax ? dnnl::algorithm::pooling_max
                                             : dnnl::algorithm::pooling_avg_include_padding;
  }
  memory::dims strides() const { return {config_.stride_h, config_.stride_w}; }
  memory::dims window() const { return {config_.window_h, config_.window_w}; }
  memory::dims padding() const { return {config_.pad_h, config_.pad_w}; }

  State& state_for(const Shape& x_shape) {
    if (state_ && x_shape == cached_x_shape_) return *state_;
    const Pooling2dConfig& c = config_;
    CONVOY_CHECK(x_shape.rank() == 4, "pooling expects (N, C, H, W) input, got ",
                 x_shape.to_string());
    const int64_t oh = (x_shape[2] + 2 * c.pad_h - c.window_h) / c.stride_h + 1;
    const int64_t ow = (x_shape[3] + 2 * c.pad_w - c.window_w) / c.stride_w + 1;
    CONVOY_CHECK(oh > 0 && ow > 0, "pooling input ", x_shape.to_string(),
                 " is smaller than its window");
    auto s = std::make_unique<State>();
    s->y_shape = Shape{x_shape[0], x_shape[1], oh, ow};
    s->x_nhwc = memory::desc(dims_of(x_shape), memory::data_type::f32, memory::format_tag::nhwc);
    s->y_nhwc =
        memory::desc(dims_of(s->y_shape), memory::data_type::f32, memory::format_tag::nhwc);
    onednn_call("pooling forward (create)", [&] {
      dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_training, algorithm(), s->x_nhwc,
                                    s->y_nhwc, strides(), window(), padding(), padding());
      s->fwd_pd = dnnl::pooling_forward::primitive_desc(d, engine());
      s->fwd = dnnl::pooling_forward(s->fwd_pd);
      if (s->fwd_pd.workspace_desc().get_size() > 0)
        s->workspace.emplace(s->fwd_pd.workspace_desc(), engine());
      s->src.init(plain_desc(x_shape), s->x_nhwc);
      s->dst.init(plain_desc(s->y_shape), s->y_nhwc);
    });
    state_ = std::move(s);
    cached_x_shape_ = x_shape;
    forward_was_training_ = false;
    return *state_;
  }

  Pooling2dConfig config_;
  Shape cached_x_shape_;
  std::unique_ptr<State> state_;
  bool forward_was_training_ = false;
};

}  // namespace

std::unique_ptr<Pooling2dOp> make_cpu_pooling2d(const Pooling2dConfig& config) {
  return std::make_unique<CpuPooling2d>(config);
}

}  // namespace convoy::cpu
