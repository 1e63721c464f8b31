// Helper of bench/peers/lasso_peers.sh: writes the benchmark problems, times convlab's lasso
// solver on them, and measures the relative duality gap of any solution (ours or a peer's) with
// the same formula, so every solver is held to the same stopping criterion.
//
//   lasso_tool write DIR            problems as DIR/<name>_X.csv (dense) and _y.csv, plus lambdas;
//                                   the two large L2-logistic problems as DIR/<name>_X.f64 (raw
//                                   little-endian float64, column-major) with <name>_shape.txt
//   lasso_tool writescale DIR       the lasso problems at scale: sparse100000x100000 (≈1e7
//                                   non-zeros, 0-based int32 rows _i.i32 and columns _j.i32 and
//                                   float64 values _x.f64, sorted by column; _shape.txt "n p nnz")
//                                   and wide1000x100000 (dense, _X.f64); for L1-logistic on
//                                   labels y > 0 also _llambda.txt (0.05·λ_max) and _lpath.txt
//                                   (50 λ from λ_max down to that λ)
//   lasso_tool time DIR NAME REPS   median seconds for one λ and for the 50-λ path (ours)
//   lasso_tool pathstats DIR NAME   the 50-λ path once, one line per λ: λ/λ_max, seconds, epochs
//                                   (of them through G), last working set, non-zeros, passes over
//                                   X, screened and pruned features, relative gap
//   lasso_tool gap DIR NAME FILE    relative duality gap of the coefficients in FILE (one λ)
//   lasso_tool ltime DIR NAME REPS  L1-logistic (labels y > 0): median seconds for one λ (ours), gap, method
//   lasso_tool lptime DIR NAME REPS L1-logistic: median seconds for the 50-λ path of _lpath.txt (ours), worst gap
//   lasso_tool lgap DIR NAME FILE   its worst relative duality gap over the lines "lambda,w_1,…,w_p" of FILE
//   lasso_tool rtime DIR NAME REPS  L2-logistic (λ = 1/n): median seconds for one λ (ours), gap, method
//   lasso_tool rgap DIR NAME FILE   idem for L2-logistic (dense designs)
#include <algorithm>
#include <chrono>
#include <convlab/solvers/lasso_cd.hpp>
#include <convlab/solvers/logistic_ridge.hpp>
#include <convlab/core/random.hpp>
#include <convlab/problems/data_io.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using convlab::MatX;
using convlab::VecX;
namespace cs = convlab::solvers;

namespace {
struct Problem {
  MatX<double> X;
  VecX<double> y;
  Eigen::SparseMatrix<double> S;  // the design when `sparse`
  bool sparse = false;
};

// Runs fn on the problem's design, dense or sparse.
template <class Fn>
auto with_design(const Problem& p, Fn&& fn) {
  return p.sparse ? fn(p.S) : fn(p.X);
}

// The lasso problems at scale (issue 24), drawn with Boost.Random: a response X·w + N(0,1) with
// 20 non-zero coefficients at every (p/20)-th feature. Sparse: 100 entries N(0,1) per row at
// uniform columns (repeats summed). Dense: N(0,1).
Problem seeded_scale(Eigen::Index n, Eigen::Index p, bool sparse) {
  convlab::Rng rng(11);
  boost::random::normal_distribution<double> N;
  Problem pr;
  pr.sparse = sparse;
  if (sparse) {
    boost::random::uniform_int_distribution<Eigen::Index> column(0, p - 1);
    std::vector<Eigen::Triplet<double>> t;
    t.reserve(static_cast<std::size_t>(n) * 100);
    for (Eigen::Index i = 0; i < n; ++i)
      for (int k = 0; k < 100; ++k) {
        const Eigen::Index j = column(rng);
        t.emplace_back(i, j, N(rng));
      }
    pr.S.resize(n, p);
    pr.S.setFromTriplets(t.begin(), t.end());
  } else {
    pr.X.resize(n, p);
    for (Eigen::Index j = 0; j < p; ++j)
      for (Eigen::Index i = 0; i < n; ++i) pr.X(i, j) = N(rng);
  }
  VecX<double> w = VecX<double>::Zero(p);
  for (int k = 0; k < 20; ++k) w[k * (p / 20)] = (k % 2 ? 1.0 : -1.0) * (1 + 0.1 * k);
  pr.y = sparse ? VecX<double>(pr.S * w) : VecX<double>(pr.X * w);
  for (Eigen::Index i = 0; i < n; ++i) pr.y[i] += N(rng);
  return pr;
}

// N(0,1) design, response X·w + N(0,1) with 20 non-zero coefficients w at every `spacing`-th
// feature (sparse500x2000: n = 500, p = 2000, spacing 97).
Problem seeded_gaussian(Eigen::Index n, Eigen::Index p, Eigen::Index spacing) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> N;
  Problem pr{MatX<double>(n, p), VecX<double>(n), {}, false};
  for (Eigen::Index j = 0; j < p; ++j)
    for (Eigen::Index i = 0; i < n; ++i) pr.X(i, j) = N(rng);
  VecX<double> w = VecX<double>::Zero(p);
  for (int k = 0; k < 20; ++k) w[k * spacing] = (k % 2 ? 1.0 : -1.0) * (1 + 0.1 * k);
  pr.y = pr.X * w;
  for (Eigen::Index i = 0; i < n; ++i) pr.y[i] += N(rng);
  return pr;
}

