#pragma once
/// \file
/// Seeded synthetic data. Boost.Random's engines and distributions are specified
/// algorithms, so a seed gives the same data on every platform and standard library.

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>

#include <Eigen/SparseCore>
#include <vector>

#include "concepts.hpp"
#include "detail/linear_model.hpp"
#include <convlab/core/errors.hpp>

namespace convlab::problems {

struct BlobsOptions {
  Eigen::Index n = 1000;        ///< samples, >= 1
  Eigen::Index d = 20;          ///< features, >= 1
  Eigen::Index classes = 2;     ///< >= 2; labels 0..classes−1
  double separation = 2.0;      ///< distance scale of the class centres, >= 0
  unsigned long long seed = 0;
};

template <class S = double>
struct LabeledData {
  MatX<S> A;
  VecX<S> y;
};

/// Gaussian blobs: labels uniform on 0..classes−1; features of class c ~ N(μ_c, I) with
/// centres μ_c ~ N(0, (2·separation)²/d · I), so centres sit about 2·separation·√2 apart.
template <class S = double>
LabeledData<S> make_blobs(const BlobsOptions& o) {
  detail::require(o.n >= 1, "BlobsOptions::n", o.n, ">= 1");
  detail::require(o.d >= 1, "BlobsOptions::d", o.d, ">= 1");
  detail::require(o.classes >= 2, "BlobsOptions::classes", o.classes, ">= 2");
  detail::require(o.separation >= 0, "BlobsOptions::separation", o.separation, ">= 0");
  boost::random::mt19937_64 rng(o.seed);
  boost::random::normal_distribution<double> normal;
  boost::random::uniform_int_distribution<Eigen::Index> label(0, o.classes - 1);
  MatX<double> centres(o.classes, o.d);
  for (Eigen::Index c = 0; c < o.classes; ++c)
    for (Eigen::Index j = 0; j < o.d; ++j) centres(c, j) = o.separation * normal(rng) / std::sqrt(double(o.d)) * 2;
  LabeledData<S> out{MatX<S>(o.n, o.d), VecX<S>(o.n)};
  for (Eigen::Index i = 0; i < o.n; ++i) {
    const Eigen::Index c = label(rng);
    out.y[i] = static_cast<S>(c);
    for (Eigen::Index j = 0; j < o.d; ++j) out.A(i, j) = static_cast<S>(centres(c, j) + normal(rng));
  }
  return out;
}

struct LogisticDataOptions {
  Eigen::Index n = 1000;        ///< samples, >= 1
  Eigen::Index d = 20;          ///< features, >= 1
  double condition = 10.0;      ///< κ >= 1: feature variances decay geometrically from 1 to 1/κ
  double signal = 2.0;          ///< standard deviation of the true margins aᵢᵀβ, > 0
  unsigned long long seed = 0;
};

/// Binary logistic data of chosen conditioning: aᵢⱼ ~ N(0, κ^(−j/(d−1))), labels
/// yᵢ ∈ {0, 1} drawn from P(y = 1) = σ(aᵢᵀβ) with β ~ N(0, I) rescaled so the margins have
/// standard deviation `signal`. The Gram matrix AᵀA/n then has condition number about κ.
template <class S = double>
LabeledData<S> make_logistic_data(const LogisticDataOptions& o) {
  detail::require(o.n >= 1, "LogisticDataOptions::n", o.n, ">= 1");
  detail::require(o.d >= 1, "LogisticDataOptions::d", o.d, ">= 1");
  detail::require(o.condition >= 1, "LogisticDataOptions::condition", o.condition, ">= 1");
  detail::require(o.signal > 0, "LogisticDataOptions::signal", o.signal, "> 0");
  boost::random::mt19937_64 rng(o.seed);
  boost::random::normal_distribution<double> normal;
  boost::random::uniform_real_distribution<double> uniform(0.0, 1.0);
  VecX<double> scale(o.d), beta(o.d);
  for (Eigen::Index j = 0; j < o.d; ++j)
    scale[j] = std::pow(o.condition, -0.5 * (o.d > 1 ? static_cast<double>(j) / static_cast<double>(o.d - 1) : 0.0));
  for (Eigen::Index j = 0; j < o.d; ++j) beta[j] = normal(rng);
  MatX<double> A(o.n, o.d);
  for (Eigen::Index i = 0; i < o.n; ++i)
    for (Eigen::Index j = 0; j < o.d; ++j) A(i, j) = normal(rng) * scale[j];
  VecX<double> margin = A * beta;
  const double sd = std::sqrt((margin.array() - margin.mean()).square().mean());
  margin *= sd > 0 ? o.signal / sd : 1.0;
  LabeledData<S> out{A.template cast<S>(), VecX<S>(o.n)};
  for (Eigen::Index i = 0; i < o.n; ++i) out.y[i] = uniform(rng) < 1 / (1 + std::exp(-margin[i])) ? S(1) : S(0);
  return out;
}


/// A teacher network's regression data (the student–teacher setting of network-training
/// studies): rows x ~ N(0, I_d); targets y = vᵀ tanh(W x + b) + ε with W ~ N(0, gain²/d),
/// b ~ N(0, 0.1²), v ~ N(0, 1/hidden), ε ~ N(0, noise²). gain sets how far the hidden units
/// saturate, so how far the targets are from linear in x (gain 2: a least-squares line leaves
/// 11–23% of the teacher's variance unexplained over seeds 1–5, which only a nonlinear model
/// can fit; gain 0.01: under 0.01%; tests/problems/synthetic_test.cpp). The teacher is
/// evaluated in scalar double loops so a seed gives the same bits on every platform.
struct TeacherOptions {
  Eigen::Index n = 1000;        ///< samples, >= 1
  Eigen::Index d = 10;          ///< features, >= 1
  Eigen::Index hidden = 16;     ///< the teacher's hidden tanh units, >= 1
  double gain = 2.0;            ///< scale of the teacher's first layer, > 0
  double noise = 0.1;           ///< standard deviation of ε, >= 0
  unsigned long long seed = 0;
};

template <class S = double>
struct TeacherData {
  MatX<S> A;       ///< n × d inputs
  VecX<S> y;       ///< the targets, teacher + noise
  VecX<S> signal;  ///< the teacher's outputs without noise
};

template <class S = double>
TeacherData<S> make_teacher_regression(const TeacherOptions& o) {
  detail::require(o.n >= 1, "TeacherOptions::n", o.n, ">= 1");
  detail::require(o.d >= 1, "TeacherOptions::d", o.d, ">= 1");
  detail::require(o.hidden >= 1, "TeacherOptions::hidden", o.hidden, ">= 1");
  detail::require(o.gain > 0 && std::isfinite(o.gain), "TeacherOptions::gain", o.gain, "> 0");
  detail::require(o.noise >= 0 && std::isfinite(o.noise), "TeacherOptions::noise", o.noise, ">= 0");
  boost::random::mt19937_64 rng(o.seed);
  boost::random::normal_distribution<double> normal;
  MatX<double> W(o.hidden, o.d);
  VecX<double> b(o.hidden), v(o.hidden);
  for (Eigen::Index k = 0; k < o.hidden; ++k) {
    for (Eigen::Index j = 0; j < o.d; ++j) W(k, j) = o.gain * normal(rng) / std::sqrt(double(o.d));
    b[k] = 0.1 * normal(rng);
    v[k] = normal(rng) / std::sqrt(double(o.hidden));
  }
  TeacherData<S> out{MatX<S>(o.n, o.d), VecX<S>(o.n), VecX<S>(o.n)};
  std::vector<double> x(static_cast<std::size_t>(o.d));
  for (Eigen::Index i = 0; i < o.n; ++i) {
    for (Eigen::Index j = 0; j < o.d; ++j) x[static_cast<std::size_t>(j)] = normal(rng);
    double f = 0;
    for (Eigen::Index k = 0; k < o.hidden; ++k) {
      double z = b[k];
      for (Eigen::Index j = 0; j < o.d; ++j) z += W(k, j) * x[static_cast<std::size_t>(j)];
      f += v[k] * std::tanh(z);
    }
    for (Eigen::Index j = 0; j < o.d; ++j) out.A(i, j) = static_cast<S>(x[static_cast<std::size_t>(j)]);
    out.signal[i] = static_cast<S>(f);
    out.y[i] = static_cast<S>(f + o.noise * normal(rng));
  }
  return out;
}

/// The sparse, badly scaled design of Nutini, Laradji and Schmidt (data sets A, B, C):
/// A_ij = (N(0,1) + 1)·s_j with column scales s_j = 10·N(0,1), each entry kept with
/// probability `density` (default 10·ln(n)/n); a planted w with entries N(0,1) kept with
/// probability `planted_density`. Column scales span orders of magnitude, so the coordinate
/// Lipschitz constants do too — the setting where GSL and the Sort partition matter.
struct ScaledSparseOptions {
  Eigen::Index n = 1000;         ///< rows, >= 1
  Eigen::Index d = 10000;        ///< columns, >= 1
  double density = 0;            ///< in (0, 1]; 0 = 10·ln(n)/n
  double planted_density = 0.1;  ///< in [0, 1]
  Eigen::Index outputs = 1;      ///< columns of the planted W (multinomial: classes)
  unsigned long long seed = 1;
};

template <class S = double>
struct ScaledSparseData {
  SparseDesign<S> A;  ///< n × d, row-major
  MatX<S> W;          ///< d × outputs planted coefficients
};

template <class S = double>
ScaledSparseData<S> make_scaled_sparse_design(const ScaledSparseOptions& o) {
  detail::require(o.n >= 1, "ScaledSparseOptions::n", o.n, ">= 1");
  detail::require(o.d >= 1, "ScaledSparseOptions::d", o.d, ">= 1");
  detail::require(o.density >= 0 && o.density <= 1, "ScaledSparseOptions::density", o.density, "0 <= density <= 1");
  detail::require(o.planted_density >= 0 && o.planted_density <= 1, "ScaledSparseOptions::planted_density",
                  o.planted_density, "0 <= planted_density <= 1");
  detail::require(o.outputs >= 1, "ScaledSparseOptions::outputs", o.outputs, ">= 1");
  const double keep = o.density > 0 ? o.density : std::min(1.0, 10 * std::log(static_cast<double>(o.n)) / static_cast<double>(o.n));
  boost::random::mt19937_64 rng(o.seed);
  boost::random::normal_distribution<double> normal;
  boost::random::uniform_real_distribution<double> uniform(0.0, 1.0);
  VecX<double> scale(o.d);
  for (Eigen::Index j = 0; j < o.d; ++j) scale[j] = 10 * normal(rng);
  std::vector<Eigen::Triplet<S>> t;
  for (Eigen::Index i = 0; i < o.n; ++i)
    for (Eigen::Index j = 0; j < o.d; ++j) {
      const double v = (normal(rng) + 1) * scale[j];
      if (uniform(rng) < keep && v != 0) t.emplace_back(i, j, static_cast<S>(v));
    }
  ScaledSparseData<S> out{SparseDesign<S>(o.n, o.d), MatX<S>::Zero(o.d, o.outputs)};
  out.A.setFromTriplets(t.begin(), t.end());
  for (Eigen::Index k = 0; k < o.outputs; ++k)
    for (Eigen::Index j = 0; j < o.d; ++j) {
      const double w = normal(rng);
      if (uniform(rng) < o.planted_density) out.W(j, k) = static_cast<S>(w);
    }
  return out;
}

}  // namespace convlab::problems
