#include "suites/presto_suite.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <sstream>

#include <fmt/core.h>

#include <convlab/core/random.hpp>
#include <convlab/optim/newton.hpp>
#include <convlab/solvers/presto.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/ordinal.hpp>

#include "suites/parallel_runs.hpp"
#include "report/plots.hpp"
#include "fit/run_folder.hpp"
#include "suites/statistics.hpp"
#include "suites/suite.hpp"
#include "suites/suite_data.hpp"
#include "config/table_reader.hpp"

namespace convlab::experiments {
namespace {

namespace cp = convlab::problems;
namespace co = convlab::optim;
namespace cs = convlab::solvers;

struct DesignSpec {
  std::string name, type;  // sparse | dense | po
  double q = 0.5, step = 0.5;
  std::vector<double> intercepts;
  long long seed = 1;
};

struct PrestoSpec {
  long long repetitions = 5, n = 2500, p = 10, n_lambdas = 20, folds = 5, soup_splits = 10, soup_lambdas = 20;
  double lambda_ratio = 0.01, soup_ratio = 1e-3, test_fraction = 0.1;
  std::vector<DesignSpec> designs;
  std::string soup;  // empty: no real-data study
  static constexpr auto fields() {
    using S = PrestoSpec;
    return std::tuple{field("repetitions", &S::repetitions, ">= 1", [](long long v) { return v >= 1; }, "repetitions of every design"),
                      field("n", &S::n, ">= 50", [](long long v) { return v >= 50; }, "rows of a synthetic data set"),
                      field("p", &S::p, ">= 1", [](long long v) { return v >= 1; }, "features of a synthetic data set"),
                      field("n_lambdas", &S::n_lambdas, ">= 2", [](long long v) { return v >= 2; }, "points of PRESTO's λ path"),
                      field("lambda_ratio", &S::lambda_ratio, "0 < ratio < 1", [](double v) { return v > 0 && v < 1; },
                            "λ_min / λ_max of the path"),
                      field("folds", &S::folds, ">= 2", [](long long v) { return v >= 2; }, "folds of the CV that picks λ")};
  }
};

PrestoSpec read_presto(const toml::table& t, const SuiteInput& in) {
  const TableReader r{in.file, in.origins};
  const std::filesystem::path& base = in.base_dir;
  r.only(t, "presto", TableReader::declared_keys<PrestoSpec>({"design", "soup"}));
  PrestoSpec s;
  r.declared(t, "presto", s);
  for (const auto& node : r.tables(t, "presto", "design")) {
    const auto& dt = *node.as_table();
    r.only(dt, "presto.design", {"name", "type", "q", "step", "intercepts", "seed"});
    DesignSpec d;
    d.name = r.string(dt, "presto.design", "name", "");
    d.type = r.string(dt, "presto.design", "type", "", {"sparse", "dense", "po"});
    d.q = r.number(dt, "presto.design", "q", 0.5, [](double v) { return v > 0 && v <= 1; }, "0 < q <= 1");
    d.step = r.number(dt, "presto.design", "step", 0.5, [](double v) { return v > 0; }, "> 0");
    d.intercepts = r.numbers(dt, "presto.design", "intercepts", [](double v) { return std::isfinite(v); }, "finite");
    for (std::size_t k = 1; k < d.intercepts.size(); ++k)
      if (!(d.intercepts[k] > d.intercepts[k - 1])) r.fail(*dt.get("intercepts"), "presto.design", "intercepts", "must be strictly increasing");
    if (d.intercepts.size() < 2) r.fail(*dt.get("intercepts"), "presto.design", "intercepts", "need at least 2 (K >= 3 categories)");
    d.seed = r.integer(dt, "presto.design", "seed", 1, 0);
    s.designs.push_back(std::move(d));
  }
  if (const toml::table* soup = t.get_as<toml::table>("soup")) {
    r.only(*soup, "presto.soup", {"data", "splits", "n_lambdas", "lambda_ratio", "test_fraction"});
    const std::string data = r.string(*soup, "presto.soup", "data", "");
    s.soup = resolve_data_path(data, base);
    if (s.soup.empty()) r.fail(*soup->get("data"), "presto.soup", "data", "file '" + data + "' not found");
    s.soup_splits = r.integer(*soup, "presto.soup", "splits", 10, 1);
    s.soup_lambdas = r.integer(*soup, "presto.soup", "n_lambdas", 20, 2);
    s.soup_ratio = r.number(*soup, "presto.soup", "lambda_ratio", 1e-3, [](double v) { return v > 0 && v < 1; }, "0 < ratio < 1");
    s.test_fraction = r.number(*soup, "presto.soup", "test_fraction", 0.1, [](double v) { return v > 0 && v < 0.5; }, "0 < f < 0.5");
  }
  return s;
}

// Rare-class logistic regression (1{y = K} on x, intercept), by Newton; a 1e-6 ridge keeps it
// defined when the few rare rows are separable. Returns P(y = K | x) at X_eval.
VecX<double> logit_rare(const MatX<double>& X, const VecX<double>& y, int K, const MatX<double>& X_eval) {
  VecX<double> rare = (y.array() == K).cast<double>();
  cp::Logistic<double> f(X, rare, {.l2 = 1e-6, .intercept = true});
  VecX<double> x = VecX<double>::Zero(f.dim());
  co::newton(f, x, {.max_iterations = 200, .gradient_tolerance = 1e-10});
  VecX<double> out(X_eval.rows());
  for (Eigen::Index i = 0; i < X_eval.rows(); ++i) {
    out[i] = cp::detail::sigmoid(X_eval.row(i).dot(x.head(X.cols())) + x[X.cols()]);
  }
  return out;
}

struct SimResult {
  double mse_presto = 0, mse_po = 0, mse_logit = 0, rare_fraction = 0, lambda = 0;
  Eigen::Index nonzero_differences = 0;
};

// One repetition of a synthetic design (spec (d)): X ~ U(−1, 1)^p; truth redrawn until every
// class probability is ≥ 0 on X (≤ 100 tries), data redrawn until all K classes appear (≤ 10).
SimResult run_design(const DesignSpec& d, long long rep, const PrestoSpec& s) {
  Rng rng(static_cast<unsigned long long>(d.seed) * 1000003ULL + static_cast<unsigned long long>(rep));
  const Eigen::Index n = s.n, p = s.p, T = static_cast<Eigen::Index>(d.intercepts.size());
  const int K = static_cast<int>(T) + 1;
  VecX<double> alpha(T);
  for (Eigen::Index k = 0; k < T; ++k) alpha[k] = d.intercepts[static_cast<std::size_t>(k)];
  boost::random::uniform_real_distribution<double> U(-1, 1), U01(0, 1);
  boost::random::bernoulli_distribution<double> coin(d.q), sign(0.5);
  MatX<double> X(n, p), B(p, T), P;
  VecX<double> y(n);
  for (int attempt = 0; attempt < 10; ++attempt) {
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < p; ++j) X(i, j) = U(rng);
    for (int tries = 0; tries < 100; ++tries) {
      for (Eigen::Index j = 0; j < p; ++j) B(j, 0) = d.type == "dense" ? d.step * U(rng) : (coin(rng) ? d.step : 0.0);
      for (Eigen::Index k = 1; k < T; ++k)
        for (Eigen::Index j = 0; j < p; ++j) {
          const double diff = d.type == "po" ? 0.0 : d.type == "dense" ? d.step * U(rng) : (coin(rng) ? d.step * (sign(rng) ? 1 : -1) : 0.0);
          B(j, k) = B(j, k - 1) + diff;
        }
      P = cp::cumulative_logit_probabilities(X, alpha, B);
      if (P.minCoeff() >= 0) break;
    }
    if (P.minCoeff() < 0) throw std::runtime_error("design '" + d.name + "': no valid truth in 100 draws");
    std::vector<int> seen(static_cast<std::size_t>(K), 0);
    for (Eigen::Index i = 0; i < n; ++i) {
      double u = U01(rng), c = 0;
      int k = 0;
      for (; k + 1 < K; ++k) {
        c += P(i, k);
        if (u < c) break;
      }
      y[i] = k + 1;
      seen[static_cast<std::size_t>(k)] = 1;
    }
    if (std::count(seen.begin(), seen.end(), 1) == K) break;
  }
  const VecX<double> truth = P.col(K - 1);
  SimResult r;
  r.rare_fraction = static_cast<double>((y.array() == K).count()) / static_cast<double>(n);
  const auto cv = cs::presto_cv(X, y, K, {.folds = static_cast<int>(s.folds), .seed = static_cast<unsigned long long>(rep) + 7,
                                          .path = {.n_lambdas = static_cast<int>(s.n_lambdas), .ratio = s.lambda_ratio, .presto = {}}});
  const auto po = cs::presto_fit(X, y, K, std::numeric_limits<double>::infinity(), {.penalize_first = false});
  r.mse_presto = (cv.fit.predict(X).col(K - 1) - truth).squaredNorm() / static_cast<double>(n);
  r.mse_po = (po.predict(X).col(K - 1) - truth).squaredNorm() / static_cast<double>(n);
  r.mse_logit = (logit_rare(X, y, K, X) - truth).squaredNorm() / static_cast<double>(n);
  r.lambda = cv.fit.lambda;
  r.nonzero_differences = cv.fit.nonzero_differences;
  return r;
}

struct SoupResult {
  double brier_presto = 0, brier_po = 0, brier_logit = 0, logloss_presto = 0, logloss_po = 0, logloss_logit = 0;
};

// One random 90/10 split of the soup data (both parts contain every class), categories reversed
// so that the rarest level (SURENESS 1, 12.3%) is the last.
SoupResult run_soup_split(const MatX<double>& X, const VecX<double>& y_raw, long long split, const PrestoSpec& s) {
  const int K = static_cast<int>(y_raw.maxCoeff());
  const VecX<double> y = (static_cast<double>(K + 1) - y_raw.array()).matrix();
  const Eigen::Index n = X.rows(), n_test = std::max<Eigen::Index>(K, std::llround(s.test_fraction * static_cast<double>(n)));
  Rng rng(123571ULL + static_cast<unsigned long long>(split));
  std::vector<Eigen::Index> perm(static_cast<std::size_t>(n));
  std::iota(perm.begin(), perm.end(), Eigen::Index{0});
  MatX<double> Xtr, Xte;
  VecX<double> ytr, yte;
  for (int attempt = 0; attempt < 100; ++attempt) {
    convlab::shuffle(perm.begin(), perm.end(), rng);
    Xte.resize(n_test, X.cols()), yte.resize(n_test), Xtr.resize(n - n_test, X.cols()), ytr.resize(n - n_test);
    for (Eigen::Index i = 0; i < n; ++i) {
      const Eigen::Index r = perm[static_cast<std::size_t>(i)];
      if (i < n_test) Xte.row(i) = X.row(r), yte[i] = y[r];
      else Xtr.row(i - n_test) = X.row(r), ytr[i - n_test] = y[r];
    }
    bool all = true;
    for (int k = 1; k <= K; ++k) all = all && (yte.array() == k).any() && (ytr.array() == k).any();
    if (all) break;
  }
  const auto cv = cs::presto_cv(Xtr, ytr, K, {.folds = static_cast<int>(s.folds), .seed = static_cast<unsigned long long>(split) + 11,
                                              .path = {.n_lambdas = static_cast<int>(s.soup_lambdas), .ratio = s.soup_ratio, .presto = {}}});
  const auto po = cs::presto_fit(Xtr, ytr, K, std::numeric_limits<double>::infinity(), {.penalize_first = false});
  const MatX<double> Pp = cv.fit.predict(Xte), Po = po.predict(Xte);
  const VecX<double> rare = logit_rare(Xtr, ytr, K, Xte);
  auto logloss = [&](const VecX<double>& q) {  // rare-class log loss, probabilities clipped to [1e-15, 1 − 1e-15]
    double l = 0;
    for (Eigen::Index i = 0; i < q.size(); ++i) {
      const double v = std::clamp(q[i], 1e-15, 1 - 1e-15);
      l -= yte[i] == K ? std::log(v) : std::log1p(-v);
    }
    return l / static_cast<double>(q.size());
  };
  auto rare_brier = [&](const VecX<double>& q) {  // Brier score of the rare class (logit gives no other class)
    return ((yte.array() == K).cast<double>() - q.array()).square().mean();
  };
  SoupResult r;
  r.brier_presto = rare_brier(Pp.col(K - 1));
  r.brier_po = rare_brier(Po.col(K - 1));
  r.brier_logit = rare_brier(rare);
  r.logloss_presto = logloss(Pp.col(K - 1));
  r.logloss_po = logloss(Po.col(K - 1));
  r.logloss_logit = logloss(rare);
  return r;
}


}  // namespace

