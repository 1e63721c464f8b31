#include "fit/federated_fit.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include <convlab/federated/server.hpp>
#include <convlab/optim/adamw.hpp>
#include <convlab/optim/callbacks.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/problems/data_io.hpp>
#include <fmt/ranges.h>
#ifdef CONVLAB_EXPERIMENTS_MPI
#include <convlab/federated/mpi_backend.hpp>
#endif

#include "fit/federations.hpp"
#include "cli/mpi_session.hpp"
#include "report/plots.hpp"
#include "fit/run_folder.hpp"
#include "config/variants.hpp"
#include "suites/statistics.hpp"
#include "config/table_reader.hpp"

namespace convlab::experiments {
namespace {

namespace cf = convlab::federated;
namespace fs = std::filesystem;

struct FederatedConfig {
  std::string problem = "spec", participation = "bernoulli", trace, optimizer = "sgd", output_dir = "results";
  std::vector<std::string> methods{"fedau"};  // more than one: each on the same draws, compared
  FederationData data;
  long long rounds = 1000, cutoff = 0, period = 100, eval_every = 10, checkpoint_every = 100, seed = 1;
  double markov_a = 0.05, global_lr = 1, momentum = 0;
  cf::LocalTraining local{.steps = 5, .batch = 16, .lr = 0.05};
};

bool is_data_problem(const std::string& problem) { return problem != "spec" && problem != "digits"; }
bool is_network(const std::string& problem) { return problem == "mlp" || problem == "cnn"; }

// problem = "mlp" | "cnn": the architecture keys of [problem] in a run config (docs/configs.md, "Networks").
NetworkSpec parse_network(const TableReader& r, const toml::table& t, const std::string& sec, const std::string& kind) {
  NetworkSpec n{.kind = kind};
  n.hidden = r.integers(t, sec, "hidden", n.hidden, 1, 65536, true);
  if (const toml::node* c = t.get("channels"); c && kind != "cnn") r.fail(*c, sec, "channels", "applies to problem = \"cnn\" only");
  n.channels = r.integers(t, sec, "channels", n.channels, 1, 65536);
  if (n.channels.size() != 2) r.fail(*t.get("channels"), sec, "channels", "a cnn has two convolutions: give two channel counts");
  n.activation = r.string(t, sec, "activation", n.activation, {"relu", "tanh", "sigmoid", "gelu"});
  n.loss = r.string(t, sec, "loss", n.loss, {"cross_entropy", "squared_error"});
  return n;
}

// The keys of the data problems (least_squares, logistic, multinomial), docs/federated.md.
void parse_data_problem(const TableReader& r, const toml::table& t, const std::string& sec, const fs::path& base, FederationData& d) {
  const std::string data = r.string(t, sec, "data", "");
  d.data = resolve_data_path(data, base);
  if (d.data.empty()) r.fail(*t.get("data"), sec, "data", "file '" + data + "' not found (looked in " + base.string() + " and the current directory)");
  const std::string inferred = problems::data_format_from_name(d.data);
  if (inferred.empty() && !t.get("format"))
    r.fail(*t.get("data"), sec, "data", "cannot tell the format of '" + data + "' from its extension; set format = \"csv\" or \"libsvm\"");
  d.format = r.string(t, sec, "format", inferred.empty() ? "csv" : inferred, {"csv", "libsvm"});
  const auto only_for = [&](const char* key, bool ok, const std::string& why) {
    if (const toml::node* n = t.get(key); n && !ok) r.fail(*n, sec, key, why);
  };
  only_for("response", d.format == "csv", "applies to CSV data only");
  only_for("features", d.format == "csv", "applies to CSV data only");
  only_for("zero_based", d.format == "libsvm", "applies to LIBSVM data only");
  d.response = r.string(t, sec, "response", "y");
  d.features = r.strings(t, sec, "features", {}, {});
  d.zero_based = r.boolean(t, sec, "zero_based", false);
  d.standardize = r.boolean(t, sec, "standardize", false);
  d.intercept = r.boolean(t, sec, "intercept", false);
  d.num_classes = r.integer(t, sec, "num_classes", 0, 0);
  if (const toml::node* n = t.get("test_data")) {
    if (t.get("test_fraction")) r.fail(*n, sec, "test_data", "give either test_data or test_fraction, not both");
    const std::string td = r.string(t, sec, "test_data", "");
    d.test_data = resolve_data_path(td, base);
    if (d.test_data.empty()) r.fail(*n, sec, "test_data", "file '" + td + "' not found");
  }
  d.partition = r.string(t, sec, "partition", "iid", {"iid", "dirichlet", "shards", "column"});
  only_for("alpha", d.partition == "dirichlet", "applies to partition = \"dirichlet\" only");
  only_for("shards_per_client", d.partition == "shards", "applies to partition = \"shards\" only");
  only_for("partition_column", d.partition == "column", "applies to partition = \"column\" only");
  d.alpha = r.number(t, sec, "alpha", d.alpha, [](double v) { return v > 0; }, "> 0");
  d.shards_per_client = r.integer(t, sec, "shards_per_client", d.shards_per_client, 1);
  if (d.partition == "column") {
    if (d.format != "csv") r.fail(*t.get("partition"), sec, "partition", "\"column\" needs CSV data (a column names each row's client)");
    d.partition_column = r.string(t, sec, "partition_column", "");
    only_for("clients", false, "with partition = \"column\" the clients are the column's distinct values; remove clients");
  }
  // Participation rates: exactly one of participation_rate and rates.
  const toml::node* rate = t.get("participation_rate");
  const toml::node* rates = t.get("rates");
  if (rate && rates) r.fail(*rates, sec, "rates", "give either participation_rate or rates, not both");
  const toml::node* process = t.get("participation");
  const bool trace = process && process->value<std::string>() == "trace";  // the trace gives the rates
  if (trace && (rate || rates)) r.fail(rate ? *rate : *rates, sec, rate ? "participation_rate" : "rates", "with participation = \"trace\" the trace gives the rates; remove this key");
  if (!rate && !rates && !trace)
    throw ConfigError(r.where(t) + ": [federated] needs participation_rate (one rate for every client) or rates (one per client, or \"label\")");
  d.participation_rate = r.number(t, sec, "participation_rate", 0, [](double v) { return v > 0 && v <= 1; }, "0 < rate <= 1");
  if (rates && rates->is_string()) {  // "label" or a CSV file
    const std::string v = r.string(t, sec, "rates", "");
    d.label_rates = v == "label";
    if (!d.label_rates) {
      d.rates_file = resolve_data_path(v, base);
      if (d.rates_file.empty()) r.fail(*rates, sec, "rates", "neither \"label\" nor an existing CSV file: '" + v + "' not found");
    }
  } else if (rates) {
    d.rates = r.numbers(t, sec, "rates", [](double v) { return v > 0 && v <= 1; }, "0 < rate <= 1");
  }
  for (const char* key : {"alpha_participation", "mean_p", "p_min"}) only_for(key, d.label_rates, "applies to rates = \"label\" only");
  d.alpha_participation = r.number(t, sec, "alpha_participation", d.alpha_participation, [](double v) { return v > 0; }, "> 0");
  d.mean_p = r.number(t, sec, "mean_p", d.mean_p, [](double v) { return v > 0 && v <= 1; }, "0 < mean_p <= 1");
  d.p_min = r.number(t, sec, "p_min", d.p_min, [](double v) { return v > 0 && v <= 1; }, "0 < p_min <= 1");
}

FederatedConfig parse(const toml::table& root, const std::string& file, const Origins& origins) {
  const TableReader r{file, origins};
  r.only(root, "", {"federated", "output"});
  const toml::table* t = root.get_as<toml::table>("federated");
  const std::string sec = "federated";
  const std::set<std::string> common{"problem", "data", "clients", "rounds", "method", "cutoff", "participation", "trace", "markov_a", "period", "global_lr",
                                     "mu", "test_fraction", "data_seed", "seed", "eval_every", "checkpoint_every", "local"};
  const std::set<std::string> data_keys{"format", "response", "features", "zero_based", "standardize", "intercept", "num_classes", "test_data",
                                        "partition", "alpha", "shards_per_client", "partition_column", "participation_rate", "rates",
                                        "alpha_participation", "mean_p", "p_min"};
  FederatedConfig c;
  const fs::path base = fs::path(file).parent_path();
  c.problem = r.string(*t, sec, "problem", "spec", {"spec", "digits", "least_squares", "logistic", "multinomial", "mlp", "cnn"});
  if (is_data_problem(c.problem)) {
    std::set<std::string> all = common;
    all.insert(data_keys.begin(), data_keys.end());
    if (is_network(c.problem)) {  // biases always, weight decay is the local optimizer's: no mu, no intercept
      all.insert({"hidden", "channels", "activation", "loss"});
      for (const char* key : {"mu", "intercept"})
        if (const toml::node* n = t->get(key)) r.fail(*n, sec, key, "does not apply to a network (its layers have biases; decay is the optimizer's)");
      c.data.network = parse_network(r, *t, sec, c.problem);
    }
    r.only(*t, sec, all);
    parse_data_problem(r, *t, sec, base, c.data);
    const bool classes = c.problem == "multinomial" || (is_network(c.problem) && c.data.network.loss == "cross_entropy");
    if (const toml::node* n = t->get("num_classes"); n && !classes)
      r.fail(*n, sec, "num_classes", "applies to problem = \"multinomial\" and to networks with loss = \"cross_entropy\" only");
  } else {
    for (const auto& key : data_keys)
      if (const toml::node* n = t->get(key))
        r.fail(*n, sec, key, "applies to problem = \"least_squares\", \"logistic\", \"multinomial\", \"mlp\" or \"cnn\" (your data); \"" + c.problem +
                                 "\" is a fixed example (docs/federated-on-your-data.md)");
    r.only(*t, sec, common);
  }
  if (c.problem == "digits") {
    const std::string data = r.string(*t, sec, "data", "");
    c.data.data = resolve_data_path(data, base);
    if (c.data.data.empty()) r.fail(*t->get("data"), sec, "data", "file '" + data + "' not found");
    c.data.clients = 250;
  }
  c.data.clients = r.integer(*t, sec, "clients", c.data.clients, 2);
  c.data.mu = r.number(*t, sec, "mu", c.data.mu, [](double v) { return v >= 0; }, ">= 0");
  c.data.test_fraction = r.number(*t, sec, "test_fraction", c.data.test_fraction, [](double v) { return v > 0 && v < 0.9; }, "0 < f < 0.9");
  c.data.data_seed = r.integer(*t, sec, "data_seed", 1, 0);
  c.rounds = r.integer(*t, sec, "rounds", c.rounds, 1);
  c.methods = r.strings(*t, sec, "method", {"fedau"}, cf::aggregator_names());
  c.cutoff = r.integer(*t, sec, "cutoff", 0, 0);
  c.participation = r.string(*t, sec, "participation", "bernoulli", {"bernoulli", "markov", "cyclic", "trace"});
  if (c.participation == "trace") {
    const std::string tr = r.string(*t, sec, "trace", "");
    c.trace = resolve_data_path(tr, base);
    if (c.trace.empty()) r.fail(*t->get("trace"), sec, "trace", "file '" + tr + "' not found");
  }
  c.markov_a = r.number(*t, sec, "markov_a", c.markov_a, [](double v) { return v > 0 && v <= 1; }, "0 < a <= 1");
  c.period = r.integer(*t, sec, "period", c.period, 2);
  c.global_lr = r.number(*t, sec, "global_lr", c.global_lr, [](double v) { return v > 0; }, "> 0");
  c.seed = r.integer(*t, sec, "seed", 1, 0);
  c.eval_every = r.integer(*t, sec, "eval_every", c.eval_every, 1);
  c.checkpoint_every = r.integer(*t, sec, "checkpoint_every", c.checkpoint_every, 0);
  if (const toml::table* l = t->get_as<toml::table>("local")) {
    const std::string ls = "federated.local";
    r.only(*l, ls, TableReader::declared_keys<cf::LocalTraining>({"optimizer", "momentum"}));
    r.declared(*l, ls, c.local);
    c.optimizer = r.string(*l, ls, "optimizer", "sgd", {"sgd", "adamw"});
    c.momentum = r.number(*l, ls, "momentum", 0.0, [](double v) { return v >= 0 && v < 1; }, "0 <= momentum < 1");
  }
  if (const toml::table* o = root.get_as<toml::table>("output")) {
    r.only(*o, "output", {"dir"});
    c.output_dir = r.string(*o, "output", "dir", "results");
  }
  return c;
}

// A rounds × clients CSV of 0/1 (no header); errors name file:line.
MatX<double> load_trace(const std::string& path, long long clients) {
  const std::string text = problems::detail::read_file(path);
  std::vector<double> values;
  long long rows = 0;
  problems::detail::for_each_line(text, [&](std::size_t lineno, std::string_view line) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    const auto fields = problems::detail::split_csv(line, ',', path, lineno);
    if (static_cast<long long>(fields.size()) != clients)
      throw DataError(path, lineno, "", std::to_string(fields.size()) + " columns; the trace needs one per client (" + std::to_string(clients) + ")");
    for (std::size_t k = 0; k < fields.size(); ++k) {
      const double v = problems::detail::parse_number(fields[k], false, path, lineno, "client " + std::to_string(k));
      if (v != 0 && v != 1) throw DataError(path, lineno, "client " + std::to_string(k), "participation must be 0 or 1, got " + fields[k]);
      values.push_back(v);
    }
    ++rows;
  });
  if (rows == 0) throw DataError(path, 0, "", "no rounds in the trace");
  return Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(values.data(), rows, clients);
}

// Test-only fault injection for the MPI tests: CONVLAB_FAULT="rank:k:kill|throw" makes that rank
// die (SIGKILL) or throw when it starts the k-th round (0-based) this process runs.
template <class Backend>
struct FaultInjecting {
  Backend& inner;
  int rank;
  long long round = 0, fault_round = -1;
  bool fault_kill = false, armed = false;
  FaultInjecting(Backend& b, int r) : inner(b), rank(r) {
    if (const char* f = std::getenv("CONVLAB_FAULT")) {
      int fr = -1;
      long long t = -1;
      char action[16] = {0};
      if (std::sscanf(f, "%d:%lld:%15s", &fr, &t, action) == 3 && fr == rank) {
        armed = true;
        fault_round = t;
        fault_kill = std::string(action) == "kill";
      }
    }
  }
  bool is_root() const { return inner.is_root(); }
  template <class F>
  void local_updates(const std::vector<std::size_t>& participants, F&& compute, MatX<double>& deltas) {
    if (armed && round == fault_round) {
      if (fault_kill) std::raise(SIGKILL);
      throw std::runtime_error("injected fault in round " + std::to_string(round) + " (CONVLAB_FAULT)");
    }
    ++round;
    inner.local_updates(participants, std::forward<F>(compute), deltas);
  }
  template <class F>
  void client_values(std::size_t N, F&& value_of, VecX<double>& values) {
    inner.client_values(N, std::forward<F>(value_of), values);
  }
  void broadcast(VecX<double>& x) { inner.broadcast(x); }
};

// The configured participation process; with a trace, pₙ (used by known_prob) is the client's
// fraction of active rounds (at least one round's worth).
template <class P>
cf::Participation participation(const FederatedConfig& c, const Federation<P>& fed) {
  std::vector<double> p = fed.p;
  MatX<double> trace;
  if (c.participation == "trace") {
    trace = load_trace(c.trace, static_cast<long long>(fed.clients.size()));
    p = cf::trace_probabilities(trace);
  }
  return cf::Participation(p, {.kind = cf::participation_kind(c.participation), .markov_a = c.markov_a, .period = c.period, .seed = static_cast<std::uint64_t>(c.seed)},
                           trace);
}

// What a run reports on its test rows: accuracy for classifiers (also per evaluation round) and
// the mean loss without penalty; for least squares the loss is the per-round metric.
struct TestMetrics {
  std::function<double(const VecX<double>&)> per_round, loss;
  std::string name;  // the metrics.csv column of per_round
};

template <class P>
TestMetrics test_metrics(const Federation<P>& fed) {
  TestMetrics m{test_accuracy(fed), test_loss(fed), "test_accuracy"};
  if (!m.per_round && m.loss) m.per_round = m.loss, m.name = "test_loss";
  return m;
}

// One gnuplot figure into `dir`, recorded in `figures`; a missing gnuplot is noted, not fatal.
void plot(const fs::path& dir, const std::string& name, const std::string& body, std::vector<std::string>& figures, std::string& error) {
  if (run_gnuplot(dir / name, body, error)) figures.push_back(name);
}

std::string curves_plot(const std::string& title, const std::string& ylabel, int column, const std::vector<std::pair<fs::path, std::string>>& runs) {
  std::ostringstream gp;
  gp << "set title " << gnuplot_quote(title) << " noenhanced\nset xlabel 'round'\nset ylabel " << gnuplot_quote(ylabel)
     << " noenhanced\nset grid\nset key bottom right\nset datafile separator ','\nset datafile columnheaders\nplot ";
  for (std::size_t k = 0; k < runs.size(); ++k)
    gp << (k ? ", " : "") << gnuplot_quote(runs[k].first.string()) << " using 1:" << column << " with lines lw 2 title " << gnuplot_quote(runs[k].second)
       << " noenhanced";
  gp << "\n";
  return gp.str();
}

template <class P, class O, class Backend>
int run(const FederatedConfig& c, const std::string& method, const Federation<P>& fed, const O& optimizer, Backend& backend, const fs::path& dir,
        const std::string& config_text, bool root, int ranks, nlohmann::json& summary) {
  const std::size_t N = fed.clients.size();
  const Eigen::Index d = fed.clients.front().dim();
  cf::Participation part = participation(c, fed);
  const std::vector<double>& p = part.probabilities();
  const long long K = c.cutoff == 0 ? cf::IntervalWeightEstimator::kNoCutoff : c.cutoff;
  // Only the root aggregates: the others hold a stateless aggregator (no N·d memory).
  cf::Aggregator agg(root ? cf::aggregator_kind(method) : cf::AggregatorKind::AverageAll, N, d, p, K);
  // A network starts at a seeded draw (at zero its hidden units would stay alike), a linear model at 0.
  cf::ServerState state{.x = VecX<double>::Zero(d)};
  if constexpr (requires { fed.clients.front().initial_parameters(std::uint64_t{}); })
    state.x = fed.clients.front().initial_parameters(static_cast<std::uint64_t>(c.seed));
  // Resume from the checkpoint of the same config, if one exists (the root reads, all load).
  const auto hash = std::hash<std::string>{}(config_text);
  const fs::path checkpoint = dir / fmt::format("checkpoint-{:016x}.bin", hash);
  std::vector<char> saved;
  if (root && fs::exists(checkpoint)) {
    std::ifstream in(checkpoint, std::ios::binary);
    saved.assign(std::istreambuf_iterator<char>(in), {});
    // An empty file is a checkpoint cut off before its first byte, not the absence of one.
    if (saved.empty()) throw ConfigError(checkpoint.string() + ": the checkpoint is empty (damaged or truncated); delete it to start over");
  }
  if constexpr (requires { backend.inner.broadcast(saved); }) backend.inner.broadcast(saved);
  if (!saved.empty()) {
    cf::ServerState restored;
    try {
      cf::load_checkpoint(saved, restored, part, root ? &agg : nullptr);
    } catch (const convlab::InvalidArgument& e) {  // bad input, exit 2, naming the file
      throw ConfigError(checkpoint.string() + ": " + e.what());
    }
    state = std::move(restored);
    if (root) fmt::print(stderr, "resuming from {} at round {}\n", checkpoint.string(), state.round);
  }
  const TestMetrics tm = test_metrics(fed);
  const auto start = std::chrono::steady_clock::now();
  // Progress on the root: a bar on a terminal, a line every 10 s in a log (docs/federated.md).
  optim::ProgressBar progress{.total = c.rounds, .unit = "round"};
  const auto on_round = [&](long long t, const VecX<double>&, const std::vector<char>&) {
    progress.iteration({.iteration = t + 1,
                        .seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                        .value = state.history.empty() ? std::numeric_limits<double>::quiet_NaN() : state.history.back().objective,
                        .grad_norm = std::numeric_limits<double>::quiet_NaN()});
  };
  cf::run_server(
      fed.clients, optimizer, c.local, part, agg,
      {.rounds = c.rounds, .global_lr = c.global_lr, .eval_every = c.eval_every, .checkpoint_every = c.checkpoint_every,
       .seed = static_cast<std::uint64_t>(c.seed)},
      backend, state,
      {.test_metric = tm.per_round, .record_weights = method == "fedau", .on_round = on_round,
       .on_checkpoint = [&](const std::vector<char>& bytes) { write_atomic(checkpoint, std::string(bytes.begin(), bytes.end())); }});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.end({});
  const int code = state.diverged ? 1 : 0;  // every rank saw the same broadcast model
  if (!root) return code;
  std::ostringstream csv, wcsv;
  csv << "round,objective,participants," << tm.name << "\n";
  wcsv << "round,client,weight\n";
  for (const auto& h : state.history) {
    csv << h.round << "," << fmt::format("{:.17g}", h.objective) << "," << h.participants << "," << fmt::format("{:.6g}", h.test_metric) << "\n";
    for (std::size_t n = 0; n < h.weights.size(); ++n) wcsv << h.round << "," << n << "," << fmt::format("{:.10g}", h.weights[n]) << "\n";
  }
  write_atomic(dir / "metrics.csv", csv.str());
  if (method == "fedau") write_atomic(dir / "weights.csv", wcsv.str());
  std::ostringstream xs;  // the model, one exact value per line (compare runs with cmp)
  for (Eigen::Index i = 0; i < state.x.size(); ++i) xs << fmt::format("{:.17g}\n", state.x[i]);
  write_atomic(dir / "x.csv", xs.str());
  nlohmann::json& j = summary;
  j["status"] = state.diverged ? "non_finite" : "completed";
  j["message"] = state.diverged ? state.message : fmt::format("completed {} rounds", state.round);
  j["method"] = method;
  j["participation"] = c.participation;
  j["clients"] = N;
  j["dim"] = d;
  j["rounds"] = state.round;
  j["ranks"] = ranks;
  j["seconds_this_session"] = seconds;
  j["final_objective"] = state.history.empty() ? 0.0 : state.history.back().objective;
  if (tm.per_round && !state.history.empty()) {
    // Best over the evaluated rounds: highest accuracy, or lowest test loss.
    const bool higher = tm.name == "test_accuracy";
    const cf::EvalRecord* best = nullptr;
    for (const auto& h : state.history)
      if (std::isfinite(h.test_metric) && (!best || (higher ? h.test_metric > best->test_metric : h.test_metric < best->test_metric))) best = &h;
    j["final_" + tm.name] = state.history.back().test_metric;
    if (best) j["best_" + tm.name] = best->test_metric, j["best_round"] = best->round;
  }
  if (tm.loss) j["final_test_loss"] = tm.loss(state.x);
  j["aggregator_state_bytes"] = agg.state_bytes();
  j["x"] = std::vector<double>(state.x.data(), state.x.data() + state.x.size());
  if (!fed.model.problem.empty()) j["model"] = model_json(fed.model);  // convlab predict applies x (docs/predict.md)
  const VecX<double> tail = state.tail_average();
  j["x_tail_average"] = std::vector<double>(tail.data(), tail.data() + tail.size());
  std::vector<double> w(N);
  for (std::size_t n = 0; n < N; ++n) w[n] = agg.weight(n);
  j["estimated_weights"] = w;
  j["probabilities"] = p;
  std::vector<std::string> figures;
  std::string plot_error;
  if (method == "fedau" && c.participation != "trace") {  // pₙ known: the weights against their target
    std::ostringstream fw;
    fw << "client,p,target,weight\n";
    std::vector<double> rel(N);
    double lo = std::numeric_limits<double>::infinity(), hi = 0;  // one range for both axes, so y = x is the diagonal
    for (std::size_t n = 0; n < N; ++n) {
      const double target = cf::expected_weight(p[n], K);  // 1/pₙ, or the cutoff's (1 − (1 − pₙ)ᴷ)/pₙ
      lo = std::min({lo, target, w[n] > 0 ? w[n] : target}), hi = std::max({hi, target, w[n]});
      rel[n] = std::abs(w[n] / target - 1);
      fw << n << "," << fmt::format("{:.10g},{:.10g},{:.10g}", p[n], target, w[n]) << "\n";
    }
    write_atomic(dir / "final_weights.csv", fw.str());
    j["weights_target"] = c.cutoff == 0 ? "1/p" : fmt::format("(1 - (1 - p)^{0})/p (cutoff {0})", c.cutoff);
    j["weights_median_relative_error"] = median(rel);
    j["weights_max_relative_error"] = *std::max_element(rel.begin(), rel.end());
    std::ostringstream gp;
    gp << "set title 'FedAU weights against their target after " << state.round << " rounds' noenhanced\nset xlabel 'target "
       << j["weights_target"].get<std::string>() << "' noenhanced\nset ylabel 'estimated weight'\nset logscale xy\nset grid\nset key top left\n"
       << fmt::format("set xrange [{0}:{1}]\nset yrange [{0}:{1}]\n", lo / 1.5, hi * 1.5)
       << "set datafile separator ','\nset datafile columnheaders\nplot " << gnuplot_quote((dir / "final_weights.csv").string())
       << " using 3:4 with points pt 7 title 'clients', x with lines dt 2 title 'y = target'\n";
    plot(dir, "weights.png", gp.str(), figures, plot_error);
  }
  const std::vector<std::pair<fs::path, std::string>> self{{dir / "metrics.csv", method}};
  plot(dir, "objective.png", curves_plot("Objective over rounds", "f(x)", 2, self), figures, plot_error);
  if (tm.per_round) plot(dir, tm.name + ".png", curves_plot(tm.name + " over rounds", tm.name, 4, self), figures, plot_error);
  j["figures"] = figures;
  if (!plot_error.empty()) j["plot_error"] = plot_error;
  write_summary(dir / "summary.json", j);
  write_atomic(dir / "config.toml", config_text);
  if (state.diverged) fmt::print(stderr, "convlab: the run diverged: {}\n", state.message);
  std::string test;
  if (j.contains("final_" + tm.name)) test = fmt::format("; {} {:.4g}", tm.name, j["final_" + tm.name].template get<double>());
  fmt::print("{} over {} clients, {} participation, {} rounds on {} rank{}: f(x) = {:.10g}{}; state {} bytes; {:.2f} s\nrun folder: {}\n", method, N,
             c.participation, state.round, ranks, ranks == 1 ? "" : "s", j["final_objective"].get<double>(), test, agg.state_bytes(), seconds,
             dir.string());
  return code;
}

// The federation's client sizes, ids, rates and label histograms (clients.csv).
template <class P>
void write_clients(const fs::path& path, const Federation<P>& fed) {
  std::ostringstream out;
  out << "client" << (fed.client_ids.empty() ? "" : ",id") << ",rows,probability";
  for (Eigen::Index l = 0; l < fed.label_histogram.cols(); ++l) out << ",label_" << l;
  out << "\n";
  for (std::size_t n = 0; n < fed.clients.size(); ++n) {
    out << n;
    if (!fed.client_ids.empty()) out << "," << fmt::format("{:.17g}", fed.client_ids[n]);
    out << "," << fed.clients[n].num_samples() << "," << fmt::format("{:.10g}", fed.p.empty() ? 0.0 : fed.p[n]);
    for (Eigen::Index l = 0; l < fed.label_histogram.cols(); ++l) out << "," << fed.label_histogram(static_cast<Eigen::Index>(n), l);
    out << "\n";
  }
  write_atomic(path, out.str());
}

template <class P>
int run_with_optimizer(const FederatedConfig& c, const Federation<P>& fed, const fs::path& dir, const std::string& text) {
  const Eigen::Index d = fed.clients.front().dim();
  const bool compare = c.methods.size() > 1;
  bool root = true;
  std::vector<nlohmann::json> summaries;
  int code = 0;
  auto go = [&](const auto& opt) {
    for (const auto& method : c.methods) {  // every method on the same partition and participation draws (one seed)
      const fs::path run_dir = compare ? dir / method : dir;
      nlohmann::json j;
#ifdef CONVLAB_EXPERIMENTS_MPI
      if (mpi_session::active()) {
        cf::MpiBackend mpi(MPI_COMM_WORLD, fed.clients.size(), d);
        FaultInjecting<cf::MpiBackend> backend(mpi, mpi.rank());
        root = mpi.is_root();
        code = std::max(code, run(c, method, fed, opt, backend, run_dir, text, root, mpi.size(), j));
        summaries.push_back(std::move(j));
        continue;
      }
#endif
      cf::InProcessBackend in(d);
      FaultInjecting<cf::InProcessBackend> backend(in, 0);
      code = std::max(code, run(c, method, fed, opt, backend, run_dir, text, true, 1, j));
      summaries.push_back(std::move(j));
    }
  };
  if (c.optimizer == "adamw") go(optim::AdamW<double>(optim::AdamWOptions{.weight_decay = 0}));
  else go(optim::Sgd<double>({.momentum = c.momentum}));
  if (!root) return code;
  if constexpr (requires { fed.clients.front().num_samples(); }) write_clients(dir / "clients.csv", fed);
  if (!compare) return code;
  // One table and one figure over the methods.
  std::ostringstream table;
  const std::vector<std::string> columns{"status", "final_objective", "final_test_accuracy", "best_test_accuracy", "final_test_loss",
                                         "weights_median_relative_error"};
  table << "method," << fmt::format("{}", fmt::join(columns, ",")) << "\n";
  std::vector<std::pair<fs::path, std::string>> runs;
  for (std::size_t m = 0; m < c.methods.size(); ++m) {
    table << c.methods[m];
    for (const auto& key : columns) {
      const auto& j = summaries[m];
      table << ",";
      if (!j.contains(key)) continue;
      if (j[key].is_string()) table << j[key].get<std::string>();
      else table << fmt::format("{:.10g}", j[key].get<double>());
    }
    table << "\n";
    runs.emplace_back(dir / c.methods[m] / "metrics.csv", c.methods[m]);
  }
  write_atomic(dir / "comparison.csv", table.str());
  std::vector<std::string> figures;
  std::string plot_error;
  const std::string metric = summaries.front().contains("final_test_accuracy") ? "test_accuracy" : summaries.front().contains("final_test_loss") ? "test_loss" : "";
  if (!metric.empty()) plot(dir, "comparison_" + metric + ".png", curves_plot(metric + " over rounds, same draws for every method", metric, 4, runs), figures, plot_error);
  plot(dir, "comparison_objective.png", curves_plot("Objective over rounds, same draws for every method", "f(x)", 2, runs), figures, plot_error);
  fmt::print("{} methods on the same draws: {}\n", c.methods.size(), (dir / "comparison.csv").string());
  return code;
}

// Builds the configured federation and calls fn(federation).
template <class Fn>
int with_federation(const FederatedConfig& c, Fn&& fn) {
  if (c.problem == "digits") return fn(digits_federation(c.data));
  if (c.problem == "spec") return fn(spec_federation(c.data));
  if (c.problem == "least_squares") return fn(data_federation<problems::LeastSquares<double>>(c.data));
  if (c.problem == "logistic") return fn(data_federation<problems::Logistic<double>>(c.data));
  if (c.problem == "multinomial") return fn(data_federation<problems::Multinomial<double>>(c.data));
#ifdef CONVLAB_EXPERIMENTS_TORCH
  return fn(data_federation<NetworkProblem>(c.data));
#else
  throw ConfigError("[federated] problem = \"" + c.problem + "\" needs LibTorch, and this convlab was built without it "
                    "(install libtorch-dev and configure with CONVLAB_WITH_TORCH=ON)");
#endif
}

}  // namespace

