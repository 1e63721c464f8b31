#include "suites/network_fedau_suite.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <convlab/federated/aggregators.hpp>
#include <convlab/federated/participation.hpp>
#include <convlab/federated/server.hpp>
#include <convlab/optim/sgd.hpp>
#include <fmt/format.h>

#include "fit/federations.hpp"
#include "fit/network_model.hpp"
#include "report/plots.hpp"
#include "fit/run_folder.hpp"
#include "suites/statistics.hpp"
#include "suites/suite.hpp"
#include "config/table_reader.hpp"

namespace convlab::experiments {
namespace {

namespace cf = convlab::federated;

const std::vector<std::string> kPatterns{"bernoulli", "markov", "cyclic"};
const std::vector<std::string> kMethods{"fedau", "known_prob", "average_participating", "average_all", "mifa", "fedvarp"};
// The comparisons the claims read: FedAU minus each baseline, paired by seed.
const std::vector<std::string> kBaselines{"known_prob", "average_participating", "average_all", "mifa", "fedvarp"};
const std::vector<std::string> kComparisons = [] {
  std::vector<std::string> out;
  for (const auto& b : kBaselines) out.push_back("fedau_vs_" + b);
  return out;
}();

struct NetworkFedauSpec {
  FederationData data;
  long long rounds = 300, eval_every = 50, period = 100;
  double markov_a = 0.05, global_lr = 1;
  cf::LocalTraining local{.steps = 5, .batch = 16, .lr = 0.05};
  std::vector<long long> seeds{1, 2, 3, 4, 5};
  std::vector<std::string> patterns{"bernoulli"}, methods{"fedau", "known_prob", "average_participating"};
  static constexpr auto fields() {
    using S = NetworkFedauSpec;
    return std::tuple{
        field("rounds", &S::rounds, ">= 2", [](long long v) { return v >= 2; }, "communication rounds"),
        field("eval_every", &S::eval_every, ">= 1", [](long long v) { return v >= 1; }, "rounds between two evaluations"),
        field("period", &S::period, ">= 2", [](long long v) { return v >= 2; }, "period of the cyclic participation pattern"),
        field("markov_a", &S::markov_a, "0 < a <= 1", [](double v) { return v > 0 && v <= 1; }, "transition probability of the Markov pattern"),
        field("global_lr", &S::global_lr, "> 0", [](double v) { return v > 0; }, "the server's learning rate η")};
  }
};

NetworkFedauSpec read_network_fedau(const toml::table& t, const SuiteInput& in) {
  const TableReader r{in.file, in.origins};
  const std::filesystem::path& base = in.base_dir;
  const std::string sec = "network_fedau";
  r.only(t, sec, TableReader::declared_keys<NetworkFedauSpec>({"data", "hidden", "clients", "alpha", "mean_p", "p_min", "test_fraction", "seeds",
                                                              "patterns", "methods", "local"}));
  NetworkFedauSpec s;
  FederationData& d = s.data;
  const std::string data = r.string(t, sec, "data", "");
  d.data = resolve_data_path(data, base);
  if (d.data.empty()) r.fail(*t.get("data"), sec, "data", "file '" + data + "' not found");
  d.format = "libsvm", d.standardize = true, d.partition = "dirichlet", d.label_rates = true;
  d.network = {.kind = "mlp", .hidden = {128}, .activation = "relu", .loss = "cross_entropy"};
  d.network.hidden = r.integers(t, sec, "hidden", d.network.hidden, 1, 4096, true);
  d.clients = r.integer(t, sec, "clients", 20, 2);
  d.alpha = r.number(t, sec, "alpha", d.alpha, [](double v) { return v > 0; }, "> 0");
  d.mean_p = r.number(t, sec, "mean_p", d.mean_p, [](double v) { return v > 0 && v <= 1; }, "0 < mean_p <= 1");
  d.p_min = r.number(t, sec, "p_min", d.p_min, [](double v) { return v > 0 && v <= 1; }, "0 < p_min <= 1");
  d.test_fraction = r.number(t, sec, "test_fraction", d.test_fraction, [](double v) { return v > 0 && v < 0.9; }, "0 < f < 0.9");
  r.declared(t, sec, s);
  s.seeds = r.integers(t, sec, "seeds", s.seeds, 0, 1000000000);
  s.patterns = r.strings(t, sec, "patterns", s.patterns, kPatterns);
  s.methods = r.strings(t, sec, "methods", s.methods, kMethods);
  if (std::find(s.methods.begin(), s.methods.end(), "fedau") == s.methods.end())
    r.fail(*t.get("methods"), sec, "methods", "must include \"fedau\" (the comparisons are FedAU against the others)");
  if (const toml::table* l = t.get_as<toml::table>("local")) {
    r.only(*l, "network_fedau.local", TableReader::declared_keys<cf::LocalTraining>());
    r.declared(*l, "network_fedau.local", s.local);
  }
  return s;
}

struct RunOut {
  double test_accuracy = 0, test_loss = 0;
  bool diverged = false;
  std::vector<cf::EvalRecord> history;
};

struct MethodCell {
  double test_accuracy = kNotMeasured, test_loss = kNotMeasured;
  static constexpr auto fields() {
    return std::tuple{field("test_accuracy", &MethodCell::test_accuracy, "test accuracy of the final model, mean over seeds"),
                      field("test_loss", &MethodCell::test_loss, "test loss of the final model, mean over seeds")};
  }
};
// FedAU against one baseline, paired by seed, with 95% Student-t intervals.
struct ComparisonCell {
  double gain = kNotMeasured, gain_low = kNotMeasured, gain_high = kNotMeasured, reduction = kNotMeasured, reduction_low = kNotMeasured;
  static constexpr auto fields() {
    using M = ComparisonCell;
    return std::tuple{field("accuracy_gain", &M::gain, "FedAU's test accuracy minus the baseline's"),
                      field("accuracy_gain_ci_low", &M::gain_low, "its interval's lower end"),
                      field("accuracy_gain_ci_high", &M::gain_high, "its interval's upper end"),
                      field("loss_reduction", &M::reduction, "the baseline's test loss minus FedAU's"),
                      field("loss_reduction_ci_low", &M::reduction_low, "its interval's lower end")};
  }
};
struct PatternCell {
  std::vector<MethodCell> methods;
  std::vector<ComparisonCell> comparisons;
  static constexpr auto fields() {
    return std::tuple{metric_cells("method", kMethods, &PatternCell::methods), metric_cells("comparison", kComparisons, &PatternCell::comparisons)};
  }
};
struct NetworkFedauMetrics {
  double parameters = kNotMeasured;
  std::vector<PatternCell> patterns;
  static constexpr auto fields() {
    return std::tuple{field("parameters", &NetworkFedauMetrics::parameters, "parameters of the network"),
                      metric_cells("pattern", kPatterns, &NetworkFedauMetrics::patterns)};
  }
};

NetworkFedauMetrics run_network_fedau(const NetworkFedauSpec& s, SuiteOutput& output) {
  const std::filesystem::path& dir = output.dir;
  const std::size_t P = s.patterns.size(), M = s.methods.size(), S = s.seeds.size();
  // out[(a·M + m)·S + k]: pattern a, method m, seed k. Every seed draws its own split,
  // partition, rates, initial network and participation; the methods of one seed share them.
  std::vector<RunOut> out(P * M * S);
  const optim::Sgd<double> sgd;
  long long parameters = 0, features = 0;
  std::size_t done = 0;
  for (std::size_t k = 0; k < S; ++k) {
    FederationData d = s.data;
    d.data_seed = s.seeds[k];
    const Federation<NetworkProblem> fed = data_federation<NetworkProblem>(d);
    const std::size_t N = fed.clients.size();
    const Eigen::Index dim = fed.clients.front().dim();
    parameters = dim, features = fed.model.features;
    const auto seed = static_cast<std::uint64_t>(s.seeds[k]);
    const VecX<double> start = fed.clients.front().initial_parameters(seed);
    // Sequential runs: the clients' networks are not for concurrent use, and the backend
    // already trains the round's participants in parallel (one client per thread).
    for (std::size_t a = 0; a < P; ++a) {
      for (std::size_t m = 0; m < M; ++m) {
        cf::Participation part(fed.p, {.kind = cf::participation_kind(s.patterns[a]), .markov_a = s.markov_a, .period = s.period, .seed = seed});
        cf::Aggregator agg(cf::aggregator_kind(s.methods[m]), N, dim, fed.p, cf::IntervalWeightEstimator::kNoCutoff);
        cf::InProcessBackend backend(dim);
        cf::ServerState st{.x = start};
        cf::run_server(fed.clients, sgd, s.local, part, agg, {.rounds = s.rounds, .global_lr = s.global_lr, .eval_every = s.eval_every, .seed = seed},
                       backend, st, {.test_metric = test_accuracy(fed)});
        RunOut& r = out[(a * M + m) * S + k];
        r.diverged = st.diverged;
        r.test_accuracy = fed.test->accuracy(st.x);
        r.test_loss = fed.test->value(st.x);
        r.history = std::move(st.history);
        output.progress(++done, out.size());
      }
    }
  }

  NetworkFedauMetrics metrics = make_metrics<NetworkFedauMetrics>();
  metrics.parameters = static_cast<double>(parameters);
  std::ostringstream csv, curves, md;
  csv << "pattern,method,seed,test_accuracy,test_loss,diverged\n";
  curves << "pattern,method,seed,round,train_loss,test_accuracy\n";
  const auto& net = s.data.network;
  md << fmt::format("{} clients over {:.0f}% of the rows (standardized), labels Dirichlet({}), participation rates from the labels (mean {}, floor {}), "
                    "unknown to FedAU; MLP {} → {} → 10 (ReLU, {} parameters, float64), I = {} local SGD steps (batch {}, lr {}), η = {}, {} rounds; "
                    "{} seeds, each its own split, partition, rates, initial network and participation draw. Test metrics of the final model; "
                    "means over seeds, FedAU's gains paired by seed with 95% Student-t intervals.\n\n",
                    s.data.clients, 100 * (1 - s.data.test_fraction), s.data.alpha, s.data.mean_p, s.data.p_min, features, fmt::join(net.hidden, " → "), parameters, s.local.steps, s.local.batch,
                    s.local.lr, s.global_lr, s.rounds, S);
  md << "| pattern | method | test accuracy | test loss | FedAU's accuracy gain [95% CI] | FedAU's loss reduction [95% CI] |\n|---|---|---|---|---|---|\n";
  bool any_diverged = false;
  for (std::size_t a = 0; a < P; ++a) {
    const auto column = [&](std::size_t m, double RunOut::*field) {
      std::vector<double> v;
      for (std::size_t k = 0; k < S; ++k) v.push_back(out[(a * M + m) * S + k].*field);
      return v;
    };
    const std::size_t fedau = static_cast<std::size_t>(std::find(s.methods.begin(), s.methods.end(), "fedau") - s.methods.begin());
    PatternCell& cells = metrics.patterns[cell_index(kPatterns, s.patterns[a])];
    for (std::size_t m = 0; m < M; ++m) {
      const auto acc = column(m, &RunOut::test_accuracy), loss = column(m, &RunOut::test_loss);
      const double acc_mean = mean_ci(acc).mean, loss_mean = mean_ci(loss).mean;
      cells.methods[cell_index(kMethods, s.methods[m])] = {acc_mean, loss_mean};
      std::string gain_cell = "—", loss_cell = "—";
      if (m != fedau) {
        const auto fa = column(fedau, &RunOut::test_accuracy), fl = column(fedau, &RunOut::test_loss);
        std::vector<double> gain, reduction;
        for (std::size_t k = 0; k < S; ++k) gain.push_back(fa[k] - acc[k]), reduction.push_back(loss[k] - fl[k]);
        const MeanInterval g = mean_ci(gain), l = mean_ci(reduction);
        cells.comparisons[cell_index(kBaselines, s.methods[m])] = {g.mean, g.lo, g.hi, l.mean, l.lo};
        gain_cell = fmt::format("{:+.4f} [{:+.4f}, {:+.4f}]", g.mean, g.lo, g.hi);
        loss_cell = fmt::format("{:+.4f} [{:+.4f}, {:+.4f}]", l.mean, l.lo, l.hi);
      }
      md << fmt::format("| {} | {} | {:.4f} | {:.4f} | {} | {} |\n", s.patterns[a], s.methods[m], acc_mean, loss_mean, gain_cell, loss_cell);
      for (std::size_t k = 0; k < S; ++k) {
        const RunOut& r = out[(a * M + m) * S + k];
        any_diverged = any_diverged || r.diverged;
        csv << fmt::format("{},{},{},{:.6g},{:.8g},{}\n", s.patterns[a], s.methods[m], s.seeds[k], r.test_accuracy, r.test_loss, r.diverged ? 1 : 0);
        for (const auto& h : r.history)
          curves << fmt::format("{},{},{},{},{:.8g},{:.6g}\n", s.patterns[a], s.methods[m], s.seeds[k], h.round, h.objective, h.test_metric);
      }
    }
  }
  if (any_diverged) md << "\nSome runs became non-finite and stopped early (runs.csv, column diverged); their last finite model is scored.\n";
  write_atomic(dir / "runs.csv", csv.str());
  write_atomic(dir / "curves.csv", curves.str());
  for (const auto& pattern : s.patterns) {
    std::ostringstream gp;
    gp << "set title 'Test accuracy over rounds (" << pattern << " participation, seed " << s.seeds.front()
       << ")' noenhanced\nset xlabel 'round'\nset ylabel 'test accuracy'\nset grid\nset key bottom right\nset datafile separator ','\n"
       << "set datafile columnheaders\nplot ";
    for (std::size_t m = 0; m < M; ++m)
      gp << (m ? ", " : "") << gnuplot_quote((dir / "curves.csv").string()) << " using 4:((strcol(1) eq '" << pattern << "' && strcol(2) eq '" << s.methods[m]
         << "' && $3 == " << s.seeds.front() << ") ? $6 : 1/0) with linespoints lw 2 title '" << s.methods[m] << "' noenhanced";
    gp << "\n";
    output.plot("accuracy_" + pattern + ".png", gp.str());
  }
  output.details_markdown = md.str();
  return metrics;
}

}  // namespace

SuiteRunner network_fedau_suite() {
  return suite_runner("network_fedau", "network_fedau", read_network_fedau, run_network_fedau);
}

}  // namespace convlab::experiments
