#pragma once
/// \file
/// What least squares, logistic and multinomial regression share: the design matrix,
/// the parameter layout with an optional unpenalized intercept, the L1/L2 penalty, size
/// checks and the spectral bounds behind the Lipschitz constants.
///
/// Parameter layout: x = vec(W) with W of shape (p × K), p = d + intercept, column-major,
/// so coefficient (feature j, output k) is x[k·p + j] and the intercept of output k is
/// x[k·p + d]. K = 1 for least squares and logistic regression.

#include <Eigen/Eigenvalues>
#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <concepts>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../concepts.hpp"
#include <convlab/core/errors.hpp>

namespace convlab::problems {

/// Penalty and intercept options shared by the linear-model objectives:
/// f(x) = (1/n) Σᵢ lossᵢ(x) + (l2/2)·‖w‖² + l1·‖w‖₁, w = x without intercept entries
/// (with sample weights sᵢ: (1/Σsᵢ) Σᵢ sᵢ·lossᵢ(x) + the same penalty).
struct LinearModelOptions {
  double l1 = 0.0;         ///< weight of ‖w‖₁, >= 0; makes f non-smooth (see docs/problems.md)
  double l2 = 0.0;         ///< weight of ½‖w‖², >= 0
  bool intercept = false;  ///< add an unpenalized intercept per output
  void validate() const {
    detail::require(l1 >= 0 && std::isfinite(l1), "LinearModelOptions::l1", l1, "0 <= l1 < inf");
    detail::require(l2 >= 0 && std::isfinite(l2), "LinearModelOptions::l2", l2, "0 <= l2 < inf");
  }
};

/// Row-major sparse design: the storage order that makes minibatches cheap.
template <class S>
using SparseDesign = Eigen::SparseMatrix<S, Eigen::RowMajor>;

template <class D>
inline constexpr bool is_sparse_design_v = std::is_base_of_v<Eigen::SparseMatrixBase<D>, D>;

namespace detail {

/// Checks that every entry of a dense or sparse matrix / vector is finite.
template <class M>
bool all_finite(const M& m) {
  if constexpr (is_sparse_design_v<M>) {
    for (Eigen::Index k = 0; k < m.outerSize(); ++k)
      for (typename M::InnerIterator it(m, k); it; ++it)
        if (!std::isfinite(static_cast<double>(it.value()))) return false;
    return true;
  } else {
    return m.allFinite();
  }
}

/// Row passes over a design. For a row-major sparse design, Aᵀr is a scatter (row i adds rᵢ·Aᵢ
/// into the output), which Eigen runs on one core. Here the rows are cut into chunks whose number
/// depends only on A's shape, never on the thread count; chunks run on OpenMP threads, each with
/// its own partial sum and its own column of a d × chunks buffer, and the partials are added in
/// chunk order. Results have the same bits for any number of threads. Dense designs take one
/// chunk (a plain loop) and Eigen's matrix–vector product for Aᵀr.
template <class Design>
Eigen::Index row_chunks(const Design& A) {
  if constexpr (is_sparse_design_v<Design>) {
    // Enough chunks to balance the cores, few enough that zeroing and adding the buffer stays a
    // small part of the scatter (at least 8 non-zeros per buffer entry).
    return std::clamp<Eigen::Index>(A.nonZeros() / (8 * std::max<Eigen::Index>(A.cols(), 1)), 1, 16);
  } else {
    return 1;
  }
}

/// body(c, begin, end) for each row chunk [begin, end) of A, chunks in parallel.
template <class Design, class Body>
void for_each_row_chunk(const Design& A, Body&& body) {
  const Eigen::Index n = A.rows(), chunks = row_chunks(A);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (chunks > 1)
#endif
  for (Eigen::Index c = 0; c < chunks; ++c) body(c, c * n / chunks, (c + 1) * n / chunks);
}

/// Σᵢ loss(i) over the rows of A, in row chunks.
template <class S, class Design, class Loss>
S sum_rows(const Design& A, Loss&& loss) {
  std::vector<S> partial(static_cast<std::size_t>(row_chunks(A)), S(0));
  for_each_row_chunk(A, [&](Eigen::Index c, Eigen::Index begin, Eigen::Index end) {
    S sum = 0;
    for (Eigen::Index i = begin; i < end; ++i) sum += loss(i);
    partial[static_cast<std::size_t>(c)] = sum;
  });
  S total = 0;
  for (const S v : partial) total += v;
  return total;
}

/// One pass over the rows: (ℓᵢ, rᵢ) = terms(i); returns Σᵢ ℓᵢ, stores r (when given) and sets
/// out = s·Aᵀr.
template <class S, class Design, class Terms>
S sum_and_transpose_times(const Design& A, Terms&& terms, S s, Eigen::Ref<VecX<S>> out, VecX<S>* r = nullptr) {
  if constexpr (is_sparse_design_v<Design>) {
    static_assert(Design::IsRowMajor, "sum_and_transpose_times: sparse designs are row-major (SparseDesign)");
    const Eigen::Index chunks = row_chunks(A);
    MatX<S> scattered(A.cols(), chunks);
    std::vector<S> partial(static_cast<std::size_t>(chunks), S(0));
    for_each_row_chunk(A, [&](Eigen::Index c, Eigen::Index begin, Eigen::Index end) {
      auto column = scattered.col(c);
      column.setZero();
      S sum = 0;
      for (Eigen::Index i = begin; i < end; ++i) {
        const auto [loss, ri] = terms(i);
        sum += loss;
        if (r) (*r)[i] = ri;
        for (typename Design::InnerIterator it(A, i); it; ++it) column[it.index()] += ri * it.value();
      }
      partial[static_cast<std::size_t>(c)] = sum;
    });
    for (Eigen::Index c = 1; c < chunks; ++c) scattered.col(0) += scattered.col(c);
    out.noalias() = s * scattered.col(0);
    S total = 0;
    for (const S v : partial) total += v;
    return total;
  } else {
    VecX<S> local;
    VecX<S>& rr = r ? *r : local;
    rr.resize(A.rows());
    S total = 0;
    for (Eigen::Index i = 0; i < A.rows(); ++i) {
      const auto [loss, ri] = terms(i);
      total += loss;
      rr[i] = ri;
    }
    out.noalias() = s * (A.transpose() * rr);
    return total;
  }
}

/// out = s·Aᵀr.
template <class S, class Design>
void transpose_times(const Design& A, const Eigen::Ref<const VecX<S>>& r, S s, Eigen::Ref<VecX<S>> out) {
  if constexpr (is_sparse_design_v<Design>) {
    sum_and_transpose_times<S>(A, [&](Eigen::Index i) { return std::pair{S(0), r[i]}; }, s, out);
  } else {
    out.noalias() = s * (A.transpose() * r);
  }
}

template <class S, class Design>
class LinearModel {
  static_assert(std::is_same_v<S, typename Design::Scalar>, "design scalar must match the problem scalar");

