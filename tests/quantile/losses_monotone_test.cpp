// Quantile scores, monotonization and conformal calibration: the invariants of spec
// quantile-aggregation.md (g), on random inputs and on the spec's explicit counter-examples.
#include <gtest/gtest.h>

#include <algorithm>
#include <convlab/problems/quantile_loss.hpp>
#include <convlab/quantile/conformal.hpp>
#include <convlab/quantile/aggregation.hpp>
#include <convlab/quantile/monotone.hpp>
#include <random>

#include "test_support.hpp"

namespace cp = convlab::problems;
namespace cq = convlab::quantile;
using convlab::MatX;
using convlab::VecX;
using Index = Eigen::Index;

namespace {
VecX<double> grid(int m) {  // (k + 1)/(m + 1): symmetric, with the median when m is odd
  VecX<double> t(m);
  for (int k = 0; k < m; ++k) t[k] = (k + 1.0) / (m + 1.0);
  return t;
}
}  // namespace

TEST(QuantileLoss, PinballSymmetryAndIntervalScoreIdentity) {
  std::mt19937_64 rng(convlab::test::test_seed());
  std::normal_distribution<double> N(0, 3);
  std::uniform_real_distribution<double> U(0.01, 0.99);
  for (int t = 0; t < 10000; ++t) {
    const double u = N(rng), tau = U(rng), l = N(rng), h = N(rng), y = N(rng), a = U(rng);
    EXPECT_GE(cp::pinball(u, tau), 0);
    EXPECT_NEAR(cp::pinball(u, tau), cp::pinball(-u, 1 - tau), 1e-12);
    // Exact for any order of l and h (no l <= h needed).
    EXPECT_NEAR(cp::pinball(y - l, a / 2) + cp::pinball(y - h, 1 - a / 2), a / 2 * cp::interval_score(l, h, y, a), 1e-9 * (1 + std::abs(y)));
  }
  EXPECT_EQ(cp::pinball(0.0, 0.3), 0.0);
}

TEST(QuantileLoss, WisThroughIntervalsEqualsScaledPinballSum) {
  std::mt19937_64 rng(convlab::test::test_seed() + 1);
  std::normal_distribution<double> N;
  for (int m : {5, 9, 19, 4}) {  // with and without the median
    const VecX<double> tau = grid(m);
    const int K = m / 2;
    for (int t = 0; t < 200; ++t) {
      VecX<double> q(m);
      for (int k = 0; k < m; ++k) q[k] = N(rng);
      const double y = N(rng);
      double via_intervals = (m % 2) ? 0.5 * std::abs(y - q[K]) : 0.0;
      for (int k = 0; k < K; ++k) {
        const double a = 2 * tau[k];
        via_intervals += a / 2 * cp::interval_score(q[k], q[m - 1 - k], y, a);
      }
      via_intervals /= (m % 2) ? K + 0.5 : K;
      EXPECT_NEAR(cp::wis(q, y, tau), via_intervals, 1e-12);
    }
  }
}

TEST(QuantileLoss, EmpiricalQuantileMinimizesPinball) {
  std::mt19937_64 rng(convlab::test::test_seed() + 2);
  std::normal_distribution<double> N;
  for (double tau : {0.05, 0.3, 0.5, 0.9}) {
    for (int n : {7, 20, 101}) {
      std::vector<double> y(static_cast<std::size_t>(n));
      for (double& v : y) v = N(rng);
      std::vector<double> sorted = y;
      std::sort(sorted.begin(), sorted.end());
      const double q = sorted[static_cast<std::size_t>(std::ceil(n * tau - 1e-12)) - 1];  // y_(ceil(nτ))
      auto L = [&](double c) { double s = 0; for (double v : y) s += cp::pinball(v - c, tau); return s; };
      for (double c : sorted) EXPECT_LE(L(q), L(c) + 1e-12);
      for (double d : {-1e-3, 1e-3}) EXPECT_LE(L(q), L(q + d) + 1e-12);
    }
  }
}

