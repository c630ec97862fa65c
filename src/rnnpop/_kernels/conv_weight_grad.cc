// The weight gradient of a stride-1 convolution on channel-last float32 feature maps, as an
// XLA FFI handler for the CPU (rnnpop._native compiles and registers it).
//
//   x  (N, H, W, I)      the convolution's input
//   g  (N, H', W', O)    the gradient of its output
//   dw (O, I, KH, KW)    sum over n, h', w' of g[n, h', w', o] * x[n, h' + dy - pad_top, w' + dx - pad_left, i]
//                        (x is zero outside the image)
//
// XLA:CPU computes this as a convolution over transposed copies of x and g (Eigen's layout);
// here each input value is read where it lies and meets, in registers, all the gradient
// vectors it pairs with along one kernel row. Rows of (n, h') are split into one part per
// thread of XLA's pool (parallel.h), each with its own accumulator; the parts are added at the end.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "parallel.h"
#include "vectors.h"
#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

namespace {

using rnnpop::kLanes;
using rnnpop::load;
using rnnpop::store;
using rnnpop::Vec;

template <int L>
inline void add_to(float* p, typename Vec<L>::type v) {
  store<L>(p, load<L>(p) + v);
}

struct Problem {
  const float* x;
  const float* g;
  int64_t n, h, w, ci, ho, wo, co, kh, kw, pad_top, pad_left;
};

alignas(64) const float kZeros[2 * kLanes] = {};

// acc[dy][d0 + d][i0 + m][o0 + v*L] += over rows r in [r0, r1) of (n * H' + h') and all columns:
// the taps d0 .. d0 + K - 1 of kernel row dy, for MR input channels and NV vectors of L output
// channels. A gradient column outside the image reads zeros.
template <int L, int NV, int MR, int K>
void block(const Problem& p, float* acc, int64_t r0, int64_t r1, int64_t dy, int64_t d0, int64_t i0, int64_t o0) {
  typedef typename Vec<L>::type V;
  V a[K][MR][NV];
#pragma GCC unroll 64
  for (int d = 0; d < K; ++d)
#pragma GCC unroll 64
    for (int m = 0; m < MR; ++m)
#pragma GCC unroll 64
      for (int v = 0; v < NV; ++v) a[d][m][v] = V{};
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t image = r / p.ho, row = r % p.ho + dy - p.pad_top;
    if (row < 0 || row >= p.h) continue;
    const float* grow = p.g + r * p.wo * p.co + o0;
    const float* xrow = p.x + (image * p.h + row) * p.w * p.ci + i0;
    for (int64_t c = 0; c < p.w; ++c) {  // input column c meets gradient column c + pad_left - dx
      V gv[K][NV];
#pragma GCC unroll 64
      for (int d = 0; d < K; ++d) {
        const int64_t gc = c + p.pad_left - d0 - d;
        const bool inside = gc >= 0 && gc < p.wo;
#pragma GCC unroll 64
        for (int v = 0; v < NV; ++v) gv[d][v] = load<L>(inside ? grow + gc * p.co + v * L : kZeros);
      }
      const float* xc = xrow + c * p.ci;
#pragma GCC unroll 64
      for (int m = 0; m < MR; ++m) {
        const float s = xc[m];
#pragma GCC unroll 64
        for (int d = 0; d < K; ++d)
#pragma GCC unroll 64
          for (int v = 0; v < NV; ++v) a[d][m][v] += s * gv[d][v];
      }
    }
  }
  for (int d = 0; d < K; ++d) {
    float* out = acc + ((dy * p.kw + d0 + d) * p.ci + i0) * p.co + o0;
    for (int m = 0; m < MR; ++m)
      for (int v = 0; v < NV; ++v) add_to<L>(out + m * p.co + v * L, a[d][m][v]);
  }
}

template <int L, int NV, int K>
void taps(const Problem& p, float* acc, int64_t r0, int64_t r1, int64_t dy, int64_t d0, int64_t o0) {
  rnnpop::in_blocks<rnnpop::register_block(8, K * NV)>(p.ci, [&](auto mr, int64_t i0) {
    block<L, NV, decltype(mr)::value, K>(p, acc, r0, r1, dy, d0, i0, o0);
  });
}

