// Regularizers: closed forms and optimality conditions of every prox, on random inputs.
#include <convlab/problems/regularizers.hpp>

#include "test_support.hpp"  // gtest before rapidcheck/gtest.h

#include <rapidcheck/gtest.h>

namespace cp = convlab::problems;
using convlab::VecX;

namespace {
VecX<double> to_vec(const std::vector<double>& v) {
  return Eigen::Map<const VecX<double>>(v.data(), static_cast<Eigen::Index>(v.size()));
}
/// Vectors of 1..30 entries in [−10, 10].
rc::Gen<std::vector<double>> gen_vector() {
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(1, 31), [](std::size_t n) {
    return rc::gen::container<std::vector<double>>(
        n, rc::gen::map(rc::gen::inRange(-100000, 100001), [](int k) { return k / 1e4; }));
  });
}
rc::Gen<double> gen_positive(double lo, double hi) {
  return rc::gen::map(rc::gen::inRange(0, 10001), [lo, hi](int k) { return lo + (hi - lo) * k / 1e4; });
}
/// Minimizer of a convex 1-D function on [lo, hi] by golden-section search (independent of any prox).
template <class F>
double golden_min(F f, double lo, double hi) {
  const double r = (std::sqrt(5.0) - 1) / 2;
  double a = lo, b = hi, c = b - r * (b - a), d = a + r * (b - a);
  for (int i = 0; i < 200; ++i) {
    if (f(c) < f(d)) b = d;
    else a = c;
    c = b - r * (b - a);
    d = a + r * (b - a);
  }
  return (a + b) / 2;
}
}  // namespace

RC_GTEST_PROP(L1Prox, IsSoftThresholdingAndOptimal, ()) {
  const VecX<double> x = to_vec(*gen_vector());
  const double lambda = *gen_positive(0.0, 3.0), t = *gen_positive(0.01, 2.0);
  VecX<double> u(x.size());
  cp::L1<double>{lambda}.prox(x, t, u);
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double expected = x[i] > t * lambda ? x[i] - t * lambda : (x[i] < -t * lambda ? x[i] + t * lambda : 0.0);
    RC_ASSERT(std::abs(u[i] - expected) <= 1e-12);
    // Optimality: (x − u)/t ∈ λ·∂|u|.
    const double s = (x[i] - u[i]) / t;
    if (u[i] != 0) RC_ASSERT(std::abs(s - lambda * (u[i] > 0 ? 1 : -1)) <= 1e-9);
    else RC_ASSERT(std::abs(s) <= lambda + 1e-9);
  }
}

RC_GTEST_PROP(Prox, IsNonExpansive, ()) {
  const auto a = *gen_vector();
  const VecX<double> x = to_vec(a);
  const VecX<double> y = x + to_vec(*rc::gen::container<std::vector<double>>(
                                 a.size(), rc::gen::map(rc::gen::inRange(-1000, 1001), [](int k) { return k / 100.0; })));
  const double t = *gen_positive(0.01, 2.0);
  VecX<double> px(x.size()), py(x.size());
  auto check = [&](const auto& r) {
    r.prox(x, t, px);
    r.prox(y, t, py);
    RC_ASSERT((px - py).norm() <= (x - y).norm() * (1 + 1e-12) + 1e-12);
  };
  check(cp::L1<double>{0.7});
  check(cp::L2<double>{1.3});
  check(cp::Box<double>{-1, 2});
  check(cp::NonNegative<double>{});
  check(cp::Simplex<double>{2.0});
  check(cp::compose(cp::L1<double>{0.3}, cp::Box<double>{-0.5, 0.5}));
}

RC_GTEST_PROP(SimplexProjection, LandsOnTheSimplexAndIsClosest, ()) {
  const VecX<double> x = to_vec(*gen_vector());
  const double radius = *gen_positive(0.1, 5.0);
  const cp::Simplex<double> simplex{radius};
  VecX<double> p(x.size());
  simplex.prox(x, 1.0, p);
  RC_ASSERT((p.array() >= 0).all());
  RC_ASSERT(std::abs(p.sum() - radius) <= 1e-9 * (1 + radius));
  RC_ASSERT(simplex.value(p) == 0.0);
  // Closest point: the variational inequality (x − p)ᵀ(q − p) <= 0 for q on the simplex,
  // checked at the vertices (which span the simplex) and at random points.
  for (Eigen::Index j = 0; j < x.size(); ++j) {
    const VecX<double> q = radius * VecX<double>::Unit(x.size(), j);
    RC_ASSERT((x - p).dot(q - p) <= 1e-9 * (1 + x.norm()));
  }
  const auto w = *rc::gen::container<std::vector<int>>(static_cast<std::size_t>(x.size()), rc::gen::inRange(0, 100));
  VecX<double> q = to_vec(std::vector<double>(w.begin(), w.end())).array() + 1e-3;
  q *= radius / q.sum();
  RC_ASSERT((x - p).norm() <= (x - q).norm() + 1e-12);
}

