// Naive double-precision reference layers: the simplest loops that follow the
// definitions (docs/models.md-§4), independent of oneDNN. Tensors are flat vectors in
// plain layouts (NCHW, OIHW, (B, L)).
#pragma once

#include <cstdint>
#include <vector>

namespace convoy::reference {

using Vec = std::vector<double>;

struct Dims4 {
  int64_t n, c, h, w;
  int64_t size() const { return n * c * h * w; }
};

struct ConvGeometry {
  int64_t out_channels, kernel, stride, pad;
};

Dims4 conv_output(const Dims4& x, const ConvGeometry& g);
Vec conv_forward(const Vec& x, const Dims4& xd, const Vec& w, const Vec& b, const ConvGeometry& g);
// Gradients of sum(dy * y) w.r.t. x, w and b.
void conv_backward(const Vec& x, const Dims4& xd, const Vec& w, const ConvGeometry& g,
                   const Vec& dy, Vec& dx, Vec& dw, Vec& db);

struct PoolGeometry {
  bool max;
  int64_t window, stride, pad;
};
Dims4 pool_output(const Dims4& x, const PoolGeometry& g);
Vec pool_forward(const Vec& x, const Dims4& xd, const PoolGeometry& g);
Vec pool_backward(const Vec& x, const Dims4& xd, const PoolGeometry& g, const Vec& dy);

// docs/models.md: b_i = a_i / (k + alpha * sum_{j=max(0,i-n/2)}^{min(N-1,i+n/2)} a_j^2)^beta.
struct LrnParams {
  int64_t n;
  double alpha, beta, k;
};
Vec lrn_forward(const Vec& x, const Dims4& xd, const LrnParams& p);
Vec lrn_backward(const Vec& x, const Dims4& xd, const LrnParams& p, const Vec& dy);

Vec relu_forward(const Vec& x);
Vec relu_backward(const Vec& x, const Vec& dy);
Vec sigmoid_forward(const Vec& x);
Vec sigmoid_backward(const Vec& x, const Vec& dy);

// y (B, out) = x (B, in) * w^T (w: (out, in)) + b
Vec linear_forward(const Vec& x, int64_t batch, const Vec& w, const Vec& b, int64_t in, int64_t out);
void linear_backward(const Vec& x, int64_t batch, const Vec& w, int64_t in, int64_t out,
                     const Vec& dy, Vec& dx, Vec& dw, Vec& db);

// Mean cross-entropy of softmax(z) over the batch, and its gradient.
double softmax_xent(const Vec& z, int64_t batch, int64_t classes, const std::vector<int32_t>& labels,
                    Vec* grad);

}  // namespace convoy::reference