bool is_federated_config(const toml::table& root) { return root.get("federated") != nullptr; }

namespace {
// A federated config's variants ([[sweep]] and --set, variants.hpp), each parsed, with the
// resolved TOML saved beside its run.
struct FederatedVariant {
  Variant variant;  // settings and folder (its RunConfig unused)
  FederatedConfig config;
  std::string text;
};

std::vector<FederatedVariant> load_variants(const std::string& path, const Overrides& overrides) {
  std::vector<FederatedVariant> out;
  for_each_variant(path, overrides, [&](const std::vector<Setting>& settings, const std::string& folder, const toml::table& root,
                                        const Origins& origins) {
    // Parsed before the aggregate is built: with GCC 12, a throw from inside the nested braced
    // initializer segfaulted while unwinding the half-built Variant (a bad value in a sweep).
    FederatedConfig config = parse(root, path, origins);
    std::ostringstream text;
    text << root;
    out.push_back({{settings, folder, {}}, std::move(config), text.str()});
  });
  return out;
}

// Errors found while building the federation name the config (DataError names its data file).
template <class F>
int naming_config(const std::string& path, F&& f) {
  const auto named = [&](const std::string& what) { return what.rfind(path, 0) == 0 ? what : path + ": " + what; };
  try {
    return f();
  } catch (const ConfigError& e) {
    throw ConfigError(named(e.what()));
  } catch (const convlab::InvalidArgument& e) {
    throw ConfigError(named(e.what()));
  }
}

// Everything a run checks before its first round: the data, the partition, the rates, the
// trace. Returns the number of clients.
std::size_t check_variant(const std::string& path, const FederatedConfig& c) {
  return static_cast<std::size_t>(naming_config(path, [&] {
    return with_federation(c, [&](const auto& fed) {
      (void)participation(c, fed);
      return static_cast<int>(fed.clients.size());
    });
  }));
}
}  // namespace