TEST(QuantileLoss, CrossingPenaltyZeroWhenSeparatedAndGradientMatchesDifferences) {
  MatX<double> Q(1, 4);
  Q << 0, 0.1, 0.2, 0.3;
  EXPECT_EQ(cp::crossing_penalty(Q, 0.05), 0);
  EXPECT_GT(cp::crossing_penalty(Q, 0.15), 0);
  std::mt19937_64 rng(convlab::test::test_seed() + 3);
  MatX<double> R = convlab::test::random_matrix<double>(5, 6, rng), G;
  const double p = cp::crossing_penalty(R, 0.01, &G);
  for (Index i = 0; i < R.rows(); ++i)
    for (Index k = 0; k < R.cols(); ++k) {
      MatX<double> P = R;
      P(i, k) += 1e-7;
      EXPECT_NEAR((cp::crossing_penalty(P, 0.01) - p) / 1e-7, G(i, k), 1e-6);
    }
  EXPECT_DOUBLE_EQ(cp::crossing_fraction(Q), 0);
  MatX<double> X(1, 3);
  X << 1, 0, 2;  // pairs (1,0) cross; (1,2), (0,2) do not
  EXPECT_DOUBLE_EQ(cp::crossing_fraction(X), 1.0 / 3);
}

TEST(Pava, ReferenceVectorAndProjectionKkt) {
  VecX<double> y(10);
  y << 5, 3, 1, 2, 8, 10, 7, 9, 6, 4;  // scikit-learn's documentation example
  const VecX<double> v = cq::isotonic(y);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(v[i], 2.75, 1e-12);
  for (int i = 4; i < 10; ++i) EXPECT_NEAR(v[i], 44.0 / 6, 1e-12);
  std::mt19937_64 rng(convlab::test::test_seed() + 4);
  std::normal_distribution<double> N;
  std::uniform_real_distribution<double> W(0.1, 3);
  for (int t = 0; t < 2000; ++t) {
    const int n = 1 + t % 40;
    VecX<double> q(n), w(n);
    for (int i = 0; i < n; ++i) q[i] = N(rng) + 0.05 * i, w[i] = W(rng);
    for (bool weighted : {false, true}) {
      const VecX<double> ww = weighted ? w : VecX<double>::Ones(n);
      const VecX<double> iso = weighted ? cq::isotonic(q, w) : cq::isotonic(q);
      // Monotone; KKT of the weighted L2 projection onto the monotone cone: on each block of equal
      // values the weighted residuals w(q − v) sum to 0 and every prefix sum is >= 0.
      int start = 0;
      for (int i = 1; i <= n; ++i) {
        if (i < n) { ASSERT_LE(iso[i - 1], iso[i] + 1e-12); }
        if (i == n || iso[i] != iso[i - 1]) {
          double prefix = 0;
          for (int k = start; k < i; ++k) {
            prefix += ww[k] * (q[k] - iso[k]);
            EXPECT_GE(prefix, -1e-9);
          }
          EXPECT_NEAR(prefix, 0, 1e-9);
          // Block value is the weighted mean.
          EXPECT_NEAR(iso[start], ww.segment(start, i - start).dot(q.segment(start, i - start)) / ww.segment(start, i - start).sum(), 1e-9);
          start = i;
        }
      }
      // Idempotent, equivariant under a·q + b (a > 0).
      EXPECT_LE((cq::isotonic(iso, ww) - iso).cwiseAbs().maxCoeff(), 1e-12);
      const VecX<double> affine = cq::isotonic((2.5 * q).array() + 1.0, ww);
      EXPECT_LE((affine - (2.5 * iso).array().matrix() - VecX<double>::Ones(n)).cwiseAbs().maxCoeff(), 1e-9);
    }
  }
  VecX<double> sorted(5);
  sorted << -1, 0, 0, 2, 3;
  EXPECT_EQ(cq::isotonic(sorted), sorted);
}

