#include "network_fedau_suite.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <convlab/federated/aggregators.hpp>
#include <convlab/federated/participation.hpp>
#include <convlab/federated/server.hpp>
#include <convlab/optim/sgd.hpp>
#include <fmt/format.h>

#include "federations.hpp"
#include "network_model.hpp"
#include "plots.hpp"
#include "run_folder.hpp"
#include "statistics.hpp"
#include "table_reader.hpp"

namespace convlab::experiments {
namespace {

namespace cf = convlab::federated;

const std::vector<std::string> kPatterns{"bernoulli", "markov", "cyclic"};
const std::vector<std::string> kMethods{"fedau", "known_prob", "average_participating", "average_all", "mifa", "fedvarp"};
// The comparisons the claims read: FedAU minus each baseline, paired by seed.
const std::vector<std::string> kBaselines{"known_prob", "average_participating", "average_all", "mifa", "fedvarp"};

struct NetworkFedauSpec {
  FederationData data;
  long long rounds = 300, eval_every = 50, period = 100;
  double markov_a = 0.05, global_lr = 1;
  cf::LocalTraining local{.steps = 5, .batch = 16, .lr = 0.05};
  std::vector<long long> seeds{1, 2, 3, 4, 5};
  std::vector<std::string> patterns{"bernoulli"}, methods{"fedau", "known_prob", "average_participating"};
};

NetworkFedauSpec parse(const toml::table& t, const std::string& file, const std::filesystem::path& base, const Origins& origins) {
  const TableReader r{file, origins};
  const std::string sec = "network_fedau";
  r.only(t, sec, {"data", "hidden", "clients", "alpha", "mean_p", "p_min", "test_fraction", "rounds", "eval_every", "period", "markov_a", "global_lr",
                  "seeds", "patterns", "methods", "local"});
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
  s.rounds = r.integer(t, sec, "rounds", s.rounds, 2);
  s.eval_every = r.integer(t, sec, "eval_every", s.eval_every, 1);
  s.period = r.integer(t, sec, "period", s.period, 2);
  s.markov_a = r.number(t, sec, "markov_a", s.markov_a, [](double v) { return v > 0 && v <= 1; }, "0 < a <= 1");
  s.global_lr = r.number(t, sec, "global_lr", s.global_lr, [](double v) { return v > 0; }, "> 0");
  s.seeds = r.integers(t, sec, "seeds", s.seeds, 0, 1000000000);
  s.patterns = r.strings(t, sec, "patterns", s.patterns, kPatterns);
  s.methods = r.strings(t, sec, "methods", s.methods, kMethods);
  if (std::find(s.methods.begin(), s.methods.end(), "fedau") == s.methods.end())
    r.fail(*t.get("methods"), sec, "methods", "must include \"fedau\" (the comparisons are FedAU against the others)");
  if (const toml::table* l = t.get_as<toml::table>("local")) {
    r.only(*l, "network_fedau.local", {"steps", "batch", "lr"});
    s.local.steps = r.integer(*l, "network_fedau.local", "steps", s.local.steps, 1);
    s.local.batch = r.integer(*l, "network_fedau.local", "batch", s.local.batch, 0);
    s.local.lr = r.number(*l, "network_fedau.local", "lr", s.local.lr, [](double v) { return v > 0; }, "> 0");
  }
  return s;
}

struct RunOut {
  double test_accuracy = 0, test_loss = 0;
  bool diverged = false;
  std::vector<cf::EvalRecord> history;
};

}  // namespace

const std::vector<std::string>& network_fedau_metrics() {
  static const std::vector<std::string> m = [] {
    std::vector<std::string> out{"parameters"};
    for (const auto& p : kPatterns) {
      for (const auto& meth : kMethods)
        for (const char* k : {"test_accuracy", "test_loss"}) out.push_back(p + "_" + meth + "_" + k);
      for (const auto& b : kBaselines)
        for (const char* k : {"accuracy_gain", "accuracy_gain_ci_low", "accuracy_gain_ci_high", "loss_reduction", "loss_reduction_ci_low"})
          out.push_back(p + "_fedau_vs_" + b + "_" + k);
    }
    return out;
  }();
  return m;
}

void validate_network_fedau(const toml::table& t, const std::string& file, const std::filesystem::path& base_dir, const Origins& origins) {
  (void)parse(t, file, base_dir, origins);
}

nlohmann::json run_network_fedau(const toml::table& t, const std::string& file, const std::filesystem::path& base_dir,
                                 const std::filesystem::path& dir, const std::string& figure_prefix,
                                 const std::function<void(std::size_t, std::size_t)>& progress) {
  const NetworkFedauSpec s = parse(t, file, base_dir, {});
  std::filesystem::create_directories(dir);
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
        if (progress) progress(++done, out.size());
      }
    }
  }

  nlohmann::json j;
  j["parameters"] = static_cast<double>(parameters);
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
    for (std::size_t m = 0; m < M; ++m) {
      const std::string key = s.patterns[a] + "_" + s.methods[m];
      const auto acc = column(m, &RunOut::test_accuracy), loss = column(m, &RunOut::test_loss);
      const double acc_mean = mean_ci(acc).mean, loss_mean = mean_ci(loss).mean;
      j[key + "_test_accuracy"] = acc_mean;
      j[key + "_test_loss"] = loss_mean;
      std::string gain_cell = "—", loss_cell = "—";
      if (m != fedau) {
        const auto fa = column(fedau, &RunOut::test_accuracy), fl = column(fedau, &RunOut::test_loss);
        std::vector<double> gain, reduction;
        for (std::size_t k = 0; k < S; ++k) gain.push_back(fa[k] - acc[k]), reduction.push_back(loss[k] - fl[k]);
        const MeanInterval g = mean_ci(gain), l = mean_ci(reduction);
        const std::string vs = s.patterns[a] + "_fedau_vs_" + s.methods[m] + "_";
        j[vs + "accuracy_gain"] = g.mean, j[vs + "accuracy_gain_ci_low"] = g.lo, j[vs + "accuracy_gain_ci_high"] = g.hi;
        j[vs + "loss_reduction"] = l.mean, j[vs + "loss_reduction_ci_low"] = l.lo;
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
  std::vector<std::string> figures;
  std::string plot_error;
  for (const auto& pattern : s.patterns) {
    std::ostringstream gp;
    gp << "set title 'Test accuracy over rounds (" << pattern << " participation, seed " << s.seeds.front()
       << ")' noenhanced\nset xlabel 'round'\nset ylabel 'test accuracy'\nset grid\nset key bottom right\nset datafile separator ','\n"
       << "set datafile columnheaders\nplot ";
    for (std::size_t m = 0; m < M; ++m)
      gp << (m ? ", " : "") << gnuplot_quote((dir / "curves.csv").string()) << " using 4:((strcol(1) eq '" << pattern << "' && strcol(2) eq '" << s.methods[m]
         << "' && $3 == " << s.seeds.front() << ") ? $6 : 1/0) with linespoints lw 2 title '" << s.methods[m] << "' noenhanced";
    gp << "\n";
    if (run_gnuplot(dir / ("accuracy_" + pattern + ".png"), gp.str(), plot_error)) figures.push_back(figure_prefix + "accuracy_" + pattern + ".png");
  }
  j["details_markdown"] = md.str();
  j["figures"] = figures;
  if (!plot_error.empty()) j["plot_error"] = plot_error;
  j["status"] = "done";
  return j;
}

}  // namespace convlab::experiments
