// convlab._convlab.federated: the library's partitions and its federated server (in-process
// backend) over clients given as NumPy arrays, for python/convlab/federated.py. The same code as
// `convlab fit` on a [federated] config (docs/federated-on-your-data.md), so the same inputs give
// the same bits.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>

#include <convlab/federated/partition.hpp>
#include <convlab/federated/server.hpp>
#include <convlab/optim/adamw.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/problems/least_squares.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/multinomial.hpp>

namespace py = pybind11;
namespace cf = convlab::federated;
namespace cp = convlab::problems;
using convlab::MatX;
using convlab::VecX;

namespace {

struct Simulation {
  std::string problem, method, participation, optimizer;
  std::vector<double> probabilities;
  std::optional<MatX<double>> trace;
  double l2, global_lr, lr, momentum, markov_a;
  bool intercept;
  long long num_classes, rounds, local_steps, batch, cutoff, period, eval_every;
  std::uint64_t seed;
};

py::list index_lists(const cf::ClientRows& rows) {
  py::list out;
  for (const auto& r : rows) out.append(py::array_t<Eigen::Index>(static_cast<py::ssize_t>(r.size()), r.data()));
  return out;
}

template <class P>
P make(MatX<double> X, const VecX<double>& y, const Simulation& s, double l2) {
  const cp::LinearModelOptions o{.l2 = l2, .intercept = s.intercept};
  if constexpr (std::is_same_v<P, cp::Multinomial<double>>) return P(std::move(X), y, s.num_classes, o);
  else return P(std::move(X), y, o);
}

template <class P, class O>
py::dict run(const std::vector<std::pair<MatX<double>, VecX<double>>>& data, const std::optional<std::pair<MatX<double>, VecX<double>>>& test,
             const Simulation& s, const O& optimizer) {
  std::vector<P> clients;
  for (const auto& [X, y] : data) clients.push_back(make<P>(X, y, s, s.l2));
  std::shared_ptr<const P> test_problem;
  if (test) test_problem = std::make_shared<const P>(make<P>(test->first, test->second, s, 0.0));
  const std::size_t N = clients.size();
  const Eigen::Index d = clients.front().dim();
  if (s.trace) convlab::detail::require_size(s.trace->cols(), static_cast<Eigen::Index>(N), "simulate: columns of the trace (one per client)");
  const std::vector<double> p = s.trace ? cf::trace_probabilities(*s.trace) : s.probabilities;  // known_prob's rates
  cf::Participation part(p, {.kind = cf::participation_kind(s.participation), .markov_a = s.markov_a, .period = s.period, .seed = s.seed},
                         s.trace ? *s.trace : MatX<double>());
  cf::Aggregator agg(cf::aggregator_kind(s.method), N, d, part.probabilities(),
                     s.cutoff == 0 ? cf::IntervalWeightEstimator::kNoCutoff : s.cutoff);
  cf::InProcessBackend backend(d);
  cf::ServerState state{.x = VecX<double>::Zero(d)};
  cf::ServerHooks hooks{.record_weights = s.method == "fedau"};
  std::string metric;
  if (test_problem) {
    if constexpr (requires(const VecX<double>& x) { test_problem->accuracy(x); }) {
      hooks.test_metric = [test_problem](const VecX<double>& x) { return test_problem->accuracy(x); };
      metric = "test_accuracy";
    } else {
      hooks.test_metric = [test_problem](const VecX<double>& x) { return test_problem->value(x); };
      metric = "test_loss";
    }
  }
  {
    py::gil_scoped_release release;
    cf::run_server(clients, optimizer, {.steps = s.local_steps, .batch = s.batch, .lr = s.lr}, part, agg,
                   {.rounds = s.rounds, .global_lr = s.global_lr, .eval_every = s.eval_every, .seed = s.seed}, backend, state, hooks);
  }
  const auto H = static_cast<Eigen::Index>(state.history.size());
  VecX<double> objective(H), metric_values(H);
  Eigen::Matrix<long long, Eigen::Dynamic, 1> round(H), participants(H);
  MatX<double> weights(hooks.record_weights ? H : 0, static_cast<Eigen::Index>(N));
  for (Eigen::Index k = 0; k < H; ++k) {
    const auto& h = state.history[static_cast<std::size_t>(k)];
    round[k] = h.round, objective[k] = h.objective, participants[k] = h.participants, metric_values[k] = h.test_metric;
    for (std::size_t n = 0; n < h.weights.size(); ++n) weights(k, static_cast<Eigen::Index>(n)) = h.weights[n];
  }
  py::dict out;
  out["status"] = state.diverged ? "non_finite" : "completed";
  out["message"] = state.diverged ? state.message : "completed " + std::to_string(state.round) + " rounds";
  out["x"] = state.x;
  out["x_tail_average"] = state.tail_average();
  out["round"] = round;
  out["objective"] = objective;
  out["participants"] = participants;
  if (!metric.empty()) out[metric.c_str()] = metric_values;
  if (hooks.record_weights) out["weights"] = weights;
  std::vector<double> w(N);
  for (std::size_t n = 0; n < N; ++n) w[n] = agg.weight(n);
  out["estimated_weights"] = w;
  out["probabilities"] = part.probabilities();
  return out;
}

template <class P>
py::dict run_with_optimizer(const std::vector<std::pair<MatX<double>, VecX<double>>>& data,
                            const std::optional<std::pair<MatX<double>, VecX<double>>>& test, const Simulation& s) {
  if (s.optimizer == "adamw") return run<P>(data, test, s, convlab::optim::AdamW<double>(convlab::optim::AdamWOptions{.weight_decay = 0}));
  if (s.optimizer == "sgd") return run<P>(data, test, s, convlab::optim::Sgd<double>({.momentum = s.momentum}));
  throw convlab::InvalidArgument("optimizer '" + s.optimizer + "' is not one of sgd | adamw");
}

}  // namespace

