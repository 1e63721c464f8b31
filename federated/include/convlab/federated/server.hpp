#pragma once
/// \file
/// The federated server loop (spec fedau.md (a)), over a backend that runs the clients:
///
///   for t = 0 … T−1:  qᵗ ← participation;  Δₙ ← local_update(x_t) for n ∈ S_t (on the backend);
///                     A_t ← aggregator(qᵗ, Δ);  x_{t+1} = x_t + η A_t
///
/// every round on every process: participation is computed everywhere (O(N) integers), the
/// updates are gathered to the root in client order, the root aggregates and broadcasts x. The
/// full objective f(x) = (1/N) Σₙ Fₙ(x) is evaluated every `eval_every` rounds (each process
/// evaluates its clients; summed on the root in client order). The root keeps the tail average of
/// x over rounds ≥ `tail_from`. Same seed ⇒ same bits on any backend or rank count.
///
/// A Backend provides: `is_root()`; `local_updates(participants, compute, deltas)` calling
/// `compute(client, Out delta)` for the clients it owns and leaving d × |S| updates (client order)
/// on the root; `client_values(N, value_of, values)` likewise for one number per client;
/// `broadcast(VecX&)` and `broadcast(std::vector<char>&)` from the root.
///
/// Optional hooks (ServerHooks): a test metric and FedAU's weights at the evaluation rounds, a
/// per-round observer, and checkpoints: every `checkpoint_every` rounds the root hands `on_checkpoint` the bytes of the
/// whole state (x, round, participation, aggregator, tail average, history); `resume_from`
/// restarts from such bytes with results identical to an uninterrupted run.

#include <cstdint>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/bytes.hpp>
#include <convlab/core/errors.hpp>

#include "aggregators.hpp"
#include "client.hpp"
#include "participation.hpp"