// Regression: zero weights were refused (scikit-learn accepts them) and there was no
// decreasing fit. A zero-weight point leaves the fit of the others unchanged and keeps the
// result monotone; decreasing is the mirror of increasing.
TEST(Pava, ZeroWeightsAndDecreasingFits) {
  std::mt19937_64 rng(convlab::test::test_seed() + 6);
  std::normal_distribution<double> N;
  std::uniform_real_distribution<double> W(0.1, 3);
  std::bernoulli_distribution zero(0.3);
  for (int t = 0; t < 500; ++t) {
    const int n = 2 + t % 30;
    VecX<double> y(n), w(n);
    for (int i = 0; i < n; ++i) y[i] = N(rng) + 0.05 * i, w[i] = zero(rng) ? 0.0 : W(rng);
    if (!(w.array() > 0).any()) w[n / 2] = 1.0;
    const VecX<double> iso = cq::isotonic(y, w);
    // The positive-weight points alone give the same fitted values there.
    std::vector<double> kept, kept_w;
    for (int i = 0; i < n; ++i)
      if (w[i] > 0) kept.push_back(y[i]), kept_w.push_back(w[i]);
    cq::isotonic_inplace(kept.data(), kept_w.data(), kept.size());
    for (int i = 0, k = 0; i < n; ++i) {
      if (i > 0) { ASSERT_LE(iso[i - 1], iso[i] + 1e-12); }
      if (w[i] > 0) { EXPECT_NEAR(iso[i], kept[static_cast<std::size_t>(k++)], 1e-12); }
    }
    const VecX<double> dec = cq::isotonic(y, w, cq::Order::Decreasing);
    EXPECT_EQ(dec, -cq::isotonic(-y, w));
    for (int i = 1; i < n; ++i) { ASSERT_GE(dec[i - 1], dec[i] - 1e-12); }
    const VecX<double> x = VecX<double>::LinSpaced(n, 0, 1);
    EXPECT_LE((cq::isotonic_fit(x, y, w, cq::Order::Decreasing) - dec).cwiseAbs().maxCoeff(), 1e-12);
    EXPECT_LE((cq::isotonic_fit(x, y, w) - iso).cwiseAbs().maxCoeff(), 1e-12);
  }
  VecX<double> y(3), w(3);
  y << 3, 1, 2;
  w << 0, 0, 0;
  EXPECT_THROW(cq::isotonic(y, w), convlab::InvalidArgument);
  w << 1, -1, 1;
  EXPECT_THROW(cq::isotonic(y, w), convlab::InvalidArgument);
}

TEST(Pava, FitOnUnsortedXPoolsTiesAndMatchesSortedPava) {
  std::mt19937_64 rng(convlab::test::test_seed() + 5);
  std::normal_distribution<double> N;
  std::uniform_int_distribution<int> X(0, 30);
  VecX<double> x(200), y(200);
  for (int i = 0; i < 200; ++i) x[i] = X(rng), y[i] = 0.1 * x[i] + N(rng);
  const VecX<double> fit = cq::isotonic_fit(x, y);
  for (int i = 0; i < 200; ++i)
    for (int j = 0; j < 200; ++j) {
      if (x[i] < x[j]) { EXPECT_LE(fit[i], fit[j] + 1e-12); }
      if (x[i] == x[j]) { EXPECT_EQ(fit[i], fit[j]); }
    }
  // Equal to PAVA on the distinct x's with the tie groups' means, weighted by their counts.
  VecX<double> sum = VecX<double>::Zero(31), cnt = VecX<double>::Zero(31);
  for (int i = 0; i < 200; ++i) sum[static_cast<Index>(x[i])] += y[i], cnt[static_cast<Index>(x[i])] += 1;
  std::vector<double> v, w;
  std::vector<int> which;
  for (int g = 0; g <= 30; ++g)
    if (cnt[g] > 0) v.push_back(sum[g] / cnt[g]), w.push_back(cnt[g]), which.push_back(g);
  cq::isotonic_inplace(v.data(), w.data(), v.size());
  for (int i = 0; i < 200; ++i)
    for (std::size_t g = 0; g < which.size(); ++g)
      if (which[g] == static_cast<int>(x[i])) { EXPECT_NEAR(fit[i], v[g], 1e-12); }
  EXPECT_THROW(cq::isotonic_fit(x, y.head(5)), convlab::InvalidArgument);
}

