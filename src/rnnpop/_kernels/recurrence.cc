// The recurrences of rnnpop's cells and their linear readout over a batch of trials, forward
// and backward, on float32, as XLA FFI handlers for the CPU (rnnpop._native compiles and
// registers them; rnnpop.models._recurrence calls them). One call runs all T steps of every
// network in the call: the input projection, the recurrent product (register-blocked GEMMs,
// below), the cell's elementwise work and the readout of each step in the same loop, with no
// per-step dispatch and no (T, B, nb·n) array of drives or of their cotangents in memory.
//
//   forward   wt (G.., n, nb·n)  the recurrent matrix transposed, W_hᵀ
//             wxt (G.., i, nb·n)  the input matrix transposed, W_xᵀ;  b (G.., nb·n)
//             wout (G.., o, n), bout (G.., o)  the readout;  x (G.., T, B, i)  the inputs
//          -> states (G.., T, B, S)  S = n, or 2n for the LSTM ([h; c])
//             y (G.., T, B, o)  the outputs, W_out h_t + b_out
//             saved (G.., T, B, k·n)  what the backward pass needs (cell below)
//   Every sequence is time-major, so that each step reads and writes contiguous rows (with
//   trial-major states and cotangents, T·S floats apart, the backward loop waited on their
//   loads: 17 % of its time for the LSTM at 64 units).
//   backward  w (G.., nb·n, n), wxt, wout, x, states, saved, g (G.., T, B, S) the states'
//             cotangent (not read with attribute state_cotangent = 0: the trainer's loss reads
//             only the outputs), gy (G.., T, B, o) the outputs'
//          -> dw (G.., nb·n, n)  W_h's gradient, Σ_t δ_tᵀ h_{t−1} (the GRU's candidate block:
//             Σ_t δ_tᵀ (r_t ⊙ h_{t−1})), dwxt (G.., i, nb·n)  W_xᵀ's, Σ_t x_tᵀ δ_t,
//             db (G.., nb·n)  b's, Σ_t δ_t, dwout (G.., o, n)  W_out's, Σ_t gy_tᵀ h_t,
//             dbout (G.., o)  b_out's, dx (G.., T, B, i)  the inputs', δ_t W_x; δ_t, the
//             cotangent of step t's pre-activations, lives one step, and each sum is added to
//             while δ_t and its partner are in cache
//
// Cells (attribute `cell`), with blocks in rnnpop's order and φ the activation:
//   0 vanilla  h' = φ(W h + d)                                      saved: nothing (k = 0)
//   1 UGRNN    c = φ(W_c h + d_c), g = σ(W_g h + d_g), h' = g h + (1 − g) c    saved: c, g
//   2 GRU      z = σ(W_z h + d_z), r = σ(W_r h + d_r), c = φ(W_c (r h) + d_c),
//              h' = z h + (1 − z) c                                saved: z, r, c
//   3 LSTM     i, f, o = σ(·), u = φ(·), c' = f c + i u, h' = o φ(c')   saved: i, f, o, u (φ(c') is
//              recomputed backwards from c', which the states hold)
// Attribute `bf16` = 1 (TrainConfig.matmul = "bfloat16"; a CPU with AVX512-BF16, n % 16 == 0):
// every product above from operands rounded to bfloat16 (W_h, the states, r ⊙ h, the
// pre-activations' cotangents), accumulated in float32 by vdpbf16ps; the rest (the input
// projection and its gradients included) is float32.
// Networks are split into one part per thread of XLA's pool (parallel.h).

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#if defined(__SSE__)
#include <immintrin.h>
#endif

#include "parallel.h"
#include "vectors.h"
#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

