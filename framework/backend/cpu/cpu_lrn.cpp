// Local response normalisation across channels on oneDNN, computed in nhwc
// (plain nchw falls back to a slow reference kernel). SPEC §3's parameters are
// mapped onto oneDNN's (which divides alpha by its always-centred window):
// window = 2 * (n / 2) + 1, library alpha = alpha * window.
#include <optional>

#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/onednn_context.h"
#include "core/error.h"

namespace convoy::cpu {

using dnnl::memory;
namespace {

class CpuLrn final : public LrnOp {
 public:
  explicit CpuLrn(const LrnConfig& config) : config_(config) {
    CONVOY_CHECK(config.local_size >= 1, "LRN local_size must be >= 1, got ", config.local_size);
  }

  void forward(const Tensor& x, Tensor& y, bool training) override {
    State& s = state_for(x.shape());
    y.ensure_shape(x.shape());
    onednn_call("lrn forward", [&] {
      s.fwd.execute(stream(), {{DNNL_ARG_SRC, s.src.import(x.data())},
                               {DNNL_ARG_DST, s.dst.target(y.data())},
                               {DNNL_ARG_WORKSPACE, s.workspace}});
      s.dst.export_to(y.data());
    });
    forward_was_training_ = training;
  }

  void backward(const Tensor& x, const Tensor& dy, Tensor& dx) override {
    CONVOY_CHECK(state_ && forward_was_training_ && x.shape() == cached_x_shape_,
                 "LRN backward needs a training forward of the same input first");
    State& s = *state_;
    if (!s.bwd) {
      onednn_call("lrn backward (create)", [&] {
        dnnl::lrn_backward::desc d(dnnl::algorithm::lrn_across_channels, s.nhwc, s.nhwc,
                                   window(), library_alpha(), config_.beta, config_.k);
        dnnl::lrn_backward::primitive_desc pd(d, engine(), s.fwd_pd);
        s.bwd.emplace(pd);
        s.diff_dst.init(plain_desc(cached_x_shape_), s.nhwc);
        s.diff_src.init(plain_desc(cached_x_shape_), s.nhwc);
      });
    }
    dx.ensure_shape(cached_x_shape_);
    onednn_call("lrn backward", [&] {
      // The forward's src copy in nhwc is still in s.src (same x).
      s.bwd->execute(stream(), {{DNNL_ARG_SRC, s.src.import(x.data())},
                                {DNNL_ARG_DIFF_DST, s.diff_dst.import(dy.data())},
                                {DNNL_ARG_WORKSPACE, s.workspace},
                                {DNNL_ARG_DIFF_SRC, s.diff_src.target(dx.data())}});
      s.diff_src.export_to(dx.data());
    });
  }

 private:
  struct State {
    memory::desc nhwc;
    dnnl::lrn_forward::primitive_desc fwd_pd;
    dnnl::lrn_forward fwd;
    memory workspace;
    LayoutBridge src, dst;
    std::optional<dnnl::lrn_backward> bwd;
    LayoutBridge diff_dst, diff_src;
  };

  memory::dim window() const { return 2 * (config_.local_size / 2) + 1; }
  float library_alpha() const { return static_cast<float>(config_.alpha * window()); }

  State& state_for(const Shape& x_shape) {
    if (state_ && x_shape == cached_x_shape_) return *state_;
    CONVOY_CHECK(x_shape.rank() == 4, "LRN expects (N, C, H, W) input, got ", x_shape.to_string());
    auto s = std::make_unique<State>();
    s->nhwc = memory::desc(dims_of(x_shape), memory::data_type::f32, memory::format_tag::nhwc);
    onednn_call("lrn forward (create)", [&] {
      dnnl::lrn_forward::desc d(dnnl::prop_kind::forward_training,
                                dnnl::algorithm::lrn_across_channels, s->nhwc, window(),
                                library_alpha(), static_cast<float>(config_.beta),
                                static_cast<float>(config_.k));
      s->fwd_pd = dnnl::lrn_forward::primitive_desc(d, engine());
      s->fwd = dnnl::lrn_forward(s->fwd_pd);
      s->workspace = memory(s->fwd_pd.workspace_desc(), engine());
      s->src.init(plain_desc(x_shape), s->nhwc);
      s->dst.init(plain_desc(x_shape), s->nhwc);
    });
    state_ = std::move(s);
    cached_x_shape_ = x_shape;
    forward_was_training_ = false;
    return *state_;
  }

  LrnConfig config_;
  Shape cached_x_shape_;
  std::unique_ptr<State> state_;
  bool forward_was_training_ = false;
};

}  // namespace

std::unique_ptr<LrnOp> make_cpu_lrn(const LrnConfig& config) {
  return std::make_unique<CpuLrn>(config);
}

}  // namespace convoy::cpu