 public:
  using Scalar = S;

  Eigen::Index num_samples() const { return A_.rows(); }
  Eigen::Index num_features() const { return A_.cols(); }
  Eigen::Index num_outputs() const { return K_; }
  /// Parameters per output: d, plus one for the intercept.
  Eigen::Index rows_per_output() const { return p_; }
  Eigen::Index dim() const { return p_ * K_; }
  const Design& design() const { return A_; }
  const LinearModelOptions& options() const { return opt_; }
  /// Per-row weights of the loss (empty: every row weighs 1).
  const VecX<S>& sample_weights() const { return sw_; }
  bool weighted() const { return sw_.size() > 0; }
  /// Σ of the sample weights (n without them): the loss is Σ sᵢ·lossᵢ / total_weight().
  double total_weight() const { return total_weight_; }
  /// A minibatch mean scales row i by sᵢ/m, m the mean weight (Σs/n by default), so that it is an
  /// unbiased estimate of the weighted mean under uniform sampling. A row block of a larger
  /// data set takes the whole data's m (BlockedProblem sets it), so its minibatch rows are on
  /// the scale of the whole data's.
  void set_minibatch_mean_weight(double m) {
    detail::require(m > 0 && std::isfinite(m), "LinearModel::set_minibatch_mean_weight: m", m, "0 < m < inf");
    mean_weight_ = m;
  }