namespace {

// --- vectors of L floats and their functions ------------------------------------------------

template <int L>
using V = typename rnnpop::Vec<L>::type;

template <int L>
struct Ints {
  typedef int32_t type __attribute__((vector_size(4 * L)));
};

template <int L>
inline V<L> ld(const float* p) { return rnnpop::load<L>(p); }

template <int L>
inline void st(float* p, V<L> v) { rnnpop::store<L>(p, v); }

template <int L>
inline V<L> splat(float s) { return V<L>{} + s; }

// the sum of a vector's lanes
template <int L>
inline float hsum(V<L> v) {
#if defined(__AVX512F__)
  if constexpr (L == 16) return _mm512_reduce_add_ps(v);
#endif
  float sum = 0.0f;
  for (int l = 0; l < L; ++l) sum += v[l];
  return sum;
}

// e^x to about 1 ulp (Cephes' expf: x = k ln 2 + r, |r| <= ln 2 / 2, a degree-5 polynomial),
// x clamped to [-87.3, 88.3] so that 2^k stays a normal float.
template <int L>
inline V<L> exp_(V<L> x) {
  typedef typename Ints<L>::type I;
  x = x < -87.3f ? splat<L>(-87.3f) : x;
  x = x > 88.3f ? splat<L>(88.3f) : x;
  const V<L> k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
  const V<L> r = (x - k * 0.693359375f) + k * 2.12194440e-4f;
  V<L> p = splat<L>(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const I bits = (__builtin_convertvector(k, I) + 127) << 23;
  return p * reinterpret_cast<const V<L>&>(bits);
}

template <int L>
inline V<L> sigmoid(V<L> x) { return 1.0f / (1.0f + exp_<L>(-x)); }

// tanh: the odd rational minimax approximation of degrees 13/6 that XLA:CPU and Eigen use,
// on x clamped to ±7.905 (where tanh rounds to ±1 in float32); ~1e-7 relative error.
template <int L>
inline V<L> tanh_(V<L> x) {
  x = x < -7.90531110763549805f ? splat<L>(-7.90531110763549805f) : x;
  x = x > 7.90531110763549805f ? splat<L>(7.90531110763549805f) : x;
  const V<L> z = x * x;
  V<L> p = splat<L>(-2.76076847742355e-16f);
  p = p * z + 2.00018790482477e-13f;
  p = p * z - 8.60467152213735e-11f;
  p = p * z + 5.12229709037114e-08f;
  p = p * z + 1.48572235717979e-05f;
  p = p * z + 6.37261928875436e-04f;
  p = p * z + 4.89352455891786e-03f;
  V<L> q = splat<L>(1.19825839466702e-06f);
  q = q * z + 1.18534705686654e-04f;
  q = q * z + 2.26843463243900e-03f;
  q = q * z + 4.89352518554385e-03f;
  return x * p / q;
}

template <int L, bool Relu>
inline V<L> phi(V<L> x) {
  if constexpr (Relu) return x < 0.0f ? V<L>{} : x;  // NaN stays NaN, as XLA's max
  else return tanh_<L>(x);
}

template <int L, bool Relu>
inline V<L> phi_prime(V<L> y) {  // φ'(x) from y = φ(x)
  if constexpr (Relu) return y > 0.0f ? splat<L>(1.0f) : V<L>{};
  else return 1.0f - y * y;
}

// --- C (M × N) += A (M × K) @ B (K × N), N a multiple of L; with Trans, A is given as Aᵀ
// (K × M), for the weight gradient Σ_k a_kᵀ b_k over K trials -------------------------------

template <int L, int NV, int MR, bool Trans>
inline void tile(int64_t k_size, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc) {
  V<L> acc[MR][NV];
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) acc[m][v] = ld<L>(c + m * ldc + v * L);
  for (int64_t k = 0; k < k_size; ++k) {
    V<L> bv[NV];
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) bv[v] = ld<L>(b + k * ldb + v * L);
#pragma GCC unroll 16
    for (int m = 0; m < MR; ++m) {
      const float s = Trans ? a[k * lda + m] : a[m * lda + k];
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) acc[m][v] += s * bv[v];
    }
  }
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) st<L>(c + m * ldc + v * L, acc[m][v]);
}

// Rows in blocks of MR while they fit, then 4, 2, 1: MR rows of NV vectors of accumulators,
// the NV vectors of B they share and one broadcast of A fill the 16 (or 32) vector registers.
template <int L, int NV, int MR, bool Trans>
inline void column_panel(int64_t m_size, int64_t k_size, const float* a, int64_t lda, const float* b, int64_t ldb,
                         float* c, int64_t ldc) {
  const int64_t row = Trans ? 1 : lda;  // A's step from one row of C to the next
  int64_t i = 0;
  for (; i + MR <= m_size; i += MR) tile<L, NV, MR, Trans>(k_size, a + i * row, lda, b, ldb, c + i * ldc, ldc);
  rnnpop::in_blocks<4>(m_size - i, [&](auto mr, int64_t r) {
    tile<L, NV, decltype(mr)::value, Trans>(k_size, a + (i + r) * row, lda, b, ldb, c + (i + r) * ldc, ldc);
  });
}

template <int L, bool Trans = false>
void gemm(int64_t m_size, int64_t n_size, int64_t k_size, const float* a, int64_t lda, const float* b, int64_t ldb,
          float* c, int64_t ldc) {
  // (kRows + 1) · 2 + 1 <= registers; 8 rows for the per-step products (M = the trials, 64
  // for the trainer: 12-row tiles left a 4-row one, and the input gradient's 64 × 256 × 1024
  // product ran at 75 GFLOP/s instead of 116 on one core, a throwaway driver); 12 for the weight
  // gradient's long M
  constexpr int kRows = rnnpop::kRegisters < 32 ? 6 : Trans ? 12 : 8;
  int64_t j = 0;
  for (; j + 2 * L <= n_size; j += 2 * L)
    column_panel<L, 2, kRows, Trans>(m_size, k_size, a, lda, b + j, ldb, c + j, ldc);
  for (; j < n_size; j += L) column_panel<L, 1, kRows, Trans>(m_size, k_size, a, lda, b + j, ldb, c + j, ldc);
}

template <int L>
void gemm_tn(int64_t m_size, int64_t n_size, int64_t k_size, const float* a, int64_t lda, const float* b,
             int64_t ldb, float* c, int64_t ldc) {
  gemm<L, true>(m_size, n_size, k_size, a, lda, b, ldb, c, ldc);
}

// --- the same products with bfloat16 operands and float32 accumulation (AVX512-BF16) ---------
// vdpbf16ps adds to each float lane the two products of a pair of bf16 values: B is given
// with its rows paired (K/2 × N, a uint32 per pair of rows, the lower row in the low half),
// A as pairs along K (for Trans, as paired rows of Aᵀ). Operands are rounded to nearest-even.

#if defined(__AVX512BF16__)
constexpr bool kBf16 = true;

typedef uint32_t U32x16 __attribute__((vector_size(64)));
typedef uint16_t U16x16 __attribute__((vector_size(32)));

