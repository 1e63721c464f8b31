#include "suites/fedau_suite.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

#include <convlab/federated/aggregators.hpp>
#include <convlab/federated/heterogeneous_logistic.hpp>
#include <convlab/federated/participation.hpp>
#include <convlab/federated/partition.hpp>
#include <convlab/federated/server.hpp>
#include <convlab/federated/weighted_objective.hpp>
#include <convlab/optim/ceres_lbfgs.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/problems/data_io.hpp>
#include <convlab/problems/multinomial.hpp>

#include "fit/federations.hpp"
#include "suites/parallel_runs.hpp"
#include "report/plots.hpp"
#include "fit/run_folder.hpp"
#include "suites/statistics.hpp"
#include "suites/suite.hpp"
#include "config/table_reader.hpp"

namespace convlab::experiments {
namespace {

namespace cf = convlab::federated;

const std::vector<std::string> kPatterns{"bernoulli", "markov", "cyclic"};
// "fedau_k" is FedAU with the finite cutoff `cutoff`.
const std::vector<std::string> kMethods{"average_participating", "average_all", "known_prob", "fedau", "fedau_k", "mifa", "fedvarp"};

struct FedauSpec {
  std::string problem = "spec";  // spec | digits
  std::string data;              // digits: resolved path of the LIBSVM file
  long long clients = 20, rounds = 1000, seeds = 2, eval_every = 10, cutoff = 5, period = 100, data_seed = 1;
  double markov_a = 0.05, global_lr = 1, mu = 0.01, test_fraction = 0.2;
  cf::LocalTraining local{.steps = 5, .batch = 0, .lr = 0.05};
  std::vector<std::string> patterns = kPatterns, methods = kMethods;
  static constexpr auto fields() {
    using S = FedauSpec;
    auto at_least = [](long long lo) { return [lo](long long v) { return v >= lo; }; };
    return std::tuple{
        field("clients", &S::clients, ">= 2", at_least(2), "clients (spec: 20, digits: 250)"),
        field("rounds", &S::rounds, ">= 2", at_least(2), "communication rounds"),
        field("seeds", &S::seeds, ">= 1", at_least(1), "seeds per (pattern, method) cell"),
        field("eval_every", &S::eval_every, ">= 1", at_least(1), "rounds between two recorded distances"),
        field("cutoff", &S::cutoff, ">= 1", at_least(1), "K of fedau_k, FedAU with a finite cutoff"),
        field("period", &S::period, ">= 2", at_least(2), "period of the cyclic participation pattern"),
        field("data_seed", &S::data_seed, ">= 0", at_least(0), "seed of the clients' data"),
        field("markov_a", &S::markov_a, "0 < a <= 1", [](double v) { return v > 0 && v <= 1; }, "transition probability of the Markov pattern"),
        field("global_lr", &S::global_lr, "> 0", [](double v) { return v > 0; }, "the server's learning rate η"),
        field("mu", &S::mu, "> 0 (the references need a unique optimum)", [](double v) { return v > 0; }, "ridge weight of every client"),
        field("test_fraction", &S::test_fraction, "0 < f < 0.9", [](double v) { return v > 0 && v < 0.9; }, "rows held out (digits)")};
  }
};

FedauSpec read_fedau(const toml::table& t, const SuiteInput& in) {
  const TableReader r{in.file, in.origins};
  const std::filesystem::path& base = in.base_dir;
  const std::string sec = "fedau";
  r.only(t, sec, TableReader::declared_keys<FedauSpec>({"problem", "data", "patterns", "methods", "local"}));
  FedauSpec s;
  s.problem = r.string(t, sec, "problem", "spec", {"spec", "digits"});
  if (s.problem == "digits") {
    const std::string data = r.string(t, sec, "data", "");
    s.data = resolve_data_path(data, base);
    if (s.data.empty()) r.fail(*t.get("data"), sec, "data", "file '" + data + "' not found");
    s.clients = 250;
  }
  r.declared(t, sec, s);
  s.patterns = r.strings(t, sec, "patterns", kPatterns, kPatterns);
  s.methods = r.strings(t, sec, "methods", kMethods, kMethods);
  if (const toml::table* l = t.get_as<toml::table>("local")) {
    r.only(*l, "fedau.local", TableReader::declared_keys<cf::LocalTraining>());
    r.declared(*l, "fedau.local", s.local);
  }
  return s;
}


struct RunOut {
  std::vector<long long> rounds;
  std::vector<double> dist_star, objective;
  VecX<double> tail, weights;
  double test_accuracy = std::numeric_limits<double>::quiet_NaN();
  std::size_t state_bytes = 0;
};

double mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); }