TEST(Monotonize, SortAndIsotonicNeverIncreaseTheLossOnRandomLevels) {
  std::mt19937_64 rng(convlab::test::test_seed() + 6);
  std::normal_distribution<double> N;
  std::uniform_real_distribution<double> U(0.001, 0.999);
  std::uniform_int_distribution<int> M(2, 12);
  int violations = 0;
  for (int t = 0; t < 20000; ++t) {
    const int m = M(rng);
    std::vector<double> lv(static_cast<std::size_t>(m));
    for (double& v : lv) v = U(rng);
    std::sort(lv.begin(), lv.end());
    if (std::adjacent_find(lv.begin(), lv.end()) != lv.end()) continue;
    const VecX<double> tau = Eigen::Map<VecX<double>>(lv.data(), m);
    MatX<double> Q(1, m);
    for (int k = 0; k < m; ++k) Q(0, k) = N(rng);
    const double y = N(rng), before = cp::summed_pinball(Q.row(0), y, tau);
    for (auto method : {cq::Monotonize::Sort, cq::Monotonize::Isotonic}) {
      const MatX<double> R = cq::monotonize(Q, method);
      violations += cp::summed_pinball(R.row(0), y, tau) > before + 1e-12;
      for (int k = 1; k < m; ++k) ASSERT_LE(R(0, k - 1), R(0, k));
    }
  }
  EXPECT_EQ(violations, 0);
}

TEST(Monotonize, DocumentedCounterExamplesWhereOtherOperatorsIncreaseTheLoss) {
  const VecX<double> tau = convlab::test::vec({0.1, 0.9});
  // Weighted isotonic regression: q = (1, 0), weights (19, 1), y = 0: 0.90 -> 0.95.
  VecX<double> q(2), w(2);
  q << 1, 0;
  w << 19, 1;
  EXPECT_NEAR(cp::summed_pinball(q, 0.0, tau), 0.90, 1e-12);
  EXPECT_NEAR(cp::summed_pinball(cq::isotonic(q, w), 0.0, tau), 0.95, 1e-12);
  // Cumulative max from the left: q = (0, −10), y = −10: 9 -> 10 (sorting gives 1).
  MatX<double> Q(1, 2);
  Q << 0, -10;
  EXPECT_NEAR(cp::summed_pinball(Q.row(0), -10.0, tau), 9, 1e-12);
  EXPECT_NEAR(cp::summed_pinball(cq::monotonize(Q, cq::Monotonize::CumMax).row(0), -10.0, tau), 10, 1e-12);
  EXPECT_NEAR(cp::summed_pinball(cq::monotonize(Q, cq::Monotonize::Sort).row(0), -10.0, tau), 1, 1e-12);
  // MONO (median-anchored) can increase it: search a small random set for one case.
  std::mt19937_64 rng(convlab::test::test_seed() + 7);
  std::normal_distribution<double> N(0, 3);
  const VecX<double> t5 = grid(5);
  bool found = false;
  for (int t = 0; t < 5000 && !found; ++t) {
    MatX<double> R(1, 5);
    for (int k = 0; k < 5; ++k) R(0, k) = N(rng);
    const double y = N(rng);
    found = cp::summed_pinball(cq::monotonize(R, cq::Monotonize::Mono).row(0), y, t5) > cp::summed_pinball(R.row(0), y, t5) + 1e-9;
  }
  EXPECT_TRUE(found);
}

