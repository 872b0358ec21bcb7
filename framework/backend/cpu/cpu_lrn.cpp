// Local response normalisation across channels on oneDNN, computed in the
// layout the input arrives in when that is channel-blocked, else in the CPU's
// channel-blocked layout (nchw and nhwc fall back to slow reference kernels).
// docs/models.md's parameters are mapped onto oneDNN's (which divides alpha by its
// always-centred window): window = 2 * (n / 2) + 1, library alpha = alpha * window.
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
    State& s = state_for(x);
    onednn_call("lrn forward", [&] {
      s.fwd.execute(stream(), {{DNNL_ARG_SRC, s.src.import(x)},
                               {DNNL_ARG_DST, s.dst.bind(y)},
                               {DNNL_ARG_WORKSPACE, s.workspace}});
    });
    forward_was_training_ = training;
  }

  void backward(const Tensor& x, const Tensor& dy, Tensor& dx) override {
    CONVOY_CHECK(state_ && forward_was_training_ && x.shape() == state_->x_shape,
                 "LRN backward needs a training forward of the same input first");
    State& s = *state_;
    if (!s.bwd) {
      onednn_call("lrn backward (create)", [&] {
        dnnl::lrn_backward::desc d(dnnl::algorithm::lrn_across_channels, s.data_md, s.data_md,
                                   window(), library_alpha(), static_cast<float>(config_.beta),
                                   static_cast<float>(config_.k));
        dnnl::lrn_backward::primitive_desc pd(d, engine(), s.fwd_pd);
        s.bwd.emplace(pd);
        s.diff_dst.init(pd.diff_dst_desc());
        s.diff_src.init(pd.diff_src_desc(), s.x_shape);
      });
    }
    onednn_call("lrn backward", [&] {
      s.bwd->execute(stream(), {{DNNL_ARG_SRC, s.src.import(x)},
                                {DNNL_ARG_DIFF_DST, s.diff_dst.import(dy)},
                                {DNNL_ARG_WORKSPACE, s.workspace},
                                {DNNL_ARG_DIFF_SRC, s.diff_src.bind(dx)}});
    });
  }

 private:
  struct State {
    Shape x_shape;
    memory::desc data_md;
    dnnl::lrn_forward::primitive_desc fwd_pd;
    dnnl::lrn_forward fwd;
    memory workspace;
    InputBridge src;
    OutputSlot dst;
    std::optional<dnnl::lrn_backward> bwd;
    InputBridge diff_dst;
    OutputSlot diff_src;
  };

  memory::dim window() const { return 2 * (config_.local_size / 2) + 1; }
  float library_alpha() const { return static_cast<float>(config_.alpha * window()); }

  State& state_for(const Tensor& x) {
    if (state_ && x.shape() == state_->x_shape) return *state_;
    CONVOY_CHECK(x.rank() == 4, "LRN expects (N, C, H, W) input, got ", x.shape().to_string());
    auto s = std::make_unique<State>();
    s->x_shape = x.shape();
    // Only channel-blocked layouts have fast LRN kernels (nchw and nhwc fall back to reference code).
    const bool blocked = !x.is_plain() && desc_of(x).data.format_desc.blocking.inner_nblks > 0;
    s->data_md = blocked ? desc_of(x) : tagged_desc(x.shape(), blocked_channel_tag());
    onednn_call("lrn forward (create)", [&] {
      dnnl::lrn_forward::desc d(dnnl::prop_kind::forward_training,
                                dnnl::algorithm::lrn_across_channels, s->data_md, window(),
                                library_alpha(), static_cast<float>(config_.beta),
                                static_cast<float>(config_.k));
      s->fwd_pd = dnnl::lrn_forward::primitive_desc(d, engine());
      s->fwd = dnnl::lrn_forward(s->fwd_pd);
      s->workspace = memory(s->fwd_pd.workspace_desc(), engine());
      s->src.init(s->fwd_pd.src_desc());
      s->dst.init(s->fwd_pd.dst_desc(), s->x_shape);
    });
    state_ = std::move(s);
    forward_was_training_ = false;
    return *state_;
  }

  LrnConfig config_;
  std::unique_ptr<State> state_;
  bool forward_was_training_ = false;
};

}  // namespace

std::unique_ptr<LrnOp> make_cpu_lrn(const LrnConfig& config) {
  return std::make_unique<CpuLrn>(config);
}

}  // namespace convoy::cpu
