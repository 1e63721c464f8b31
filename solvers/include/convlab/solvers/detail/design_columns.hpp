#pragma once
/// \file
/// Column access to a lasso design, dense or sparse, read in place: the products the
/// coordinate-descent solvers of lasso_cd.hpp need (x_jᵀr, x_jᵀx_k, r += a·x_j).

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <type_traits>

#include <convlab/problems/concepts.hpp>

namespace convlab::solvers::detail {

/// Column access to a dense (column-major) or sparse design. A design that already is what the
/// loops read — `MatX<double>` or a contiguous `Eigen::Ref<const MatX<double>>`, or a compressed
/// column-major `Eigen::SparseMatrix<double>` — is read in place (copying 1e7 non-zeros cost more
/// than a one-λ solve); any other is converted once into an owned copy. The design must outlive
/// this object.
template <class Design>
class Columns {
  static constexpr bool kSparse = std::is_base_of_v<Eigen::SparseMatrixBase<Design>, Design>;

 public:
  /// Without the norms: sq_norm() is not available (logistic_l1 does not need it).
  explicit Columns(const Design& X) : n_(X.rows()), p_(X.cols()) { point_at(X); }
  /// With ‖x_j‖² for sq_norm() and the products x_jᵀv of every column, in one pass (`products`,
  /// resized to p): the lasso's Xᵀy, which λ_max and a solve from w = 0 need, costs no pass of its own.
  Columns(const Design& X, const VecX<double>& v, VecX<double>& products) : n_(X.rows()), p_(X.cols()) {
    point_at(X);
    norms_and_products(v, products);
  }
  Columns(Design&&) = delete;  // read in place: a temporary design would dangle
  Columns(Design&&, const VecX<double>&, VecX<double>&) = delete;

  Eigen::Index rows() const { return n_; }
  Eigen::Index cols() const { return p_; }
  double sq_norm(Eigen::Index j) const { return sq_[j]; }
  /// x_jᵀr. Sparse: four partial sums in a fixed order (the same bits on every platform), since
  /// one sum waits on each addition's latency: an epoch of dots and axpys over 54 000 columns of
  /// 100 entries took about a tenth less (bench/README.md).
  double dot(Eigen::Index j, const VecX<double>& r) const {
    if constexpr (!kSparse) return col(j).dot(r);
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int k = outer_[j];
    const int end = outer_[j + 1];
    for (; k + 4 <= end; k += 4) {
      s0 += values_[k] * r[inner_[k]];
      s1 += values_[k + 1] * r[inner_[k + 1]];
      s2 += values_[k + 2] * r[inner_[k + 2]];
      s3 += values_[k + 3] * r[inner_[k + 3]];
    }
    for (; k < end; ++k) s0 += values_[k] * r[inner_[k]];
    return (s0 + s1) + (s2 + s3);
  }
  /// Σᵢ wᵢ·x_ij·vᵢ.
  double wdot(Eigen::Index j, const VecX<double>& w, const VecX<double>& v) const {
    if constexpr (!kSparse) return (col(j).array() * w.array() * v.array()).sum();
    double s = 0;
    for (int k = outer_[j]; k < outer_[j + 1]; ++k) s += values_[k] * w[inner_[k]] * v[inner_[k]];
    return s;
  }
  /// Σᵢ wᵢ·x_ij².
  double wsq(Eigen::Index j, const VecX<double>& w) const {
    if constexpr (!kSparse) return (col(j).array().square() * w.array()).sum();
    double s = 0;
    for (int k = outer_[j]; k < outer_[j + 1]; ++k) s += values_[k] * values_[k] * w[inner_[k]];
    return s;
  }
  /// x_jᵀx_k (sparse: a merge of the two sorted row lists).
  double col_dot(Eigen::Index j, Eigen::Index k) const {
    if constexpr (!kSparse) return col(j).dot(col(k));
    double s = 0;
    for (int a = outer_[j], b = outer_[k]; a < outer_[j + 1] && b < outer_[k + 1];) {
      if (inner_[a] == inner_[b]) s += values_[a++] * values_[b++];
      else if (inner_[a] < inner_[b]) ++a;
      else ++b;
    }
    return s;
  }
  /// out(a, b) = x_{rows[a]}ᵀx_{cols[b]}. Dense: the `cols` columns are copied side by side once,
  /// so each `rows` column is read once for all of them (a row-times-matrix product) rather than
  /// once per pair.
  void products(const std::vector<Eigen::Index>& rows, const std::vector<Eigen::Index>& cols, MatX<double>& out) {
    const auto m = static_cast<Eigen::Index>(rows.size()), q = static_cast<Eigen::Index>(cols.size());
    out.resize(m, q);
    if constexpr (kSparse) {
      for (Eigen::Index b = 0; b < q; ++b)
        for (Eigen::Index a = 0; a < m; ++a) out(a, b) = col_dot(rows[static_cast<std::size_t>(a)], cols[static_cast<std::size_t>(b)]);
    } else {
      block_.resize(n_, q);
      for (Eigen::Index b = 0; b < q; ++b) block_.col(b) = col(cols[static_cast<std::size_t>(b)]);
      for (Eigen::Index a = 0; a < m; ++a) out.row(a).noalias() = col(rows[static_cast<std::size_t>(a)]).transpose() * block_;
    }
  }
  /// max |x_ij| over the stored entries (a pass over X).
  double max_abs() const {
    const Eigen::Index stored = kSparse ? (p_ > 0 ? outer_[p_] : 0) : n_ * p_;
    return stored > 0 ? Eigen::Map<const VecX<double>>(values_, stored).cwiseAbs().maxCoeff() : 0.0;
  }
  /// Stored entries of column j (dense: n): the cost of one dot or axpy.
  Eigen::Index nnz(Eigen::Index j) const { return kSparse ? outer_[j + 1] - outer_[j] : n_; }
  void axpy(Eigen::Index j, double a, VecX<double>& r) const {
    if constexpr (!kSparse) {
      r.noalias() += a * col(j);
    } else {
      for (int k = outer_[j]; k < outer_[j + 1]; ++k) r[inner_[k]] += a * values_[k];
    }
  }

