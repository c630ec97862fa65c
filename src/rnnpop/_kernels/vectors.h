// The CPU's float vectors, as GCC/Clang vector extensions (shared by the rnnpop kernels).
#pragma once

#include <cstdint>
#include <type_traits>

namespace rnnpop {

#if defined(__AVX512F__)
constexpr int kLanes = 16, kRegisters = 32;
#elif defined(__AVX__)
constexpr int kLanes = 8, kRegisters = 16;
#else
constexpr int kLanes = 4, kRegisters = 16;
#endif

// L floats; `unaligned` for loads and stores at any float's address.
template <int L>
struct Vec {
  typedef float type __attribute__((vector_size(4 * L)));
  typedef float unaligned __attribute__((vector_size(4 * L), aligned(4)));
};

template <int L>
inline typename Vec<L>::type load(const float* p) { return *reinterpret_cast<const typename Vec<L>::unaligned*>(p); }

template <int L>
inline void store(float* p, typename Vec<L>::type v) { *reinterpret_cast<typename Vec<L>::unaligned*>(p) = v; }

// The largest power of two <= cap such that `block` rows of `vectors` accumulators, the
// `vectors` operand vectors they share and one broadcast fit in the vector registers (>= 1).
constexpr int register_block(int cap, int vectors) {
  int block = cap;
  while (block > 1 && (block + 1) * vectors + 1 > kRegisters) block /= 2;
  return block;
}

template <int B, typename F>
inline void tail_blocks(int64_t n, int64_t start, F& f) {
  if constexpr (B >= 1) {
    if (start + B <= n) {
      f(std::integral_constant<int, B>{}, start);
      start += B;
    }
    tail_blocks<B / 2>(n, start, f);
  }
}

// f(std::integral_constant<int, size>{}, start) over [0, n) in blocks: of B while they fit,
// then at most one each of B/2, B/4, ..., 1 (B a power of two), so every size is a constant.
template <int B, typename F>
inline void in_blocks(int64_t n, F&& f) {
  int64_t start = 0;
  for (; start + B <= n; start += B) f(std::integral_constant<int, B>{}, start);
  tail_blocks<B / 2>(n, start, f);
}

template <int R, typename F>
inline void remainder_block(int64_t count, int64_t start, F& f) {
  if constexpr (R >= 1) {
    if (count == R) f(std::integral_constant<int, R>{}, start);
    else remainder_block<R - 1>(count, start, f);
  }
}

// f(std::integral_constant<int, size>{}, start) over [0, n): blocks of B while they fit, then
// the rest (< B) as one block, so that n <= B is a single call (one pass over what f reads).
template <int B, typename F>
inline void in_whole_blocks(int64_t n, F&& f) {
  int64_t start = 0;
  for (; start + B <= n; start += B) f(std::integral_constant<int, B>{}, start);
  remainder_block<B - 1>(n - start, start, f);
}

}  // namespace rnnpop