void bind_federated(py::module_& m) {
  m.def("partition_iid", [](Eigen::Index n, std::size_t clients, std::uint64_t seed) { return index_lists(cf::partition_iid(n, clients, seed)); },
        py::arg("n"), py::arg("clients"), py::arg("seed"), "Rows 0..n-1 in a seeded random order, cut into near-equal blocks.");
  m.def("partition_shards", [](const VecX<double>& labels, std::size_t clients, std::size_t k, std::uint64_t seed) {
          return index_lists(cf::partition_shards(labels, clients, k, seed));
        }, py::arg("labels"), py::arg("clients"), py::arg("shards_per_client"), py::arg("seed"),
        "Rows sorted by label, cut into clients*k shards, k random shards per client (McMahan et al., 2017).");
  m.def("partition_dirichlet", [](const VecX<double>& labels, std::size_t clients, double alpha, double alpha_participation, double mean_p,
                                  double p_min, std::uint64_t seed) {
          const auto part = cf::partition_by_label(labels, clients, {.alpha_data = alpha, .alpha_participation = alpha_participation,
                                                                      .mean_p = mean_p, .p_min = p_min, .seed = seed});
          return py::make_tuple(index_lists(part.rows), part.probabilities);
        }, py::arg("labels"), py::arg("clients"), py::arg("alpha"), py::arg("alpha_participation"), py::arg("mean_p"), py::arg("p_min"),
        py::arg("seed"), "The FedAU paper's Dirichlet label split and its label-derived rates.");
  m.def("partition_by_column", [](const VecX<double>& ids) {
          std::vector<double> values;
          const auto rows = cf::partition_by_column(ids, &values);
          return py::make_tuple(index_lists(rows), values);
        }, py::arg("ids"), "One client per distinct id, ascending.");
  m.def("label_probabilities", [](const VecX<double>& labels, const std::vector<std::vector<Eigen::Index>>& rows, double alpha_participation,
                                  double mean_p, double p_min, std::uint64_t seed) {
          return cf::label_probabilities(labels, rows, {.alpha_participation = alpha_participation, .mean_p = mean_p, .p_min = p_min, .seed = seed});
        }, py::arg("labels"), py::arg("rows"), py::arg("alpha_participation"), py::arg("mean_p"), py::arg("p_min"), py::arg("seed"),
        "The FedAU paper's label-derived participation rates for any split.");
  m.def("simulate", [](const std::vector<std::pair<MatX<double>, VecX<double>>>& clients, const std::string& problem,
                       const std::vector<double>& probabilities, const std::optional<MatX<double>>& trace,
                       const std::optional<std::pair<MatX<double>, VecX<double>>>& test, const std::string& method,
                       const std::string& participation, long long rounds, long long local_steps, long long batch, double lr,
                       const std::string& optimizer, double momentum, double global_lr, double l2, bool intercept, long long num_classes,
                       long long cutoff, double markov_a, long long period, long long eval_every, std::uint64_t seed) {
          if (clients.empty()) throw convlab::InvalidArgument("simulate: no clients");
          const Simulation s{.problem = problem, .method = method, .participation = participation, .optimizer = optimizer,
                             .probabilities = probabilities, .trace = trace, .l2 = l2, .global_lr = global_lr, .lr = lr, .momentum = momentum,
                             .markov_a = markov_a, .intercept = intercept, .num_classes = num_classes, .rounds = rounds, .local_steps = local_steps,
                             .batch = batch, .cutoff = cutoff, .period = period, .eval_every = eval_every, .seed = seed};
          if (problem == "least_squares") return run_with_optimizer<cp::LeastSquares<double>>(clients, test, s);
          if (problem == "logistic") return run_with_optimizer<cp::Logistic<double>>(clients, test, s);
          if (problem == "multinomial") return run_with_optimizer<cp::Multinomial<double>>(clients, test, s);
          throw convlab::InvalidArgument("problem '" + problem + "' is not one of least_squares | logistic | multinomial");
        },
        py::arg("clients"), py::arg("problem"), py::arg("probabilities"), py::arg("trace"), py::arg("test"), py::arg("method"),
        py::arg("participation"), py::arg("rounds"), py::arg("local_steps"), py::arg("batch"), py::arg("lr"), py::arg("optimizer"),
        py::arg("momentum"), py::arg("global_lr"), py::arg("l2"), py::arg("intercept"), py::arg("num_classes"), py::arg("cutoff"),
        py::arg("markov_a"), py::arg("period"), py::arg("eval_every"), py::arg("seed"),
        "A federated run over the clients' (X, y); see python/convlab/federated.py.");
}
