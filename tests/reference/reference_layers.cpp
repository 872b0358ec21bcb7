#include "reference/reference_layers.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace convoy::reference {

namespace {
inline int64_t at(const Dims4& d, int64_t n, int64_t c, int64_t h, int64_t w) {
  return ((n * d.c + c) * d.h + h) * d.w + w;
}
}  // namespace

Dims4 conv_output(const Dims4& x, const ConvGeometry& g) {
  return {x.n, g.out_channels, (x.h + 2 * g.pad - g.kernel) / g.stride + 1,
          (x.w + 2 * g.pad - g.kernel) / g.stride + 1};
}

Vec conv_forward(const Vec& x, const Dims4& xd, const Vec& w, const Vec& b, const ConvGeometry& g) {
  const Dims4 yd = conv_output(xd, g);
  const Dims4 wd{g.out_channels, xd.c, g.kernel, g.kernel};
  Vec y(static_cast<size_t>(yd.size()));
  for (int64_t n = 0; n < yd.n; ++n)
    for (int64_t o = 0; o < yd.c; ++o)
      for (int64_t oh = 0; oh < yd.h; ++oh)
        for (int64_t ow = 0; ow < yd.w; ++ow) {
          double sum = b[o];
          for (int64_t c = 0; c < xd.c; ++c)
            for (int64_t kh = 0; kh < g.kernel; ++kh)
              for (int64_t kw = 0; kw < g.kernel; ++kw) {
                const int64_t ih = oh * g.stride - g.pad + kh, iw = ow * g.stride - g.pad + kw;
                if (ih < 0 || ih >= xd.h || iw < 0 || iw >= xd.w) continue;
                sum += x[at(xd, n, c, ih, iw)] * w[at(wd, o, c, kh, kw)];
              }
          y[at(yd, n, o, oh, ow)] = sum;
        }
  return y;
}

void conv_backward(const Vec& x, const Dims4& xd, const Vec& w, const ConvGeometry& g,
                   const Vec& dy, Vec& dx, Vec& dw, Vec& db) {
  const Dims4 yd = conv_output(xd, g);
  const Dims4 wd{g.out_channels, xd.c, g.kernel, g.kernel};
  dx.assign(static_cast<size_t>(xd.size()), 0.0);
  dw.assign(static_cast<size_t>(wd.size()), 0.0);
  db.assign(static_cast<size_t>(g.out_channels), 0.0);
  for (int64_t n = 0; n < yd.n; ++n)
    for (int64_t o = 0; o < yd.c; ++o)
      for (int64_t oh = 0; oh < yd.h; ++oh)
        for (int64_t ow = 0; ow < yd.w; ++ow) {
          const double grad = dy[at(yd, n, o, oh, ow)];
          db[o] += grad;
          for (int64_t c = 0; c < xd.c; ++c)
            for (int64_t kh = 0; kh < g.kernel; ++kh)
              for (int64_t kw = 0; kw < g.kernel; ++kw) {
                const int64_t ih = oh * g.stride - g.pad + kh, iw = ow * g.stride - g.pad + kw;
                if (ih < 0 || ih >= xd.h || iw < 0 || iw >= xd.w) continue;
                dx[at(xd, n, c, ih, iw)] += grad * w[at(wd, o, c, kh, kw)];
                dw[at(wd, o, c, kh, kw)] += grad * x[at(xd, n, c, ih, iw)];
              }
        }
}

Dims4 pool_output(const Dims4& x, const PoolGeometry& g) {
  return {x.n, x.c, (x.h + 2 * g.pad - g.window) / g.stride + 1,
          (x.w + 2 * g.pad - g.window) / g.stride + 1};
}

// Average pooling divides by the full window (padding included), as Caffe and
// PyTorch's default do. Max pooling sends the gradient to the first maximum.
namespace {
template <typename Visit>
void for_each_window(const Dims4& xd, const PoolGeometry& g, Visit visit) {
  const Dims4 yd = pool_output(xd, g);
  for (int64_t n = 0; n < yd.n; ++n)
    for (int64_t c = 0; c < yd.c; ++c)
      for (int64_t oh = 0; oh < yd.h; ++oh)
        for (int64_t ow = 0; ow < yd.w; ++ow) {
          std::vector<int64_t> inputs;
          for (int64_t kh = 0; kh < g.window; ++kh)
            for (int64_t kw = 0; kw < g.window; ++kw) {
              const int64_t ih = oh * g.stride - g.pad + kh, iw = ow * g.stride - g.pad + kw;
              if (ih >= 0 && ih < xd.h && iw >= 0 && iw < xd.w) inputs.push_back(at(xd, n, c, ih, iw));
            }
          visit(at(yd, n, c, oh, ow), inputs);
        }
}
}  // namespace

Vec pool_forward(const Vec& x, const Dims4& xd, const PoolGeometry& g) {
  Vec y(static_cast<size_t>(pool_output(xd, g).size()));
  for_each_window(xd, g, [&](int64_t out, const std::vector<int64_t>& inputs) {
    if (g.max) {
      double best = -std::numeric_limits<double>::infinity();
      for (int64_t i : inputs) best = std::max(best, x[i]);
      y[out] = best;
    } else {
      double sum = 0;
      for (int64_t i : inputs) sum += x[i];
      y[out] = sum / static_cast<double>(g.window * g.window);
    }
  });
  return y;
}

Vec pool_backward(const Vec& x, const Dims4& xd, const PoolGeometry& g, const Vec& dy) {
  Vec dx(static_cast<size_t>(xd.size()), 0.0);
  for_each_window(xd, g, [&](int64_t out, const std::vector<int64_t>& inputs) {
    if (g.max) {
      int64_t best = inputs.front();
      for (int64_t i : inputs)
        if (x[i] > x[best]) best = i;
      dx[best] += dy[out];
    } else {
      for (int64_t i : inputs) dx[i] += dy[out] / static_cast<double>(g.window * g.window);
    }
  });
  return dx;
}