  /// Global Lipschitz constant of the gradient of the smooth part (loss + L2), an upper
  /// bound: curvature · λ_max(ÃᵀÃ)/n + l2 with Ã = [A, 1]. λ_max is exact (eigen-solve of
  /// the Gram matrix) when p <= 500, else the bound min(‖Ã‖_F², ‖Ã‖₁‖Ã‖_∞). Computed on
  /// first call and cached; the first call is not thread-safe.
  S lipschitz() const {
    if (!lipschitz_) {
      std::vector<double> m(lipschitz_moments_size(), 0.0);
      add_lipschitz_moments(m);
      lipschitz_ = lipschitz_from_moments(m);
    }
    return *lipschitz_;
  }

  /// The sums over rows behind lipschitz() — [Σs, Gram of Ã] when p <= 500, else [Σs, ‖Ã‖_F²,
  /// column |·| sums (features, then the intercept column), largest row |·| sum], where Ã's row i
  /// is √sᵢ·(aᵢ, 1) with sample weights s (1 without) — are additive over row blocks (the last
  /// entry is a max), so a problem cut into row blocks (blocked_problem.hpp) gets the bound of the
  /// whole data: add every block's moments in block order, then lipschitz_from_moments.
  std::size_t lipschitz_moments_size() const {
    return static_cast<std::size_t>(p_ <= kExactGramLimit ? 1 + p_ * p_ : 4 + A_.cols());
  }
  /// acc += this problem's moments (acc sized by lipschitz_moments_size(), zeros to start).
  void add_lipschitz_moments(std::vector<double>& acc) const {
    detail::require_size(static_cast<Eigen::Index>(acc.size()), static_cast<Eigen::Index>(lipschitz_moments_size()), "add_lipschitz_moments: acc");
    const Eigen::Index d = A_.cols();
    const double n = static_cast<double>(A_.rows());
    acc[0] += total_weight_;
    // √s per row, the scale of Ã's rows (weighted problems only: unweighted sums keep their bits).
    VecX<double> root;
    if (weighted()) root = sw_.template cast<double>().cwiseSqrt();
    if (p_ <= kExactGramLimit) {
      Eigen::Map<MatX<double>> G(acc.data() + 1, p_, p_);
      MatX<double> ata;
      VecX<double> colsum;  // Σᵢ sᵢ·aᵢ: the intercept's row of the Gram matrix
      if constexpr (is_sparse_design_v<Design>) {
        const Eigen::SparseMatrix<double> Ad = A_.template cast<double>();
        if (weighted()) {
          const VecX<double> s = sw_.template cast<double>();
          ata = MatX<double>(Ad.transpose() * s.asDiagonal() * Ad);
          colsum = Ad.transpose() * s;
        } else {
          ata = MatX<double>(Ad.transpose() * Ad);
          colsum = VecX<double>::Zero(d);
          for (Eigen::Index o = 0; o < A_.outerSize(); ++o)
            for (typename Design::InnerIterator it(A_, o); it; ++it) colsum[it.col()] += it.value();
        }
      } else {
        MatX<double> Ad = A_.template cast<double>();
        if (weighted()) Ad = root.asDiagonal() * Ad;
        ata = Ad.transpose().lazyProduct(Ad);  // thread-count independent, unlike parallel GEMM
        colsum = weighted() ? VecX<double>(Ad.transpose() * root) : VecX<double>(Ad.colwise().sum().transpose());
      }
      G.topLeftCorner(d, d) += ata;
      if (opt_.intercept) {
        G.col(d).head(d) += colsum;
        G.row(d).head(d) += colsum.transpose();
        G(d, d) += total_weight_;
      }
      return;
    }
    Eigen::Map<VecX<double>> colabs(acc.data() + 2, d);
    const double one = opt_.intercept ? 1.0 : 0.0;
    VecX<double> rowabs = VecX<double>::Constant(A_.rows(), one);
    double fro = one * total_weight_;
    if constexpr (is_sparse_design_v<Design>) {
      for (Eigen::Index o = 0; o < A_.outerSize(); ++o)
        for (typename Design::InnerIterator it(A_, o); it; ++it) {
          const double v = std::abs(static_cast<double>(it.value()));
          const Eigen::Index i = it.row();
          colabs[it.col()] += weighted() ? root[i] * v : v;
          rowabs[i] += v;
          fro += weighted() ? static_cast<double>(sw_[i]) * v * v : v * v;
        }
      if (weighted()) rowabs = rowabs.cwiseProduct(root);
    } else {
      MatX<double> Aa = A_.template cast<double>().cwiseAbs();
      if (weighted()) Aa = root.asDiagonal() * Aa;
      colabs += Aa.colwise().sum().transpose();
      rowabs = weighted() ? VecX<double>(Aa.rowwise().sum() + one * root) : VecX<double>(rowabs + Aa.rowwise().sum());
      fro += Aa.squaredNorm();
    }
    acc[1] += fro;
    acc[2 + d] += one * (weighted() ? root.sum() : n);
    acc.back() = std::max(acc.back(), rowabs.size() ? rowabs.maxCoeff() : 0.0);
  }
  /// curvature · λ̂/Σs + l2 from moments summed over all rows: λ̂ = λ_max(Gram) (exact,
  /// eigen-solve) when p <= 500, else the bound min(‖Ã‖_F², ‖Ã‖₁‖Ã‖_∞).
  S lipschitz_from_moments(const std::vector<double>& m) const {
    detail::require_size(static_cast<Eigen::Index>(m.size()), static_cast<Eigen::Index>(lipschitz_moments_size()), "lipschitz_from_moments: moments");
    const double n = m[0];
    if (!(n > 0)) return static_cast<S>(opt_.l2);  // no weight on any row: f is the penalty
    double lambda = 0;
    if (p_ <= kExactGramLimit) {
      const MatX<double> G = Eigen::Map<const MatX<double>>(m.data() + 1, p_, p_);
      Eigen::SelfAdjointEigenSolver<MatX<double>> es(G, Eigen::EigenvaluesOnly);
      lambda = std::max(0.0, es.eigenvalues().maxCoeff()) * (1 + 1e-12) + 1e-300;
    } else {
      const Eigen::Map<const VecX<double>> colabs(m.data() + 2, A_.cols() + 1);  // with the intercept column's
      const double one = colabs.size() ? colabs.maxCoeff() : 0.0;
      lambda = std::min(m[1], one * m.back());
    }
    return static_cast<S>(curvature_ * lambda / n + opt_.l2);
  }