// One (pattern, method) cell: means over seeds.
struct FedauCell {
  double dist_star = kNotMeasured, dist_bias = kNotMeasured, dist_k = kNotMeasured, objective_gap = kNotMeasured,
         test_accuracy = kNotMeasured;
  static constexpr auto fields() {
    using M = FedauCell;
    return std::tuple{field("dist_star", &M::dist_star, "‖x̄ − x*‖/D of the tail average"),
                      field("dist_bias", &M::dist_bias, "‖x̄ − x_bias‖/D"), field("dist_k", &M::dist_k, "‖x̄ − x_K‖/D"),
                      field("objective_gap", &M::objective_gap, "f(x̄) − f*"),
                      field("test_accuracy", &M::test_accuracy, "test accuracy of x̄ (digits)")};
  }
};
struct FedauPattern {
  std::vector<FedauCell> methods;
  static constexpr auto fields() { return std::tuple{metric_cells("method", kMethods, &FedauPattern::methods)}; }
};
struct FedauState {
  double state_bytes = kNotMeasured;
  static constexpr auto fields() { return std::tuple{field("state_bytes", &FedauState::state_bytes, "the aggregator's state, bytes")}; }
};
struct FedauMetrics {
  double weights_error = kNotMeasured, weights_k_error = kNotMeasured, reference_distance = kNotMeasured;
  std::vector<FedauPattern> patterns;
  std::vector<FedauState> methods;
  static constexpr auto fields() {
    using M = FedauMetrics;
    return std::tuple{
        field("weights_median_relative_error", &M::weights_error, "Bernoulli, FedAU (K = ∞): median |ω̂ₙpₙ − 1|"),
        field("weights_k_median_relative_error", &M::weights_k_error, "Bernoulli, FedAU (K): median relative error against (1 − (1−pₙ)ᴷ)/pₙ"),
        field("reference_distance", &M::reference_distance, "D = ‖x* − x_bias‖"), metric_cells("pattern", kPatterns, &M::patterns),
        metric_cells("method", kMethods, &M::methods)};
  }
};