inline U32x16 bf16_bits(V<16> x) {  // the bf16 nearest to each lane, in the low 16 bits
  const U32x16 u = reinterpret_cast<const U32x16&>(x);
  return (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
}

// m rows of k floats (lda apart) -> m × k contiguous bf16, i.e. pairs along k (k % 16 == 0)
void to_bf16(int64_t m, int64_t k, const float* a, int64_t lda, uint16_t* out) {
  for (int64_t r = 0; r < m; ++r)
    for (int64_t j = 0; j < k; j += 16) {
      const U16x16 h = __builtin_convertvector(bf16_bits(ld<16>(a + r * lda + j)), U16x16);
      std::memcpy(out + r * k + j, &h, sizeof(h));
    }
}

// rows 2i and 2i + 1 of m rows of k floats paired: out (⌈m/2⌉ × k), a missing last row as 0
void pair_rows(int64_t m, int64_t k, const float* a, int64_t lda, uint32_t* out) {
  for (int64_t i = 0; 2 * i < m; ++i)
    for (int64_t j = 0; j < k; j += 16) {
      const U32x16 lo = bf16_bits(ld<16>(a + 2 * i * lda + j));
      const U32x16 hi = 2 * i + 1 < m ? bf16_bits(ld<16>(a + (2 * i + 1) * lda + j)) : U32x16{};
      const U32x16 both = lo | (hi << 16);
      std::memcpy(out + i * k + j, &both, sizeof(both));
    }
}

template <int NV, int MR, bool Trans>
inline void tile_bf16(int64_t k_pairs, const uint32_t* a, int64_t lda, const uint32_t* b, int64_t ldb, float* c,
                      int64_t ldc) {
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) acc[m][v] = _mm512_loadu_ps(c + m * ldc + v * 16);
  for (int64_t k = 0; k < k_pairs; ++k) {
    __m512bh bv[NV];
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) bv[v] = (__m512bh)_mm512_loadu_si512(b + k * ldb + v * 16);
#pragma GCC unroll 16
    for (int m = 0; m < MR; ++m) {
      const __m512bh s = (__m512bh)_mm512_set1_epi32(Trans ? a[k * lda + m] : a[m * lda + k]);
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) acc[m][v] = _mm512_dpbf16_ps(acc[m][v], s, bv[v]);
    }
  }
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(c + m * ldc + v * 16, acc[m][v]);
}

// C (M × N) += A @ B over k_pairs pairs, N % 16 == 0
template <bool Trans>
void gemm_bf16(int64_t m_size, int64_t n_size, int64_t k_pairs, const uint32_t* a, int64_t lda, const uint32_t* b,
               int64_t ldb, float* c, int64_t ldc) {
  const int64_t row = Trans ? 1 : lda;
  auto panel = [&](auto nv, int64_t j) {
    constexpr int NV = decltype(nv)::value;
    int64_t i = 0;
    // 8-row tiles for the weight gradient (M = blocks·n: LSTM-256's 1024 × 256 × 32-pair
    // product 205 GFLOP/s against 180 with 12 rows on one core, a throwaway driver); for the
    // per-step products 6 rows of 4 vectors where the columns allow, else 12 rows of 2 (LSTM-256's
    // forward pass 23.9 → 21.4 ms in a driver of the kernels; within its spread at 64 and 128)
    constexpr int MR = Trans ? 8 : NV == 4 ? 6 : 12;
    for (; i + MR <= m_size; i += MR) tile_bf16<NV, MR, Trans>(k_pairs, a + i * row, lda, b + j, ldb, c + i * ldc + j, ldc);
    rnnpop::in_blocks<4>(m_size - i, [&](auto mr, int64_t r) {
      tile_bf16<NV, decltype(mr)::value, Trans>(k_pairs, a + (i + r) * row, lda, b + j, ldb, c + (i + r) * ldc + j, ldc);
    });
  };
  int64_t j = 0;
  if constexpr (!Trans)
    for (; j + 64 <= n_size; j += 64) panel(std::integral_constant<int, 4>{}, j);
  for (; j + 32 <= n_size; j += 32) panel(std::integral_constant<int, 2>{}, j);
  for (; j < n_size; j += 16) panel(std::integral_constant<int, 1>{}, j);
}
#else
constexpr bool kBf16 = false;
#endif

// The recurrent matrix as the right operand of the per-step products: float32 (rows ld apart)
// and, for bf16, its rows paired (pair_rows), with the scratch the left operands are converted in.
struct Weights {
  const float* f;
  std::vector<uint32_t> pairs;
  int64_t ld;
  std::vector<uint16_t> a;                 // a left operand in bf16
  std::vector<uint32_t> at, bt;            // a weight gradient's paired operands
};

// C (m × nn) += A (m × k, rows lda apart) @ W[row : row + k, col : col + nn]
template <int L, bool Bf16>
void product(int64_t m, int64_t nn, int64_t k, const float* a, int64_t lda, Weights& w, int64_t row, int64_t col,
             float* c, int64_t ldc) {
  if constexpr (Bf16) {
#if defined(__AVX512BF16__)
    to_bf16(m, k, a, lda, w.a.data());
    gemm_bf16<false>(m, nn, k / 2, reinterpret_cast<const uint32_t*>(w.a.data()), k / 2,
                     w.pairs.data() + row / 2 * w.ld + col, w.ld, c, ldc);
#endif
  } else {
    gemm<L>(m, nn, k, a, lda, w.f + row * w.ld + col, w.ld, c, ldc);
  }
}

// G (mm × nn) += Aᵀ B, A (kb × mm) and B (kb × nn) rows lda and ldb apart: a weight gradient
template <int L, bool Bf16>
void weight_product(int64_t mm, int64_t nn, int64_t kb, const float* a, int64_t lda, const float* b, int64_t ldb,
                    Weights& w, float* g, int64_t ldg) {
  if constexpr (Bf16) {
#if defined(__AVX512BF16__)
    pair_rows(kb, mm, a, lda, w.at.data());
    pair_rows(kb, nn, b, ldb, w.bt.data());
    gemm_bf16<true>(mm, nn, (kb + 1) / 2, w.at.data(), mm, w.bt.data(), nn, g, ldg);
#endif
  } else {
    gemm_tn<L>(mm, nn, kb, a, lda, b, ldb, g, ldg);
  }
}

// --- one network ------------------------------------------------------------------------------