  /// Per-coordinate Lipschitz constants of the smooth part: curvature·Σᵢ sᵢã_ij²/Σs (+ l2 on
  /// penalized coordinates), in the parameter layout above.
  VecX<S> coordinate_lipschitz() const {
    VecX<double> col(p_);
    col.head(A_.cols()) = column_sq_norms();
    if (opt_.intercept) col[A_.cols()] = total_weight_;
    const double total = total_weight_ > 0 ? total_weight_ : 1.0;
    VecX<S> L(dim());
    for (Eigen::Index k = 0; k < K_; ++k)
      for (Eigen::Index j = 0; j < p_; ++j)
        L[k * p_ + j] = static_cast<S>(curvature_ * col[j] / total + (is_intercept(j) ? 0.0 : opt_.l2));
    return L;
  }

 protected:
  /// `sample_weight`: empty (every row weighs 1) or one finite weight >= 0 per row. Integer
  /// weights fit what repeated rows fit. All 0 is allowed (the loss vanishes and f is the
  /// penalty): a row block of a larger data set may carry no weight.
  LinearModel(Design A, Eigen::Index K, const LinearModelOptions& opt, double curvature, const char* name, VecX<S> sample_weight)
      : A_(std::move(A)), opt_(opt), K_(K), p_(A_.cols() + (opt.intercept ? 1 : 0)),
        sw_(std::move(sample_weight)), curvature_(curvature), name_(name) {
    opt_.validate();
    if (A_.rows() == 0) throw InvalidArgument(name_ + ": the design has no rows");
    if (A_.cols() == 0 && !opt.intercept) throw InvalidArgument(name_ + ": the design has no columns");
    if (!all_finite(A_)) throw InvalidArgument(name_ + ": the design contains NaN or Inf");
    total_weight_ = static_cast<double>(A_.rows());
    if (weighted()) {
      detail::require_size(sw_.size(), A_.rows(), name_ + ": sample_weight (one per row of A)");
      total_weight_ = 0;
      for (Eigen::Index i = 0; i < sw_.size(); ++i) {
        if (!(std::isfinite(static_cast<double>(sw_[i])) && sw_[i] >= 0))
          throw InvalidArgument(name_ + ": sample_weight of row " + std::to_string(i) + " is " + std::to_string(static_cast<double>(sw_[i])) +
                                "; weights must be finite and >= 0");
        total_weight_ += static_cast<double>(sw_[i]);
      }
      mean_weight_ = total_weight_ > 0 ? total_weight_ / static_cast<double>(A_.rows()) : 1.0;
    }
  }