TEST(Monotonize, MonoOnlyWidensCentralIntervals) {
  std::mt19937_64 rng(convlab::test::test_seed() + 8);
  MatX<double> Q = convlab::test::random_matrix<double>(500, 9, rng);
  const MatX<double> R = cq::monotonize(Q, cq::Monotonize::Mono);
  for (Index i = 0; i < Q.rows(); ++i)
    for (Index k = 0; k < 4; ++k) {
      EXPECT_LE(R(i, k), Q(i, k));
      EXPECT_GE(R(i, 8 - k), Q(i, 8 - k));
    }
  EXPECT_EQ(cp::crossing_fraction(R), 0);
  EXPECT_THROW(cq::parse_monotonize("bogus"), convlab::InvalidArgument);
}

TEST(Conformal, RankRuleAndInfinity) {
  EXPECT_EQ(cq::conformal_rank(19, 0.1), 18);  // 0.9·20 = 18 exactly, not 19 by rounding
  EXPECT_EQ(cq::conformal_rank(200, 0.1), 181);
  EXPECT_EQ(cq::conformal_rank(5, 0.1), 6);    // > n: Q̂ = +inf
  VecX<double> lo = VecX<double>::Zero(5), hi = VecX<double>::Zero(5), y(5);
  y << 1, 2, 3, 4, 5;
  EXPECT_TRUE(std::isinf(cq::cqr_correction(lo, hi, y, 0.1)));
  VecX<double> y19(19);
  for (int i = 0; i < 19; ++i) y19[i] = i + 1;  // scores 1..19
  EXPECT_EQ(cq::cqr_correction(VecX<double>::Zero(19), VecX<double>::Zero(19), y19, 0.1), 18);
}

TEST(Conformal, CoverageOverRandomSplitsLiesInTheBand) {
  // Heteroscedastic data and a deliberately too-narrow band; n2 = 200, a = 0.1.
  std::mt19937_64 rng(convlab::test::test_seed() + 9);
  std::uniform_real_distribution<double> U(0, 4);
  std::normal_distribution<double> N;
  const int n2 = 200, n_test = 200, reps = 2000;
  const double a = 0.1;
  double sum = 0, sum_sq = 0;
  for (int r = 0; r < reps; ++r) {
    VecX<double> lo(n2 + n_test), hi(n2 + n_test), y(n2 + n_test);
    for (int i = 0; i < n2 + n_test; ++i) {
      const double x = U(rng);
      y[i] = std::sin(x) + (0.2 + 0.5 * x) * N(rng);
      lo[i] = std::sin(x) - 0.5;
      hi[i] = std::sin(x) + 0.5;
    }
    const double qhat = cq::cqr_correction(lo.head(n2), hi.head(n2), y.head(n2), a);
    const double cov = cp::coverage((lo.tail(n_test).array() - qhat).matrix(), (hi.tail(n_test).array() + qhat).matrix(), y.tail(n_test));
    sum += cov;
    sum_sq += cov * cov;
  }
  const double mean = sum / reps, se = std::sqrt((sum_sq / reps - mean * mean) / reps);
  EXPECT_GE(mean, 1 - a - 3 * se);
  EXPECT_LE(mean, 1 - a + 1.0 / (n2 + 1) + 3 * se);
}