struct Dims {
  int64_t t, b, n, nb, s, k, i, o;  // steps, trials, units, blocks, state size, saved blocks, inputs, outputs
};

constexpr int64_t kBlocks[] = {1, 2, 3, 4}, kSaved[] = {0, 2, 3, 4};

// W (rows × ld floats, ld a multiple of 16 for bf16) as the per-step products' right operand
template <bool Bf16>
Weights make_weights(const float* f, int64_t rows, int64_t ld, const Dims& d) {
  Weights w{f, {}, ld, {}, {}, {}};
  if constexpr (Bf16) {
    const int64_t wide = d.nb * d.n, half = (d.b + 1) / 2;
    w.pairs.resize(rows / 2 * ld);
#if defined(__AVX512BF16__)
    pair_rows(rows, ld, f, ld, w.pairs.data());
#endif
    w.a.resize(d.b * wide);
    w.at.resize(half * wide);
    w.bt.resize(half * d.n);
  }
  return w;
}

// for every trial row r and unit chunk j: f(r, j)
template <int L, typename F>
inline void units(const Dims& d, F&& f) {
  for (int64_t r = 0; r < d.b; ++r)
    for (int64_t j = 0; j < d.n; j += L) f(r, j);
}

// pre (B × w) = b + x_t W_xᵀ, x_t the inputs of step t (B × i): one pass over pre, the
// few inputs of a trial broadcast against W_xᵀ's rows (in cache), four vectors of a row at a
// time (four chains of additions, not one)
template <int L>
void project(const Dims& d, int64_t t, const float* wxt, const float* bias, const float* x, float* pre) {
  const int64_t w = d.nb * d.n;
  for (int64_t r = 0; r < d.b; ++r) {
    const float* xr = x + (t * d.b + r) * d.i;
    rnnpop::in_blocks<4>(w / L, [&](auto nv, int64_t v0) {
      constexpr int NV = decltype(nv)::value;
      const int64_t j = v0 * L;
      V<L> acc[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[v] = ld<L>(bias + j + v * L);
      for (int64_t k = 0; k < d.i; ++k)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[v] += xr[k] * ld<L>(wxt + k * w + j + v * L);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) st<L>(pre + r * w + j + v * L, acc[v]);
    });
  }
}

// out[r·ldo + q] = bias[q] (0 without) + a[r] · m[q] for r < rows, q < cols: the dot products
// of the rows of a (rows × len, lda apart) with those of m (cols × len, contiguous), in register
// blocks of up to 4 × 4 independent sums (one chain of additions per dot product is
// latency-bound), one pass over a for up to 4 cols. For the inputs' gradient δ_t W_x and the
// readout W_out h_t + b_out.
template <int L>
void row_dots(int64_t rows, int64_t cols, int64_t len, const float* a, int64_t lda, const float* m,
              const float* bias, float* out, int64_t ldo) {
  rnnpop::in_whole_blocks<4>(cols, [&](auto kb, int64_t k0) {
    constexpr int KB = decltype(kb)::value;
    rnnpop::in_blocks<4>(rows, [&](auto rb, int64_t r0) {
      constexpr int RB = decltype(rb)::value;
      V<L> acc[RB][KB] = {};
      for (int64_t j = 0; j < len; j += L) {
        V<L> mv[KB];
#pragma GCC unroll 4
        for (int q = 0; q < KB; ++q) mv[q] = ld<L>(m + (k0 + q) * len + j);
#pragma GCC unroll 4
        for (int r = 0; r < RB; ++r) {
          const V<L> av = ld<L>(a + (r0 + r) * lda + j);
#pragma GCC unroll 4
          for (int q = 0; q < KB; ++q) acc[r][q] += av * mv[q];
        }
      }
#pragma GCC unroll 4
      for (int r = 0; r < RB; ++r)
#pragma GCC unroll 4
        for (int q = 0; q < KB; ++q)
          out[(r0 + r) * ldo + k0 + q] = (bias ? bias[k0 + q] : 0.0f) + hsum<L>(acc[r][q]);
    });
  });
}

// g (cols × len, contiguous) += cᵀ a = Σ_r c[r]ᵀ a[r], c (rows × cols, ldc apart) and a (rows ×
// len, lda apart), and, with sums, sums (len) += Σ_r a[r]: the gradients of W_x and b from the
// step's inputs and δ_t, and of W_out from dy_t and h_t. Sums over the rows in registers, for
// columns of a in blocks of up to 4 vectors, one pass over a for up to 4 cols.
template <int L>
void row_outer_sums(int64_t rows, int64_t cols, int64_t len, const float* c, int64_t ldc, const float* a,
                    int64_t lda, float* g, float* sums) {
  rnnpop::in_blocks<4>(len / L, [&](auto nv, int64_t v0) {  // columns of a: NV vectors from v0
    constexpr int NV = decltype(nv)::value;
    const float* e = a + v0 * L;
    rnnpop::in_whole_blocks<4>(cols, [&](auto kb, int64_t k0) {
      constexpr int KB = decltype(kb)::value;
      const bool add_sums = sums && k0 == 0;
      V<L> acc[KB][NV] = {}, sum[NV] = {};
      for (int64_t r = 0; r < rows; ++r) {
        V<L> ev[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) ev[v] = ld<L>(e + r * lda + v * L);
        if (add_sums)
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) sum[v] += ev[v];
#pragma GCC unroll 4
        for (int q = 0; q < KB; ++q)
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[q][v] += c[r * ldc + k0 + q] * ev[v];
      }
#pragma GCC unroll 4
      for (int q = 0; q < KB; ++q)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          float* out = g + (k0 + q) * len + (v0 + v) * L;
          st<L>(out, ld<L>(out) + acc[q][v]);
        }
      if (add_sums)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) st<L>(sums + (v0 + v) * L, ld<L>(sums + (v0 + v) * L) + sum[v]);
    });
  });
}