int command_federated_validate(const std::string& path, const Overrides& overrides) {
  const auto variants = load_variants(path, overrides);
  for (const auto& v : variants) {
    const FederatedConfig& c = v.config;
    const std::size_t clients = check_variant(path, c);
    fmt::print("{}{}: ok (federated run: {} over {} clients, {} participation)\n", path,
               variants.size() > 1 ? " [" + v.variant.folder + "]" : std::string(), fmt::join(c.methods, ", "), clients, c.participation);
  }
  return 0;
}

int command_federated_fit(const std::string& path, const Overrides& overrides, const std::string& out) {
  const auto variants = load_variants(path, overrides);
  const bool sweep = variants.size() > 1;
  if (sweep)  // every variant's data and settings are checked before the first round of any
    for (const auto& v : variants) (void)check_variant(path, v.config);
  const bool root = mpi_session::rank() == 0;
  const fs::path parent = fs::path(out.empty() ? variants.front().config.output_dir : out) / fs::path(path).stem();
  int code = 0;
  std::vector<Variant> rows;  // sweep.csv: one row per variant and method
  std::vector<nlohmann::json> summaries;
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const auto& [variant, c, text] = variants[i];
    if (root && sweep) fmt::print("[{}/{}] {}\n", i + 1, variants.size(), variant.folder);
    const fs::path dir = parent / variant.folder;
    {
      // Rank 0 writes the folder (checkpoints during the run, results at the end) and holds its
      // lock for the whole run: a second writer waits, and a folder never mixes two runs.
      std::optional<RunFolderLock> lock;
      if (root) lock.emplace(dir);
      code = std::max(code, naming_config(path, [&] {
        return with_federation(c, [&](const auto& fed) { return run_with_optimizer(c, fed, dir, text); });
      }));
    }
    if (root && sweep)
      for (const auto& method : c.methods) {
        const bool compare = c.methods.size() > 1;
        rows.push_back({variant.settings, compare ? variant.folder + "/" + method : variant.folder, {}});
        summaries.push_back(read_summary((compare ? dir / method : dir) / "summary.json"));
      }
  }
  if (root && sweep) {
    write_atomic(parent / "sweep.csv", sweep_table(rows, summaries,
                                                   {"method", "status", "rounds", "final_objective", "final_test_accuracy",
                                                    "final_test_loss", "seconds_this_session"}));
    fmt::print("sweep table: {}\n", (parent / "sweep.csv").string());
  }
  return code;
}

}  // namespace convlab::experiments