RC_GTEST_PROP(Compositions, ProxMatchesOneDimensionalMinimization, ()) {
  const VecX<double> x = to_vec(*gen_vector());
  const double t = *gen_positive(0.05, 2.0), l1 = *gen_positive(0.0, 2.0), l2 = *gen_positive(0.0, 2.0);
  const double lo = -*gen_positive(0.0, 3.0), hi = *gen_positive(0.0, 3.0);
  VecX<double> u(x.size());
  auto check = [&](const auto& r, auto scalar_r, double a, double b) {
    r.prox(x, t, u);
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      const double xi = x[i];
      const double best = golden_min([&](double v) { return scalar_r(v) + (v - xi) * (v - xi) / (2 * t); }, a, b);
      RC_ASSERT(std::abs(u[i] - best) <= 1e-6);
    }
  };
  check(cp::compose(cp::L1<double>{l1}, cp::L2<double>{l2}),
        [&](double v) { return l1 * std::abs(v) + l2 / 2 * v * v; }, -20.0, 20.0);
  check(cp::compose(cp::L1<double>{l1}, cp::Box<double>{lo, hi}), [&](double v) { return l1 * std::abs(v); }, lo, hi);
  check(cp::compose(cp::L2<double>{l2}, cp::NonNegative<double>{}), [&](double v) { return l2 / 2 * v * v; }, 0.0, 20.0);
  check(cp::compose(cp::compose(cp::L1<double>{l1}, cp::L2<double>{l2}), cp::Box<double>{lo, hi}),
        [&](double v) { return l1 * std::abs(v) + l2 / 2 * v * v; }, lo, hi);
}

RC_GTEST_PROP(Compositions, L2ThenSimplexIsTheProxOfTheSum, ()) {
  const VecX<double> x = to_vec(*gen_vector());
  const double t = *gen_positive(0.05, 2.0), l2 = *gen_positive(0.0, 2.0);
  const auto r = cp::compose(cp::L2<double>{l2}, cp::Simplex<double>{1.0});
  VecX<double> u(x.size());
  r.prox(x, t, u);
  // Optimality of min l2/2‖u‖² + ‖u − x‖²/(2t) over the simplex: the gradient at u,
  // l2·u + (u − x)/t, has nonnegative inner product with every feasible direction q − u.
  const VecX<double> grad = l2 * u + (u - x) / t;
  for (Eigen::Index j = 0; j < x.size(); ++j)
    RC_ASSERT(grad.dot(VecX<double>::Unit(x.size(), j) - u) >= -1e-9 * (1 + grad.norm()));
}

TEST(Regularizers, ValuesAndValidation) {
  VecX<double> x(3);
  x << 1, -2, 0.5;
  EXPECT_DOUBLE_EQ(cp::L1<double>{2}.value(x), 7.0);
  EXPECT_DOUBLE_EQ(cp::L2<double>{2}.value(x), 5.25);
  EXPECT_EQ((cp::Box<double>{-1, 1}.value(x)), std::numeric_limits<double>::infinity());
  EXPECT_EQ((cp::Box<double>{-2, 1}.value(x)), 0.0);
  EXPECT_EQ(cp::NonNegative<double>{}.value(x), std::numeric_limits<double>::infinity());
  EXPECT_THROW((cp::Box<double>{2, 1}.validate()), convlab::InvalidArgument);
  EXPECT_THROW((cp::Simplex<double>{-1}.validate()), convlab::InvalidArgument);
  VecX<double> out(3);
  try {
    cp::L1<double>{1}.prox(x, -1.0, out);
    FAIL();
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("0 <= step t"), std::string::npos) << e.what();
  }
  VecX<double> wrong(2);
  EXPECT_THROW(cp::L1<double>{1}.prox(x, 1.0, wrong), convlab::InvalidArgument);
}

// Restricted<R>: R's prox on the marked coordinates, the identity on the others (an unpenalized
// intercept), and R's value over the marked ones alone; each entry checked against the 1-D
// minimizer of R + (u − x)²/(2t) by golden-section search, or against x where R does not act.
RC_GTEST_PROP(Regularizers, RestrictedActsOnTheMarkedCoordinatesOnly, ()) {
  const VecX<double> x = to_vec(*gen_vector());
  const double t = *gen_positive(0.01, 3), lambda = *gen_positive(0, 2);
  Eigen::Array<bool, Eigen::Dynamic, 1> mask(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) mask[i] = *rc::gen::arbitrary<bool>();
  const auto r = cp::Restricted<cp::Sum<cp::L1<double>, cp::Box<double>>>{cp::compose(cp::L1<double>{lambda}, cp::Box<double>{-1, 4}), mask};
  VecX<double> u(x.size());
  r.prox(x, t, u);
  double marked_value = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    if (!mask[i]) {
      RC_ASSERT(u[i] == x[i]);
      continue;
    }
    const double m = golden_min([&](double v) { return lambda * std::abs(v) + (v - x[i]) * (v - x[i]) / (2 * t); }, -1, 4);
    RC_ASSERT(std::abs(u[i] - m) <= 1e-6);  // golden section near a bound, as above
    marked_value += lambda * std::abs(u[i]);
  }
  RC_ASSERT(std::abs(r.value(u) - marked_value) <= 1e-12 * (1 + marked_value));
  // Outside the box only where R does not act: the value stays finite.
  VecX<double> far = u;
  for (Eigen::Index i = 0; i < x.size(); ++i)
    if (!mask[i]) far[i] = 100;
  RC_ASSERT(std::isfinite(r.value(far)));
}