 private:
  Eigen::Map<const VecX<double>> col(Eigen::Index j) const { return {values_ + j * n_, n_}; }

  /// The design's arrays, in place or from an owned copy (class doc).
  void point_at(const Design& X) {
    if constexpr (kSparse) {
      const Eigen::SparseMatrix<double>* m = nullptr;
      if constexpr (std::is_same_v<Design, Eigen::SparseMatrix<double>>)
        if (X.isCompressed()) m = &X;
      if (!m) {
        owned_sparse_ = X.template cast<double>();
        owned_sparse_.makeCompressed();
        m = &owned_sparse_;
      }
      outer_ = m->outerIndexPtr();
      inner_ = m->innerIndexPtr();
      values_ = m->valuePtr();
    } else {
      if constexpr (std::is_same_v<Design, MatX<double>>) values_ = X.data();
      if constexpr (std::is_same_v<Design, Eigen::Ref<const MatX<double>>>)  // e.g. a Fortran-ordered NumPy array
        if (X.outerStride() == X.rows()) values_ = X.data();
      if (!values_) {
        owned_dense_ = X.template cast<double>();
        values_ = owned_dense_.data();
      }
    }
  }

  /// One pass over X: the squared norms, and x_jᵀv into `products`.
  void norms_and_products(const VecX<double>& v, VecX<double>& products) {
    sq_.resize(p_);
    products.resize(p_);
    for (Eigen::Index j = 0; j < p_; ++j) {
      if constexpr (kSparse) {
        double s = 0, d = 0;
        for (int k = outer_[j]; k < outer_[j + 1]; ++k) {
          s += values_[k] * values_[k];
          d += values_[k] * v[inner_[k]];
        }
        sq_[j] = s;
        products[j] = d;
      } else {
        sq_[j] = col(j).squaredNorm();
        products[j] = col(j).dot(v);
      }
    }
  }

  Eigen::Index n_ = 0, p_ = 0;
  MatX<double> owned_dense_;                  // only for designs converted on construction
  MatX<double> block_;                        // products(): the columns of the second list
  Eigen::SparseMatrix<double> owned_sparse_;  // idem
  const double* values_ = nullptr;            // dense: column-major data; sparse: non-zero values
  const int* outer_ = nullptr;                // sparse: column starts (p + 1)
  const int* inner_ = nullptr;                // sparse: row of each non-zero
  VecX<double> sq_;
};

}  // namespace convlab::solvers::detail
