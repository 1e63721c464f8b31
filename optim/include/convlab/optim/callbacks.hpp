#pragma once
/// \file
/// Callbacks for `minimize`. A callback is any object with some of
///   `CallbackAction iteration(const IterationRecord&)` (or returning void),
///   `void end(const Summary&)`;
/// missing methods are skipped at compile time. Callbacks run at every evaluation point
/// (every iteration for full batches, every `evaluate_every` iterations for minibatches).

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "summary.hpp"

namespace convlab::optim {

enum class CallbackAction { Continue, Stop };

namespace detail {
template <class C>
CallbackAction call_iteration(C& c, const IterationRecord& r) {
  if constexpr (requires { { c.iteration(r) } -> std::same_as<CallbackAction>; }) return c.iteration(r);
  else if constexpr (requires { c.iteration(r); }) {
    c.iteration(r);
    return CallbackAction::Continue;
  } else {
    return CallbackAction::Continue;
  }
}
/// Callbacks that also want the iterate and the optimizer state (e.g. LyapunovMonitor)
/// declare iteration(record, x, state); the others get the record only.
template <class C, class X, class St>
CallbackAction call_iteration(C& c, const IterationRecord& r, const X& x, const St& st) {
  if constexpr (requires { { c.iteration(r, x, st) } -> std::same_as<CallbackAction>; }) {
    return c.iteration(r, x, st);
  } else if constexpr (requires { c.iteration(r, x, st); }) {
    c.iteration(r, x, st);
    return CallbackAction::Continue;
  } else {
    return call_iteration(c, r);
  }
}
template <class C>
void call_end(C& c, const Summary& s) {
  if constexpr (requires { c.end(s); }) c.end(s);
}
}  // namespace detail

/// Appends every evaluation to a vector the caller owns.
struct RecordHistory {
  std::vector<IterationRecord>* out;
  void iteration(const IterationRecord& r) { out->push_back(r); }
};

/// Writes "iter  seconds  f  |g|  lr" every `every` evaluations to `os`.
struct LogEvery {
  long long every = 100;
  std::ostream* os;
  long long seen = 0;
  void iteration(const IterationRecord& r) {
    if (every > 0 && seen++ % every == 0) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "iter %8lld  %9.3fs  f %.10e  |g| %.3e  lr %.3e\n", r.iteration, r.seconds,
                    r.value, r.grad_norm, r.lr);
      *os << buf << std::flush;
    }
  }
  void end(const Summary& s) { *os << s.brief_report() << '\n' << std::flush; }
};

/// Progress on `out` (stderr). On a terminal: a one-line bar, redrawn at most 10 times a
/// second. Elsewhere (cluster logs, pipes, CI): one plain line every `line_seconds` (0 = none),
/// so a log shows a long run advancing without filling up; runs shorter than that print nothing.
struct ProgressBar {
  long long total;  ///< the iteration budget
  double line_seconds = 10;
  const char* unit = "iteration";  ///< what a step is called in the lines ("round" for federated runs)
  std::FILE* out = stderr;
  bool terminal = ::isatty(::fileno(out)) != 0;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  bool drawn = false;  // the bar is on screen (the first record draws it at once)
  void iteration(const IterationRecord& r) {
    const auto now = std::chrono::steady_clock::now();
    const double since = std::chrono::duration<double>(now - last).count();
    const double frac = total > 0 ? std::min(1.0, static_cast<double>(r.iteration) / static_cast<double>(total)) : 1.0;
    if (terminal) {
      if (drawn && since < 0.1) return;
      const int filled = static_cast<int>(frac * 30);
      std::fprintf(out, "\r[%-30.*s] %3.0f%%  %s %lld  f %.6e ", filled, "##############################", 100 * frac, unit,
                   r.iteration, r.value);
      if (std::isfinite(r.grad_norm)) std::fprintf(out, " |g| %.2e ", r.grad_norm);
      drawn = true;
    } else {
      if (line_seconds <= 0 || since < line_seconds) return;
      std::fprintf(out, "%s %lld of %lld (%.0f%%)  %.1f s  f %.10e", unit, r.iteration, total, 100 * frac, r.seconds, r.value);
      if (std::isfinite(r.grad_norm)) std::fprintf(out, "  |g| %.3e", r.grad_norm);  // NaN: not computed
      std::fputc('\n', out);
      std::fflush(out);
    }
    last = now;
  }
  void end(const Summary&) {
    if (drawn) std::fputc('\n', out);
  }
};

/// Stops when f has not improved by more than `min_delta` for `patience` evaluations.
struct EarlyStopping {
  long long patience = 10;
  double min_delta = 0.0;
  double best = std::numeric_limits<double>::infinity();
  long long since_best = 0;
  CallbackAction iteration(const IterationRecord& r) {
    if (r.value < best - min_delta) {
      best = r.value;
      since_best = 0;
    } else if (++since_best >= patience) {
      return CallbackAction::Stop;
    }
    return CallbackAction::Continue;
  }
};

}  // namespace convlab::optim
