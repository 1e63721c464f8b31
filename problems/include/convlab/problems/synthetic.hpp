#pragma once
/// \file
/// Seeded synthetic data. Boost.Random's engines and distributions are specified
/// algorithms, so a seed gives the same data on every platform and standard library.

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>

#include "concepts.hpp"
#include "errors.hpp"

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

}  // namespace convlab::problems