template <int L, int Cell, bool Relu, bool Bf16>
void forward_one(const Dims& d, const float* wt, const float* wxt, const float* bias, const float* wout,
                 const float* bout, const float* x, float* states, float* y, float* saved) {
  const int64_t n = d.n, w = d.nb * n, sk = d.k * n, rs = d.s, step = d.b * d.s;  // rs, sk: trials' strides
  Weights wts = make_weights<Bf16>(wt, n, w, d);  // W_hᵀ (n × w)
  std::vector<float> zero(step, 0.0f), pre(d.b * w), rh(Cell == 2 ? d.b * n : 0);
  for (int64_t t = 0; t < d.t; ++t) {
    const float* prev = t ? states + (t - 1) * step : zero.data();  // rows [h] or [h; c], rs apart
    float* out = states + t * step;
    float* keep = saved + t * d.b * sk;
    project<L>(d, t, wxt, bias, x, pre.data());
    if constexpr (Cell == 2) {  // z, r first; c from r ⊙ h
      product<L, Bf16>(d.b, 2 * n, n, prev, rs, wts, 0, 0, pre.data(), w);
      units<L>(d, [&](int64_t r, int64_t j) {
        const float* p = pre.data() + r * w + j;
        const V<L> z = sigmoid<L>(ld<L>(p)), g = sigmoid<L>(ld<L>(p + n));
        st<L>(keep + r * sk + j, z);
        st<L>(keep + r * sk + n + j, g);
        st<L>(rh.data() + r * n + j, g * ld<L>(prev + r * rs + j));
      });
      product<L, Bf16>(d.b, n, n, rh.data(), n, wts, 0, 2 * n, pre.data() + 2 * n, w);
    } else {
      product<L, Bf16>(d.b, w, n, prev, rs, wts, 0, 0, pre.data(), w);
    }
    units<L>(d, [&](int64_t r, int64_t j) {
      const float* p = pre.data() + r * w + j;
      const float* h = prev + r * rs + j;
      float* o = out + r * rs + j;
      float* s = keep + r * sk + j;
      if constexpr (Cell == 0) {
        st<L>(o, phi<L, Relu>(ld<L>(p)));
      } else if constexpr (Cell == 1) {
        const V<L> c = phi<L, Relu>(ld<L>(p)), g = sigmoid<L>(ld<L>(p + n));
        st<L>(s, c);
        st<L>(s + n, g);
        st<L>(o, g * ld<L>(h) + (1.0f - g) * c);
      } else if constexpr (Cell == 2) {
        const V<L> z = ld<L>(s), c = phi<L, Relu>(ld<L>(p + 2 * n));
        st<L>(s + 2 * n, c);
        st<L>(o, z * ld<L>(h) + (1.0f - z) * c);
      } else {
        const V<L> i = sigmoid<L>(ld<L>(p)), f = sigmoid<L>(ld<L>(p + n)), og = sigmoid<L>(ld<L>(p + 2 * n)),
                   u = phi<L, Relu>(ld<L>(p + 3 * n));
        const V<L> c = f * ld<L>(h + n) + i * u, pc = phi<L, Relu>(c);
        st<L>(o, og * pc);
        st<L>(o + n, c);
        st<L>(s, i);
        st<L>(s + n, f);
        st<L>(s + 2 * n, og);
        st<L>(s + 3 * n, u);
      }
    });
    row_dots<L>(d.b, d.o, n, out, rs, wout, bout, y + t * d.b * d.o, d.o);  // the readout of h_t
  }
}