  bool is_intercept(Eigen::Index j) const { return opt_.intercept && j == A_.cols(); }

  /// The loss's divisor: Σs (n without weights; 1 when every weight is 0, where the loss is 0).
  S normalizer() const { return static_cast<S>(total_weight_ > 0 ? total_weight_ : 1.0); }
  /// sᵢ (exactly 1 without weights, so unweighted sums keep their bits).
  S row_weight(Eigen::Index i) const { return weighted() ? sw_[i] : S(1); }
  /// A minibatch's per-row factor sᵢ/m (set_minibatch_mean_weight; exactly 1 without weights).
  S batch_weight(Eigen::Index i) const { return weighted() ? static_cast<S>(static_cast<double>(sw_[i]) / mean_weight_) : S(1); }

  void check_x(const In<S>& x, const char* method) const {
    if (x.size() != dim())
      throw InvalidArgument(name_ + "::" + method + ": x has size " + std::to_string(x.size()) +
                            ", expected " + std::to_string(dim()) + " (" + std::to_string(A_.cols()) +
                            " features" + (opt_.intercept ? " + intercept" : "") +
                            (K_ > 1 ? ") x " + std::to_string(K_) + " outputs" : ")"));
  }
  void check_g(const Out<S>& g, const char* method) const {
    if (g.size() != dim())
      throw InvalidArgument(name_ + "::" + method + ": gradient buffer has size " + std::to_string(g.size()) +
                            ", expected " + std::to_string(dim()));
  }
  void check_batch(Batch b) const {
    if (b.empty()) throw InvalidArgument(name_ + ": empty minibatch");
    for (Eigen::Index i : b)
      if (i < 0 || i >= A_.rows())
        throw InvalidArgument(name_ + ": minibatch index " + std::to_string(i) + " outside [0, " +
                              std::to_string(A_.rows()) + ")");
  }

  /// Coefficients of output k (without intercept) and its intercept.
  auto weights(const In<S>& x, Eigen::Index k) const { return x.segment(k * p_, A_.cols()); }
  S intercept_of(const In<S>& x, Eigen::Index k) const {
    return opt_.intercept ? x[k * p_ + A_.cols()] : S(0);
  }

  /// Scores A·w_k + b_k for every sample.
  void scores(const In<S>& x, Eigen::Index k, Out<S> z) const {
    z.noalias() = A_ * weights(x, k);
    if (opt_.intercept) z.array() += intercept_of(x, k);
  }
  S score_of(const In<S>& x, Eigen::Index k, Eigen::Index i) const {
    return A_.row(i).dot(weights(x, k)) + intercept_of(x, k);
  }

  /// g_k = Aᵀ r / n_eff (and the intercept entry = Σ r / n_eff).
  void back_project(const In<S>& r, Eigen::Index k, S inv_n, Out<S> g) const {
    transpose_times<S>(A_, r, inv_n, g.segment(k * p_, A_.cols()));
    if (opt_.intercept) g[k * p_ + A_.cols()] = inv_n * r.sum();
  }

  /// Minibatch mean of loss(i, score_i) plus the full penalty (single-output models).
  template <class Loss>
  S minibatch_value(const In<S>& x, Batch batch, Loss&& loss) const {
    check_x(x, "value");
    check_batch(batch);
    S sum = 0;
    for (Eigen::Index i : batch) sum += batch_weight(i) * loss(i, score_of(x, 0, i));
    return sum / static_cast<S>(batch.size()) + penalty(x);
  }
  /// Minibatch mean gradient, given dloss(i, score_i) = ∂lossᵢ/∂score, plus the full
  /// penalty gradient (single-output models).
  template <class DLoss>
  void minibatch_gradient(const In<S>& x, Batch batch, Out<S> g, DLoss&& dloss) const {
    check_x(x, "gradient");
    check_g(g, "gradient");
    check_batch(batch);
    g.setZero();
    const S inv = S(1) / static_cast<S>(batch.size());
    const Eigen::Index d = A_.cols();
    for (Eigen::Index i : batch) {
      const S r = inv * batch_weight(i) * dloss(i, score_of(x, 0, i));
      g.head(d) += r * A_.row(i).transpose();
      if (opt_.intercept) g[d] += r;
    }
    add_penalty_gradient(x, g);
  }

