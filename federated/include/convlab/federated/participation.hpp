#pragma once
/// \file
/// Client participation processes (spec fedau.md (d)): which clients take part in round t.
/// Every client has its own process and its own counter-based random stream (random_streams.hpp),
/// so the participation matrix depends only on the seed — not on threads, ranks or call order.
///
/// | kind | rule per client n with probability pₙ |
/// |---|---|
/// | Bernoulli | qₙᵗ ~ Bernoulli(pₙ), independent over rounds |
/// | Markov(a) | two states; P(off→on) = a, P(on→off) = b = a(1/pₙ − 1), and if b > 1 then a ← a/b, b ← 1: stationary P(on) = pₙ; start on with probability pₙ; each round transitions, then reports |
/// | Cyclic(P) | A = max(1, round(P·pₙ)) rounds on, B = max(1, P − A) off, repeating; starts off with a uniform counter r ∈ {0..B−1}; each round: if r = 0 toggle and set r = A or B; r ← r − 1; report |
/// | Trace | qₙᵗ read from a rounds × clients 0/1 matrix, repeated cyclically past its last round |
///
/// The state (round counter and per-client state) is plain integers: `state()` / `restore()`
/// make checkpoints exact.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>

#include "random_streams.hpp"

namespace convlab::federated {

enum class ParticipationKind { Bernoulli, Markov, Cyclic, Trace };

inline const char* participation_name(ParticipationKind k) {
  switch (k) {
    case ParticipationKind::Bernoulli: return "bernoulli";
    case ParticipationKind::Markov: return "markov";
    case ParticipationKind::Cyclic: return "cyclic";
    case ParticipationKind::Trace: return "trace";
  }
  return "?";
}

/// The kind named `name` (a participation_name); InvalidArgument listing the names otherwise.
inline ParticipationKind participation_kind(const std::string& name) {
  std::string names;
  for (const auto k : {ParticipationKind::Bernoulli, ParticipationKind::Markov, ParticipationKind::Cyclic, ParticipationKind::Trace}) {
    if (name == participation_name(k)) return k;
    names += (names.empty() ? "" : " | ") + std::string(participation_name(k));
  }
  throw InvalidArgument("participation '" + name + "' is not one of " + names);
}

struct ParticipationOptions {
  ParticipationKind kind = ParticipationKind::Bernoulli;
  double markov_a = 0.05;  ///< Markov: P(off → on) before rescaling, 0 < a <= 1
  long long period = 100;  ///< Cyclic: P >= 2
  std::uint64_t seed = 1;
};

/// The long-run participation rate of every client of a rounds × clients 0/1 trace: its column
/// mean, at least one round's worth (known_prob divides by it).
inline std::vector<double> trace_probabilities(const MatX<double>& trace) {
  std::vector<double> p(static_cast<std::size_t>(trace.cols()));
  for (Eigen::Index n = 0; n < trace.cols(); ++n) p[static_cast<std::size_t>(n)] = std::max(1.0 / static_cast<double>(trace.rows()), trace.col(n).mean());
  return p;
}

class Participation {
 public:
  /// `probabilities`: pₙ ∈ (0, 1] per client (required for every kind but Trace, where it is
  /// the long-run fraction used only by `known_prob`; pass the trace's column means).
  Participation(std::vector<double> probabilities, const ParticipationOptions& o, MatX<double> trace = {})
      : p_(std::move(probabilities)), o_(o), trace_(std::move(trace)) {
    if (p_.empty()) throw InvalidArgument("Participation: no clients");
    for (std::size_t n = 0; n < p_.size(); ++n)
      if (!(p_[n] > 0 && p_[n] <= 1))
        throw InvalidArgument("Participation: client " + std::to_string(n) + " has probability " + std::to_string(p_[n]) +
                              "; probabilities must lie in (0, 1]");
    const auto N = p_.size();
    state_.assign(N, 0);
    counter_.assign(N, 0);
    switch (o_.kind) {
      case ParticipationKind::Bernoulli: break;
      case ParticipationKind::Markov:
        convlab::detail::require(o_.markov_a > 0 && o_.markov_a <= 1, "ParticipationOptions::markov_a", o_.markov_a, "0 < a <= 1");
        for (std::size_t n = 0; n < N; ++n) state_[n] = draw(n, 0) < p_[n];  // the initial state uses counter 0
        break;
      case ParticipationKind::Cyclic:
        convlab::detail::require(o_.period >= 2, "ParticipationOptions::period", o_.period, ">= 2");
        for (std::size_t n = 0; n < N; ++n) {
          const auto [A, B] = cycle(n);
          (void)A;
          counter_[n] = static_cast<long long>(std::floor(draw(n, 0) * static_cast<double>(B)));
        }
        break;
      case ParticipationKind::Trace:
        if (trace_.rows() < 1 || trace_.cols() != static_cast<Eigen::Index>(N))
          throw InvalidArgument("Participation: the trace must have at least one round and one column per client (" + std::to_string(N) +
                                "), got " + std::to_string(trace_.rows()) + " x " + std::to_string(trace_.cols()));
        for (Eigen::Index t = 0; t < trace_.rows(); ++t)
          for (Eigen::Index n = 0; n < trace_.cols(); ++n)
            if (trace_(t, n) != 0 && trace_(t, n) != 1)
              throw InvalidArgument("Participation: trace entry (round " + std::to_string(t) + ", client " + std::to_string(n) + ") is " +
                                    std::to_string(trace_(t, n)) + "; entries must be 0 or 1");
        break;
    }
  }

