// relu(LayerNorm(z)) with an elementwise affine, and its gradient, on float32, as XLA FFI
// handlers for the CPU (rnnpop._native compiles and registers them). Each image is
// normalised over all of its D values:
//
//   forward   z (B, D), weight (D), bias (D)  ->  y (B, D), mean (B), rstd (B)
//             y = relu(xhat * weight + bias),  xhat = (z - mean) * rstd,
//             mean = sum(z) / D,  rstd = 1 / sqrt(sum((z - mean)^2) / D + eps)
//   backward  z, mean, rstd, weight, bias, dy  ->  dz (B, D), dweight (D), dbias (D)
//             g = dy where xhat * weight + bias > 0, else 0;  dxhat = g * weight
//             dz = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
//             dweight = sum over images of g * xhat,  dbias = sum over images of g
//
// An image's D values fit in cache, so its passes read memory about once. XLA:CPU ran this as
// a chain of fusions and reductions that each went back to memory. Images are split into one
// part per thread of XLA's pool (parallel.h); each part has its own dweight and dbias, added at
// the end.

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "parallel.h"
#include "vectors.h"
#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

namespace {

using rnnpop::kLanes;
typedef rnnpop::Vec<kLanes>::type V;

inline V load(const float* p) { return rnnpop::load<kLanes>(p); }
inline void store(float* p, V v) { rnnpop::store<kLanes>(p, v); }
inline V splat(float s) { return V{} + s; }

inline float total(V v) {
  float s = 0.0f;
  for (int l = 0; l < kLanes; ++l) s += v[l];
  return s;
}

inline V relu_mask(V pre, V value) {  // value where pre > 0, else 0 (the gradient's mask)
  return pre > V{} ? value : V{};
}

inline V relu(V pre) {  // max(pre, 0), NaN staying NaN as in XLA
  return pre < V{} ? V{} : pre;
}

using rnnpop::in_parts;
using rnnpop::part_count;

void normalise_image(const float* z, const float* w, const float* b, float eps, int64_t d, float* y, float* mean_out,
                     float* rstd_out) {
  const int64_t dv = d - d % kLanes;
  V acc = V{};
  float tail = 0.0f;
  for (int64_t j = 0; j < dv; j += kLanes) acc += load(z + j);
  for (int64_t j = dv; j < d; ++j) tail += z[j];
  const float mean = (total(acc) + tail) / d;
  acc = V{};
  tail = 0.0f;
  const V m = splat(mean);
  for (int64_t j = 0; j < dv; j += kLanes) {
    const V c = load(z + j) - m;
    acc += c * c;
  }
  for (int64_t j = dv; j < d; ++j) tail += (z[j] - mean) * (z[j] - mean);
  const float rstd = 1.0f / std::sqrt((total(acc) + tail) / d + eps);
  const V r = splat(rstd);
  for (int64_t j = 0; j < dv; j += kLanes) {
    const V pre = (load(z + j) - m) * r * load(w + j) + load(b + j);
    store(y + j, relu(pre));
  }
  for (int64_t j = dv; j < d; ++j) {
    const float pre = (z[j] - mean) * rstd * w[j] + b[j];
    y[j] = pre < 0.0f ? 0.0f : pre;
  }
  *mean_out = mean;
  *rstd_out = rstd;
}

ffi::Error forward(ffi::ThreadPool pool, ffi::Buffer<ffi::F32> z, ffi::Buffer<ffi::F32> weight, ffi::Buffer<ffi::F32> bias,
                   ffi::ResultBuffer<ffi::F32> y, ffi::ResultBuffer<ffi::F32> mean, ffi::ResultBuffer<ffi::F32> rstd,
                   float eps) {
  const auto zd = z.dimensions();
  if (zd.size() != 2 || weight.element_count() != zd[1] || bias.element_count() != zd[1])
    return ffi::Error::InvalidArgument("layer_norm_relu: z must be (B, D) and weight, bias (D)");
  const int64_t d = zd[1];
  const float *zp = z.typed_data(), *wp = weight.typed_data(), *bp = bias.typed_data();
  float *yp = y->typed_data(), *mp = mean->typed_data(), *rp = rstd->typed_data();
  in_parts(pool, zd[0], [=](int64_t, int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) normalise_image(zp + i * d, wp, bp, eps, d, yp + i * d, mp + i, rp + i);
  });
  return ffi::Error::Success();
}