Problem diabetes(const std::string& data_dir) {
  auto ds = convlab::problems::load_csv(data_dir + "/diabetes.csv", {.response = "y"});
  Problem p{std::move(ds.X), std::move(ds.y), {}, false};
  // Centre y and the columns (no intercept in the objective), scale columns to unit variance.
  p.y.array() -= p.y.mean();
  for (Eigen::Index j = 0; j < p.X.cols(); ++j) {
    p.X.col(j).array() -= p.X.col(j).mean();
    p.X.col(j) /= std::sqrt(p.X.col(j).squaredNorm() / static_cast<double>(p.X.rows()));
  }
  return p;
}

Problem breast_cancer(const std::string& data_dir) {  // y in {0, 1}; columns standardized
  auto ds = convlab::problems::load_csv(data_dir + "/breast_cancer.csv", {.response = "y"});
  Problem p{std::move(ds.X), std::move(ds.y), {}, false};
  for (Eigen::Index j = 0; j < p.X.cols(); ++j) {
    p.X.col(j).array() -= p.X.col(j).mean();
    p.X.col(j) /= std::sqrt(p.X.col(j).squaredNorm() / static_cast<double>(p.X.rows()));
  }
  p.y.array() -= 0.5;  // labels as ±0.5: y > 0 is the positive class, and a lasso on them is defined
  return p;
}

// The numbers of one comma-separated line.
std::vector<double> parse_csv_line(const std::string& line) {
  std::vector<double> v;
  for (std::size_t pos = 0; pos <= line.size();) {
    const auto comma = line.find(',', pos);
    v.push_back(std::stod(line.substr(pos, comma - pos)));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return v;
}

Problem load(const std::string& dir, const std::string& name) {
  auto read = [](const std::string& file) {
    std::ifstream in(file);
    std::vector<std::vector<double>> rows;
    for (std::string line; std::getline(in, line);) rows.push_back(parse_csv_line(line));
    MatX<double> m(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows.at(0).size()));
    for (std::size_t i = 0; i < rows.size(); ++i)
      for (std::size_t j = 0; j < rows[i].size(); ++j) m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = rows[i][j];
    return m;
  };
  Problem p;
  std::ifstream shape(dir + "/" + name + "_shape.txt");
  Eigen::Index n = 0, cols = 0, nnz = 0;
  if (shape >> n >> cols && shape >> nnz) {  // sparse: row, column, value arrays
    std::vector<std::int32_t> rows(static_cast<std::size_t>(nnz)), columns(rows.size());
    std::vector<double> values(rows.size());
    auto read_raw = [&](const std::string& suffix, auto& v) {
      std::ifstream(dir + "/" + name + suffix, std::ios::binary).read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(v[0])));
    };
    read_raw("_i.i32", rows), read_raw("_j.i32", columns), read_raw("_x.f64", values);
    std::vector<Eigen::Triplet<double>> t;
    t.reserve(rows.size());
    for (std::size_t k = 0; k < rows.size(); ++k) t.emplace_back(rows[k], columns[k], values[k]);
    p.S.resize(n, cols);
    p.S.setFromTriplets(t.begin(), t.end());
    p.sparse = true;
  } else if (n > 0) {  // raw float64, column-major
    p.X.resize(n, cols);
    std::ifstream(dir + "/" + name + "_X.f64", std::ios::binary).read(reinterpret_cast<char*>(p.X.data()), static_cast<std::streamsize>(p.X.size() * sizeof(double)));
  } else {
    p.X = read(dir + "/" + name + "_X.csv");
  }
  p.y = read(dir + "/" + name + "_y.csv").col(0);
  return p;
}