const std::vector<std::string>& presto_metrics() {
  static const std::vector<std::string> m{"presto_vs_logit_sparse", "presto_vs_po_sparse", "presto_vs_po_po_truth", "po_vs_logit_po_truth",
                                          "presto_vs_po_non_parallel", "presto_vs_logit_non_parallel", "rare_fraction_sparse",
                                          "soup_brier_presto_vs_po", "soup_brier_presto_vs_logit", "soup_logloss_presto_vs_po",
                                          "soup_logloss_presto_vs_logit"};
  return m;
}

namespace {
/// The soup data with its ordinal labels checked: integers 1..K, K >= 3 (PRESTO shrinks K − 2
/// differences), every level present (an empty level has no intercept to fit).
SuiteData load_soup(const std::string& path) {
  SuiteData d = load_suite_data(path, "y", {}, false);
  const std::string where = "[presto.soup] data '" + path + "'";
  for (Eigen::Index i = 0; i < d.y.size(); ++i)
    if (!(d.y[i] >= 1 && d.y[i] == std::floor(d.y[i]) && d.y[i] <= static_cast<double>(d.y.size())))
      throw ConfigError(where + ": data row " + std::to_string(i + 1) + " has label " + fmt::format("{}", d.y[i]) +
                        "; ordinal labels must be integers 1..K");
  const auto K = static_cast<long long>(d.y.maxCoeff());
  if (K < 3) throw ConfigError(where + ": " + std::to_string(K) + " level(s); PRESTO needs K >= 3 ordered levels");
  for (long long k = 1; k <= K; ++k)
    if (!(d.y.array() == static_cast<double>(k)).any())
      throw ConfigError(where + ": level " + std::to_string(k) + " of 1.." + std::to_string(K) + " has no rows");
  return d;
}
struct PrestoMetrics {
  double vs_logit_sparse = kNotMeasured, vs_po_sparse = kNotMeasured, vs_logit_po = kNotMeasured, vs_po_po = kNotMeasured,
         po_vs_logit_po = kNotMeasured, vs_logit_np = kNotMeasured, vs_po_np = kNotMeasured, rare_sparse = kNotMeasured,
         soup_brier_po = kNotMeasured, soup_brier_logit = kNotMeasured, soup_logloss_po = kNotMeasured,
         soup_logloss_logit = kNotMeasured;
  static constexpr auto fields() {
    using M = PrestoMetrics;
    return std::tuple{
        field("presto_vs_logit_sparse", &M::vs_logit_sparse, "sparse design: median MSE ratio PRESTO / rare-class logit"),
        field("presto_vs_po_sparse", &M::vs_po_sparse, "sparse design: median MSE ratio PRESTO / proportional odds"),
        field("presto_vs_logit_po_truth", &M::vs_logit_po, "proportional-odds truth: median MSE ratio PRESTO / logit"),
        field("presto_vs_po_po_truth", &M::vs_po_po, "proportional-odds truth: median MSE ratio PRESTO / PO"),
        field("po_vs_logit_po_truth", &M::po_vs_logit_po, "proportional-odds truth: median MSE ratio PO / logit"),
        field("presto_vs_logit_non_parallel", &M::vs_logit_np, "dense non-parallel design: median MSE ratio PRESTO / logit"),
        field("presto_vs_po_non_parallel", &M::vs_po_np, "dense non-parallel design: median MSE ratio PRESTO / PO"),
        field("rare_fraction_sparse", &M::rare_sparse, "sparse design: mean fraction of rows in the rare class"),
        field("soup_brier_presto_vs_po", &M::soup_brier_po, "soup data: held-out rare-class Brier, PRESTO / PO"),
        field("soup_brier_presto_vs_logit", &M::soup_brier_logit, "soup data: held-out rare-class Brier, PRESTO / logit"),
        field("soup_logloss_presto_vs_po", &M::soup_logloss_po, "soup data: held-out rare-class log loss, PRESTO / PO"),
        field("soup_logloss_presto_vs_logit", &M::soup_logloss_logit, "soup data: held-out rare-class log loss, PRESTO / logit")};
  }
};

// The data is checked by validate, not after the suite ran.
void check_presto(const PrestoSpec& s) {
  if (!s.soup.empty()) (void)load_soup(s.soup);
}

PrestoMetrics run_presto(const PrestoSpec& s, SuiteOutput& out) {
  const std::filesystem::path& dir = out.dir;
  // Tasks: (design, repetition) and (soup split); each seeded by its indices, run in parallel.
  struct Task {
    int design = -1;  // −1: a soup split
    long long index = 0;
  };
  std::vector<Task> todo;
  for (std::size_t d = 0; d < s.designs.size(); ++d)
    for (long long r = 0; r < s.repetitions; ++r) todo.push_back({static_cast<int>(d), r});
  SuiteData soup;
  if (!s.soup.empty()) {
    soup = load_soup(s.soup);
    for (long long k = 0; k < s.soup_splits; ++k) todo.push_back({-1, k});
  }
  std::vector<SimResult> sim(todo.size());
  std::vector<SoupResult> real(todo.size());
  parallel_runs(todo.size(), out.progress, [&](std::size_t t) {
    try {
      if (todo[t].design >= 0) sim[t] = run_design(s.designs[static_cast<std::size_t>(todo[t].design)], todo[t].index, s);
      else real[t] = run_soup_split(soup.X, soup.y, todo[t].index, s);
    } catch (const std::exception& e) {  // name the design or split at fault
      throw std::runtime_error("[presto] " + (todo[t].design >= 0 ? "design '" + s.designs[static_cast<std::size_t>(todo[t].design)].name + "'" : std::string("soup split")) +
                               ", repetition " + std::to_string(todo[t].index) + ": " + e.what());
    }
  });

  std::ostringstream csv, md;
  csv << "study,repetition,rare_fraction,lambda,nonzero_differences,mse_presto,mse_po,mse_logit,brier_presto,brier_po,brier_logit,"
         "logloss_presto,logloss_po,logloss_logit\n";
  PrestoMetrics m;
  md << "Synthetic designs (spec (d)): n = " << s.n << ", p = " << s.p << ", X ~ U(−1, 1), " << s.repetitions
     << " repetitions; PRESTO tuned by " << s.folds << "-fold CV on the Brier score over " << s.n_lambdas
     << " λ; rare-class probability MSE on the training x against the truth. Ratios are medians over repetitions of the per-repetition ratio.\n\n"
     << "| design | rare % | MSE PRESTO | MSE PO | MSE logit | PRESTO / logit | PRESTO / PO | PRESTO < logit | PRESTO < PO |\n"
     << "|---|---|---|---|---|---|---|---|---|\n";
  std::ostringstream box;
  box << "design_index,presto_over_logit,presto_over_po\n";
  for (std::size_t d = 0; d < s.designs.size(); ++d) {
    std::vector<double> rl, rp;
    double mp = 0, mo = 0, ml = 0, rare = 0, wins_l = 0, wins_p = 0, reps = 0;
    for (std::size_t t = 0; t < todo.size(); ++t) {
      if (todo[t].design != static_cast<int>(d)) continue;
      const auto& r = sim[t];
      csv << fmt::format("{},{},{:.6g},{:.6g},{},{:.8g},{:.8g},{:.8g},,,,,,\n", s.designs[d].name, todo[t].index, r.rare_fraction, r.lambda,
                         r.nonzero_differences, r.mse_presto, r.mse_po, r.mse_logit);
      rl.push_back(r.mse_presto / r.mse_logit);
      rp.push_back(r.mse_presto / r.mse_po);
      box << d << "," << rl.back() << "," << rp.back() << "\n";
      mp += r.mse_presto, mo += r.mse_po, ml += r.mse_logit, rare += r.rare_fraction, reps += 1;
      wins_l += r.mse_presto < r.mse_logit, wins_p += r.mse_presto < r.mse_po;
    }
    const double ratio_l = median(rl), ratio_p = median(rp);
    md << fmt::format("| {} | {:.2f} | {:.3g} | {:.3g} | {:.3g} | {:.3f} | {:.3f} | {:.0f}/{:.0f} | {:.0f}/{:.0f} |\n", s.designs[d].name, 100 * rare / reps,
                      mp / reps, mo / reps, ml / reps, ratio_l, ratio_p, wins_l, reps, wins_p, reps);
    const std::string& type = s.designs[d].type;
    const std::string key = type == "sparse" ? "sparse" : type == "po" ? "po_truth" : "non_parallel";
    (type == "sparse" ? m.vs_logit_sparse : type == "po" ? m.vs_logit_po : m.vs_logit_np) = ratio_l;
    (type == "sparse" ? m.vs_po_sparse : type == "po" ? m.vs_po_po : m.vs_po_np) = ratio_p;
    if (type == "sparse") m.rare_sparse = rare / reps;
    if (type == "po") {
      std::vector<double> pl;
      for (std::size_t t = 0; t < todo.size(); ++t)
        if (todo[t].design == static_cast<int>(d)) pl.push_back(sim[t].mse_po / sim[t].mse_logit);
      m.po_vs_logit_po = median(pl);
    }
  }
  if (!s.soup.empty()) {
    std::vector<double> bp, bo, bl, lp, lo, ll;
    for (std::size_t t = 0; t < todo.size(); ++t) {
      if (todo[t].design >= 0) continue;
      const auto& r = real[t];
      csv << fmt::format("soup,{},,,,,,,{:.8g},{:.8g},{:.8g},{:.8g},{:.8g},{:.8g}\n", todo[t].index, r.brier_presto, r.brier_po, r.brier_logit,
                         r.logloss_presto, r.logloss_po, r.logloss_logit);
      bp.push_back(r.brier_presto), bo.push_back(r.brier_po), bl.push_back(r.brier_logit);
      lp.push_back(r.logloss_presto), lo.push_back(r.logloss_po), ll.push_back(r.logloss_logit);
    }
    auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); };
    m.soup_brier_po = mean(bp) / mean(bo);
    m.soup_brier_logit = mean(bp) / mean(bl);
    m.soup_logloss_po = mean(lp) / mean(lo);
    m.soup_logloss_logit = mean(lp) / mean(ll);
    md << "\nSoup tasting data (ordinal::soup; SURENESS reversed so the rarest level, 12.3%, is last; 22 dummy features), "
       << s.soup_splits << " random 90/10 splits with every class in both parts; held-out rare-class Brier score and log loss (mean over splits):\n\n"
       << "| method | rare-class Brier | rare-class log loss |\n|---|---|---|\n"
       << fmt::format("| PRESTO (CV) | {:.5f} | {:.5f} |\n| proportional odds | {:.5f} | {:.5f} |\n| rare-class logistic | {:.5f} | {:.5f} |\n", mean(bp),
                      mean(lp), mean(bo), mean(lo), mean(bl), mean(ll));
  }
  write_atomic(dir / "runs.csv", csv.str());
  write_atomic(dir / "ratios.csv", box.str());
  // One pair of boxes per design (x = 3d + 1: PRESTO / logit, 3d + 2: PRESTO / PO).
  std::ostringstream gp, tics;
  for (std::size_t d = 0; d < s.designs.size(); ++d) tics << (d ? ", " : "") << gnuplot_quote(s.designs[d].name) << " " << 3 * d + 1.5;
  const std::string csv_path = gnuplot_quote((dir / "ratios.csv").string());
  const int last = static_cast<int>(s.designs.size()) - 1;
  gp << "set title 'Rare-class probability MSE ratio, PRESTO / other (per repetition)' noenhanced\nset style fill solid 0.4 border -1\n"
     << "set style data boxplot\nset boxwidth 0.8\nset logscale y\nset ylabel 'MSE ratio (log scale)'\nset grid ytics\n"
     << "set xtics (" << tics.str() << ") noenhanced\nset xrange [0:" << 3 * s.designs.size() << "]\n"
     << "set datafile separator ','\nset datafile columnheaders\nset key top right\n"
     << "plot for [d=0:" << last << "] " << csv_path << " using (3*d+1):(column(1)==d ? column(2) : 1/0) lc 1 title (d==0 ? 'PRESTO / logit' : ''), "
     << "for [d=0:" << last << "] " << csv_path << " using (3*d+2):(column(1)==d ? column(3) : 1/0) lc 2 title (d==0 ? 'PRESTO / PO' : ''), "
     << "1 notitle dt 2 lc 'black'\n";
  out.plot("ratios.png", gp.str());
  out.details_markdown = md.str();
  return m;
}

}  // namespace

SuiteRunner presto_suite() { return suite_runner("presto", "presto", read_presto, run_presto, check_presto); }

}  // namespace convlab::experiments
