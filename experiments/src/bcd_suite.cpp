#include "bcd_suite.hpp"

#include <Eigen/QR>
#include <Eigen/SparseCholesky>
#include <algorithm>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <sstream>
#include <variant>

#include <fmt/core.h>

#include <convlab/optim/bcd.hpp>
#include <convlab/problems/coordinate_linear_model.hpp>
#include <convlab/problems/data_io.hpp>
#include <convlab/problems/graph_quadratic.hpp>
#include <convlab/problems/graphs.hpp>
#include <convlab/problems/preprocessing.hpp>
#include <convlab/problems/synthetic.hpp>

#include "plots.hpp"
#include "run_folder.hpp"
#include "table_reader.hpp"

namespace convlab::experiments {
namespace {

namespace cp = convlab::problems;
namespace co = convlab::optim;

const std::vector<std::string> kRules{"cyclic", "random_permutation", "random", "lipschitz", "gs", "gsl", "gsd", "gsq"};
const std::vector<std::string> kUpdates{"lb", "global", "la", "hb", "newton"};
const std::vector<std::string> kPartitions{"order", "sort", "avg", "random"};

struct DatasetSpec {
  std::string name, type, data, response = "y", source;  // source: scaled_sparse | file | two_moons | lattice
  bool standardize = false, intercept = false;
  double l2 = 0, noise = 1, label_noise = 0.1, density = 0, planted_density = 0.1, weight = 1, noise_sd = 0.2;
  long long rows = 0, cols = 0, classes = 2, seed = 1, k = 5, labelled = 100;
};

struct FigureSpec {
  std::string name, title;
  std::vector<std::string> datasets, partitions, updates, rules, blocks;
  std::vector<long long> taus;
  std::string norm = "l2";
};

struct BcdSpec {
  long long iterations = 500, record_every = 5, max_tau = 0;  // max_tau 0: no cap
  bool full_sizes = false;
  double target_gap = 1e-8;
  std::vector<DatasetSpec> datasets;
  std::vector<FigureSpec> figures;
};

std::vector<std::string> strings(const TableReader& r, const toml::table& t, const std::string& section,
                                 const std::string& key, const std::vector<std::string>& allowed) {
  const toml::node* n = t.get(key);
  if (!n) throw ConfigError(r.where(t) + ": [" + section + "] is missing required key '" + key + "'");
  const toml::array* a = n->as_array();
  if (!a || a->empty()) r.fail(*n, section, key, "expected a non-empty array of strings");
  std::vector<std::string> out;
  for (const auto& e : *a) {
    const auto v = e.value<std::string>();
    if (!v || (!allowed.empty() && std::find(allowed.begin(), allowed.end(), *v) == allowed.end())) {
      std::string list;
      for (const auto& x : allowed) list += (list.empty() ? "" : " | ") + x;
      r.fail(e, section, key, allowed.empty() ? "entries must be strings" : "entries must be one of " + list);
    }
    out.push_back(*v);
  }
  return out;
}

BcdSpec parse(const toml::table& t, const std::string& file, const std::filesystem::path& base, const Origins& origins) {
  const TableReader r{file, origins};
  r.only(t, "bcd", {"iterations", "record_every", "target_gap", "max_tau", "full_sizes", "dataset", "figure"});
  BcdSpec s;
  s.max_tau = r.integer(t, "bcd", "max_tau", 0, 0);
  s.full_sizes = r.boolean(t, "bcd", "full_sizes", false);
  s.iterations = r.integer(t, "bcd", "iterations", 500, 1);
  s.record_every = r.integer(t, "bcd", "record_every", 5, 1);
  s.target_gap = r.number(t, "bcd", "target_gap", 1e-8, [](double v) { return v > 0; }, "> 0");
  for (const auto& node : r.tables(t, "bcd", "dataset")) {
    const auto& dt = *node.as_table();
    const std::string sec = "bcd.dataset";
    r.only(dt, sec, {"name", "type", "data", "response", "standardize", "intercept", "l2", "scaled_sparse", "classes", "noise",
                     "label_noise", "two_moons", "lattice"});
    DatasetSpec d;
    d.name = r.string(dt, sec, "name", "");
    d.type = r.string(dt, sec, "type", "", {"least_squares", "logistic", "multinomial", "label_propagation"});
    d.standardize = r.boolean(dt, sec, "standardize", false);
    d.intercept = r.boolean(dt, sec, "intercept", false);
    d.l2 = r.number(dt, sec, "l2", 0, [](double v) { return v >= 0; }, ">= 0");
    d.classes = r.integer(dt, sec, "classes", 2, 2);
    d.noise = r.number(dt, sec, "noise", 1, [](double v) { return v >= 0; }, ">= 0");
    d.label_noise = r.number(dt, sec, "label_noise", 0.1, [](double v) { return v >= 0 && v <= 0.5; }, "0 <= p <= 0.5");
    int sources = 0;
    if (const toml::table* ss = dt.get_as<toml::table>("scaled_sparse")) {
      ++sources;
      d.source = "scaled_sparse";
      const std::string ssec = sec + ".scaled_sparse";
      r.only(*ss, ssec, {"rows", "cols", "full_rows", "full_cols", "seed", "density", "planted_density"});
      d.rows = r.integer(*ss, ssec, s.full_sizes ? "full_rows" : "rows", r.integer(*ss, ssec, "rows", 1000, 2), 2);
      d.cols = r.integer(*ss, ssec, s.full_sizes ? "full_cols" : "cols", r.integer(*ss, ssec, "cols", 1000, 1), 1);
      d.seed = r.integer(*ss, ssec, "seed", 1, 0);
      d.density = r.number(*ss, ssec, "density", 0, [](double v) { return v >= 0 && v <= 1; }, "0 <= density <= 1 (0: 10 ln(rows)/rows)");
      d.planted_density = r.number(*ss, ssec, "planted_density", 0.1, [](double v) { return v >= 0 && v <= 1; }, "0 <= p <= 1");
    }
    for (const char* graph : {"two_moons", "lattice"})
      if (const toml::table* g = dt.get_as<toml::table>(graph)) {
        ++sources;
        d.source = graph;
        const std::string gsec = sec + "." + graph;
        if (d.source == "two_moons") {
          r.only(*g, gsec, {"n", "full_n", "k", "noise_sd", "labelled", "seed"});
          d.rows = r.integer(*g, gsec, s.full_sizes ? "full_n" : "n", r.integer(*g, gsec, "n", 2000, 10), 10);
          d.k = r.integer(*g, gsec, "k", 5, 1);
          d.noise_sd = r.number(*g, gsec, "noise_sd", 0.2, [](double v) { return v >= 0; }, ">= 0");
        } else {
          r.only(*g, gsec, {"rows", "cols", "full_rows", "full_cols", "weight", "labelled", "seed"});
          d.rows = r.integer(*g, gsec, s.full_sizes ? "full_rows" : "rows", r.integer(*g, gsec, "rows", 50, 2), 2);
          d.cols = r.integer(*g, gsec, s.full_sizes ? "full_cols" : "cols", r.integer(*g, gsec, "cols", 50, 2), 2);
          d.weight = r.number(*g, gsec, "weight", 1e5, [](double v) { return v > 0; }, "> 0");
        }
        d.labelled = r.integer(*g, gsec, "labelled", 100, 1);
        d.seed = r.integer(*g, gsec, "seed", 1, 0);
      }
    if (dt.get("data")) {
      ++sources;
      d.source = "file";
      const std::string data = r.string(dt, sec, "data", "");
      d.data = resolve_data_path(data, base);
      if (d.data.empty()) r.fail(*dt.get("data"), sec, "data", "file '" + data + "' not found");
      d.response = r.string(dt, sec, "response", "y");
    }
    if (sources != 1)
      throw ConfigError(r.where(dt) + ": [[bcd.dataset]] '" + d.name + "' needs exactly one of data, scaled_sparse, two_moons, lattice");
    if ((d.type == "label_propagation") != (d.source == "two_moons" || d.source == "lattice"))
      throw ConfigError(r.where(dt) + ": [[bcd.dataset]] '" + d.name + "': label_propagation goes with two_moons or lattice, and only with them");
    for (const auto& other : s.datasets)
      if (other.name == d.name) throw ConfigError(r.where(dt) + ": dataset name '" + d.name + "' is used twice");
    s.datasets.push_back(std::move(d));
  }
  for (const auto& node : r.tables(t, "bcd", "figure")) {
    const auto& ft = *node.as_table();
    const std::string sec = "bcd.figure";
    r.only(ft, sec, {"name", "title", "datasets", "taus", "partitions", "updates", "rules", "blocks", "norm"});
    FigureSpec f;
    f.name = r.string(ft, sec, "name", "");
    f.title = r.string(ft, sec, "title", f.name);
    std::vector<std::string> names;
    for (const auto& d : s.datasets) names.push_back(d.name);
    f.datasets = strings(r, ft, sec, "datasets", names);
    for (double v : r.numbers(ft, sec, "taus", [](double v) { return v >= 1 && v == std::floor(v); }, "integers >= 1"))
      f.taus.push_back(static_cast<long long>(v));
    f.partitions = ft.get("partitions") ? strings(r, ft, sec, "partitions", kPartitions) : std::vector<std::string>{"sort"};
    f.updates = strings(r, ft, sec, "updates", kUpdates);
    f.rules = strings(r, ft, sec, "rules", kRules);
    f.blocks = strings(r, ft, sec, "blocks", {"fb", "vb"});
    f.norm = r.string(ft, sec, "norm", "l2", {"l2", "l1"});
    s.figures.push_back(std::move(f));
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Data sets and their optimal values.

using LS = cp::CoordinateLinearModel<double, cp::SquaredRowLoss<double>>;
using LG = cp::CoordinateLinearModel<double, cp::LogisticRowLoss<double>>;
using MN = cp::CoordinateLinearModel<double, cp::SoftmaxRowLoss<double>>;
using GQ = cp::GraphQuadratic<double>;
using AnyProblem = std::variant<LS, LG, MN, GQ>;

struct Prepared {
  AnyProblem problem;
  double fstar = 0;
  std::string fstar_note, shape;
};

template <class Design>
bool full_row_rank(const Design& A) {
  const MatX<double> At = MatX<double>(A).transpose();
  Eigen::ColPivHouseholderQR<MatX<double>> qr(At);
  return qr.rank() == A.rows();
}

/// min f by Newton on the whole vector (one block holding every coordinate), to ‖∇f‖ ≤ 1e-10.
template <class P>
double newton_optimum(const P& p, std::string& note) {
  co::BlockCoordinateDescent newton(co::OrderPartition{p.dim()}, co::Cyclic{}, co::NewtonUpdate{},
                                    co::BcdOptions{.max_iterations = 200, .gradient_tolerance = 1e-10, .record_every = 0});
  VecX<double> x = VecX<double>::Zero(p.dim());
  const auto s = newton.minimize(p, x);
  if (s.status != co::Status::GradientTolerance)
    throw std::runtime_error("BCD suite: the reference Newton solve did not converge (" + s.brief_report() + ")");
  note = fmt::format("full Newton, ‖∇f‖ = {:.1e}", s.final_grad_norm);
  return s.final_value;
}

Prepared prepare(const DatasetSpec& d) {
  if (d.type == "label_propagation") {
    Eigen::SparseMatrix<double> W;
    std::vector<Eigen::Index> labelled;
    VecX<double> y(d.labelled);
    Eigen::Index nodes = 0;
    if (d.source == "two_moons") {
      const auto moons = cp::make_two_moons(d.rows, d.noise_sd, static_cast<unsigned long long>(d.seed));
      W = cp::knn_graph<double>(moons.points, d.k);
      nodes = d.rows;
      labelled = cp::choose_nodes(nodes, d.labelled, static_cast<unsigned long long>(d.seed) + 1);
      for (Eigen::Index t = 0; t < d.labelled; ++t) y[t] = 1 + moons.moon[static_cast<std::size_t>(labelled[static_cast<std::size_t>(t)])];
    } else {
      W = cp::lattice_graph<double>(d.rows, d.cols, d.weight);
      nodes = d.rows * d.cols;
      labelled = cp::choose_nodes(nodes, d.labelled, static_cast<unsigned long long>(d.seed) + 1);
      boost::random::mt19937_64 rng(static_cast<unsigned long long>(d.seed) + 2);
      boost::random::normal_distribution<double> N(0.0, 10.0);
      for (auto& v : y) v = N(rng);
    }
    auto lp = cp::label_propagation<double>(W, labelled, y);
    Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt(lp.problem.matrix());
    if (ldlt.info() != Eigen::Success) throw std::runtime_error("BCD suite: " + d.name + ": M is not positive definite");
    const VecX<double> xs = ldlt.solve(lp.problem.linear_term());
    Prepared out{std::move(lp.problem), 0, "sparse LDLᵀ solve", fmt::format("{} nodes, {} labelled", nodes, d.labelled)};
    out.fstar = std::get<GQ>(out.problem).value(xs);
    return out;
  }
  // Linear models: a design and a response.
  cp::SparseDesign<double> A;
  VecX<double> y;
  if (d.source == "scaled_sparse") {
    const bool multi = d.type == "multinomial";
    auto g = cp::make_scaled_sparse_design<double>({d.rows, d.cols, d.density, multi ? 1.0 : d.planted_density,
                                                    multi ? d.classes : 1, static_cast<unsigned long long>(d.seed)});
    A = std::move(g.A);
    boost::random::mt19937_64 rng(static_cast<unsigned long long>(d.seed) + 1);
    boost::random::normal_distribution<double> N;
    boost::random::uniform_real_distribution<double> U(0.0, 1.0);
    const MatX<double> Z = A * g.W;
    y.resize(d.rows);
    for (Eigen::Index i = 0; i < d.rows; ++i) {
      if (d.type == "least_squares") {
        y[i] = Z(i, 0) + d.noise * N(rng);
      } else if (d.type == "logistic") {
        y[i] = (Z(i, 0) > 0) != (U(rng) < d.label_noise) ? 1 : 0;
      } else {
        Eigen::Index best = 0;
        double top = -std::numeric_limits<double>::infinity();
        for (Eigen::Index c = 0; c < d.classes; ++c)
          if (const double v = Z(i, c) + N(rng); v > top) top = v, best = c;
        y[i] = static_cast<double>(best);
      }
    }
  } else {
    MatX<double> X;
    if (std::filesystem::path(d.data).extension() == ".csv") {
      auto ds = cp::load_csv(d.data, {.response = d.response});
      X = std::move(ds.X);
      y = std::move(ds.y);
    } else {
      auto ds = cp::load_libsvm(d.data);
      X = MatX<double>(ds.X);
      y = std::move(ds.y);
    }
    if (d.standardize) cp::standardize(X);
    A = X.sparseView();
    if (d.type == "logistic")
      for (auto& v : y) v = v > 0 ? 1 : 0;
  }
  const cp::LinearModelOptions opt{0, d.l2, d.intercept};
  const std::string shape = fmt::format("{} × {} ({:.1f}% non-zero)", A.rows(), A.cols(),
                                        100.0 * static_cast<double>(A.nonZeros()) / static_cast<double>(A.rows() * A.cols()));
  if (d.type == "least_squares") {
    cp::LeastSquares<double, cp::SparseDesign<double>> ls(A, y, opt);
    // Minimum-norm least-squares solution by a complete orthogonal decomposition (dense).
    MatX<double> Ad = MatX<double>(A);
    if (d.intercept) {
      Ad.conservativeResize(Eigen::NoChange, Ad.cols() + 1);
      Ad.col(Ad.cols() - 1).setOnes();
    }
    VecX<double> xs;
    if (d.l2 > 0) {
      MatX<double> G = Ad.transpose() * Ad / static_cast<double>(Ad.rows());
      for (Eigen::Index j = 0; j < A.cols(); ++j) G(j, j) += d.l2;
      xs = G.ldlt().solve(Ad.transpose() * y / static_cast<double>(Ad.rows()));
    } else {
      xs = Ad.completeOrthogonalDecomposition().solve(y);
    }
    Prepared out{cp::coordinate_form(ls), ls.value(xs), d.l2 > 0 ? "normal equations (LDLᵀ)" : "minimum-norm solution (complete orthogonal decomposition)", shape};
    out.fstar = std::max(0.0, out.fstar);
    return out;
  }
  if (d.type == "logistic") {
    cp::Logistic<double, cp::SparseDesign<double>> lg(A, y, opt);
    Prepared out{cp::coordinate_form(lg), 0, "", shape};
    if (d.l2 == 0 && !d.intercept && full_row_rank(A)) out.fstar_note = "0: infimum (rank A = rows, so every labelling is separable)";
    else out.fstar = newton_optimum(std::get<LG>(out.problem), out.fstar_note);
    return out;
  }
  cp::Multinomial<double, cp::SparseDesign<double>> mn(A, y, d.source == "scaled_sparse" ? d.classes : 0, opt);
  Prepared out{cp::coordinate_form(mn), 0, "", shape + fmt::format(", {} classes", mn.num_classes())};
  if (d.l2 == 0 && !d.intercept && full_row_rank(A)) out.fstar_note = "0: infimum (rank A = rows, so every labelling is separable)";
  else out.fstar = newton_optimum(std::get<MN>(out.problem), out.fstar_note);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Runs.

struct RunKey {
  std::string dataset;
  long long tau;
  std::string partition, update, rule, blocks, norm;
  auto tie() const { return std::tie(dataset, tau, partition, update, rule, blocks, norm); }
  bool operator<(const RunKey& o) const { return tie() < o.tie(); }
  std::string label() const {
    return rule + "-" + blocks + (blocks == "fb" ? "/" + partition : "") + " " + update + (norm == "l1" ? " (ℓ1)" : "");
  }
};

struct Outcome {
  bool reached = false;
  long long iterations = 0;  // to the target, or the budget
  double gap = 0;            // final f − f*
  double seconds = 0;
  std::vector<std::pair<long long, double>> curve;  // (iteration, f − f*)
};

/// a is at least as good as b: reached the target no later, or (neither reached) a final gap
/// no larger (relative slack 1e-6, so exact ties count).
bool not_worse(const Outcome& a, const Outcome& b) {
  if (a.reached && b.reached) return a.iterations <= b.iterations;
  if (a.reached != b.reached) return a.reached;
  return a.gap <= b.gap * (1 + 1e-6) + 1e-300;
}

template <class P>
Outcome run_one(const P& p, double fstar, const RunKey& k, const BcdSpec& s) {
  const auto part = co::make_partition(k.blocks == "vb" ? "vb" : k.partition, k.tau, 1);
  co::BlockCoordinateDescent bcd(part, co::make_selection<P>(k.rule, k.norm == "l1" ? co::BlockNorm::L1 : co::BlockNorm::L2),
                                 co::make_update<P>(k.update),
                                 co::BcdOptions{.max_iterations = s.iterations, .target_value = fstar + s.target_gap, .seed = 1});
  VecX<double> x = VecX<double>::Zero(p.dim());
  const auto sum = bcd.minimize(p, x);
  Outcome o;
  o.reached = sum.status == co::Status::TargetValue;
  o.iterations = sum.iterations;
  o.gap = sum.final_value - fstar;
  o.seconds = sum.seconds;
  for (const auto& r : sum.history)
    if (r.iteration % s.record_every == 0 || r.iteration == sum.iterations) o.curve.emplace_back(r.iteration, r.value - fstar);
  return o;
}

// ---------------------------------------------------------------------------------------------
// Orderings: each is a list of (a, b) comparisons "a is at least as good as b".

struct Ordering {
  Ordering(std::string i, std::string s) : id(std::move(i)), statement(std::move(s)) {}
  std::string id, statement;
  long long holds = 0, total = 0;
  std::vector<std::string> exceptions;
  void check(const Outcome& a, const Outcome& b, const std::string& where) {
    ++total;
    if (not_worse(a, b)) ++holds;
    else if (exceptions.size() < 12) exceptions.push_back(where);
  }
  double fraction() const { return total > 0 ? static_cast<double>(holds) / static_cast<double>(total) : 1.0; }
};

std::string fmt_gap(const Outcome& o) {
  return o.reached ? fmt::format("≤ target @ {}", o.iterations) : fmt::format("{:.2e}", std::max(o.gap, 0.0));
}

}  // namespace

const std::vector<std::string>& bcd_metrics() {
  static const std::vector<std::string> m{
      "greedy_beats_classic_fraction", "gsl_at_least_gs_fraction", "gsl_over_gs_gain_A", "vb_at_least_fb_fraction",
      "matrix_beats_gradient_fraction", "adaptive_beats_global_fraction", "gsq_vb_best_fraction", "gsq_vb_matrix_A_iterations",
      "runs"};
  return m;
}

void validate_bcd_suite(const toml::table& bcd, const std::string& file, const std::filesystem::path& base_dir,
                        const Origins& origins) {
  (void)parse(bcd, file, base_dir, origins);
}

nlohmann::json run_bcd_suite(const toml::table& table, const std::string& file, const std::filesystem::path& base_dir,
                             const std::filesystem::path& dir, const std::string& figure_prefix,
                             const std::function<void(std::size_t, std::size_t)>& progress) {
  const BcdSpec s = parse(table, file, base_dir, Origins{});
  std::filesystem::create_directories(dir);
  std::map<std::string, Prepared> data;
  for (const auto& d : s.datasets) data.emplace(d.name, prepare(d));

  // Every distinct run of every figure, once (figures share runs, e.g. fig4 ⊂ fig8).
  std::map<RunKey, Outcome> runs;
  auto keys_of = [&](const FigureSpec& f) {
    std::vector<RunKey> keys;
    for (const auto& ds : f.datasets)
      for (long long tau : f.taus) {
        if (tau > std::visit([](const auto& p) { return static_cast<long long>(p.dim()); }, data.at(ds).problem)) continue;
        if (s.max_tau > 0 && tau > s.max_tau) continue;
        for (const auto& upd : f.updates)
          for (const auto& rule : f.rules)
            for (const auto& blocks : f.blocks)
              for (const auto& part : blocks == "vb" ? std::vector<std::string>{"-"} : f.partitions) {
                if (upd == "newton" && std::holds_alternative<GQ>(data.at(ds).problem)) continue;  // Newton = Hb on quadratics
                keys.push_back({ds, tau, part, upd, rule, blocks, f.norm});
              }
      }
    return keys;
  };
  for (const auto& f : s.figures)
    for (const auto& k : keys_of(f)) runs.emplace(k, Outcome{});
  // Runs are independent and each is single-threaded, so they run in parallel over the
  // machine's threads; every run's numbers are the same whatever the thread count.
  std::vector<std::pair<const RunKey, Outcome>*> todo;
  for (auto& entry : runs) todo.push_back(&entry);
  std::size_t done = 0;
  std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t r = 0; r < todo.size(); ++r) {
    try {
      const RunKey& k = todo[r]->first;
      const Prepared& p = data.at(k.dataset);
      todo[r]->second = std::visit([&](const auto& prob) { return run_one(prob, p.fstar, k, s); }, p.problem);
    } catch (...) {
#pragma omp critical(bcd_failure)
      if (!failure) failure = std::current_exception();
    }
#pragma omp critical(bcd_progress)
    progress(++done, todo.size());
  }
  if (failure) std::rethrow_exception(failure);

  // Tidy CSV of every curve; one wide CSV and one plot per figure panel (dataset × τ).
  std::ostringstream tidy;
  tidy << "dataset,tau,partition,update,rule,blocks,norm,iteration,gap\n";
  for (const auto& [k, o] : runs)
    for (const auto& [it, gap] : o.curve)
      tidy << fmt::format("{},{},{},{},{},{},{},{},{:.17g}\n", k.dataset, k.tau, k.partition, k.update, k.rule, k.blocks, k.norm, it, gap);
  write_atomic(dir / "curves.csv", tidy.str());
  std::ostringstream table_csv;
  table_csv << "dataset,tau,partition,update,rule,blocks,norm,reached_target,iterations,final_gap,seconds\n";
  for (const auto& [k, o] : runs)
    table_csv << fmt::format("{},{},{},{},{},{},{},{},{},{:.17g},{:.4f}\n", k.dataset, k.tau, k.partition, k.update, k.rule,
                             k.blocks, k.norm, o.reached, o.iterations, o.gap, o.seconds);
  write_atomic(dir / "runs.csv", table_csv.str());

  std::vector<std::string> figures;
  std::string plot_error;
  std::ostringstream md;
  md << "f* per data set (the reference each gap is measured from):\n\n| data set | type | shape | f* | how |\n|---|---|---|---|---|\n";
  for (const auto& d : s.datasets) {
    const auto& p = data.at(d.name);
    md << fmt::format("| {} | {} | {} | {:.12g} | {} |\n", d.name, d.type, p.shape, p.fstar, p.fstar_note);
  }
  md << "\nEach cell: f − f* after " << s.iterations << " iterations from x⁰ = 0, or the iteration at which f − f* ≤ "
     << s.target_gap << " (the run then stops). Rules: `rule-fb/partition` fixed blocks, `rule-vb` variable blocks.\n";
  for (const auto& f : s.figures) {
    md << "\n### " << f.name << " — " << f.title << "\n\n";
    std::map<std::pair<std::string, long long>, std::vector<RunKey>> panels;
    for (const auto& k : keys_of(f)) panels[{k.dataset, k.tau}].push_back(k);
    for (const auto& [panel, keys] : panels) {
      const std::string stem = fmt::format("{}_{}_tau{}", f.name, panel.first, panel.second);
      // Wide CSV: iteration, then one column per run (NaN after a run stopped).
      std::ostringstream wide;
      wide << "iteration";
      for (const auto& k : keys) wide << "," << k.label();
      wide << "\n";
      for (long long it = 0; it <= s.iterations; it += s.record_every) {
        wide << it;
        for (const auto& k : keys) {
          const auto& c = runs.at(k).curve;
          auto pos = std::lower_bound(c.begin(), c.end(), std::make_pair(it, -std::numeric_limits<double>::infinity()));
          wide << "," << (pos != c.end() && pos->first == it ? fmt::format("{:.6g}", std::max(pos->second, 1e-300)) : "NaN");
        }
        wide << "\n";
      }
      write_atomic(dir / (stem + ".csv"), wide.str());
      std::ostringstream gp;
      gp << "set title " << gnuplot_quote(f.name + ": " + panel.first + ", τ = " + std::to_string(panel.second)) << " noenhanced\n"
         << "set xlabel 'iteration'\nset ylabel 'f - f*'\nset logscale y\nset format y '10^{%L}'\nset grid\n"
         << "set key outside right top noenhanced\nset datafile separator ','\nset datafile columnheaders\nplot ";
      for (std::size_t c = 0; c < keys.size(); ++c)
        gp << (c ? ", " : "") << gnuplot_quote((dir / (stem + ".csv")).string()) << " using 1:($" << c + 2 << " > 0 ? $"
           << c + 2 << " : 1/0) with lines lw 2 dt " << (keys[c].blocks == "vb" ? 1 : 2) << " title " << gnuplot_quote(keys[c].label());
      gp << "\n";
      if (run_gnuplot(dir / (stem + ".png"), gp.str(), plot_error)) figures.push_back(figure_prefix + stem + ".png");
      md << "**" << panel.first << ", τ = " << panel.second << "**: ";
      std::vector<RunKey> sorted = keys;
      std::stable_sort(sorted.begin(), sorted.end(), [&](const RunKey& a, const RunKey& b) {
        return not_worse(runs.at(a), runs.at(b)) && !not_worse(runs.at(b), runs.at(a));
      });
      for (std::size_t i = 0; i < sorted.size(); ++i) md << (i ? " · " : "") << sorted[i].label() << " " << fmt_gap(runs.at(sorted[i]));
      md << "\n\n";
    }
  }

  // The paper's orderings over every pair the grids contain.
  auto is_greedy = [](const std::string& r) { return r == "gs" || r == "gsl" || r == "gsd" || r == "gsq"; };
  Ordering greedy{"greedy_beats_classic", "GS and GSL ≥ cyclic, random and Lipschitz sampling (same blocks, update, panel)"};
  Ordering gsl{"gsl_at_least_gs", "GSL ≥ GS (same blocks, update, panel)"};
  Ordering vb{"vb_at_least_fb", "variable blocks ≥ fixed blocks for the greedy rules"};
  Ordering matrix{"matrix_beats_gradient", "matrix update (Hb) ≥ gradient update (Lb), same rule and blocks"};
  Ordering adaptive{"adaptive_beats_global", "adaptive local constants (LA) ≥ global block constants (Lb)"};
  Ordering gsq{"gsq_vb_best", "GSQ-VB ≥ every other rule with matrix or Newton updates"};
  Ordering sort{"sort_at_least_order", "Sort partition ≥ Order partition for GSL and GSD (reported, not claimed)"};
  double gain_A = std::numeric_limits<double>::infinity();
  double gsq_A_iterations = 0;
  for (const auto& [a, oa] : runs) {
    const std::string where = fmt::format("{} τ={} {}", a.dataset, a.tau, a.label());
    for (const auto& [b, ob] : runs) {
      const bool same_panel = a.dataset == b.dataset && a.tau == b.tau && a.norm == b.norm;
      if (!same_panel) continue;
      const std::string pair = where + " vs " + b.label();
      if (a.update == b.update && a.blocks == b.blocks && a.partition == b.partition) {
        if ((a.rule == "gs" || a.rule == "gsl") && (b.rule == "cyclic" || b.rule == "random" || b.rule == "lipschitz"))
          greedy.check(oa, ob, pair);
        if (a.rule == "gsl" && b.rule == "gs" && (a.update == "lb" || a.update == "la")) gsl.check(oa, ob, pair);
      }
      if (a.rule == b.rule && a.update == b.update && is_greedy(a.rule) && a.blocks == "vb" && b.blocks == "fb" && b.partition == "sort")
        vb.check(oa, ob, pair);
      if (a.rule == b.rule && a.blocks == b.blocks && a.partition == b.partition) {
        if (a.update == "hb" && b.update == "lb") matrix.check(oa, ob, pair);
        if (a.update == "la" && b.update == "lb") adaptive.check(oa, ob, pair);
      }
      if (a.rule == "gsq" && a.blocks == "vb" && a.update == b.update && (a.update == "hb" || a.update == "newton") && &a != &b &&
          b.partition != "order" && b.partition != "avg")
        gsq.check(oa, ob, pair);
      if (a.rule == b.rule && (a.rule == "gsl" || a.rule == "gsd") && a.update == b.update && a.partition == "sort" && b.partition == "order")
        sort.check(oa, ob, pair);
    }
    if (a.dataset == "A" && a.tau == 5 && a.update == "lb" && a.rule == "gsl" && (a.partition == "sort" || a.blocks == "vb")) {
      const RunKey b{a.dataset, a.tau, a.partition, a.update, "gs", a.blocks, a.norm};
      if (runs.count(b)) gain_A = std::min(gain_A, runs.at(b).gap / std::max(oa.gap, 1e-300));
    }
    if (a.dataset == "A" && a.rule == "gsq" && a.blocks == "vb" && a.update == "hb")
      gsq_A_iterations = std::max(gsq_A_iterations, static_cast<double>(oa.reached ? oa.iterations : s.iterations + 1));
  }
  md << "\n### Orderings of the paper: how often each holds here\n\n| ordering | holds | pairs | first exceptions |\n|---|---|---|---|\n";
  for (const Ordering* o : {&greedy, &gsl, &vb, &matrix, &adaptive, &gsq, &sort}) {
    std::string ex;
    for (const auto& e : o->exceptions) ex += (ex.empty() ? "" : "; ") + e;
    md << fmt::format("| {} | {:.0f}% | {} | {} |\n", o->statement, 100 * o->fraction(), o->total, ex.empty() ? "—" : ex);
  }

  nlohmann::json j;
  j["greedy_beats_classic_fraction"] = greedy.fraction();
  j["gsl_at_least_gs_fraction"] = gsl.fraction();
  j["gsl_over_gs_gain_A"] = std::isfinite(gain_A) ? gain_A : 0.0;
  j["vb_at_least_fb_fraction"] = vb.fraction();
  j["matrix_beats_gradient_fraction"] = matrix.fraction();
  j["adaptive_beats_global_fraction"] = adaptive.fraction();
  j["gsq_vb_best_fraction"] = gsq.fraction();
  j["gsq_vb_matrix_A_iterations"] = gsq_A_iterations;
  j["runs"] = static_cast<double>(runs.size());
  j["details_markdown"] = md.str();
  j["figures"] = figures;
  if (!plot_error.empty()) j["plot_error"] = plot_error;
  j["status"] = "done";
  return j;
}

}  // namespace convlab::experiments
