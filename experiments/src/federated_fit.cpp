#include "federated_fit.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <convlab/federated/server.hpp>
#include <convlab/optim/adamw.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/problems/data_io.hpp>
#ifdef CONVLAB_EXPERIMENTS_MPI
#include <convlab/federated/mpi_backend.hpp>
#endif

#include "federations.hpp"
#include "mpi_session.hpp"
#include "run_folder.hpp"
#include "table_reader.hpp"

namespace convlab::experiments {
namespace {

namespace cf = convlab::federated;
namespace fs = std::filesystem;

struct FederatedConfig {
  std::string problem = "spec", method = "fedau", participation = "bernoulli", trace, optimizer = "sgd", output_dir = "results";
  FederationData data;
  long long rounds = 1000, cutoff = 0, period = 100, eval_every = 10, checkpoint_every = 100, seed = 1;
  double markov_a = 0.05, global_lr = 1, momentum = 0;
  cf::LocalTraining local{.steps = 5, .batch = 16, .lr = 0.05};
};

FederatedConfig parse(const toml::table& root, const std::string& file, const Origins& origins) {
  const TableReader r{file, origins};
  r.only(root, "", {"federated", "output"});
  const toml::table* t = root.get_as<toml::table>("federated");
  const std::string sec = "federated";
  r.only(*t, sec, {"problem", "data", "clients", "rounds", "method", "cutoff", "participation", "trace", "markov_a", "period", "global_lr", "mu",
                   "test_fraction", "data_seed", "seed", "eval_every", "checkpoint_every", "local"});
  FederatedConfig c;
  const fs::path base = fs::path(file).parent_path();
  c.problem = r.string(*t, sec, "problem", "spec", {"spec", "digits"});
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
  c.method = r.string(*t, sec, "method", "fedau", {"average_participating", "average_all", "known_prob", "fedau", "mifa", "fedvarp"});
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
    r.only(*l, ls, {"steps", "batch", "lr", "optimizer", "momentum"});
    c.local.steps = r.integer(*l, ls, "steps", c.local.steps, 1);
    c.local.batch = r.integer(*l, ls, "batch", c.local.batch, 0);
    c.local.lr = r.number(*l, ls, "lr", c.local.lr, [](double v) { return v > 0; }, "> 0");
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
    for (std::size_t n = 0; n < p.size(); ++n) p[n] = std::max(1.0 / static_cast<double>(trace.rows()), trace.col(static_cast<Eigen::Index>(n)).mean());
  }
  return cf::Participation(p, {.kind = pattern_kind(c.participation), .markov_a = c.markov_a, .period = c.period, .seed = static_cast<std::uint64_t>(c.seed)},
                           trace);
}

template <class P, class O, class Backend>
int run(const FederatedConfig& c, const Federation<P>& fed, const O& optimizer, Backend& backend, const fs::path& dir, const std::string& config_text,
        bool root, int ranks) {
  const std::size_t N = fed.clients.size();
  const Eigen::Index d = fed.clients.front().dim();
  cf::Participation part = participation(c, fed);
  const std::vector<double>& p = part.probabilities();
  const long long K = c.cutoff == 0 ? cf::IntervalWeightEstimator::kNoCutoff : c.cutoff;
  // Only the root aggregates: the others hold a stateless aggregator (no N·d memory).
  cf::Aggregator agg(root ? method_kind(c.method) : cf::AggregatorKind::AverageAll, N, d, p, K);
  cf::ServerState state{.x = VecX<double>::Zero(d)};
  // Resume from the checkpoint of the same config, if one exists (the root reads, all load).
  const auto hash = std::hash<std::string>{}(config_text);
  const fs::path checkpoint = dir / fmt::format("checkpoint-{:016x}.bin", hash);
  std::vector<char> saved;
  if (root && fs::exists(checkpoint)) {
    std::ifstream in(checkpoint, std::ios::binary);
    saved.assign(std::istreambuf_iterator<char>(in), {});
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
  const auto start = std::chrono::steady_clock::now();
  cf::run_server(
      fed.clients, optimizer, c.local, part, agg,
      {.rounds = c.rounds, .global_lr = c.global_lr, .eval_every = c.eval_every, .checkpoint_every = c.checkpoint_every,
       .seed = static_cast<std::uint64_t>(c.seed)},
      backend, state,
      {.test_metric = test_accuracy(fed), .record_weights = c.method == "fedau",
       .on_checkpoint = [&](const std::vector<char>& bytes) { write_atomic(checkpoint, std::string(bytes.begin(), bytes.end())); }});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int code = state.diverged ? 1 : 0;  // every rank saw the same broadcast model
  if (!root) return code;
  std::ostringstream csv, wcsv;
  csv << "round,objective,participants,test_accuracy\n";
  wcsv << "round,client,weight\n";
  for (const auto& h : state.history) {
    csv << h.round << "," << fmt::format("{:.17g}", h.objective) << "," << h.participants << "," << fmt::format("{:.6g}", h.test_metric) << "\n";
    for (std::size_t n = 0; n < h.weights.size(); ++n) wcsv << h.round << "," << n << "," << fmt::format("{:.10g}", h.weights[n]) << "\n";
  }
  write_atomic(dir / "metrics.csv", csv.str());
  if (c.method == "fedau") write_atomic(dir / "weights.csv", wcsv.str());
  std::ostringstream xs;  // the model, one exact value per line (compare runs with cmp)
  for (Eigen::Index i = 0; i < state.x.size(); ++i) xs << fmt::format("{:.17g}\n", state.x[i]);
  write_atomic(dir / "x.csv", xs.str());
  nlohmann::json j;
  j["status"] = state.diverged ? "non_finite" : "completed";
  j["message"] = state.diverged ? state.message : fmt::format("completed {} rounds", state.round);
  j["method"] = c.method;
  j["participation"] = c.participation;
  j["clients"] = N;
  j["dim"] = d;
  j["rounds"] = state.round;
  j["ranks"] = ranks;
  j["seconds_this_session"] = seconds;
  j["final_objective"] = state.history.empty() ? 0.0 : state.history.back().objective;
  j["aggregator_state_bytes"] = agg.state_bytes();
  j["x"] = std::vector<double>(state.x.data(), state.x.data() + state.x.size());
  const VecX<double> tail = state.tail_average();
  j["x_tail_average"] = std::vector<double>(tail.data(), tail.data() + tail.size());
  std::vector<double> w(N);
  for (std::size_t n = 0; n < N; ++n) w[n] = agg.weight(n);
  j["estimated_weights"] = w;
  j["probabilities"] = p;
  write_summary(dir / "summary.json", j);
  write_atomic(dir / "config.toml", config_text);
  if (state.diverged) fmt::print(stderr, "convlab: the run diverged: {}\n", state.message);
  fmt::print("{} over {} clients, {} participation, {} rounds on {} rank{}: f(x) = {:.10g}; state {} bytes; {:.2f} s\nrun folder: {}\n", c.method, N,
             c.participation, state.round, ranks, ranks == 1 ? "" : "s", j["final_objective"].get<double>(), agg.state_bytes(), seconds, dir.string());
  return code;
}

template <class P>
int run_with_optimizer(const FederatedConfig& c, const Federation<P>& fed, const fs::path& dir, const std::string& text) {
  const Eigen::Index d = fed.clients.front().dim();
  auto go = [&](const auto& opt) {
#ifdef CONVLAB_EXPERIMENTS_MPI
    if (mpi_session::active()) {
      cf::MpiBackend mpi(MPI_COMM_WORLD, fed.clients.size(), d);
      FaultInjecting<cf::MpiBackend> backend(mpi, mpi.rank());
      return run(c, fed, opt, backend, dir, text, mpi.is_root(), mpi.size());
    }
#endif
    cf::InProcessBackend in(d);
    FaultInjecting<cf::InProcessBackend> backend(in, 0);
    return run(c, fed, opt, backend, dir, text, true, 1);
  };
  if (c.optimizer == "adamw") return go(optim::AdamW<double>(optim::AdamWOptions{.weight_decay = 0}));
  return go(optim::Sgd<double>({.momentum = c.momentum}));
}

}  // namespace

bool is_federated_config(const toml::table& root) { return root.get("federated") != nullptr; }

namespace {
FederatedConfig load(const std::string& path, const Overrides& overrides, toml::table& root) {
  root = parse_toml_file(path);
  Origins origins;
  apply_overrides(root, overrides, origins);
  return parse(root, path, origins);
}

// Everything a run checks before its first round: the data, the trace, the probabilities.
template <class P>
void check(const FederatedConfig& c, const Federation<P>& fed) {
  (void)participation(c, fed);
}
}  // namespace

int command_federated_validate(const std::string& path, const Overrides& overrides) {
  toml::table root;
  const FederatedConfig c = load(path, overrides, root);
  if (c.problem == "digits") check(c, digits_federation(c.data));
  else check(c, spec_federation(c.data));
  fmt::print("{}: ok (federated run: {} over {} clients, {} participation)\n", path, c.method, c.data.clients, c.participation);
  return 0;
}

int command_federated_fit(const std::string& path, const Overrides& overrides, const std::string& out) {
  toml::table root;
  const FederatedConfig c = load(path, overrides, root);
  std::ostringstream text;
  text << root;
  const fs::path dir = fs::path(out.empty() ? c.output_dir : out) / fs::path(path).stem() / "fit";
  // Rank 0 writes the folder (checkpoints during the run, results at the end) and holds its
  // lock for the whole run: a second writer waits, and a folder never mixes two runs.
  std::optional<RunFolderLock> lock;
  if (mpi_session::rank() == 0) lock.emplace(dir);
  if (c.problem == "digits") return run_with_optimizer(c, digits_federation(c.data), dir, text.str());
  return run_with_optimizer(c, spec_federation(c.data), dir, text.str());
}

}  // namespace convlab::experiments