template <int L, int Cell, bool Relu, bool Bf16>
void backward_one(const Dims& d, const float* wm, const float* wxt, const float* wout, const float* x,
                  const float* states, const float* saved, const float* g, const float* gy, float* dw, float* dwxt,
                  float* db, float* dwout, float* dbout, float* dx) {
  const int64_t n = d.n, w = d.nb * n, sk = d.k * n, rs = d.s, step = d.b * d.s;
  Weights wts = make_weights<Bf16>(wm, w, n, d);  // W_h (w × n)
  std::vector<float> zero(step, 0.0f), dh(d.b * n, 0.0f), dc(Cell == 3 ? d.b * n : 0, 0.0f),
      drh(Cell == 2 ? d.b * n : 0), rh(Cell == 2 ? d.b * n : 0), deltas(d.b * w);
  std::memset(dw, 0, sizeof(float) * w * n);
  std::memset(dwxt, 0, sizeof(float) * d.i * w);
  std::memset(db, 0, sizeof(float) * w);
  std::memset(dwout, 0, sizeof(float) * d.o * n);
  std::memset(dbout, 0, sizeof(float) * d.o);
  for (int64_t t = d.t - 1; t >= 0; --t) {
    const float* prev = t ? states + (t - 1) * step : zero.data();
    const float* cur = states + t * step;
    const float* keep = saved + t * d.b * sk;
    const float* gt = g ? g + t * step : nullptr;  // null: the states' cotangent is zero
    const float* gyt = gy + t * d.b * d.o;
    float* delta = deltas.data();  // δ_t (B × w)
    // the pre-activations' cotangents of step t; dh becomes the part of h_{t-1}'s cotangent
    // that does not pass through W (the product is added after)
    units<L>(d, [&](int64_t r, int64_t j) {
      const float* h = prev + r * rs + j;
      const float* s = keep + r * sk + j;
      float* e = delta + r * w + j;
      float* carry = dh.data() + r * n + j;
      if (t) {  // the next step's rows towards L2 meanwhile (its loads waited on L3: ~10 % of the
                // LSTM-64 backward pass)
        for (int64_t q = 0; q < sk; q += n) __builtin_prefetch(s - d.b * sk + q, 0, 1);
        if (t > 1)
          for (int64_t q = 0; q < d.s; q += n) __builtin_prefetch(h - step + q, 0, 1);
      }
      V<L> dout = ld<L>(carry);
      if (gt) dout += ld<L>(gt + r * rs + j);
      for (int64_t q = 0; q < d.o; ++q) dout += gyt[r * d.o + q] * ld<L>(wout + q * n + j);  // through the readout
      if constexpr (Cell == 0) {
        st<L>(e, dout * phi_prime<L, Relu>(ld<L>(cur + r * rs + j)));
        st<L>(carry, V<L>{});
      } else if constexpr (Cell == 1) {
        const V<L> c = ld<L>(s), gg = ld<L>(s + n);
        st<L>(e, dout * (1.0f - gg) * phi_prime<L, Relu>(c));
        st<L>(e + n, dout * (ld<L>(h) - c) * gg * (1.0f - gg));
        st<L>(carry, dout * gg);
      } else if constexpr (Cell == 2) {
        const V<L> z = ld<L>(s), c = ld<L>(s + 2 * n);
        st<L>(e, dout * (ld<L>(h) - c) * z * (1.0f - z));
        st<L>(e + 2 * n, dout * (1.0f - z) * phi_prime<L, Relu>(c));
        st<L>(carry, dout * z);
        st<L>(drh.data() + r * n + j, V<L>{});
      } else {
        float* cc = dc.data() + r * n + j;
        const V<L> i = ld<L>(s), f = ld<L>(s + n), og = ld<L>(s + 2 * n), u = ld<L>(s + 3 * n),
                   pc = phi<L, Relu>(ld<L>(cur + r * rs + n + j));
        const V<L> dcell = (gt ? ld<L>(gt + r * rs + n + j) : V<L>{}) + ld<L>(cc) + dout * og * phi_prime<L, Relu>(pc);
        st<L>(e, dcell * u * i * (1.0f - i));
        st<L>(e + n, dcell * ld<L>(h + n) * f * (1.0f - f));
        st<L>(e + 2 * n, dout * pc * og * (1.0f - og));
        st<L>(e + 3 * n, dcell * i * phi_prime<L, Relu>(u));
        st<L>(cc, dcell * f);
        st<L>(carry, V<L>{});
      }
    });
    if constexpr (Cell == 2) {  // through c's product: the cotangent of r ⊙ h, then r's
      product<L, Bf16>(d.b, n, n, delta + 2 * n, w, wts, 2 * n, 0, drh.data(), n);
      units<L>(d, [&](int64_t r, int64_t j) {
        const V<L> drr = ld<L>(drh.data() + r * n + j), rr = ld<L>(keep + r * sk + n + j), h = ld<L>(prev + r * rs + j);
        st<L>(delta + r * w + n + j, drr * h * rr * (1.0f - rr));
        st<L>(rh.data() + r * n + j, rr * h);
        float* carry = dh.data() + r * n + j;
        st<L>(carry, ld<L>(carry) + drr * rr);
      });
      product<L, Bf16>(d.b, n, 2 * n, delta, w, wts, 0, 0, dh.data(), n);
      weight_product<L, Bf16>(2 * n, n, d.b, delta, w, prev, rs, wts, dw, n);
      weight_product<L, Bf16>(n, n, d.b, delta + 2 * n, w, rh.data(), n, wts, dw + 2 * n * n, n);
    } else {
      product<L, Bf16>(d.b, n, w, delta, w, wts, 0, 0, dh.data(), n);
      weight_product<L, Bf16>(w, n, d.b, delta, w, prev, rs, wts, dw, n);
    }
    // the input projection's gradients from δ_t, and the readout's from dy_t and h_t
    const float* xt = x + t * d.b * d.i;
    row_outer_sums<L>(d.b, d.i, w, xt, d.i, delta, w, dwxt, db);
    row_dots<L>(d.b, d.i, w, delta, w, wxt, nullptr, dx + t * d.b * d.i, d.i);
    row_outer_sums<L>(d.b, d.o, n, gyt, d.o, cur, rs, dwout, nullptr);
    for (int64_t r = 0; r < d.b; ++r)
      for (int64_t q = 0; q < d.o; ++q) dbout[q] += gyt[r * d.o + q];
  }
}

// --- dispatch ---------------------------------------------------------------------------------

typedef void (*ForwardFn)(const Dims&, const float*, const float*, const float*, const float*, const float*,
                          const float*, float*, float*, float*);
typedef void (*BackwardFn)(const Dims&, const float*, const float*, const float*, const float*, const float*,
                           const float*, const float*, const float*, float*, float*, float*, float*, float*, float*);

template <int L, int Cell, bool Bf16>
void pick(bool relu, ForwardFn* f, BackwardFn* b) {
  *f = relu ? forward_one<L, Cell, true, Bf16> : forward_one<L, Cell, false, Bf16>;
  *b = relu ? backward_one<L, Cell, true, Bf16> : backward_one<L, Cell, false, Bf16>;
}

template <int L, bool Bf16>
void pick_cell(int64_t cell, bool relu, ForwardFn* f, BackwardFn* b) {
  switch (cell) {
    case 0: return pick<L, 0, Bf16>(relu, f, b);
    case 1: return pick<L, 1, Bf16>(relu, f, b);
    case 2: return pick<L, 2, Bf16>(relu, f, b);
    default: return pick<L, 3, Bf16>(relu, f, b);
  }
}

