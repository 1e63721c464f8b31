// Helper of bench/peers/pava_peers.sh: writes a seeded isotonic-regression problem and times
// convlab's PAVA on it, so scikit-learn's IsotonicRegression can be timed on the same numbers.
//
//   pava_tool write FILE N        N points "x,y" (x a random permutation of 0..N−1, y = trend + noise)
//   pava_tool time FILE REPS      median seconds of isotonic_fit(x, y) (sort by x, pool ties, PAVA)
//                                 and of isotonic(y in x order) (PAVA alone), then the fitted sum
#include <algorithm>
#include <chrono>
#include <convlab/quantile/monotone.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

using convlab::VecX;

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 3 && a[0] == "write") {
    const long n = std::stol(a[2]);
    std::mt19937_64 rng(11);
    std::normal_distribution<double> N;
    std::vector<long> perm(static_cast<std::size_t>(n));
    std::iota(perm.begin(), perm.end(), 0L);
    std::shuffle(perm.begin(), perm.end(), rng);
    std::FILE* f = std::fopen(a[1].c_str(), "w");
    if (!f) return 2;
    for (long i = 0; i < n; ++i) {
      const double x = static_cast<double>(perm[static_cast<std::size_t>(i)]);
      std::fprintf(f, "%.17g,%.17g\n", x, 1e-5 * x + 3 * N(rng));
    }
    std::fclose(f);
    return 0;
  }
  if (a.size() == 3 && a[0] == "time") {
    std::ifstream in(a[1]);
    std::vector<double> xs, ys;
    for (std::string line; std::getline(in, line);) {
      const auto c = line.find(',');
      xs.push_back(std::stod(line.substr(0, c)));
      ys.push_back(std::stod(line.substr(c + 1)));
    }
    const VecX<double> x = Eigen::Map<VecX<double>>(xs.data(), static_cast<Eigen::Index>(xs.size()));
    const VecX<double> y = Eigen::Map<VecX<double>>(ys.data(), static_cast<Eigen::Index>(ys.size()));
    VecX<double> ordered(y.size());
    for (Eigen::Index i = 0; i < y.size(); ++i) ordered[static_cast<Eigen::Index>(x[i])] = y[i];
    auto median = [&](auto&& fn) {
      std::vector<double> t;
      for (int r = 0; r < std::stoi(a[2]); ++r) {
        const auto s = std::chrono::steady_clock::now();
        fn();
        t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
      }
      std::sort(t.begin(), t.end());
      return t[t.size() / 2];
    };
    VecX<double> fit, iso;
    const double t_fit = median([&] { fit = convlab::quantile::isotonic_fit(x, y); });
    const double t_iso = median([&] { iso = convlab::quantile::isotonic(ordered); });
    std::printf("%.6g %.6g %.17g %.17g\n", t_fit, t_iso, fit.sum(), iso.sum());
    return 0;
  }
  std::cerr << "usage: pava_tool write FILE N | time FILE REPS\n";
  return 2;
}
