#pragma once
/// \file
/// AdamW's elementwise step on x86-64, written with vector intrinsics: SSE2 (every x86-64 CPU)
/// and AVX2 (chosen at run time when the CPU has it, or always in a build for AVX2 and wider).
///
/// Why not Eigen's array expressions: for float, Eigen's vectorized √ (EIGEN_FAST_MATH, on by
/// default) is an rsqrt estimate refined by one Newton step, 1–2 bits off the correctly rounded
/// root, and the estimate's bits differ between CPU makers; PyTorch's AdamW takes the exact root.
/// Here every operation is one correctly rounded IEEE operation (no fused multiply-add: neither
/// instruction set has one), in the same order at every vector width, so a step gives the same
/// bits on every x86-64 machine, with or without AVX2, as the scalar loop adamw.hpp runs on the
/// last few entries. Why AVX2 at run time: a portable build targets SSE2 (4 floats per
/// instruction), and a step on tensors that sit in cache is bound by its √ and ÷
/// (bench/README.md, "torch_bench").

#include <Eigen/Core>

#include <convlab/optim/detail/cpu_dispatch.hpp>

#if CONVLAB_X86_64_DISPATCH
#include <immintrin.h>
#endif

namespace convlab::optim::detail {

/// One AdamW step's coefficients, in the parameters' scalar type (adamw.hpp computes them).
template <class S>
struct AdamWCoefficients {
  S decay, one_minus_b1, b2, one_minus_b2, step_size, sqrt_bc2, eps;
};

/// Entry i of the step, as PyTorch computes it term by term (m.lerp_(g, 1 − β₁), v·β₂ + (1 − β₂)·g²,
/// the denominator √v̂ / √bc₂ + ε, addcdiv); v̂ = max(v̂, v) with amsgrad (vmax non-null).
template <class S>
inline void adamw_entry(S* x, const S* g, S* m, S* v, S* vmax, Eigen::Index i, const AdamWCoefficients<S>& c) {
  m[i] += c.one_minus_b1 * (g[i] - m[i]);
  v[i] = c.b2 * v[i] + c.one_minus_b2 * (g[i] * g[i]);
  S vhat = v[i];
  if (vmax) vhat = vmax[i] = vmax[i] < v[i] ? v[i] : vmax[i];
  x[i] = x[i] * c.decay - c.step_size * (m[i] / (std::sqrt(vhat) / c.sqrt_bc2 + c.eps));
}

#if CONVLAB_X86_64_DISPATCH
// adamw_entry on entries [0, W⌊n/W⌋), W values per vector; returns how many it stepped.
#define CONVLAB_ADAMW_VECTOR_LOOP(V, W, load, store, set1, add, sub, mul, div, sqrt, max)                      \
  const V decay = set1(c.decay), a1 = set1(c.one_minus_b1), b2 = set1(c.b2), a2 = set1(c.one_minus_b2),         \
          step = set1(c.step_size), sb = set1(c.sqrt_bc2), eps = set1(c.eps);                                  \
  Eigen::Index i = 0;                                                                                          \
  for (; i + W <= n; i += W) {                                                                                 \
    const V gi = load(g + i);                                                                                  \
    V mi = load(m + i), vi = load(v + i);                                                                      \
    mi = add(mi, mul(a1, sub(gi, mi)));                                                                        \
    vi = add(mul(b2, vi), mul(a2, mul(gi, gi)));                                                               \
    store(m + i, mi);                                                                                          \
    store(v + i, vi);                                                                                          \
    if (vmax) {                                                                                                \
      vi = max(vi, load(vmax + i)); /* (v > v̂) ? v : v̂, as adamw_entry */                                     \
      store(vmax + i, vi);                                                                                     \
    }                                                                                                          \
    store(x + i, sub(mul(load(x + i), decay), mul(step, div(mi, add(div(sqrt(vi), sb), eps)))));              \
  }                                                                                                            \
  return i;

inline Eigen::Index adamw_sse2(float* x, const float* g, float* m, float* v, float* vmax, Eigen::Index n, const AdamWCoefficients<float>& c) {
  CONVLAB_ADAMW_VECTOR_LOOP(__m128, 4, _mm_loadu_ps, _mm_storeu_ps, _mm_set1_ps, _mm_add_ps, _mm_sub_ps, _mm_mul_ps, _mm_div_ps, _mm_sqrt_ps,
                            _mm_max_ps)
}
inline Eigen::Index adamw_sse2(double* x, const double* g, double* m, double* v, double* vmax, Eigen::Index n,
                               const AdamWCoefficients<double>& c) {
  CONVLAB_ADAMW_VECTOR_LOOP(__m128d, 2, _mm_loadu_pd, _mm_storeu_pd, _mm_set1_pd, _mm_add_pd, _mm_sub_pd, _mm_mul_pd, _mm_div_pd, _mm_sqrt_pd,
                            _mm_max_pd)
}
[[gnu::target("avx2")]] inline Eigen::Index adamw_avx2(float* x, const float* g, float* m, float* v, float* vmax, Eigen::Index n,
                                                      const AdamWCoefficients<float>& c) {
  CONVLAB_ADAMW_VECTOR_LOOP(__m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps,
                            _mm256_div_ps, _mm256_sqrt_ps, _mm256_max_ps)
}
[[gnu::target("avx2")]] inline Eigen::Index adamw_avx2(double* x, const double* g, double* m, double* v, double* vmax, Eigen::Index n,
                                                      const AdamWCoefficients<double>& c) {
  CONVLAB_ADAMW_VECTOR_LOOP(__m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_set1_pd, _mm256_add_pd, _mm256_sub_pd, _mm256_mul_pd,
                            _mm256_div_pd, _mm256_sqrt_pd, _mm256_max_pd)
}
#undef CONVLAB_ADAMW_VECTOR_LOOP
#endif

}  // namespace convlab::optim::detail