// The dimensions from W_h's (G.., ·, ·) shape, the inputs' (G.., T, B, i) and W_out's (G.., o, n).
ffi::Error dims(int64_t cell, int64_t activation, int64_t bf16, ffi::Span<const int64_t> wd,
                ffi::Span<const int64_t> xd, ffi::Span<const int64_t> od, bool transposed, Dims* d,
                int64_t* networks) {
  if (cell < 0 || cell > 3 || activation < 0 || activation > 1 || bf16 < 0 || bf16 > 1)
    return ffi::Error::InvalidArgument("recurrence: cell must be 0-3, activation 0 (tanh) or 1 (relu), bf16 0 or 1");
  if (wd.size() < 2 || xd.size() != wd.size() + 1 || od.size() != wd.size())
    return ffi::Error::InvalidArgument("recurrence: W_h must be (G.., ·, ·), W_out (G.., o, n) and the inputs (G.., T, B, i)");
  d->nb = kBlocks[cell];
  d->k = kSaved[cell];
  d->n = transposed ? wd[wd.size() - 2] : wd[wd.size() - 1];
  const int64_t rows = transposed ? wd[wd.size() - 1] : wd[wd.size() - 2];
  d->t = xd[xd.size() - 3];
  d->b = xd[xd.size() - 2];
  d->i = xd[xd.size() - 1];
  d->o = od[od.size() - 2];
  d->s = cell == 3 ? 2 * d->n : d->n;
  *networks = 1;
  for (size_t i = 0; i + 2 < wd.size(); ++i) {
    if (wd[i] != xd[i] || wd[i] != od[i])
      return ffi::Error::InvalidArgument("recurrence: W_h, W_out and the inputs have different leading dims");
    *networks *= wd[i];
  }
  if (rows != d->nb * d->n || d->n % 8 != 0 || od[od.size() - 1] != d->n)
    return ffi::Error::InvalidArgument(
        "recurrence: W_h is not (blocks·n, n) for this cell, W_out not (o, n), or n is not a multiple of 8");
  if (bf16 && !(kBf16 && d->n % 16 == 0))
    return ffi::Error::InvalidArgument("recurrence: bf16 products need a CPU with AVX512-BF16 and n a multiple of 16");
  return ffi::Error::Success();
}

// Subnormal floats flushed to zero while it lives (x86's FTZ and DAZ), as XLA:CPU runs its own
// code (sigmoids of large negative pre-activations are subnormal; no speed difference measured).
struct FlushSubnormals {
#if defined(__SSE__)
  unsigned saved = _mm_getcsr();
  FlushSubnormals() { _mm_setcsr(saved | 0x8040); }
  ~FlushSubnormals() { _mm_setcsr(saved); }
#endif
};

void over_networks(ffi::ThreadPool& pool, int64_t networks, std::function<void(int64_t)> one) {
  rnnpop::in_parts(pool, networks, [one](int64_t, int64_t first, int64_t last) {
    FlushSubnormals flush;
    for (int64_t i = first; i < last; ++i) one(i);
  });
}

void choose(const Dims& d, int64_t cell, int64_t activation, int64_t bf16, ForwardFn* fw, BackwardFn* bw) {
  if constexpr (kBf16)
    if (bf16) return pick_cell<16, true>(cell, activation == 1, fw, bw);  // dims() checked n % 16
  if (d.n % rnnpop::kLanes == 0) pick_cell<rnnpop::kLanes, false>(cell, activation == 1, fw, bw);
  else pick_cell<8, false>(cell, activation == 1, fw, bw);
}

ffi::Error forward(ffi::ThreadPool pool, ffi::Buffer<ffi::F32> wt, ffi::Buffer<ffi::F32> wxt,
                   ffi::Buffer<ffi::F32> bias, ffi::Buffer<ffi::F32> wout, ffi::Buffer<ffi::F32> bout,
                   ffi::Buffer<ffi::F32> x, ffi::ResultBuffer<ffi::F32> states, ffi::ResultBuffer<ffi::F32> y,
                   ffi::ResultBuffer<ffi::F32> saved, int64_t cell, int64_t activation, int64_t bf16) {
  Dims d;
  int64_t networks;
  if (auto e = dims(cell, activation, bf16, wt.dimensions(), x.dimensions(), wout.dimensions(), true, &d, &networks);
      e.failure())
    return e;
  const int64_t w = d.nb * d.n, steps = d.t * d.b;
  if (wxt.element_count() != networks * d.i * w || bias.element_count() != networks * w ||
      bout.element_count() != networks * d.o || states->element_count() != networks * steps * d.s ||
      y->element_count() != networks * steps * d.o || saved->element_count() != networks * steps * d.k * d.n)
    return ffi::Error::InvalidArgument("recurrence: W_xᵀ, b, b_out, states, outputs or saved has the wrong size");
  ForwardFn fw;
  BackwardFn bw;
  choose(d, cell, activation, bf16, &fw, &bw);
  const float *wp = wt.typed_data(), *xw = wxt.typed_data(), *bp = bias.typed_data(), *op = wout.typed_data(),
              *obp = bout.typed_data(), *xp = x.typed_data();
  float *sp = states->typed_data(), *yp = y->typed_data(), *kp = saved->typed_data();
  over_networks(pool, networks, [=](int64_t i) {
    fw(d, wp + i * w * d.n, xw + i * d.i * w, bp + i * w, op + i * d.o * d.n, obp + i * d.o, xp + i * steps * d.i,
       sp + i * steps * d.s, yp + i * steps * d.o, kp + i * steps * d.k * d.n);
  });
  return ffi::Error::Success();
}