void write_csv(const std::string& file, const MatX<double>& m) {
  std::ofstream out(file);
  out.precision(17);
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index j = 0; j < m.cols(); ++j) out << (j ? "," : "") << m(i, j);
    out << "\n";
  }
}

double lambda_max(const Problem& p) {
  return with_design(p, [&](const auto& X) { return cs::LassoSolver<std::decay_t<decltype(X)>>(X, p.y).lambda_max(); });
}
double lambda_single(const Problem& p) { return 0.1 * lambda_max(p); }

// λ for one fit and the 50-λ path: λ_max down to 1e-2·λ_max, geometric (the grid of lasso_path).
void write_lambdas(const std::string& dir, const std::string& name, const Problem& p) {
  std::ofstream(dir + "/" + name + "_lambda.txt") << std::setprecision(17) << lambda_single(p) << "\n";
  std::ofstream grid(dir + "/" + name + "_path.txt");
  grid << std::setprecision(17);
  const double lmax = lambda_max(p);
  for (int k = 0; k < 50; ++k) grid << lmax * std::pow(1e-2, k / 49.0) << "\n";
}

// The median wall time of `reps` calls of fn, in seconds.
template <class Fn>
double median_seconds(int reps, Fn&& fn) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto s = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

template <class T>
void write_raw(const std::string& file, const T* data, std::size_t count) {
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * sizeof(T)));
}
}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() >= 3 && a[0] == "write") {
    const std::string dir = a[1];
    for (auto& [name, p] : std::vector<std::pair<std::string, Problem>>{
             {"sparse500x2000", seeded_gaussian(500, 2000, 97)}, {"diabetes", diabetes(a[2])}, {"breast_cancer", breast_cancer(a[2])}}) {
      write_csv(dir + "/" + name + "_X.csv", p.X);
      write_csv(dir + "/" + name + "_y.csv", p.y);
      write_lambdas(dir, name, p);
      // L1-logistic on labels y > 0: λ = 0.05·λ_max, λ_max = ‖Xᵀ(±1)‖∞/(2n).
      VecX<double> pm = p.y.unaryExpr([](double v) { return v > 0 ? 1.0 : -1.0; });
      std::ofstream(dir + "/" + name + "_llambda.txt") << std::setprecision(17)
                                                      << 0.05 * (p.X.transpose() * pm).cwiseAbs().maxCoeff() / (2.0 * static_cast<double>(p.X.rows())) << "\n";
      // L2-logistic: λ = 1/n (scikit-learn's default C = 1).
      std::ofstream(dir + "/" + name + "_rlambda.txt") << std::setprecision(17) << 1.0 / static_cast<double>(p.X.rows()) << "\n";
    }
    // L2-logistic only, wider and taller: binary (a CSV of 2·10⁷ numbers takes minutes to parse).
    for (auto [name, n, p] : {std::tuple{"wide1000x20000", 1000, 20000}, std::tuple{"tall20000x200", 20000, 200}}) {
      const Problem pr = seeded_gaussian(n, p, p / 20);
      std::ofstream(dir + "/" + name + "_X.f64", std::ios::binary).write(reinterpret_cast<const char*>(pr.X.data()), static_cast<std::streamsize>(pr.X.size() * sizeof(double)));
      std::ofstream(dir + "/" + name + "_shape.txt") << n << " " << p << "\n";
      write_csv(dir + "/" + name + "_y.csv", pr.y);
      std::ofstream(dir + "/" + std::string(name) + "_rlambda.txt") << std::setprecision(17) << 1.0 / n << "\n";
    }
    return 0;
  }
  if (a.size() == 2 && a[0] == "writescale") {
    const std::string dir = a[1];
    for (auto [name, n, p, sparse] : {std::tuple{"sparse100000x100000", 100000, 100000, true}, std::tuple{"wide1000x100000", 1000, 100000, false}}) {
      const Problem pr = seeded_scale(n, p, sparse);
      const std::string base = dir + "/" + name;
      if (sparse) {
        std::vector<std::int32_t> rows, columns;
        std::vector<double> values;
        for (Eigen::Index j = 0; j < pr.S.outerSize(); ++j)
          for (Eigen::SparseMatrix<double>::InnerIterator it(pr.S, j); it; ++it)
            rows.push_back(static_cast<std::int32_t>(it.row())), columns.push_back(static_cast<std::int32_t>(j)), values.push_back(it.value());
        write_raw(base + "_i.i32", rows.data(), rows.size());
        write_raw(base + "_j.i32", columns.data(), columns.size());
        write_raw(base + "_x.f64", values.data(), values.size());
        std::ofstream(base + "_shape.txt") << n << " " << p << " " << values.size() << "\n";
      } else {
        write_raw(base + "_X.f64", pr.X.data(), static_cast<std::size_t>(pr.X.size()));
        std::ofstream(base + "_shape.txt") << n << " " << p << "\n";
      }
      write_csv(base + "_y.csv", pr.y);
      write_lambdas(dir, name, pr);
      // L1-logistic: one λ = 0.05·λ_max as on the small problems, and a path ending there (further
      // down, the labels become nearly separable and no solver's path reaches the gap in minutes).
      const VecX<double> labels = pr.y.unaryExpr([](double v) { return v > 0 ? 1.0 : 0.0; });
      const double lmax = with_design(pr, [&](const auto& X) { return cs::logistic_l1_lambda_max(X, labels); });
      std::ofstream(base + "_llambda.txt") << std::setprecision(17) << 0.05 * lmax << "\n";
      std::ofstream grid(base + "_lpath.txt");
      grid << std::setprecision(17);
      for (Eigen::Index k = 0; k < 50; ++k) grid << cs::detail::path_lambda(lmax, 0.05, n, p, k, 50) << "\n";
    }
    return 0;
  }
  if (a.size() == 4 && a[0] == "time") {
    const Problem p = load(a[1], a[2]);
    const int reps = std::stoi(a[3]);
    const double lambda = lambda_single(p);
    auto median = [&](auto&& fn) { return median_seconds(reps, fn); };
    cs::LassoResult one;
    const double t1 = median([&] { one = with_design(p, [&](const auto& X) { return cs::lasso_cd(X, p.y, lambda, {.tolerance = 1e-8}); }); });
    std::vector<cs::LassoResult> path;
    const double t2 = median([&] {
      path = with_design(p, [&](const auto& X) { return cs::lasso_path(X, p.y, {.n_lambdas = 50, .ratio = 1e-2, .lasso = {.tolerance = 1e-8}}); });
    });
    double worst = 0;
    for (const auto& r : path) worst = std::max(worst, r.certificate.value);
    std::cout << t1 << " " << t2 << " " << one.certificate.value << " " << worst << "\n";
    return 0;
  }
  if (a.size() == 3 && a[0] == "pathstats") {
    const Problem p = load(a[1], a[2]);
    const auto path = with_design(p, [&](const auto& X) { return cs::lasso_path(X, p.y, {.n_lambdas = 50, .ratio = 1e-2, .lasso = {.tolerance = 1e-8}}); });
    std::cout << "k lambda/lambda_max seconds epochs gram_epochs working_set nonzeros passes screened pruned gap\n";
    for (std::size_t k = 0; k < path.size(); ++k) {
      const auto& r = path[k];
      std::cout << k << " " << r.lambda / path.front().lambda << " " << r.seconds << " " << r.iterations << " " << r.gram_epochs << " "
                << r.working_set << " " << r.nonzeros << " " << r.full_passes << " " << r.screened << " " << r.pruned << " " << r.certificate.value << "\n";
    }
    return 0;
  }
  if (a.size() == 4 && (a[0] == "ltime" || a[0] == "rtime")) {
    const bool l1 = a[0] == "ltime";
    const Problem p = load(a[1], a[2]);
    const VecX<double> labels = p.y.unaryExpr([](double v) { return v > 0 ? 1.0 : 0.0; });
    const double lambda = std::stod([&] { std::ifstream in(a[1] + "/" + a[2] + (l1 ? "_llambda.txt" : "_rlambda.txt")); std::string l; std::getline(in, l); return l; }());
    std::vector<double> t;
    double gap = 0;
    std::string method = "proximal Newton";
    for (int k = 0; k < std::stoi(a[3]); ++k) {
      const auto s = std::chrono::steady_clock::now();
      if (l1) {
        gap = with_design(p, [&](const auto& X) { return cs::logistic_l1(X, labels, lambda, {.tolerance = 1e-8}); }).certificate.value;
      } else {
        const auto r = cs::logistic_ridge(p.X, labels, lambda, {.tolerance = 1e-8});
        gap = r.certificate.value;
        method = r.method == cs::RidgeMethod::Lbfgs ? (r.single_precision ? "L-BFGS, float passes" : "L-BFGS")
                 : r.method == cs::RidgeMethod::NewtonCG ? "Newton-CG" : "Newton-Cholesky";
      }
      t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
    }
    std::sort(t.begin(), t.end());
    std::cout << t[t.size() / 2] << " " << gap << " " << method << "\n";
    return 0;
  }
  if (a.size() == 4 && a[0] == "lptime") {
    const Problem p = load(a[1], a[2]);
    const VecX<double> labels = p.y.unaryExpr([](double v) { return v > 0 ? 1.0 : 0.0; });
    std::vector<cs::LassoResult> path;
    // The grid of _lpath.txt: 50 λ from λ_max to 0.05·λ_max.
    const double t = median_seconds(std::stoi(a[3]), [&] {
      path = with_design(p, [&](const auto& X) { return cs::logistic_l1_path(X, labels, {.n_lambdas = 50, .ratio = 0.05, .logistic = {.tolerance = 1e-8}}); });
    });
    double worst = 0;
    for (const auto& r : path) worst = std::max(worst, r.certificate.value);
    std::cout << t << " " << worst << "\n";
    return 0;
  }
  if (a.size() == 4 && (a[0] == "lgap" || a[0] == "rgap")) {
    // Certify a peer's logistic coefficients, one λ per line: our solver started there with an
    // infinite tolerance evaluates the gap and stops before its first step.
    const Problem p = load(a[1], a[2]);
    const VecX<double> labels = p.y.unaryExpr([](double v) { return v > 0 ? 1.0 : 0.0; });
    const Eigen::Index cols = p.sparse ? p.S.cols() : p.X.cols();
    std::ifstream in(a[3]);
    double worst = 0;
    int lines = 0;
    for (std::string line; std::getline(in, line);) {
      const std::vector<double> v = parse_csv_line(line);
      if (static_cast<Eigen::Index>(v.size()) != cols + 1) {
        std::cerr << a[3] << ":" << lines + 1 << ": expected lambda and " << cols << " coefficients\n";
        return 2;
      }
      const VecX<double> w = Eigen::Map<const VecX<double>>(v.data() + 1, cols);
      // tolerance ∞: evaluate, do not iterate
      const double gap = a[0] == "lgap" ? with_design(p, [&](const auto& X) { return cs::logistic_l1(X, labels, v[0], {.tolerance = 1e300}, w); }).certificate.value
                                        : cs::logistic_ridge(p.X, labels, v[0], {.tolerance = 1e300}, w).certificate.value;
      worst = std::max(worst, gap);
      ++lines;
    }
    std::cout << worst << " " << lines << "\n";
    return lines > 0 ? 0 : 2;
  }
  if (a.size() == 4 && a[0] == "gap") {
    // FILE: one line per λ, "lambda,w_1,…,w_p"; prints the worst relative duality gap.
    const Problem p = load(a[1], a[2]);
    return with_design(p, [&](const auto& X) {
      cs::LassoSolver<std::decay_t<decltype(X)>> solver(X, p.y);
      std::ifstream in(a[3]);
      double worst = 0;
      int lines = 0;
      for (std::string line; std::getline(in, line);) {
        const std::vector<double> v = parse_csv_line(line);
        if (static_cast<Eigen::Index>(v.size()) != X.cols() + 1) {
          std::cerr << a[3] << ":" << lines + 1 << ": expected lambda and " << X.cols() << " coefficients\n";
          return 2;
        }
        worst = std::max(worst, solver.certify(v[0], Eigen::Map<const VecX<double>>(v.data() + 1, X.cols())).certificate.value);
        ++lines;
      }
      std::cout << worst << " " << lines << "\n";
      return lines > 0 ? 0 : 2;
    });
  }
  std::cerr << "usage: lasso_tool write DIR DATA_DIR | writescale DIR | {time,ltime,lptime,rtime} DIR NAME REPS | pathstats DIR NAME | {gap,lgap,rgap} DIR NAME FILE\n";
  return 2;
}