namespace convlab::federated {

struct ServerOptions {
  long long rounds = 1000;         ///< T >= 1
  double global_lr = 1;            ///< η > 0
  long long eval_every = 10;       ///< evaluate f every this many rounds (and at the end), >= 1
  long long tail_from = -1;        ///< first round of the tail average; −1: T/2
  long long checkpoint_every = 0;  ///< 0: never
  std::uint64_t seed = 1;          ///< minibatch streams
  void validate() const {
    convlab::detail::require(rounds >= 1, "ServerOptions::rounds", rounds, ">= 1");
    convlab::detail::require(global_lr > 0 && std::isfinite(global_lr), "ServerOptions::global_lr", global_lr, "finite and > 0");
    convlab::detail::require(eval_every >= 1, "ServerOptions::eval_every", eval_every, ">= 1");
    convlab::detail::require(checkpoint_every >= 0, "ServerOptions::checkpoint_every", checkpoint_every, ">= 0");
  }
};

struct EvalRecord {
  long long round = 0;  ///< rounds completed
  double objective = 0;
  long long participants = 0;  ///< |S_t| of the last round
  double test_metric = std::numeric_limits<double>::quiet_NaN();  ///< ServerHooks::test_metric(x), if given
  std::vector<double> weights{};  ///< ω̂ₙ of every client, if ServerHooks::record_weights
};

/// Optional extras of the evaluation rounds (root only).
struct ServerHooks {
  std::function<double(const VecX<double>&)> test_metric{};  ///< e.g. test accuracy on a held-out split
  bool record_weights = false;                              ///< keep FedAU's estimated weights over time
  std::function<void(long long, const VecX<double>&, const std::vector<char>&)> on_round{};  ///< after every round, with the new model
  std::function<void(const std::vector<char>&)> on_checkpoint{};  ///< checkpoint bytes every checkpoint_every rounds
};

/// The server's state; on the root complete, elsewhere x and round only.
struct ServerState {
  VecX<double> x{}, tail_sum{};  ///< x: the model (set it to the start); tail_sum: kept by run_server
  long long round = 0, tail_count = 0;
  std::vector<EvalRecord> history{};
  /// Set when the model became NaN/Inf: run_server stopped at `round` with x the last finite
  /// model, on every process; `message` says where and why.
  bool diverged = false;
  std::string message{};
  VecX<double> tail_average() const { return tail_count > 0 ? VecX<double>(tail_sum / static_cast<double>(tail_count)) : x; }
};

namespace detail {
// Format 2 = "CNLBFED2" + payload + CRC-32 of everything before it. Format 1 ("CNLBFED1") had
// no checksum and is refused (a damaged one resumed silently).
inline constexpr std::uint64_t kCheckpointMagicV1 = 0x31444546424c4e43ULL;  // "CNLBFED1"
inline constexpr std::uint64_t kCheckpointMagic = 0x32444546424c4e43ULL;    // "CNLBFED2"
}  // namespace detail

inline std::vector<char> save_checkpoint(const ServerState& s, const Participation& part, const Aggregator& agg) {
  ByteWriter out;
  out.put(detail::kCheckpointMagic);
  out.put(s.round);
  out.put(s.tail_count);
  out.put_array(s.x.data(), static_cast<std::size_t>(s.x.size()));
  out.put_array(s.tail_sum.data(), static_cast<std::size_t>(s.tail_sum.size()));
  out.put_vector(part.state());
  std::vector<long long> ints;
  std::vector<double> reals;
  agg.save(ints, reals);
  out.put_vector(ints);
  out.put_vector(reals);
  out.put(static_cast<std::uint64_t>(s.history.size()));
  for (const auto& h : s.history) out.put(h.round), out.put(h.objective), out.put(h.participants), out.put(h.test_metric), out.put_vector(h.weights);
  seal(out.bytes);
  return out.bytes;
}

/// Restores a checkpoint; `agg` may be null on processes that do not aggregate (MPI non-root).
/// Throws InvalidArgument for another format, a checksum mismatch (a damaged file) or bytes
/// that do not parse, before anything of `s`, `part` or `agg` is trusted.
inline void load_checkpoint(const std::vector<char>& bytes, ServerState& s, Participation& part, Aggregator* agg) {
  constexpr std::size_t crc_bytes = sizeof(std::uint32_t);
  std::uint64_t magic = 0;
  if (bytes.size() >= sizeof magic) std::memcpy(&magic, bytes.data(), sizeof magic);
  if (magic == detail::kCheckpointMagicV1)
    throw InvalidArgument("federated checkpoint: format version 1 (no checksum) is no longer read; delete it to start the run over");
  if (magic != detail::kCheckpointMagic || bytes.size() < sizeof magic + crc_bytes)
    throw InvalidArgument("federated checkpoint: not a convlab federated checkpoint (format version 2)");
  std::uint32_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - crc_bytes, crc_bytes);
  if (stored != crc32(bytes.data(), bytes.size() - crc_bytes))
    throw InvalidArgument("federated checkpoint: checksum mismatch (the file is damaged); delete it to start the run over");
  const std::vector<char> payload(bytes.begin(), bytes.end() - static_cast<std::ptrdiff_t>(crc_bytes));
  ByteReader in{payload, "federated checkpoint"};
  const auto get_vec = [&in] {
    const auto v = in.get_vector<double>();
    return VecX<double>(Eigen::Map<const VecX<double>>(v.data(), static_cast<Eigen::Index>(v.size())));
  };
  in.get<std::uint64_t>();  // the magic, checked above
  s.round = in.get<long long>();
  s.tail_count = in.get<long long>();
  s.x = get_vec();
  s.tail_sum = get_vec();
  part.restore(in.get_vector<long long>());
  const auto ints = in.get_vector<long long>();
  const auto reals = in.get_vector<double>();
  if (agg) agg->restore(ints, reals);
  const auto h = in.get<std::uint64_t>();
  if (h > bytes.size()) throw InvalidArgument("federated checkpoint: truncated");
  s.history.clear();
  for (std::uint64_t i = 0; i < h; ++i) {
    EvalRecord r;
    r.round = in.get<long long>();
    r.objective = in.get<double>();
    r.participants = in.get<long long>();
    r.test_metric = in.get<double>();
    r.weights = in.get_vector<double>();
    s.history.push_back(r);
  }
  if (!in.done()) throw InvalidArgument("federated checkpoint: trailing bytes after the history");
}

inline void load_checkpoint(const std::vector<char>& bytes, ServerState& s, Participation& part, Aggregator& agg) {
  load_checkpoint(bytes, s, part, &agg);
}