// Rows [r0, r1) into acc (KH, KW, I, O), in blocks of rows that stay in cache.
template <int L, int NV>
void part(const Problem& p, float* acc, int64_t r0, int64_t r1) {
  const int64_t rows = std::max<int64_t>(1, 512 / std::max<int64_t>(1, p.wo));
  for (int64_t b0 = r0; b0 < r1; b0 += rows) {
    const int64_t b1 = std::min(r1, b0 + rows);
    for (int64_t dy = 0; dy < p.kh; ++dy)
      for (int64_t o0 = 0; o0 < p.co; o0 += L * NV)
        for (int64_t d0 = 0; d0 < p.kw;) {
          const int64_t left = p.kw - d0;
          if (left >= 3 || left == 1) {
            if (left == 1) taps<L, NV, 1>(p, acc, b0, b1, dy, d0, o0); else taps<L, NV, 3>(p, acc, b0, b1, dy, d0, o0);
            d0 += left == 1 ? 1 : 3;
          } else {
            taps<L, NV, 2>(p, acc, b0, b1, dy, d0, o0);
            d0 += 2;
          }
        }
  }
}

typedef void (*PartFn)(const Problem&, float*, int64_t, int64_t);

// co is a multiple of 8 (the Python side sends nothing else).
PartFn choose(int64_t co) {
  if (co % (2 * kLanes) == 0) return part<kLanes, 2>;
  if (co % kLanes == 0) return part<kLanes, 1>;
  return part<8, 1>;
}

ffi::Error weight_grad(ffi::ThreadPool pool, ffi::Buffer<ffi::F32> x, ffi::Buffer<ffi::F32> g,
                       ffi::ResultBuffer<ffi::F32> dw, int64_t pad_top, int64_t pad_left) {
  const auto xd = x.dimensions(), gd = g.dimensions(), wd = dw->dimensions();
  if (xd.size() != 4 || gd.size() != 4 || wd.size() != 4)
    return ffi::Error::InvalidArgument("conv_weight_grad: x, g and dw must be 4-D (N, H, W, C), (N, H', W', O), (O, I, KH, KW)");
  if (gd[0] != xd[0] || wd[0] != gd[3] || wd[1] != xd[3] || gd[3] % 8 != 0)
    return ffi::Error::InvalidArgument("conv_weight_grad: batch or channel counts of x, g and dw disagree, or O is not a multiple of 8");
  const Problem p{x.typed_data(), g.typed_data(), xd[0], xd[1], xd[2], xd[3], gd[1], gd[2], gd[3], wd[2], wd[3],
                  pad_top, pad_left};
  const PartFn fn = choose(p.co);
  const int64_t rows = p.n * p.ho, parts = rnnpop::part_count(pool, rows);
  auto acc = std::make_shared<std::vector<std::vector<float>>>(parts, std::vector<float>(p.kh * p.kw * p.ci * p.co, 0.0f));
  rnnpop::in_parts(pool, rows, parts, [=](int64_t part, int64_t first, int64_t last) { fn(p, (*acc)[part].data(), first, last); });
  float* out = dw->typed_data();
  const int64_t taps = p.kh * p.kw;
  for (int64_t t = 0; t < taps; ++t)
    for (int64_t i = 0; i < p.ci; ++i)
      for (int64_t o = 0; o < p.co; ++o) {
        float sum = 0.0f;
        for (const auto& part : *acc) sum += part[(t * p.ci + i) * p.co + o];
        out[(o * p.ci + i) * taps + t] = sum;
      }
  return ffi::Error::Success();
}

}  // namespace

XLA_FFI_DEFINE_HANDLER_SYMBOL(RnnpopConvWeightGrad, weight_grad,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::ThreadPool>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>()
                                  .Attr<int64_t>("pad_top")
                                  .Attr<int64_t>("pad_left"));
