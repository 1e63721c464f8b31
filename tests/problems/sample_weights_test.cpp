// Sample weights of the linear models: integer weights against the same rows repeated (value,
// gradient, Hessian, curvature bounds, accuracy, and the coordinate form), weight 0 against the
// row dropped, minibatch means against the full gradient, row blocks against the whole problem,
// and refusals.
#include <convlab/problems/blocked_problem.hpp>
#include <convlab/problems/coordinate_linear_model.hpp>
#include <convlab/problems/least_squares.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/multinomial.hpp>

#include <numeric>

#include "test_support.hpp"

namespace cp = convlab::problems;
using convlab::MatX;
using convlab::VecX;

namespace {

template <bool Sparse, int Kind>  // Kind: 0 least squares, 1 logistic, 2 multinomial
struct Case {
  using Design = std::conditional_t<Sparse, cp::SparseDesign<double>, MatX<double>>;
  using Problem = std::conditional_t<Kind == 0, cp::LeastSquares<double, Design>,
                                     std::conditional_t<Kind == 1, cp::Logistic<double, Design>, cp::Multinomial<double, Design>>>;
  static constexpr int kind = Kind;
  static Problem make(const MatX<double>& A, const VecX<double>& y, const cp::LinearModelOptions& opt, const VecX<double>& w = {}) {
    Design D;
    if constexpr (Sparse) D = A.sparseView();
    else D = A;
    if constexpr (Kind == 2) return Problem(std::move(D), y, 3, opt, w);
    else return Problem(std::move(D), y, opt, w);
  }
};

struct Data {
  MatX<double> A;
  VecX<double> y, w;  // w: integer weights 0 … 3, some 0
};

template <int Kind>
Data make_data(std::mt19937_64& rng, Eigen::Index n, Eigen::Index d) {
  Data r{convlab::test::random_matrix<double>(n, d, rng), VecX<double>(n), VecX<double>(n)};
  std::uniform_int_distribution<int> cls(0, 2), weight(0, 3);
  for (Eigen::Index i = 0; i < n; ++i) {
    if constexpr (Kind == 0) r.y[i] = std::normal_distribution<double>(0, 1)(rng);
    else if constexpr (Kind == 1) r.y[i] = i < 2 ? i : cls(rng) == 0;  // both classes have weight below
    else r.y[i] = i < 3 ? i : cls(rng);
    r.w[i] = i < 3 ? 1 : weight(rng);
    if (Kind != 0 && i < 3) r.A.row(i) *= 0.5;  // keep the first rows ordinary
  }
  for (Eigen::Index j = 0; j < d; ++j) r.A(0, j) = 0.0;  // a zero row, also at weight 1
  return r;
}

/// The rows repeated as often as their integer weight says (weight 0: dropped).
Data repeated(const Data& d) {
  std::vector<Eigen::Index> rows;
  for (Eigen::Index i = 0; i < d.A.rows(); ++i)
    for (int k = 0; k < static_cast<int>(d.w[i]); ++k) rows.push_back(i);
  Data r{MatX<double>(static_cast<Eigen::Index>(rows.size()), d.A.cols()), VecX<double>(static_cast<Eigen::Index>(rows.size())), {}};
  for (std::size_t k = 0; k < rows.size(); ++k) {
    r.A.row(static_cast<Eigen::Index>(k)) = d.A.row(rows[k]);
    r.y[static_cast<Eigen::Index>(k)] = d.y[rows[k]];
  }
  return r;
}

double relative(double a, double b) { return std::abs(a - b) / std::max(1.0, std::abs(b)); }

VecX<double> random_x(Eigen::Index dim, std::mt19937_64& rng) { return convlab::test::random_matrix<double>(dim, 1, rng, 0.5).col(0); }

/// The problem's training accuracy (least squares has none: 0).
template <class P>
double accuracy(const P& p, const VecX<double>& x) {
  if constexpr (requires { p.accuracy(x); }) return p.accuracy(x);
  return 0;
}

#define EXPECT_THROW_MESSAGE(statement, text)                                                   \
  try {                                                                                         \
    statement;                                                                                  \
    ADD_FAILURE() << "no exception from " #statement;                                           \
  } catch (const std::invalid_argument& e) {                                                    \
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();                 \
  }

}  // namespace

template <class C>
class SampleWeights : public ::testing::Test {};
using Cases = ::testing::Types<Case<false, 0>, Case<true, 0>, Case<false, 1>, Case<true, 1>, Case<false, 2>, Case<true, 2>>;
TYPED_TEST_SUITE(SampleWeights, Cases);

const cp::LinearModelOptions kOptions[] = {{}, {.l2 = 0.2, .intercept = true}, {.l1 = 0.05, .l2 = 0.1, .intercept = true}};