TEST(Conformal, CalibrateKeepsEveryIntervalsRankRuleAndMonotonicity) {
  std::mt19937_64 rng(convlab::test::test_seed() + 10);
  std::normal_distribution<double> N;
  const VecX<double> tau = grid(9);
  MatX<double> Qc(300, 9), Qt(50, 9);
  VecX<double> yc(300);
  for (Index i = 0; i < 300; ++i) {
    yc[i] = 2 * N(rng);
    for (Index k = 0; k < 9; ++k) Qc(i, k) = 0.5 * (tau[k] - 0.5);  // far too narrow
  }
  for (Index i = 0; i < 50; ++i)
    for (Index k = 0; k < 9; ++k) Qt(i, k) = 0.5 * (tau[k] - 0.5);
  const MatX<double> C = cq::cqr_calibrate(Qc, yc, Qt, tau);
  for (Index k = 0; k < 4; ++k) {
    const double a = 2 * tau[k];
    const double qhat = cq::cqr_correction(Qc.col(k), Qc.col(8 - k), yc, a);
    EXPECT_NEAR(C(0, 8 - k), Qt(0, 8 - k) + qhat, 1e-12);
    // Empirical coverage of the calibration rows by the corrected interval >= 1 − a.
    EXPECT_GE(cp::coverage((Qc.col(k).array() - qhat).matrix(), (Qc.col(8 - k).array() + qhat).matrix(), yc), 1 - a);
  }
  EXPECT_EQ(cp::crossing_fraction(C), 0);
  VecX<double> skew(3);
  skew << 0.1, 0.5, 0.8;
  EXPECT_THROW(cq::cqr_calibrate(Qc.leftCols(3), yc, Qt.leftCols(3), skew), convlab::InvalidArgument);
}

TEST(Monotonize, SoftSortIsMonotoneKeepsTheSumAndInterpolatesSortAndMean) {
  std::mt19937_64 rng(convlab::test::test_seed() + 11);
  std::normal_distribution<double> N;
  for (int t = 0; t < 500; ++t) {
    const int m = 2 + t % 15;
    MatX<double> Q(1, m);
    for (int k = 0; k < m; ++k) Q(0, k) = N(rng);
    for (double eps : {1e-3, 0.1, 1.0, 10.0}) {
      const MatX<double> S = cq::monotonize(Q, cq::Monotonize::SoftSort, eps);
      for (int k = 1; k < m; ++k) ASSERT_LE(S(0, k - 1), S(0, k) + 1e-12);
      EXPECT_NEAR(S.sum(), Q.sum(), 1e-9);
      // In the permutahedron of q: every prefix of the ascending output is at least the sum of
      // the same number of smallest entries of q (majorization).
      std::vector<double> sorted(Q.data(), Q.data() + m);
      std::sort(sorted.begin(), sorted.end());
      double a = 0, b = 0;
      for (int k = 0; k < m; ++k) {
        a += S(0, k), b += sorted[static_cast<std::size_t>(k)];
        EXPECT_GE(a, b - 1e-9);
      }
    }
    // Small strength: the hard sort; large strength: every entry tends to the mean.
    const MatX<double> hard = cq::monotonize(Q, cq::Monotonize::Sort);
    EXPECT_LE((cq::monotonize(Q, cq::Monotonize::SoftSort, 1e-9) - hard).cwiseAbs().maxCoeff(), 1e-12);
    EXPECT_LE((cq::monotonize(Q, cq::Monotonize::SoftSort, 1e9).array() - Q.mean()).abs().maxCoeff(), 1e-6);
  }
}

TEST(LocalAggregator, ZeroWeightsAreTheAverage) {
  std::mt19937_64 rng(convlab::test::test_seed() + 12);
  const VecX<double> tau = grid(5);
  const MatX<double> X = convlab::test::random_matrix<double>(60, 2, rng);
  cq::BasePredictions Z;
  for (int j = 0; j < 3; ++j) Z.push_back(cq::monotonize(convlab::test::random_matrix<double>(60, 5, rng), cq::Monotonize::Sort));
  VecX<double> y = convlab::test::random_matrix<double>(60, 1, rng).col(0);
  // One step of a vanishing learning rate leaves Θ at (numerically) 0: softmax(0) = 1/p.
  cq::LocalAggregator local({.steps = 1, .lr = 1e-300});
  local.fit(X, Z, y, tau, X, Z, y);
  EXPECT_LE((local.predict(X, Z) - cq::average_aggregate(Z)).cwiseAbs().maxCoeff(), 1e-14);
}