namespace {
// The docs/models.md window of channel i.
inline void lrn_window(int64_t i, int64_t channels, int64_t n, int64_t& lo, int64_t& hi) {
  lo = std::max<int64_t>(0, i - n / 2);
  hi = std::min<int64_t>(channels - 1, i + n / 2);
}

// k + alpha * (sum of squares over channel i's window) at one position.
inline double lrn_denominator_base(const Vec& x, const Dims4& xd, const LrnParams& p, int64_t n,
                                   int64_t i, int64_t h, int64_t w) {
  int64_t lo, hi;
  lrn_window(i, xd.c, p.n, lo, hi);
  double sum = 0;
  for (int64_t j = lo; j <= hi; ++j) sum += x[at(xd, n, j, h, w)] * x[at(xd, n, j, h, w)];
  return p.k + p.alpha * sum;
}
}  // namespace

Vec lrn_forward(const Vec& x, const Dims4& xd, const LrnParams& p) {
  Vec y(x.size());
  for (int64_t n = 0; n < xd.n; ++n)
    for (int64_t h = 0; h < xd.h; ++h)
      for (int64_t w = 0; w < xd.w; ++w)
        for (int64_t i = 0; i < xd.c; ++i)
          y[at(xd, n, i, h, w)] =
              x[at(xd, n, i, h, w)] / std::pow(lrn_denominator_base(x, xd, p, n, i, h, w), p.beta);
  return y;
}

// d b_i / d a_j = [i == j] s_i^-beta - 2 beta alpha a_i a_j s_i^(-beta-1)  for j in window(i).
Vec lrn_backward(const Vec& x, const Dims4& xd, const LrnParams& p, const Vec& dy) {
  Vec dx(x.size(), 0.0);
  for (int64_t n = 0; n < xd.n; ++n)
    for (int64_t h = 0; h < xd.h; ++h)
      for (int64_t w = 0; w < xd.w; ++w)
        for (int64_t i = 0; i < xd.c; ++i) {
          int64_t lo, hi;
          lrn_window(i, xd.c, p.n, lo, hi);
          const double s = lrn_denominator_base(x, xd, p, n, i, h, w);
          const double g = dy[at(xd, n, i, h, w)];
          const double a_i = x[at(xd, n, i, h, w)];
          dx[at(xd, n, i, h, w)] += g * std::pow(s, -p.beta);
          for (int64_t j = lo; j <= hi; ++j)
            dx[at(xd, n, j, h, w)] -=
                g * 2.0 * p.beta * p.alpha * a_i * x[at(xd, n, j, h, w)] * std::pow(s, -p.beta - 1.0);
        }
  return dx;
}

Vec relu_forward(const Vec& x) {
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] > 0 ? x[i] : 0.0;
  return y;
}

Vec relu_backward(const Vec& x, const Vec& dy) {
  Vec dx(x.size());
  for (size_t i = 0; i < x.size(); ++i) dx[i] = x[i] > 0 ? dy[i] : 0.0;
  return dx;
}

Vec sigmoid_forward(const Vec& x) {
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = 1.0 / (1.0 + std::exp(-x[i]));
  return y;
}

Vec sigmoid_backward(const Vec& x, const Vec& dy) {
  Vec dx(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double s = 1.0 / (1.0 + std::exp(-x[i]));
    dx[i] = dy[i] * s * (1.0 - s);
  }
  return dx;
}

Vec linear_forward(const Vec& x, int64_t batch, const Vec& w, const Vec& b, int64_t in, int64_t out) {
  Vec y(static_cast<size_t>(batch * out));
  for (int64_t r = 0; r < batch; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double sum = b[o];
      for (int64_t i = 0; i < in; ++i) sum += x[r * in + i] * w[o * in + i];
      y[r * out + o] = sum;
    }
  return y;
}

void linear_backward(const Vec& x, int64_t batch, const Vec& w, int64_t in, int64_t out,
                     const Vec& dy, Vec& dx, Vec& dw, Vec& db) {
  dx.assign(static_cast<size_t>(batch * in), 0.0);
  dw.assign(static_cast<size_t>(out * in), 0.0);
  db.assign(static_cast<size_t>(out), 0.0);
  for (int64_t r = 0; r < batch; ++r)
    for (int64_t o = 0; o < out; ++o) {
      const double g = dy[r * out + o];
      db[o] += g;
      for (int64_t i = 0; i < in; ++i) {
        dx[r * in + i] += g * w[o * in + i];
        dw[o * in + i] += g * x[r * in + i];
      }
    }
}

double softmax_xent(const Vec& z, int64_t batch, int64_t classes,
                    const std::vector<int32_t>& labels, Vec* grad) {
  double loss = 0;
  if (grad) grad->assign(z.size(), 0.0);
  for (int64_t r = 0; r < batch; ++r) {
    double zmax = z[r * classes];
    for (int64_t c = 1; c < classes; ++c) zmax = std::max(zmax, z[r * classes + c]);
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(z[r * classes + c] - zmax);
    loss += std::log(sum) + zmax - z[r * classes + labels[r]];
    if (grad)
      for (int64_t c = 0; c < classes; ++c)
        (*grad)[r * classes + c] =
            (std::exp(z[r * classes + c] - zmax) / sum - (c == labels[r] ? 1.0 : 0.0)) /
            static_cast<double>(batch);
  }
  return loss / static_cast<double>(batch);
}

}  // namespace convoy::reference