// One image's dz, and its g * xhat and g added to dw, db.
void backward_image(const float* z, float mean, float rstd, const float* w, const float* b, const float* dy, int64_t d,
                    float* dz, float* dw, float* db) {
  const int64_t dv = d - d % kLanes;
  const V m = splat(mean), r = splat(rstd);
  V s1 = V{}, s2 = V{};
  float t1 = 0.0f, t2 = 0.0f;
  for (int64_t j = 0; j < dv; j += kLanes) {
    const V xhat = (load(z + j) - m) * r, wj = load(w + j);
    const V g = relu_mask(xhat * wj + load(b + j), load(dy + j));
    const V dxhat = g * wj;
    s1 += dxhat;
    s2 += dxhat * xhat;
    store(dw + j, load(dw + j) + g * xhat);
    store(db + j, load(db + j) + g);
  }
  for (int64_t j = dv; j < d; ++j) {
    const float xhat = (z[j] - mean) * rstd;
    const float g = xhat * w[j] + b[j] > 0.0f ? dy[j] : 0.0f;
    t1 += g * w[j];
    t2 += g * w[j] * xhat;
    dw[j] += g * xhat;
    db[j] += g;
  }
  const float mean1 = (total(s1) + t1) / d, mean2 = (total(s2) + t2) / d;
  const V c1 = splat(mean1), c2 = splat(mean2);
  for (int64_t j = 0; j < dv; j += kLanes) {
    const V xhat = (load(z + j) - m) * r, wj = load(w + j);
    const V dxhat = relu_mask(xhat * wj + load(b + j), load(dy + j)) * wj;
    store(dz + j, r * (dxhat - c1 - xhat * c2));
  }
  for (int64_t j = dv; j < d; ++j) {
    const float xhat = (z[j] - mean) * rstd;
    const float dxhat = (xhat * w[j] + b[j] > 0.0f ? dy[j] : 0.0f) * w[j];
    dz[j] = rstd * (dxhat - mean1 - xhat * mean2);
  }
}

ffi::Error backward(ffi::ThreadPool pool, ffi::Buffer<ffi::F32> z, ffi::Buffer<ffi::F32> mean, ffi::Buffer<ffi::F32> rstd,
                    ffi::Buffer<ffi::F32> weight, ffi::Buffer<ffi::F32> bias, ffi::Buffer<ffi::F32> dy,
                    ffi::ResultBuffer<ffi::F32> dz, ffi::ResultBuffer<ffi::F32> dweight, ffi::ResultBuffer<ffi::F32> dbias) {
  const auto zd = z.dimensions();
  if (zd.size() != 2 || weight.element_count() != zd[1] || bias.element_count() != zd[1] ||
      mean.element_count() != zd[0] || rstd.element_count() != zd[0] || dy.element_count() != z.element_count())
    return ffi::Error::InvalidArgument("layer_norm_relu backward: z, dy must be (B, D), mean, rstd (B), weight, bias (D)");
  const int64_t d = zd[1];
  const float *zp = z.typed_data(), *mp = mean.typed_data(), *rp = rstd.typed_data(), *wp = weight.typed_data(),
              *bp = bias.typed_data(), *dyp = dy.typed_data();
  float* dzp = dz->typed_data();
  const int64_t parts = part_count(pool, zd[0]);
  auto sums = std::make_shared<std::vector<std::vector<float>>>(parts, std::vector<float>(2 * d, 0.0f));
  in_parts(pool, zd[0], parts, [=](int64_t part, int64_t first, int64_t last) {
    float* dw = (*sums)[part].data();
    for (int64_t i = first; i < last; ++i)
      backward_image(zp + i * d, mp[i], rp[i], wp, bp, dyp + i * d, d, dzp + i * d, dw, dw + d);
  });
  float *dwp = dweight->typed_data(), *dbp = dbias->typed_data();
  for (int64_t j = 0; j < d; ++j) {
    float w = 0.0f, b = 0.0f;
    for (const auto& part : *sums) {
      w += part[j];
      b += part[d + j];
    }
    dwp[j] = w;
    dbp[j] = b;
  }
  return ffi::Error::Success();
}

}  // namespace

XLA_FFI_DEFINE_HANDLER_SYMBOL(RnnpopLayerNormRelu, forward,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::ThreadPool>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>()
                                  .Attr<float>("eps"));

XLA_FFI_DEFINE_HANDLER_SYMBOL(RnnpopLayerNormReluBackward, backward,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::ThreadPool>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>());
