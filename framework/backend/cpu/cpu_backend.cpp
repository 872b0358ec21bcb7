// The CPU backend: oneDNN ops plus the few element-wise kernels oneDNN lacks
// (dropout with keyed masks, softmax cross-entropy, the fused SGD update).
#include <dnnl.h>

#include <deque>

#include <algorithm>
#include <cmath>

#include "backend/backend.h"
#include "backend/cpu/cpu_ops.h"
#include "backend/cpu/onednn_context.h"
#include "core/bfloat16.h"
#include "core/error.h"
#include "core/finite.h"
#include "core/philox.h"
#include "core/philox_block.h"

namespace convoy {

namespace {

void require_cpu(const Tensor& t, const char* what) {
  CONVOY_CHECK(t.device() == Device::kCPU && t.is_plain(), what, " must be a plain CPU tensor");
}

class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu (oneDNN " + onednn_version() + ")"; }

  std::unique_ptr<Convolution2dOp> make_convolution2d(const Convolution2dConfig& c) override {
    return cpu::make_cpu_convolution2d(c);
  }
  std::unique_ptr<Pooling2dOp> make_pooling2d(const Pooling2dConfig& c) override {
    return cpu::make_cpu_pooling2d(c);
  }
  std::unique_ptr<LrnOp> make_lrn(const LrnConfig& c) override { return cpu::make_cpu_lrn(c); }
  std::unique_ptr<ActivationOp> make_activation(ActivationKind kind) override {
    return cpu::make_cpu_activation(kind);
  }
  std::unique_ptr<LinearOp> make_linear() override { return cpu::make_cpu_linear(); }

  void to_plain(const Tensor& src, Tensor& dst) override {
    CONVOY_CHECK(src.device() == Device::kCPU, "to_plain of a non-CPU tensor");
    dst.ensure_shape(src.shape());
    if (src.is_plain()) {
      dst.copy_from(src);
      return;
    }
    cpu::onednn_call("reorder (to plain)", [&] {
      const dnnl::memory::desc from = cpu::desc_of(src);
      ToPlain* entry = nullptr;
      for (ToPlain& e : to_plain_cache_)
        if (e.from == from) entry = &e;
      if (!entry) {  // one reorder per source layout, built once
        ToPlain e;
        e.from = from;
        e.src = dnnl::memory(from, cpu::engine(), DNNL_MEMORY_NONE);
        e.dst = dnnl::memory(cpu::plain_desc(src.shape()), cpu::engine(), DNNL_MEMORY_NONE);
        e.reorder = dnnl::reorder(e.src, e.dst);
        to_plain_cache_.push_back(std::move(e));
        entry = &to_plain_cache_.back();
      }
      entry->src.set_data_handle(const_cast<float*>(src.data()));
      entry->dst.set_data_handle(dst.data());
      entry->reorder.execute(cpu::stream(), entry->src, entry->dst);
    });
  }

  void dropout_forward(const Tensor& x, float keep, uint64_t seed, uint64_t step, uint32_t layer,
                       std::span<const int64_t> sample_ids, Tensor& mask, Tensor& y) override {
    require_cpu(x, "dropout input");
    const int64_t batch = x.dim(0), width = x.shape().per_sample();
    CONVOY_CHECK(static_cast<int64_t>(sample_ids.size()) == batch, "dropout needs one sample id per row: ",
                 sample_ids.size(), " ids for batch ", batch);
    CONVOY_CHECK(keep > 0.0f && keep <= 1.0f, "dropout keep probability must be in (0, 1], got ", keep);
    mask.ensure_shape(x.shape());
    y.ensure_shape(x.shape());
    const float scale = 1.0f / keep;
    const float* in = x.data();
    float* m = mask.data();
    float* out = y.data();
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < batch; ++b) {
      const RandomStream stream(seed, RandomPurpose::kDropout, step,
                                static_cast<uint64_t>(sample_ids[b]), layer);
      for (int64_t block = 0; block * 4 < width; ++block) {
        const PhiloxCounter words = stream.block_at(static_cast<uint64_t>(block));
        for (int64_t j = block * 4; j < std::min(width, block * 4 + 4); ++j) {
          const float u = philox::uniform(words[j - block * 4]);
          const float factor = u < keep ? scale : 0.0f;
          m[b * width + j] = factor;
          out[b * width + j] = in[b * width + j] * factor;
        }
      }
    }
  }