  /// (l2/2)‖w‖² + l1‖w‖₁ over penalized coordinates.
  S penalty(const In<S>& x) const {
    if (opt_.l1 == 0 && opt_.l2 == 0) return S(0);
    S sq = 0, ab = 0;
    for (Eigen::Index k = 0; k < K_; ++k) {
      sq += weights(x, k).squaredNorm();
      ab += weights(x, k).template lpNorm<1>();
    }
    return static_cast<S>(opt_.l2 / 2) * sq + static_cast<S>(opt_.l1) * ab;
  }
  /// Adds l2·w + l1·sign(w) (the subgradient with sign(0) = 0) to g.
  void add_penalty_gradient(const In<S>& x, Out<S> g) const {
    if (opt_.l1 == 0 && opt_.l2 == 0) return;
    for (Eigen::Index k = 0; k < K_; ++k) {
      auto gk = g.segment(k * p_, A_.cols());
      gk += static_cast<S>(opt_.l2) * weights(x, k);
      if (opt_.l1 != 0) gk += static_cast<S>(opt_.l1) * weights(x, k).array().sign().matrix();
    }
  }

  /// H = Ãᵀ diag(w) Ã / n_eff + l2 on penalized diagonal entries, for one output (K = 1).
  void weighted_gram(const VecX<S>& w, S inv_n, Eigen::Ref<MatX<S>> H) const {
    if (H.rows() != p_ || H.cols() != p_)
      throw InvalidArgument(name_ + "::hessian: H is " + std::to_string(H.rows()) + "x" +
                            std::to_string(H.cols()) + ", expected " + std::to_string(p_) + "x" +
                            std::to_string(p_));
    const Eigen::Index d = A_.cols();
    if constexpr (is_sparse_design_v<Design>) {
      H.topLeftCorner(d, d) = MatX<S>(A_.transpose() * w.asDiagonal() * A_) * inv_n;
    } else {
      // lazyProduct: one dot product per entry, so the result does not depend on the
      // thread count (Eigen's parallel GEMM blocks by thread count).
      const MatX<S> WA = w.asDiagonal() * A_;
      H.topLeftCorner(d, d).noalias() = inv_n * A_.transpose().lazyProduct(WA);
    }
    if (opt_.intercept) {
      VecX<S> c = inv_n * (A_.transpose() * w);
      H.col(d).head(d) = c;
      H.row(d).head(d) = c.transpose();
      H(d, d) = inv_n * w.sum();
    }
    H.diagonal().head(d).array() += static_cast<S>(opt_.l2);
  }

  /// Σᵢ sᵢ·a_ij² per column (s = 1 without weights).
  VecX<double> column_sq_norms() const {
    VecX<double> c = VecX<double>::Zero(A_.cols());
    if constexpr (is_sparse_design_v<Design>) {
      for (Eigen::Index o = 0; o < A_.outerSize(); ++o)
        for (typename Design::InnerIterator it(A_, o); it; ++it)
          c[it.col()] += static_cast<double>(row_weight(it.row())) * static_cast<double>(it.value()) * static_cast<double>(it.value());
    } else if (weighted()) {
      c = (sw_.template cast<double>().asDiagonal() * A_.template cast<double>().cwiseAbs2()).colwise().sum().transpose();
    } else {
      c = A_.template cast<double>().colwise().squaredNorm().transpose();
    }
    return c;
  }

  Design A_;
  LinearModelOptions opt_;
  Eigen::Index K_;
  Eigen::Index p_;
  VecX<S> sw_;                 // sample weights (empty: all 1)
  double total_weight_ = 0;    // Σ sw_ (n without weights)
  double mean_weight_ = 1;     // of the data a minibatch samples from (set_minibatch_mean_weight)

 private:
  static constexpr Eigen::Index kExactGramLimit = 500;  // parameters per output up to which λ_max is exact
  double curvature_;  // sup of the loss's second derivative: 1 (LS), 1/4 (logistic), 1/2 (softmax, Böhning)
  std::string name_;
  mutable std::optional<S> lipschitz_;
};

}  // namespace detail
}  // namespace convlab::problems