TYPED_TEST(SampleWeights, IntegerWeightsAreRepeatedRows) {
  const unsigned seed = convlab::test::test_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (const auto& opt : kOptions) {
    const Data d = make_data<TypeParam::kind>(rng, 30, 5);
    const auto weighted = TypeParam::make(d.A, d.y, opt, d.w);
    const Data r = repeated(d);
    const auto plain = TypeParam::make(r.A, r.y, opt);
    EXPECT_EQ(weighted.total_weight(), d.w.sum());
    EXPECT_EQ(weighted.num_samples(), 30);
    for (int trial = 0; trial < 3; ++trial) {
      const VecX<double> x = random_x(weighted.dim(), rng);
      VecX<double> gw(weighted.dim()), gp(weighted.dim());
      const double fw = weighted.value_and_gradient(x, gw), fp = plain.value_and_gradient(x, gp);
      EXPECT_LT(relative(fw, fp), 1e-13);
      EXPECT_LT(relative(weighted.value(x), fp), 1e-13);
      EXPECT_LT((gw - gp).norm(), 1e-13 * (1 + gp.norm()));
      EXPECT_LT(relative(accuracy(weighted, x), accuracy(plain, x)), 1e-15);
      if constexpr (TypeParam::kind != 2) {
        MatX<double> Hw(weighted.dim(), weighted.dim()), Hp(weighted.dim(), weighted.dim());
        weighted.hessian(x, Hw);
        plain.hessian(x, Hp);
        EXPECT_LT((Hw - Hp).norm(), 1e-13 * (1 + Hp.norm()));
      }
    }
    EXPECT_LT(relative(weighted.lipschitz(), plain.lipschitz()), 1e-11);
    EXPECT_LT((weighted.coordinate_lipschitz() - plain.coordinate_lipschitz()).norm(), 1e-12 * plain.coordinate_lipschitz().norm());
    if (opt.l1 == 0) {  // the coordinate form (block coordinate descent) weighs rows the same way
      const auto cw = cp::coordinate_form(weighted);
      const auto cr = cp::coordinate_form(plain);
      const VecX<double> x = random_x(weighted.dim(), rng);
      const auto sw = cw.make_state(x, false);
      const auto sr = cr.make_state(x, false);
      EXPECT_LT(relative(cw.value(sw), cr.value(sr)), 1e-13);
      VecX<double> gw(cw.dim()), gr(cw.dim());
      cw.gradient(sw, gw);
      cr.gradient(sr, gr);
      EXPECT_LT((gw - gr).norm(), 1e-13 * (1 + gr.norm()));
      EXPECT_LT((cw.coordinate_lipschitz() - cr.coordinate_lipschitz()).norm(), 1e-12 * cr.coordinate_lipschitz().norm());
      EXPECT_LT((cw.hessian_bound_row_sums() - cr.hessian_bound_row_sums()).norm(), 1e-12 * cr.hessian_bound_row_sums().norm());
    }
  }
}

TYPED_TEST(SampleWeights, UnitWeightsGiveTheSameBitsAsNone) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const auto opt = kOptions[1];
  const Data d = make_data<TypeParam::kind>(rng, 25, 4);
  const auto ones = TypeParam::make(d.A, d.y, opt, VecX<double>::Ones(25));
  const auto none = TypeParam::make(d.A, d.y, opt);
  const VecX<double> x = random_x(none.dim(), rng);
  VecX<double> g1(none.dim()), g0(none.dim()), b1(none.dim()), b0(none.dim());
  EXPECT_EQ(ones.value_and_gradient(x, g1), none.value_and_gradient(x, g0));
  EXPECT_EQ(g1, g0);
  const std::vector<Eigen::Index> batch{3, 7, 7, 20};
  EXPECT_EQ(ones.value(x, batch), none.value(x, batch));
  ones.gradient(x, batch, b1);
  none.gradient(x, batch, b0);
  EXPECT_EQ(b1, b0);
  EXPECT_LT(relative(ones.lipschitz(), none.lipschitz()), 1e-14);  // the weighted sums add in another order
  EXPECT_EQ(ones.coordinate_lipschitz(), none.coordinate_lipschitz());
  const auto c1 = cp::coordinate_form(ones);
  const auto c0 = cp::coordinate_form(none);
  const auto s1 = c1.make_state(x, true);
  const auto s0 = c0.make_state(x, true);
  EXPECT_EQ(c1.value(s1), c0.value(s0));
  EXPECT_EQ(s1.grad, s0.grad);
  EXPECT_EQ(c1.hessian_bound_row_sums(), c0.hessian_bound_row_sums());
}

TYPED_TEST(SampleWeights, MinibatchMeansAreUnbiased) {
  // Over the batch of every row once, the minibatch mean (rows scaled by n·sᵢ/Σs) is the full
  // weighted mean; over singleton batches, the mean of the estimates is too.
  std::mt19937_64 rng(convlab::test::test_seed());
  for (const auto& opt : kOptions) {
    const Data d = make_data<TypeParam::kind>(rng, 20, 4);
    const auto p = TypeParam::make(d.A, d.y, opt, d.w);
    const VecX<double> x = random_x(p.dim(), rng);
    VecX<double> g(p.dim()), gb(p.dim()), mean = VecX<double>::Zero(p.dim());
    const double f = p.value_and_gradient(x, g);
    std::vector<Eigen::Index> all(20);
    std::iota(all.begin(), all.end(), Eigen::Index{0});
    EXPECT_LT(relative(p.value(x, all), f), 1e-13);
    p.gradient(x, all, gb);
    EXPECT_LT((gb - g).norm(), 1e-13 * (1 + g.norm()));
    if (opt.l1 == 0) {  // the penalty's subgradient is added whole to every estimate
      for (Eigen::Index i = 0; i < 20; ++i) {
        p.gradient(x, std::vector<Eigen::Index>{i}, gb);
        mean += gb / 20.0;
      }
      EXPECT_LT((mean - g).norm(), 1e-13 * (1 + g.norm()));
    }
  }
}