  std::size_t clients() const { return p_.size(); }
  const std::vector<double>& probabilities() const { return p_; }
  long long round() const { return t_; }

  /// Advances one round and writes qₙᵗ ∈ {0, 1} for every client.
  void next(std::vector<char>& q) {
    const auto N = p_.size();
    q.assign(N, 0);
    const auto t = static_cast<std::uint64_t>(t_) + 1;  // counter 0 is the initial draw
    for (std::size_t n = 0; n < N; ++n) {
      switch (o_.kind) {
        case ParticipationKind::Bernoulli: q[n] = draw(n, t) < p_[n]; break;
        case ParticipationKind::Markov: {
          const auto [a, b] = markov_rates(n);
          const double u = draw(n, t);
          state_[n] = state_[n] ? !(u < b) : (u < a);
          q[n] = static_cast<char>(state_[n]);
          break;
        }
        case ParticipationKind::Cyclic: {
          const auto [A, B] = cycle(n);
          if (counter_[n] == 0) {
            state_[n] = !state_[n];
            counter_[n] = state_[n] ? A : B;
          }
          --counter_[n];
          q[n] = static_cast<char>(state_[n]);
          break;
        }
        case ParticipationKind::Trace: q[n] = trace_(static_cast<Eigen::Index>(t_ % trace_.rows()), static_cast<Eigen::Index>(n)) != 0; break;
      }
    }
    ++t_;
  }

  /// Markov rates (a, b) of client n after the b > 1 rescaling.
  std::pair<double, double> markov_rates(std::size_t n) const {
    double a = o_.markov_a, b = a * (1 / p_[n] - 1);
    if (b > 1) a /= b, b = 1;
    return {a, b};
  }
  /// Cyclic (A, B) of client n.
  std::pair<long long, long long> cycle(std::size_t n) const {
    const long long A = std::max<long long>(1, std::llround(static_cast<double>(o_.period) * p_[n]));
    return {A, std::max<long long>(1, o_.period - A)};
  }

  /// The whole process state: round, then per client (state, counter).
  std::vector<long long> state() const {
    std::vector<long long> s{t_};
    for (std::size_t n = 0; n < p_.size(); ++n) s.push_back(state_[n]), s.push_back(counter_[n]);
    return s;
  }
  void restore(const std::vector<long long>& s) {
    if (s.size() != 1 + 2 * p_.size())
      throw InvalidArgument("Participation::restore: a state of " + std::to_string(s.size()) + " numbers does not fit " +
                            std::to_string(p_.size()) + " clients");
    t_ = s[0];
    for (std::size_t n = 0; n < p_.size(); ++n) state_[n] = static_cast<int>(s[1 + 2 * n]), counter_[n] = s[2 + 2 * n];
  }

 private:
  double draw(std::size_t n, std::uint64_t counter) const { return stream_uniform(o_.seed, 0x70617274ULL + n, counter); }

  std::vector<double> p_;
  ParticipationOptions o_;
  MatX<double> trace_;
  std::vector<int> state_;
  std::vector<long long> counter_;
  long long t_ = 0;
};

}  // namespace convlab::federated
