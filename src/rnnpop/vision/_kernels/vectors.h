// The CPU's float vectors, as GCC/Clang vector extensions (shared by the rnnpop kernels).
#pragma once

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

}  // namespace rnnpop