TYPED_TEST(SampleWeights, RowBlocksGiveTheWholeProblem) {
  // Blocks of 7 rows, one of them with no weight at all; full and minibatch evaluations of the
  // blocked problem against the one weighted problem.
  std::mt19937_64 rng(convlab::test::test_seed());
  const auto opt = kOptions[1];
  Data d = make_data<TypeParam::kind>(rng, 40, 4);
  d.w.segment(14, 7).setZero();
  const auto whole = TypeParam::make(d.A, d.y, opt, d.w);
  const cp::BlockLayout layout(40, 1, 7);
  const cp::BlockedProblem blocked(
      cp::split_into_blocks(d.A, d.y, d.w, layout, 0,
                            [&](const MatX<double>& A, const VecX<double>& y, const VecX<double>& w) { return TypeParam::make(A, y, opt, w); }),
      layout);
  const VecX<double> x = random_x(whole.dim(), rng);
  VecX<double> gw(whole.dim()), gb(whole.dim());
  EXPECT_LT(relative(blocked.value_and_gradient(x, gb), whole.value_and_gradient(x, gw)), 1e-13);
  EXPECT_LT((gb - gw).norm(), 1e-13 * (1 + gw.norm()));
  EXPECT_LT(relative(blocked.lipschitz(), whole.lipschitz()), 1e-11);
  const std::vector<Eigen::Index> batch{2, 9, 15, 30, 39, 9};  // rows of several blocks, one of weight 0
  VecX<double> bw(whole.dim()), bb(whole.dim());
  EXPECT_LT(relative(blocked.value(x, batch), whole.value(x, batch)), 1e-13);
  blocked.gradient(x, batch, bb);
  whole.gradient(x, batch, bw);
  EXPECT_LT((bb - bw).norm(), 1e-13 * (1 + bw.norm()));
  if constexpr (TypeParam::kind != 2) {
    MatX<double> Hw(whole.dim(), whole.dim()), Hb(whole.dim(), whole.dim());
    whole.hessian(x, Hw);
    blocked.hessian(x, Hb);
    EXPECT_LT((Hb - Hw).norm(), 1e-13 * (1 + Hw.norm()));
  }
}

TEST(SampleWeights, BoundPathOfTheLipschitzConstantIsAnUpperBound) {
  // p > 500: the bound min(‖Ã‖_F², ‖Ã‖₁‖Ã‖_∞) over the √s-scaled rows, against λ_max of the
  // weighted Gram matrix, and against the same rows repeated (whose own bound differs).
  std::mt19937_64 rng(convlab::test::test_seed());
  const Data d = make_data<0>(rng, 40, 520);
  const cp::LinearModelOptions opt{.intercept = true};
  for (const bool sparse : {false, true}) {
    const double L = sparse ? Case<true, 0>::make(d.A, d.y, opt, d.w).lipschitz() : Case<false, 0>::make(d.A, d.y, opt, d.w).lipschitz();
    MatX<double> At(40, 521);
    At << d.A, VecX<double>::Ones(40);
    const MatX<double> G = At.transpose() * d.w.asDiagonal() * At / d.w.sum();
    const double exact = Eigen::SelfAdjointEigenSolver<MatX<double>>(G, Eigen::EigenvaluesOnly).eigenvalues().maxCoeff();
    EXPECT_GE(L, exact * (1 - 1e-12));
    EXPECT_LE(L, G.trace() * (1 + 1e-12));  // the Frobenius bound is the trace
  }
}

TEST(SampleWeights, BadWeightsAreRefused) {
  const MatX<double> A = MatX<double>::Identity(3, 2);
  const VecX<double> y = VecX<double>::Ones(3);
  EXPECT_THROW_MESSAGE(cp::LeastSquares<double>(A, y, {}, VecX<double>::Ones(2)), "sample_weight");
  EXPECT_THROW_MESSAGE(cp::LeastSquares<double>(A, y, {}, (VecX<double>(3) << 1, -1, 1).finished()), "row 1");
  EXPECT_THROW_MESSAGE(cp::Logistic<double>(A, y, {}, (VecX<double>(3) << 1, NAN, 1).finished()), "finite");
  // Every weight 0: the loss vanishes, f is the penalty.
  const cp::LeastSquares<double> none(A, y, {.l2 = 2}, VecX<double>::Zero(3));
  const VecX<double> x = VecX<double>::Ones(2);
  EXPECT_EQ(none.value(x), 2.0);
}