/// Runs the rounds `state.round` … T−1 (state.x must hold the start, or a checkpoint was loaded).
template <problems::FiniteSum P, optim::Optimizer<double> O, class Backend>
void run_server(const std::vector<P>& clients, const O& optimizer, const LocalTraining& lt, Participation& part, Aggregator& agg,
                const ServerOptions& so, Backend& backend, ServerState& state, const ServerHooks& hooks = {}) {
  so.validate();
  lt.validate();
  const std::size_t N = clients.size();
  if (N != part.clients()) throw InvalidArgument("run_server: " + std::to_string(N) + " clients but participation for " + std::to_string(part.clients()));
  const Eigen::Index d = state.x.size();
  for (std::size_t n = 0; n < N; ++n)
    if (clients[n].dim() != d)
      throw InvalidArgument("run_server: client " + std::to_string(n) + " has dimension " + std::to_string(clients[n].dim()) + ", the model " +
                            std::to_string(d));
  const long long tail_from = so.tail_from >= 0 ? so.tail_from : so.rounds / 2;
  if (state.tail_sum.size() != d) state.tail_sum = VecX<double>::Zero(d);
  std::vector<char> q;
  MatX<double> deltas;
  VecX<double> A, last_finite;
  auto evaluate = [&](long long participants) {
    VecX<double> values;
    backend.client_values(N, [&](std::size_t n) { return clients[n].value(state.x); }, values);
    if (!backend.is_root()) return;
    EvalRecord rec{state.round, values.sum() / static_cast<double>(N), participants};
    if (hooks.test_metric) rec.test_metric = hooks.test_metric(state.x);
    if (hooks.record_weights)
      for (std::size_t n = 0; n < N; ++n) rec.weights.push_back(agg.weight(n));
    state.history.push_back(std::move(rec));
  };
  if (state.round == 0 && state.history.empty()) evaluate(0);
  for (; state.round < so.rounds;) {
    const long long t = state.round;
    part.next(q);
    std::vector<std::size_t> S;
    for (std::size_t n = 0; n < N; ++n)
      if (q[n]) S.push_back(n);
    backend.local_updates(S, [&](std::size_t n, Out<double> delta) { local_update(clients[n], optimizer, lt, state.x, so.seed, t, n, delta); },
                          deltas);
    if (backend.is_root()) {
      agg.aggregate(q, S, deltas, A);
      last_finite = state.x;
      state.x += so.global_lr * A;
    }  // other processes keep no aggregator state: only the root aggregates
    // A non-finite model reaches every process through the broadcast itself, so all stop at
    // the same round without another message; the root then restores the last finite model.
    backend.broadcast(state.x);
    if (!state.x.allFinite()) {
      if (backend.is_root()) state.x = last_finite;
      state.diverged = true;
      state.message = "the model became non-finite in round " + std::to_string(t) + " (" + aggregator_name(agg.kind()) +
                      "); x is the model before that round; lower the local or global learning rate";
      return;
    }
    ++state.round;
    if (backend.is_root() && state.round > tail_from) {
      state.tail_sum += state.x;
      ++state.tail_count;
    }
    if (state.round % so.eval_every == 0 || state.round == so.rounds) evaluate(static_cast<long long>(S.size()));
    if (backend.is_root() && hooks.on_round) hooks.on_round(t, state.x, q);
    if (so.checkpoint_every > 0 && state.round % so.checkpoint_every == 0 && backend.is_root() && hooks.on_checkpoint)
      hooks.on_checkpoint(save_checkpoint(state, part, agg));
  }
}

/// Runs every client in this process, participants in parallel (OpenMP, one client per thread;
/// each writes its own column, so the result does not depend on the thread count).
class InProcessBackend {
 public:
  explicit InProcessBackend(Eigen::Index dim) : dim_(dim) {}
  bool is_root() const { return true; }
  template <class F>
  void local_updates(const std::vector<std::size_t>& participants, F&& compute, MatX<double>& deltas) const {
    deltas.resize(dim_, static_cast<Eigen::Index>(participants.size()));
    const auto S = static_cast<long long>(participants.size());
    std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1) if (S > 1)
    for (long long j = 0; j < S; ++j) {
      try {
        compute(participants[static_cast<std::size_t>(j)], deltas.col(j));
      } catch (...) {
#pragma omp critical(convlab_federated_failure)
        if (!failure) failure = std::current_exception();
      }
    }
    if (failure) std::rethrow_exception(failure);
  }
  template <class F>
  void client_values(std::size_t N, F&& value_of, VecX<double>& values) const {
    values.resize(static_cast<Eigen::Index>(N));
    std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 4)
    for (long long n = 0; n < static_cast<long long>(N); ++n) {
      try {
        values[n] = value_of(static_cast<std::size_t>(n));
      } catch (...) {
#pragma omp critical(convlab_federated_failure)
        if (!failure) failure = std::current_exception();
      }
    }
    if (failure) std::rethrow_exception(failure);
  }
  void broadcast(VecX<double>&) const {}

 private:
  Eigen::Index dim_;
};

}  // namespace convlab::federated