// Attribute `state_cotangent` = 0: the states' cotangent is zero (the caller used only the
// outputs, as the trainer's loss does) and g is not read (any size).
ffi::Error backward(ffi::ThreadPool pool, ffi::Buffer<ffi::F32> wm, ffi::Buffer<ffi::F32> wxt,
                    ffi::Buffer<ffi::F32> wout, ffi::Buffer<ffi::F32> x, ffi::Buffer<ffi::F32> states,
                    ffi::Buffer<ffi::F32> saved, ffi::Buffer<ffi::F32> g, ffi::Buffer<ffi::F32> gy,
                    ffi::ResultBuffer<ffi::F32> dw, ffi::ResultBuffer<ffi::F32> dwxt, ffi::ResultBuffer<ffi::F32> db,
                    ffi::ResultBuffer<ffi::F32> dwout, ffi::ResultBuffer<ffi::F32> dbout,
                    ffi::ResultBuffer<ffi::F32> dx, int64_t cell, int64_t activation, int64_t bf16,
                    int64_t state_cotangent) {
  Dims d;
  int64_t networks;
  if (auto e = dims(cell, activation, bf16, wm.dimensions(), x.dimensions(), wout.dimensions(), false, &d, &networks);
      e.failure())
    return e;
  const int64_t w = d.nb * d.n, steps = d.t * d.b;
  if (wxt.element_count() != networks * d.i * w || states.element_count() != networks * steps * d.s ||
      saved.element_count() != networks * steps * d.k * d.n || gy.element_count() != networks * steps * d.o ||
      (state_cotangent && g.element_count() != networks * steps * d.s) || dw->element_count() != wm.element_count() ||
      dwxt->element_count() != wxt.element_count() || db->element_count() != networks * w ||
      dwout->element_count() != wout.element_count() || dbout->element_count() != networks * d.o ||
      dx->element_count() != x.element_count())
    return ffi::Error::InvalidArgument(
        "recurrence: W_xᵀ, states, saved, a cotangent or a gradient has the wrong size");
  ForwardFn fw;
  BackwardFn bw;
  choose(d, cell, activation, bf16, &fw, &bw);
  const float *wp = wm.typed_data(), *xw = wxt.typed_data(), *op = wout.typed_data(), *xp = x.typed_data(),
              *sp = states.typed_data(), *kp = saved.typed_data(), *gp = state_cotangent ? g.typed_data() : nullptr,
              *gyp = gy.typed_data();
  float *wg = dw->typed_data(), *xg = dwxt->typed_data(), *bg = db->typed_data(), *og = dwout->typed_data(),
        *obg = dbout->typed_data(), *dxp = dx->typed_data();
  over_networks(pool, networks, [=](int64_t i) {
    bw(d, wp + i * w * d.n, xw + i * d.i * w, op + i * d.o * d.n, xp + i * steps * d.i, sp + i * steps * d.s,
       kp + i * steps * d.k * d.n, gp ? gp + i * steps * d.s : nullptr, gyp + i * steps * d.o, wg + i * w * d.n,
       xg + i * d.i * w, bg + i * w, og + i * d.o * d.n, obg + i * d.o, dxp + i * steps * d.i);
  });
  return ffi::Error::Success();
}

}  // namespace

// Whether this build has the bf16 products (AVX512-BF16); rnnpop._native asks before using them.
extern "C" int RnnpopRecurrenceBf16() { return kBf16 ? 1 : 0; }

XLA_FFI_DEFINE_HANDLER_SYMBOL(RnnpopRecurrence, forward,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::ThreadPool>()
                                  .Arg<ffi::Buffer<ffi::F32>>()  // W_hᵀ
                                  .Arg<ffi::Buffer<ffi::F32>>()  // W_xᵀ
                                  .Arg<ffi::Buffer<ffi::F32>>()  // b
                                  .Arg<ffi::Buffer<ffi::F32>>()  // W_out
                                  .Arg<ffi::Buffer<ffi::F32>>()  // b_out
                                  .Arg<ffi::Buffer<ffi::F32>>()  // x
                                  .Ret<ffi::Buffer<ffi::F32>>()  // states
                                  .Ret<ffi::Buffer<ffi::F32>>()  // outputs
                                  .Ret<ffi::Buffer<ffi::F32>>()  // saved
                                  .Attr<int64_t>("cell")
                                  .Attr<int64_t>("activation")
                                  .Attr<int64_t>("bf16"));

XLA_FFI_DEFINE_HANDLER_SYMBOL(RnnpopRecurrenceBackward, backward,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::ThreadPool>()
                                  .Arg<ffi::Buffer<ffi::F32>>()  // W_h
                                  .Arg<ffi::Buffer<ffi::F32>>()  // W_xᵀ
                                  .Arg<ffi::Buffer<ffi::F32>>()  // W_out
                                  .Arg<ffi::Buffer<ffi::F32>>()  // x
                                  .Arg<ffi::Buffer<ffi::F32>>()  // states
                                  .Arg<ffi::Buffer<ffi::F32>>()  // saved
                                  .Arg<ffi::Buffer<ffi::F32>>()  // the states' cotangent
                                  .Arg<ffi::Buffer<ffi::F32>>()  // the outputs' cotangent
                                  .Ret<ffi::Buffer<ffi::F32>>()  // dW_h
                                  .Ret<ffi::Buffer<ffi::F32>>()  // dW_xᵀ
                                  .Ret<ffi::Buffer<ffi::F32>>()  // db
                                  .Ret<ffi::Buffer<ffi::F32>>()  // dW_out
                                  .Ret<ffi::Buffer<ffi::F32>>()  // db_out
                                  .Ret<ffi::Buffer<ffi::F32>>()  // dx
                                  .Attr<int64_t>("cell")
                                  .Attr<int64_t>("activation")
                                  .Attr<int64_t>("bf16")
                                  .Attr<int64_t>("state_cotangent"));
