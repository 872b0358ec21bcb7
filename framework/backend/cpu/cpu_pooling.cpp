// Max and average pooling (overlapping windows allowed) on oneDNN. Computed in
// the layout the input arrives in when that is a oneDNN one (a convolution's
// blocked output), else in the CPU's channel-blocked layout; the output keeps it.
#include <optional>
#include <unordered_map>

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
    State& s = state_for(x);
    onednn_call("pooling forward", [&] {
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, s.src.import(x)},
                                           {DNNL_ARG_DST, s.dst.bind(y)}};
      if (s.workspace) args.emplace(DNNL_ARG_WORKSPACE, *s.workspace);
      s.fwd.execute(stream(), args);
    });
    forward_was_training_ = training;
  }

  void backward(const Tensor& dy, Tensor& dx) override {
    CONVOY_CHECK(state_ && forward_was_training_, "pooling backward needs a training forward first");
    State& s = *state_;
    CONVOY_CHECK(dy.shape() == s.y_shape, "pooling backward got dy ", dy.shape().to_string(),
                 ", expected ", s.y_shape.to_string());
    if (!s.bwd) {
      onednn_call("pooling backward (create)", [&] {
        dnnl::pooling_backward::desc d(algorithm(), s.fwd_pd.src_desc(), s.fwd_pd.dst_desc(),
                                       strides(), window(), padding(), padding());
        dnnl::pooling_backward::primitive_desc pd(d, engine(), s.fwd_pd);
        s.bwd.emplace(pd);
        s.diff_dst.init(pd.diff_dst_desc());
        s.diff_src.init(pd.diff_src_desc(), s.x_shape);
      });
    }
    onednn_call("pooling backward", [&] {
      std::unordered_map<int, memory> args{{DNNL_ARG_DIFF_DST, s.diff_dst.import(dy)},
                                           {DNNL_ARG_DIFF_SRC, s.diff_src.bind(dx)}};
      if (s.workspace) args.emplace(DNNL_ARG_WORKSPACE, *s.workspace);
      s.bwd->execute(stream(), args);
    });
  }

 private:
  struct State {
    Shape x_shape, y_shape;
    dnnl::pooling_forward::primitive_desc fwd_pd;
    dnnl::pooling_forward fwd;
    std::optional<memory> workspace;
    InputBridge src;
    OutputSlot dst;
    std::optional<dnnl::pooling_backward> bwd;
    InputBridge diff_dst;
    OutputSlot diff_src;
  };

  dnnl::algorithm algorithm() const {
    return config_.kind == PoolingKind::kMax ? dnnl::algorithm::pooling_max
                                             : dnnl::algorithm::pooling_avg_include_padding;
  }
  memory::dims strides() const { return {config_.stride_h, config_.stride_w}; }
  memory::dims window() const { return {config_.window_h, config_.window_w}; }
  memory::dims padding() const { return {config_.pad_h, config_.pad_w}; }

  State& state_for(const Tensor& x) {
    const Shape& x_shape = x.shape();
    if (state_ && x_shape == state_->x_shape) return *state_;
    const Pooling2dConfig& c = config_;
    CONVOY_CHECK(x_shape.rank() == 4, "pooling expects (N, C, H, W) input, got ", x_shape.to_string());
    const int64_t oh = (x_shape[2] + 2 * c.pad_h - c.window_h) / c.stride_h + 1;
    const int64_t ow = (x_shape[3] + 2 * c.pad_w - c.window_w) / c.stride_w + 1;
    CONVOY_CHECK(oh > 0 && ow > 0, "pooling input ", x_shape.to_string(), " is smaller than its window");
    auto s = std::make_unique<State>();
    s->x_shape = x_shape;
    s->y_shape = Shape{x_shape[0], x_shape[1], oh, ow};
    const memory::desc src_md = x.is_plain() ? tagged_desc(x_shape, blocked_channel_tag()) : desc_of(x);
    onednn_call("pooling forward (create)", [&] {
      dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_training, algorithm(), src_md,
                                    tagged_desc(s->y_shape, memory::format_tag::any), strides(),
                                    window(), padding(), padding());
      s->fwd_pd = dnnl::pooling_forward::primitive_desc(d, engine());
      s->fwd = dnnl::pooling_forward(s->fwd_pd);
      if (s->fwd_pd.workspace_desc().get_size() > 0)
        s->workspace.emplace(s->fwd_pd.workspace_desc(), engine());
      s->src.init(s->fwd_pd.src_desc());
      s->dst.init(s->fwd_pd.dst_desc(), s->y_shape);
    });
    state_ = std::move(s);
    forward_was_training_ = false;
    return *state_;
  }

  Pooling2dConfig config_;
  std::unique_ptr<State> state_;
  bool forward_was_training_ = false;
};

}  // namespace

std::unique_ptr<Pooling2dOp> make_cpu_pooling2d(const Pooling2dConfig& config) {
  return std::make_unique<CpuPooling2d>(config);
}

}  // namespace convoy::cpu
