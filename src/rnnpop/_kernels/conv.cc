// A stride-1 convolution of channel-last float32 feature maps with zero padding, as an XLA FFI
// handler for the CPU (rnnpop._native compiles and registers it). It serves both the
// forward pass and the input gradient (a convolution of the output gradient with the flipped,
// transposed kernel).
//
//   x   (N, H, W, I)     input
//   w   (KH, KW, I, O)   kernel
//   out (N, H', W', O)   out[n, h', w', o] = sum over dy, dx, i of
//                        xp[n, h' + dy, w' + dx, i] * w[dy, dx, i, o],
//                        xp = x with pad_top, pad_left zero rows, columns before it (and
//                        whatever after it H', W' need)
//
// Each image is copied once into a zero-padded scratch image, so the inner loop has no edge
// cases; a tile of MR output columns by NV vectors of output channels stays in registers over
// all KH·KW·I products. Images are split into one part per thread of XLA's pool (parallel.h).

#include <algorithm>
#include <cstdint>
#include <cstring>
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


struct Shape {
  int64_t ci, co, kh, kw, hp, wp, ho, wo;  // hp, wp: the padded image
};

// out[c0 .. c0 + MR) x [o0 .. o0 + NV·L) of output row `row`, from the padded image xp.
template <int L, int NV, int MR>
void tile(const Shape& s, const float* xp, const float* w, float* out, int64_t row, int64_t c0, int64_t o0) {
  typedef typename Vec<L>::type V;
  V a[MR][NV];
#pragma GCC unroll 64
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 64
    for (int v = 0; v < NV; ++v) a[m][v] = V{};
  for (int64_t dy = 0; dy < s.kh; ++dy)
    for (int64_t dx = 0; dx < s.kw; ++dx) {
      const float* xr = xp + ((row + dy) * s.wp + c0 + dx) * s.ci;
      const float* wr = w + (dy * s.kw + dx) * s.ci * s.co + o0;
      for (int64_t i = 0; i < s.ci; ++i) {
        V wv[NV];
#pragma GCC unroll 64
        for (int v = 0; v < NV; ++v) wv[v] = load<L>(wr + i * s.co + v * L);
#pragma GCC unroll 64
        for (int m = 0; m < MR; ++m) {
          const float xs = xr[m * s.ci + i];
#pragma GCC unroll 64
          for (int v = 0; v < NV; ++v) a[m][v] += xs * wv[v];
        }
      }
    }
  float* o = out + (row * s.wo + c0) * s.co + o0;
  for (int m = 0; m < MR; ++m)
    for (int v = 0; v < NV; ++v) store<L>(o + m * s.co + v * L, a[m][v]);
}

template <int L, int NV>
void image(const Shape& s, const float* xp, const float* w, float* out) {
  for (int64_t row = 0; row < s.ho; ++row)
    for (int64_t o0 = 0; o0 < s.co; o0 += NV * L)
      rnnpop::in_blocks<rnnpop::register_block(16, NV)>(s.wo, [&](auto mr, int64_t c) {
        tile<L, NV, decltype(mr)::value>(s, xp, w, out, row, c, o0);
      });
}

typedef void (*ImageFn)(const Shape&, const float*, const float*, float*);

// co is a multiple of 8 (the Python side sends nothing else).
ImageFn choose(int64_t co) {
  if (co % (2 * kLanes) == 0) return image<kLanes, 2>;
  if (co % kLanes == 0) return image<kLanes, 1>;
  return image<8, 1>;
}

ffi::Error convolve(ffi::ThreadPool pool, ffi::Buffer<ffi::F32> x, ffi::Buffer<ffi::F32> w, ffi::ResultBuffer<ffi::F32> out,
                    int64_t pad_top, int64_t pad_left) {
  const auto xd = x.dimensions(), wd = w.dimensions(), od = out->dimensions();
  if (xd.size() != 4 || wd.size() != 4 || od.size() != 4)
    return ffi::Error::InvalidArgument("conv: x, w and out must be 4-D (N, H, W, I), (KH, KW, I, O), (N, H', W', O)");
  if (od[0] != xd[0] || wd[2] != xd[3] || od[3] != wd[3] || od[3] % 8 != 0 || pad_top < 0 || pad_left < 0)
    return ffi::Error::InvalidArgument("conv: shapes of x, w and out disagree, O is not a multiple of 8, or a padding is negative");
  const int64_t n = xd[0], h = xd[1], wi = xd[2];
  const Shape s{xd[3], wd[3], wd[0], wd[1], od[1] + wd[0] - 1, od[2] + wd[1] - 1, od[1], od[2]};
  const ImageFn fn = choose(s.co);
  const float *xp = x.typed_data(), *wp = w.typed_data();
  float* op = out->typed_data();
  rnnpop::in_parts(pool, n, [=](int64_t, int64_t first, int64_t last) {
    std::vector<float> padded(s.hp * s.wp * s.ci, 0.0f);
    const int64_t rows = std::min(h, s.hp - pad_top), cols = std::min(wi, s.wp - pad_left);
    for (int64_t i = first; i < last; ++i) {
      for (int64_t r = 0; r < rows && cols > 0; ++r)
        std::memcpy(&padded[((r + pad_top) * s.wp + pad_left) * s.ci], xp + ((i * h + r) * wi) * s.ci,
                    sizeof(float) * cols * s.ci);
      fn(s, padded.data(), wp, op + i * s.ho * s.wo * s.co);
    }
  });
  return ffi::Error::Success();
}

}  // namespace

XLA_FFI_DEFINE_HANDLER_SYMBOL(RnnpopConv, convolve,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::ThreadPool>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>()
                                  .Attr<int64_t>("pad_top")
                                  .Attr<int64_t>("pad_left"));