template <class P>
FedauMetrics run_problem(const FedauSpec& s, const Federation<P>& fed, SuiteOutput& output) {
  const std::filesystem::path& dir = output.dir;
  const std::size_t N = fed.clients.size();
  const Eigen::Index d = fed.clients.front().dim();
  auto optimum = [&](const std::vector<double>& w) {
    const cf::WeightedObjective<P> f(fed.clients, w);
    VecX<double> x = VecX<double>::Zero(d);
    optim::ceres_lbfgs(f, x);
    return x;
  };
  std::vector<double> weights_K;
  for (double p : fed.p) weights_K.push_back(1 - std::pow(1 - p, static_cast<double>(s.cutoff)));
  const VecX<double> x_star = optimum(std::vector<double>(N, 1.0)), x_bias = optimum(fed.p), x_K = optimum(weights_K);
  const double D = (x_star - x_bias).norm();
  const cf::WeightedObjective<P> f_all(fed.clients, std::vector<double>(N, 1.0));
  const double f_star = f_all.value(x_star);

  struct Job {
    std::size_t pattern, method;
    long long seed;
  };
  std::vector<Job> jobs;
  for (std::size_t a = 0; a < s.patterns.size(); ++a)
    for (std::size_t m = 0; m < s.methods.size(); ++m)
      for (long long k = 0; k < s.seeds; ++k) jobs.push_back({a, m, k});
  std::vector<RunOut> out(jobs.size());
  const optim::Sgd<double> sgd;
  // Runs in parallel, one thread each (the backend's loop over clients is then serial): the
  // clients' work per round is too small to share among threads.
  parallel_runs(jobs.size(), output.progress, [&](std::size_t j) {
    const Job& job = jobs[j];
    const std::string& method = s.methods[job.method];
    const auto seed = static_cast<std::uint64_t>(1000 * (job.seed + 1) + 7 * job.pattern);
    cf::Participation part(fed.p, {.kind = cf::participation_kind(s.patterns[job.pattern]), .markov_a = s.markov_a, .period = s.period, .seed = seed});
    cf::Aggregator agg(cf::aggregator_kind(method == "fedau_k" ? "fedau" : method), N, d, fed.p, method == "fedau_k" ? s.cutoff : cf::IntervalWeightEstimator::kNoCutoff);
    cf::InProcessBackend backend(d);
    cf::ServerState st{.x = VecX<double>::Zero(d)};
    RunOut& r = out[j];
    cf::run_server(fed.clients, sgd, s.local, part, agg, {.rounds = s.rounds, .global_lr = s.global_lr, .eval_every = s.eval_every, .seed = seed},
                   backend, st, {.on_round = [&](long long t, const VecX<double>& x, const std::vector<char>&) {
                     if ((t + 1) % s.eval_every == 0) {
                       r.rounds.push_back(t + 1);
                       r.dist_star.push_back((x - x_star).norm());
                     }
                   }});
    r.tail = st.tail_average();
    r.objective.push_back(f_all.value(r.tail) - f_star);
    r.state_bytes = agg.state_bytes();
    r.weights.resize(static_cast<Eigen::Index>(N));
    for (std::size_t n = 0; n < N; ++n) r.weights[static_cast<Eigen::Index>(n)] = agg.weight(n);
    if (const auto accuracy = test_accuracy(fed)) r.test_accuracy = accuracy(r.tail);
  });

  FedauMetrics metrics = make_metrics<FedauMetrics>();
  std::ostringstream csv, traj;
  csv << "pattern,method,seed,dist_to_x_star,dist_to_x_bias,dist_to_x_K,objective_gap,test_accuracy,state_bytes\n";
  traj << "pattern,method,seed,round,dist_to_x_star\n";
  std::ostringstream md;
  md << fmt::format("{} clients, d = {}, {} rounds, I = {} local steps of SGD (batch {}, lr {}), η = {}, μ = {}; {} seeds per cell. "
                    "D = ‖x* − x_bias‖ = {:.4g} (x* minimizes (1/N)ΣFₙ, x_bias minimizes ΣpₙFₙ; both by Ceres L-BFGS); x_K minimizes "
                    "Σ(1 − (1 − pₙ)ᴷ)Fₙ, K = {} (‖x_K − x*‖ = {:.3g}·D). Distances of the tail average (rounds > T/2), relative to D, means over seeds.\n\n",
                    N, d, s.rounds, s.local.steps, s.local.batch == 0 ? std::string("full") : std::to_string(s.local.batch), s.local.lr, s.global_lr, s.mu,
                    s.seeds, D, s.cutoff, (x_K - x_star).norm() / D);
  md << "| pattern | method | ‖x̄ − x*‖/D | ‖x̄ − x_bias‖/D | ‖x̄ − x_K‖/D | f(x̄) − f* |" << (fed.test ? " test accuracy |" : "")
     << " state bytes |\n|---|---|---|---|---|---|" << (fed.test ? "---|" : "") << "---|\n";
  for (std::size_t a = 0; a < s.patterns.size(); ++a) {
    for (std::size_t m = 0; m < s.methods.size(); ++m) {
      std::vector<double> ds, db, dk, gap, acc;
      std::size_t bytes = 0;
      for (std::size_t jj = 0; jj < jobs.size(); ++jj) {
        if (jobs[jj].pattern != a || jobs[jj].method != m) continue;
        const auto& r = out[jj];
        ds.push_back((r.tail - x_star).norm() / D);
        db.push_back((r.tail - x_bias).norm() / D);
        dk.push_back((r.tail - x_K).norm() / D);
        gap.push_back(r.objective.back());
        acc.push_back(r.test_accuracy);
        bytes = r.state_bytes;
        csv << s.patterns[a] << "," << s.methods[m] << "," << jobs[jj].seed << ","
            << fmt::format("{:.8g},{:.8g},{:.8g},{:.8g},{:.6g},{}", ds.back() * D, db.back() * D, dk.back() * D, gap.back(), r.test_accuracy, bytes) << "\n";
        for (std::size_t q = 0; q < r.rounds.size(); ++q)
          traj << s.patterns[a] << "," << s.methods[m] << "," << jobs[jj].seed << "," << r.rounds[q] << "," << fmt::format("{:.8g}", r.dist_star[q]) << "\n";
      }
      FedauCell& cell = metrics.patterns[cell_index(kPatterns, s.patterns[a])].methods[cell_index(kMethods, s.methods[m])];
      cell.dist_star = mean(ds);
      cell.dist_bias = mean(db);
      cell.dist_k = mean(dk);
      cell.objective_gap = mean(gap);
      if (fed.test) cell.test_accuracy = mean(acc);
      metrics.methods[cell_index(kMethods, s.methods[m])].state_bytes = static_cast<double>(bytes);
      md << fmt::format("| {} | {} | {:.4f} | {:.4f} | {:.4f} | {:.3g} |", s.patterns[a], s.methods[m], mean(ds), mean(db), mean(dk), mean(gap))
         << (fed.test ? fmt::format(" {:.4f} |", mean(acc)) : "") << fmt::format(" {} |\n", bytes);
    }
  }
  write_atomic(dir / "runs.csv", csv.str());
  write_atomic(dir / "trajectories.csv", traj.str());
  // Estimated weights against 1/pₙ (Bernoulli, first seed), for FedAU with K = ∞ and with K.
  std::ostringstream wcsv;
  wcsv << "client,p,inverse_p,cutoff_target,fedau_weight,fedau_k_weight\n";
  std::vector<double> rel_inf, rel_k;
  const auto find = [&](const std::string& pattern, const std::string& method) -> const RunOut* {
    for (std::size_t jj = 0; jj < jobs.size(); ++jj)
      if (s.patterns[jobs[jj].pattern] == pattern && s.methods[jobs[jj].method] == method && jobs[jj].seed == 0) return &out[jj];
    return nullptr;
  };
  const RunOut* wi = find("bernoulli", "fedau");
  const RunOut* wk = find("bernoulli", "fedau_k");
  if (wi && wk) {
    for (std::size_t n = 0; n < N; ++n) {
      const double p = fed.p[n], target_k = cf::expected_weight(p, s.cutoff);
      const double a = wi->weights[static_cast<Eigen::Index>(n)], b = wk->weights[static_cast<Eigen::Index>(n)];
      wcsv << n << "," << fmt::format("{:.6g},{:.6g},{:.6g},{:.6g},{:.6g}", p, 1 / p, target_k, a, b) << "\n";
      rel_inf.push_back(std::abs(a * p - 1));
      rel_k.push_back(std::abs(b / target_k - 1));
    }
    metrics.weights_error = median(rel_inf);
    metrics.weights_k_error = median(rel_k);
    md << fmt::format("\nEstimated weights after {} rounds (Bernoulli, FedAU): median |ω̂ₙpₙ − 1| = {:.3f} (K = ∞); median |ω̂ₙ/((1 − (1−pₙ)ᴷ)/pₙ) − 1| = {:.3f} (K = {}).\n",
                      s.rounds, median(rel_inf), median(rel_k), s.cutoff);
  }
  write_atomic(dir / "weights.csv", wcsv.str());
  for (const auto& pattern : s.patterns) {
    std::ostringstream gp;
    gp << "set title 'Distance to x* over rounds (" << pattern << " participation, seed 0)' noenhanced\nset xlabel 'round'\nset ylabel '||x_t - x*||'\n"
       << "set logscale y\nset grid\nset key outside right\nset datafile separator ','\nset datafile columnheaders\nplot ";
    for (std::size_t m = 0; m < s.methods.size(); ++m)
      gp << (m ? ", " : "") << gnuplot_quote((dir / "trajectories.csv").string()) << " using 4:((strcol(1) eq '" << pattern << "' && strcol(2) eq '"
         << s.methods[m] << "' && $3 == 0) ? $5 : 1/0) with lines lw 2 title '" << s.methods[m] << "' noenhanced";
    gp << "\n";
    output.plot("distance_" + pattern + ".png", gp.str());
  }
  if (wi && wk) {
    std::ostringstream gp;
    gp << "set title 'FedAU weights against 1/p_n (Bernoulli, seed 0)' noenhanced\nset xlabel '1/p_n'\nset ylabel 'estimated weight'\n"
       << "set logscale xy\nset grid\nset key top left\nset datafile separator ','\nset datafile columnheaders\n"
       << "plot " << gnuplot_quote((dir / "weights.csv").string()) << " using 3:5 with points pt 7 title 'K = inf', '' using 3:6 with points pt 6 title 'K = "
       << s.cutoff << "', x with lines dt 2 title 'y = 1/p', '' using 3:4 smooth unique with lines lw 1 title '(1-(1-p)^K)/p'\n";
    output.plot("weights.png", gp.str());
  }
  metrics.reference_distance = D;
  output.details_markdown = md.str();
  return metrics;
}

FedauMetrics run_fedau(const FedauSpec& s, SuiteOutput& out) {
  const FederationData data{.clients = s.clients, .mu = s.mu, .test_fraction = s.test_fraction, .data_seed = s.data_seed, .data = s.data};
  if (s.problem == "digits") return run_problem(s, digits_federation(data), out);
  return run_problem(s, spec_federation(data), out);
}

}  // namespace

SuiteRunner fedau_suite() { return suite_runner("fedau", "fedau", read_fedau, run_fedau); }

}  // namespace convlab::experiments