  void multiply(const Tensor& a, const Tensor& b, Tensor& out) override {
    require_cpu(a, "multiply input");
    require_cpu(b, "multiply input");
    CONVOY_CHECK(a.numel() == b.numel(), "multiply of ", a.shape().to_string(), " and ",
                 b.shape().to_string());
    out.ensure_shape(a.shape());
    const float* pa = a.data();
    const float* pb = b.data();
    float* po = out.data();
    const int64_t n = a.numel();
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) po[i] = pa[i] * pb[i];
  }

  double softmax_cross_entropy(const Tensor& logits, std::span<const int32_t> labels,
                               Tensor& probabilities, Tensor& grad_logits) override {
    require_cpu(logits, "logits");
    check_class_labels(logits, labels, "softmax cross-entropy");
    const int64_t batch = logits.dim(0), classes = logits.dim(1);
    probabilities.ensure_shape(logits.shape());
    grad_logits.ensure_shape(logits.shape());
    double total = 0.0;
    for (int64_t b = 0; b < batch; ++b) {
      const int32_t label = labels[b];
      const float* z = logits.data() + b * classes;
      float* p = probabilities.data() + b * classes;
      float* g = grad_logits.data() + b * classes;
      const float z_max = *std::max_element(z, z + classes);
      double sum = 0.0;
      for (int64_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(z[c] - z_max));
      const double log_sum = std::log(sum);
      total += log_sum - (z[label] - z_max);
      for (int64_t c = 0; c < classes; ++c) {
        p[c] = static_cast<float>(std::exp(z[c] - z_max - log_sum));
        g[c] = (p[c] - (c == label ? 1.0f : 0.0f)) / static_cast<float>(batch);
      }
    }
    return total / static_cast<double>(batch);
  }

  void sgd_step(Tensor& weight, const Tensor& grad, Tensor& velocity,
                const SgdHyper& h) override {
    require_cpu(grad, "gradient");
    CONVOY_CHECK(weight.numel() == grad.numel() && weight.numel() == velocity.numel(),
                 "SGD step on mismatched tensors ", weight.shape().to_string(), ", ",
                 grad.shape().to_string(), ", ", velocity.shape().to_string());
    float* w = weight.data();
    float* v = velocity.data();
    const float* g = grad.data();
    const int64_t n = weight.numel();
    const float lr = h.lr, mu = h.momentum, wd = h.weight_decay, scale = h.grad_scale;
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const float d = scale * g[i] + wd * w[i];
      v[i] = mu * v[i] + d;
      w[i] -= lr * v[i];
    }
  }

  int64_t count_top_k_correct(const Tensor& scores, std::span<const int32_t> labels, int k) override {
    require_cpu(scores, "top-k scores");
    check_class_labels(scores, labels, "top-k count");
    const int64_t classes = scores.dim(1);
    int64_t correct = 0;
    for (int64_t b = 0; b < scores.dim(0); ++b) {
      const float* row = scores.data() + b * classes;
      const float target = row[labels[b]];
      // Rank of the label: classes scoring higher, ties broken by lower index first.
      int64_t better = 0;
      for (int64_t c = 0; c < classes; ++c) better += row[c] > target || (row[c] == target && c < labels[b]);
      correct += better < k;
    }
    return correct;
  }

  int64_t first_non_finite(const Tensor& t) override {
    require_cpu(t, "the tensor scanned for non-finite values");
    return convoy::first_non_finite(t.data(), t.numel());
  }

  void round_to_bf16(const float* src, uint16_t* dst, int64_t n) override {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) dst[i] = float_to_bf16(src[i]);
  }

  void widen_from_bf16(const uint16_t* src, float* dst, int64_t n) override {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_float(src[i]);
  }

 private:
  struct ToPlain {
    dnnl::memory::desc from;
    dnnl::memory src, dst;
    dnnl::reorder reorder;
  };
  std::deque<ToPlain> to_plain_cache_;

  static std::string onednn_version() {
    const dnnl_version_t* v = dnnl_version();
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  }
};

}  // namespace

Backend& cpu_backend() {
  static CpuBackend instance;
  return instance;
}

}  // namespace convoy
