#include "suites/schedule_suite.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include <fmt/core.h>

#include <convlab/optim/adamw.hpp>
#include <convlab/optim/minimize.hpp>
#include <convlab/optim/newton.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/problems/data_io.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/preprocessing.hpp>
#include <convlab/problems/synthetic.hpp>
#include <convlab/schedules/cosine.hpp>
#include <convlab/schedules/linear.hpp>
#include <convlab/schedules/piecewise.hpp>
#include <convlab/schedules/refined.hpp>

#include "report/plots.hpp"
#include "fit/run_folder.hpp"
#include "suites/suite.hpp"
#include "suites/suite_data.hpp"
#include "config/table_reader.hpp"

namespace convlab::experiments {
namespace {

namespace cp = convlab::problems;
namespace co = convlab::optim;
namespace cs = convlab::schedules;

const std::vector<std::string> kSchedules{"constant", "step", "cosine", "linear_decay", "refined"};

struct ProblemSpec {
  std::string name, data, response = "y";
  bool synthetic = false, standardize = true, intercept = false;
  cp::LogisticDataOptions synth;
  std::vector<double> positive_labels;
  double l2 = 1e-3;
};

struct OptimizerSpec {
  std::string name, type, norm;
  double momentum = 0;
  bool per_lipschitz = false;
  std::vector<double> lr_grid;
};

struct SuiteSpec {
  long long steps = 1000, batch_size = 16;
  std::vector<long long> seeds;
  std::vector<std::string> schedules;
  double tau = 0.1, match_tolerance = 0.1;
  std::vector<ProblemSpec> problems;
  std::vector<OptimizerSpec> optimizers;
  static constexpr auto fields() {
    using S = SuiteSpec;
    return std::tuple{
        field("steps", &S::steps, ">= 10", [](long long v) { return v >= 10; }, "steps of every run"),
        field("batch_size", &S::batch_size, ">= 1", [](long long v) { return v >= 1; }, "rows per stochastic gradient"),
        field("refine_tau", &S::tau, "0 < refine_tau <= 1", [](double v) { return v > 0 && v <= 1; },
              "τ of the refined schedule (refined-schedules paper)"),
        field("match_tolerance", &S::match_tolerance, ">= 0", [](double v) { return v >= 0; },
              "\"within tolerance\": a mean at most (1 + this) times the competitor's")};
  }
};

SuiteSpec read_schedule_suite(const toml::table& t, const SuiteInput& in) {
  const TableReader r{in.file, in.origins};
  const std::filesystem::path& base = in.base_dir;
  r.only(t, "suite", TableReader::declared_keys<SuiteSpec>({"seeds", "schedules", "problem", "optimizer"}));
  SuiteSpec s;
  r.declared(t, "suite", s);
  for (double v : r.numbers(t, "suite", "seeds", [](double v) { return v >= 0 && v == std::floor(v); }, "an integer >= 0"))
    s.seeds.push_back(static_cast<long long>(v));
  const toml::array* sched = t.get_as<toml::array>("schedules");
  if (!sched) s.schedules = kSchedules;
  else
    for (const auto& e : *sched) {
      const auto v = e.value<std::string>();
      if (!v || std::find(kSchedules.begin(), kSchedules.end(), *v) == kSchedules.end())
        r.fail(e, "suite", "schedules", "entries must be constant | step | cosine | linear_decay | refined");
      s.schedules.push_back(*v);
    }
  if (std::find(s.schedules.begin(), s.schedules.end(), "refined") != s.schedules.end() &&
      std::find(s.schedules.begin(), s.schedules.end(), "linear_decay") == s.schedules.end())
    throw ConfigError(r.where(t) + ": [suite] 'refined' needs 'linear_decay' in schedules (its first pass)");
  for (const auto& node : r.tables(t, "suite", "problem")) {
    const auto& pt = *node.as_table();
    r.only(pt, "suite.problem", {"name", "data", "response", "synthetic", "positive_labels", "l2", "standardize", "intercept"});
    ProblemSpec p;
    p.name = r.string(pt, "suite.problem", "name", "");
    p.l2 = r.number(pt, "suite.problem", "l2", 1e-3, [](double v) { return v > 0; }, "> 0 (the optimum must be unique)");
    p.standardize = r.boolean(pt, "suite.problem", "standardize", true);
    p.intercept = r.boolean(pt, "suite.problem", "intercept", false);
    if (const toml::table* syn = pt.get_as<toml::table>("synthetic")) {
      r.only(*syn, "suite.problem.synthetic", {"n", "d", "condition", "signal", "seed"});
      p.synthetic = true;
      p.synth.n = r.integer(*syn, "suite.problem.synthetic", "n", 1000, 2);
      p.synth.d = r.integer(*syn, "suite.problem.synthetic", "d", 20, 1);
      p.synth.condition = r.number(*syn, "suite.problem.synthetic", "condition", 10, [](double v) { return v >= 1; }, ">= 1");
      p.synth.signal = r.number(*syn, "suite.problem.synthetic", "signal", 2, [](double v) { return v > 0; }, "> 0");
      p.synth.seed = static_cast<unsigned long long>(r.integer(*syn, "suite.problem.synthetic", "seed", 0, 0));
    } else {
      const std::string data = r.string(pt, "suite.problem", "data", "");
      p.data = resolve_data_path(data, base);
      if (p.data.empty()) r.fail(*pt.get("data"), "suite.problem", "data", "file '" + data + "' not found");
      p.response = r.string(pt, "suite.problem", "response", "y");
    }
    if (const toml::node* labels = pt.get("positive_labels")) {
      if (p.synthetic) r.fail(*labels, "suite.problem", "positive_labels", "is for a data file (synthetic labels are 0/1)");
      p.positive_labels = r.numbers(pt, "suite.problem", "positive_labels", [](double) { return true; }, "a label");
    }
    s.problems.push_back(std::move(p));
  }
  for (const auto& node : r.tables(t, "suite", "optimizer")) {
    const auto& ot = *node.as_table();
    r.only(ot, "suite.optimizer", {"name", "type", "momentum", "lr_grid", "per_lipschitz", "norm"});
    OptimizerSpec o;
    o.name = r.string(ot, "suite.optimizer", "name", "");
    o.type = r.string(ot, "suite.optimizer", "type", "", {"sgd", "adamw"});
    o.momentum = r.number(ot, "suite.optimizer", "momentum", 0, [](double v) { return v >= 0 && v < 1; }, "0 <= momentum < 1");
    if (o.type == "adamw" && ot.get("momentum")) r.fail(*ot.get("momentum"), "suite.optimizer", "momentum", "not used by adamw");
    o.lr_grid = r.numbers(ot, "suite.optimizer", "lr_grid", [](double v) { return v > 0; }, "> 0");
    o.per_lipschitz = r.boolean(ot, "suite.optimizer", "per_lipschitz", false);
    o.norm = r.string(ot, "suite.optimizer", "norm", o.type == "adamw" ? "l1" : "l2", {"l1", "l2"});
    s.optimizers.push_back(std::move(o));
  }
  return s;
}

// ---- running --------------------------------------------------------------------------

struct Problem {
  std::string name;
  cp::Logistic<double> f;
  double fstar;
};

Problem build_problem(const ProblemSpec& ps) {
  MatX<double> X;
  VecX<double> y;
  if (ps.synthetic) {
    auto d = cp::make_logistic_data<double>(ps.synth);
    X = std::move(d.A);
    y = std::move(d.y);
    if (ps.standardize) cp::standardize(X);
  } else {
    auto d = load_suite_data(ps.data, ps.response, ps.positive_labels, ps.standardize);
    X = std::move(d.X);
    y = std::move(d.y);
  }
  cp::Logistic<double> f(std::move(X), y, {.l2 = ps.l2, .intercept = ps.intercept});
  VecX<double> x = VecX<double>::Zero(f.dim());
  co::newton(f, x, {.max_iterations = 200, .gradient_tolerance = 1e-12});
  const double fstar = f.value(x);
  return Problem{ps.name, std::move(f), fstar};
}

struct RunOutcome {
  double suboptimality;
  std::vector<double> norms;
};

RunOutcome run_once(const Problem& p, const OptimizerSpec& o, const cs::AnySchedule& schedule, long long steps,
                    long long batch, long long seed, bool record) {
  VecX<double> x = VecX<double>::Zero(p.f.dim());
  const co::MinimizeOptions mo{.max_iterations = steps,
                               .batch_size = std::min<long long>(batch, p.f.num_samples()),
                               .evaluate_every = steps,
                               .seed = static_cast<unsigned long long>(seed),
                               .record_history = false,
                               .record_step_norms = !record ? co::StepNorm::None
                                                            : (o.norm == "l1" ? co::StepNorm::L1 : co::StepNorm::L2)};
  co::Summary s;
  if (o.type == "adamw") s = co::minimize(p.f, co::AdamW<double>({.weight_decay = 0}), x, mo, schedule);
  else s = co::minimize(p.f, co::Sgd<double>({.momentum = o.momentum}), x, mo, schedule);
  const double sub = s.status == co::Status::NonFinite ? std::numeric_limits<double>::infinity() : p.f.value(x) - p.fstar;
  return {std::max(sub, 0.0), std::move(s.step_gradient_norms)};
}

cs::AnySchedule make_schedule(const std::string& name, double peak, long long T, const std::vector<double>* shape) {
  if (name == "constant") return cs::constant(peak);
  if (name == "step") return cs::piecewise(peak, {T / 2, (3 * T) / 4}, {0.1, 0.1});  // ×0.1 at 50% and 75%
  if (name == "cosine") return cs::cosine(peak, T);
  if (name == "linear_decay") return cs::linear_decay(peak, T);
  return cs::refined(*shape, peak, T);
}

struct Stats {
  double mean = 0, sd = 0, lo = 0, hi = 0, min = 0, max = 0;
  std::size_t n = 0;
};

/// One-sided Welch t-test: true when `other` has a significantly lower mean than `base` at
/// level alpha (Boost.Math Student t). With no spread at all it compares the means.
bool significantly_lower(const Stats& other, const Stats& base, double alpha) {
  if (!std::isfinite(other.mean) || !std::isfinite(base.mean)) return other.mean < base.mean;
  const double va = other.sd * other.sd / static_cast<double>(other.n), vb = base.sd * base.sd / static_cast<double>(base.n);
  const double se = std::sqrt(va + vb);
  if (se == 0 || other.n < 2 || base.n < 2) return other.mean < base.mean;
  const double t = (base.mean - other.mean) / se;
  const double df = (va + vb) * (va + vb) /
                    (va * va / static_cast<double>(other.n - 1) + vb * vb / static_cast<double>(base.n - 1));
  const boost::math::students_t dist(df);
  return boost::math::cdf(boost::math::complement(dist, t)) < alpha;
}

/// Mean, standard deviation, 95% Student-t interval, min and max over seeds.
Stats stats(const std::vector<double>& v) {
  Stats s;
  s.n = v.size();
  const double n = static_cast<double>(v.size());
  for (double x : v) s.mean += x / n;
  for (double x : v) s.sd += (x - s.mean) * (x - s.mean);
  s.sd = v.size() > 1 ? std::sqrt(s.sd / (n - 1)) : 0.0;
  double half = 0;
  if (v.size() > 1 && std::isfinite(s.sd)) {
    const boost::math::students_t t(n - 1);
    half = boost::math::quantile(boost::math::complement(t, 0.025)) * s.sd / std::sqrt(n);
  }
  s.lo = s.mean - half;
  s.hi = s.mean + half;
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  return s;
}

std::vector<double> downsample(const std::vector<double>& s, std::size_t n) {
  return cs::resample_linear(s, static_cast<std::int64_t>(n));
}

/// Spec §4 synthetic norm curve: falls linearly from 15 to 1 over the first 10% of 2000
/// steps, then moves linearly from 1 to `end`.
std::vector<double> synthetic_norms(double end) {
  std::vector<double> G(2000);
  for (std::size_t i = 0; i < G.size(); ++i) {
    const double f = static_cast<double>(i) / static_cast<double>(G.size() - 1);
    G[i] = f < 0.1 ? 15 - 14 * f / 0.1 : 1 + (end - 1) * (f - 0.1) / 0.9;
  }
  return G;
}

struct ScheduleMetrics {
  double constant_error = kNotMeasured, warmup_peak = kNotMeasured, warmup_start = kNotMeasured, rising_mid = kNotMeasured,
         falling_mid = kNotMeasured, linear_vs_cosine_step = kNotMeasured, linear_within = kNotMeasured,
         linear_vs_constant = kNotMeasured, refined_vs_linear = kNotMeasured, refined_within = kNotMeasured,
         refined_warmup = kNotMeasured;
  static constexpr auto fields() {
    using M = ScheduleMetrics;
    return std::tuple{
        field("constant_refinement_error", &M::constant_error, "largest gap between the refinement of constant norms and linear decay"),
        field("synthetic_warmup_peak_position", &M::warmup_peak, "flat synthetic norms: the refined schedule's peak, as a fraction of the run"),
        field("synthetic_warmup_start", &M::warmup_start, "flat synthetic norms: the refined schedule's first value ÷ its peak"),
        field("synthetic_rising_tail_mid_ratio", &M::rising_mid, "rising norms: refined lr at mid-run ÷ the flat case's"),
        field("synthetic_falling_tail_mid_ratio", &M::falling_mid, "falling norms: refined lr at mid-run ÷ the flat case's"),
        field("linear_matches_or_beats_cosine_and_step_fraction", &M::linear_vs_cosine_step,
              "(problem, optimizer) pairs where neither cosine nor step is significantly better than linear decay"),
        field("linear_within_tolerance_of_cosine_and_step_fraction", &M::linear_within,
              "pairs where linear decay's mean is within tolerance of cosine's and step's"),
        field("linear_matches_or_beats_constant_fraction", &M::linear_vs_constant,
              "pairs where the constant lr is not significantly better than linear decay"),
        field("refined_matches_or_beats_linear_fraction", &M::refined_vs_linear,
              "pairs where linear decay is not significantly better than the refined schedule"),
        field("refined_within_tolerance_of_linear_fraction", &M::refined_within,
              "pairs where the refined schedule's mean is within tolerance of linear decay's"),
        field("refined_warmup_fraction", &M::refined_warmup, "refined schedules that start with a warmup")};
  }
};

ScheduleMetrics run_schedule_suite(const SuiteSpec& s, SuiteOutput& out) {
  const std::filesystem::path& dir = out.dir;
  const bool with_refined = std::find(s.schedules.begin(), s.schedules.end(), "refined") != s.schedules.end();
  std::size_t total = 0;
  for (const auto& o : s.optimizers)
    total += s.problems.size() * s.seeds.size() *
             (o.lr_grid.size() * s.schedules.size() + (with_refined ? 1 : 0));
  std::size_t done = 0;
  auto tick = [&] { out.progress(++done, total); };

  std::ostringstream results, best, shapes_csv, sched_csv;
  results.precision(17);
  best.precision(10);
  results << "problem,optimizer,schedule,lr,seed,final_suboptimality\n";
  best << "problem,optimizer,schedule,best_lr,mean,sd,ci95_low,ci95_high,min,max\n";
  // mean final suboptimality at the tuned lr, per (problem, optimizer) and schedule
  std::map<std::pair<std::string, std::string>, std::map<std::string, Stats>> tuned;
  std::vector<std::pair<std::string, std::vector<double>>> first_shapes;  // seed 1 shape per (problem, optimizer)
  std::size_t refined_with_warmup = 0, refined_count = 0;

  for (const auto& ps : s.problems) {
    const Problem p = build_problem(ps);
    const double L = static_cast<double>(p.f.lipschitz());
    for (const auto& o : s.optimizers) {
      auto& group = tuned[{p.name, o.name}];
      auto lr_of = [&](double g) { return o.per_lipschitz ? g / L : g; };
      std::map<std::string, double> best_lr;
      auto tune = [&](const std::string& sched, const std::function<const std::vector<double>*(long long)>& shape_for) {
        double best_mean = std::numeric_limits<double>::infinity();
        std::vector<double> best_values;
        for (double g : o.lr_grid) {
          std::vector<double> values;
          for (long long seed : s.seeds) {
            const double lr = lr_of(g);
            const auto r = run_once(p, o, make_schedule(sched, lr, s.steps, shape_for(seed)), s.steps, s.batch_size, seed, false);
            values.push_back(r.suboptimality);
            results << p.name << ',' << o.name << ',' << sched << ',' << lr << ',' << seed << ',' << r.suboptimality << '\n';
            tick();
          }
          const Stats st = stats(values);
          if (st.mean < best_mean || best_values.empty()) {
            best_mean = st.mean;
            best_values = values;
            best_lr[sched] = lr_of(g);
          }
        }
        const Stats st = stats(best_values);
        group[sched] = st;
        best << p.name << ',' << o.name << ',' << sched << ',' << best_lr[sched] << ',' << st.mean << ',' << st.sd << ','
             << st.lo << ',' << st.hi << ',' << st.min << ',' << st.max << '\n';
      };
      for (const auto& sched : s.schedules)
        if (sched != "refined") tune(sched, [](long long) { return nullptr; });
      if (with_refined) {
        // Pass 1 per seed: linear decay at its tuned lr, logging step norms; refine the record.
        std::map<long long, std::vector<double>> shape;
        for (long long seed : s.seeds) {
          const auto r = run_once(p, o, cs::linear_decay(best_lr["linear_decay"], s.steps), s.steps, s.batch_size, seed, true);
          shape[seed] = cs::refine(r.norms, {.tau = s.tau, .q = o.norm == "l1" ? 1.0 : 2.0});
          const auto& sh = shape[seed];
          const auto peak = static_cast<double>(std::max_element(sh.begin(), sh.end()) - sh.begin()) / static_cast<double>(sh.size());
          refined_with_warmup += peak > 0.02;
          ++refined_count;
          tick();
        }
        first_shapes.emplace_back(p.name + " / " + o.name, shape[s.seeds.front()]);
        tune("refined", [&](long long seed) { return &shape.at(seed); });
        if (&ps == &s.problems.front() && &o == &s.optimizers.front()) {
          sched_csv << "step";
          for (const auto& sc : s.schedules) sched_csv << ',' << sc;
          sched_csv << '\n';
          for (long long t = 0; t < s.steps; ++t) {
            sched_csv << t;
            for (const auto& sc : s.schedules)
              sched_csv << ',' << make_schedule(sc, best_lr[sc], s.steps, &shape.at(s.seeds.front()))(t);
            sched_csv << '\n';
          }
        }
      }
    }
  }
  // Refined shapes, 200 points each, one column per (problem, optimizer).
  shapes_csv << "progress";
  for (const auto& [name, sh] : first_shapes) shapes_csv << ",\"" << name << '"';
  shapes_csv << '\n';
  std::vector<std::vector<double>> small;
  for (const auto& [name, sh] : first_shapes) small.push_back(downsample(sh, 200));
  for (std::size_t i = 0; i < 200; ++i) {
    shapes_csv << static_cast<double>(i) / 199.0;
    for (const auto& v : small) shapes_csv << ',' << v[i];
    shapes_csv << '\n';
  }
  write_atomic(dir / "results.csv", results.str());
  write_atomic(dir / "best.csv", best.str());
  write_atomic(dir / "refined_shapes.csv", shapes_csv.str());
  if (!sched_csv.str().empty()) write_atomic(dir / "schedules.csv", sched_csv.str());

  // Claims' metrics.
  ScheduleMetrics m;
  const auto linear = cs::refine(std::vector<double>(s.steps, 1.0), {.tau = s.tau});
  double err = 0;
  for (std::size_t t = 0; t < linear.size(); ++t)
    err = std::max(err, std::abs(linear[t] - static_cast<double>(linear.size() - 1 - t) / static_cast<double>(linear.size() - 1)));
  m.constant_error = err;
  const auto flat = cs::refine(synthetic_norms(1.0)), rising = cs::refine(synthetic_norms(2.0)),
             falling = cs::refine(synthetic_norms(0.7));
  const std::size_t N = flat.size();
  m.warmup_peak =
      static_cast<double>(std::max_element(flat.begin(), flat.end()) - flat.begin()) / static_cast<double>(N);
  m.warmup_start = flat[0];
  m.rising_mid = rising[N / 2] / flat[N / 2];
  m.falling_mid = falling[N / 2] / flat[N / 2];
  // "Matches or beats": no competitor is significantly better (one-sided Welch t-test over
  // seeds, 5%); "within": mean at most (1 + match_tolerance) times the competitor's.
  const double tol = 1 + s.match_tolerance, alpha = 0.05;
  auto has = [&](const std::string& n) { return std::find(s.schedules.begin(), s.schedules.end(), n) != s.schedules.end(); };
  std::size_t pairs = 0, lin_cs = 0, lin_cs_within = 0, lin_const = 0, ref_lin = 0, ref_lin_within = 0;
  for (const auto& [key, g] : tuned) {
    ++pairs;
    const Stats& lin = g.at("linear_decay");
    bool beaten = false, within = true;
    for (const char* other : {"cosine", "step"})
      if (has(other)) {
        beaten = beaten || significantly_lower(g.at(other), lin, alpha);
        within = within && lin.mean <= tol * g.at(other).mean;
      }
    lin_cs += !beaten;
    lin_cs_within += within;
    if (!has("constant") || !significantly_lower(g.at("constant"), lin, alpha)) ++lin_const;
    if (has("refined")) {
      ref_lin += !significantly_lower(lin, g.at("refined"), alpha);
      ref_lin_within += g.at("refined").mean <= tol * lin.mean;
    }
  }
  const double np = static_cast<double>(std::max<std::size_t>(pairs, 1));
  m.linear_vs_cosine_step = static_cast<double>(lin_cs) / np;
  m.linear_within = static_cast<double>(lin_cs_within) / np;
  m.linear_vs_constant = static_cast<double>(lin_const) / np;
  if (has("refined")) {
    m.refined_vs_linear = static_cast<double>(ref_lin) / np;
    m.refined_within = static_cast<double>(ref_lin_within) / np;
    m.refined_warmup = static_cast<double>(refined_with_warmup) / static_cast<double>(std::max<std::size_t>(refined_count, 1));
  }

  // The per-pair table for the report.
  std::ostringstream md;
  md << "Final suboptimality f(x_T) − f* at each schedule's tuned peak lr: mean over " << s.seeds.size()
     << " seeds [95% t-interval]; " << s.steps << " steps, batch " << s.batch_size << ". Bold: best in the row. "
     << "\"Matches or beats\": no competitor significantly better (one-sided Welch t-test over seeds, 5%); "
     << "\"within tolerance\": mean at most " << tol << " times the competitor's.\n\n| problem / optimizer |";
  for (const auto& sc : s.schedules) md << ' ' << sc << " |";
  md << "\n|---|";
  for (std::size_t i = 0; i < s.schedules.size(); ++i) md << "---|";
  md << '\n';
  for (const auto& [key, g] : tuned) {
    double best_mean = std::numeric_limits<double>::infinity();
    for (const auto& sc : s.schedules) best_mean = std::min(best_mean, g.at(sc).mean);
    md << "| " << key.first << " / " << key.second << " |";
    for (const auto& sc : s.schedules) {
      const Stats& st = g.at(sc);
      const std::string cell = fmt::format("{:.3g} [{:.2g}, {:.2g}]", st.mean, std::max(st.lo, 0.0), st.hi);
      md << ' ' << (st.mean == best_mean ? "**" + cell + "**" : cell) << " |";
    }
    md << '\n';
  }
  out.details_markdown = md.str();

  // Figures.
  {
    std::ostringstream gp;
    gp << "set title 'Final suboptimality at the tuned lr (mean over seeds, bars: min..max)' noenhanced\n"
       << "set ylabel 'f(x_T) - f*'\nset logscale y\nset format y '10^{%L}'\nset grid ytics\n"
       << "set key outside right top noenhanced\nset xtics rotate by -30 noenhanced\nset xrange [-0.5:" << tuned.size() - 0.5 << "]\n"
       << "set datafile separator ','\n";
    gp << "set xtics (";
    std::size_t gi = 0;
    for (const auto& [key, g] : tuned) {
      gp << (gi ? ", " : "") << gnuplot_quote(key.first + "/" + key.second) << ' ' << gi;
      ++gi;
    }
    gp << ")\nplot ";
    for (std::size_t si = 0; si < s.schedules.size(); ++si) {
      const double off = (static_cast<double>(si) - (static_cast<double>(s.schedules.size()) - 1) / 2) * 0.12;
      gp << (si ? ", " : "") << "'-' using ($1+" << off << "):2:3:4 with yerrorbars pt 7 ps 1.2 title " << gnuplot_quote(s.schedules[si]);
    }
    gp << '\n';
    for (const auto& sc : s.schedules) {
      std::size_t k = 0;
      for (const auto& [key, g] : tuned) {
        const Stats& st = g.at(sc);
        auto pos = [](double v) { return std::max(v, 1e-17); };
        gp << k++ << ',' << pos(st.mean) << ',' << pos(st.min) << ',' << pos(st.max) << '\n';
      }
      gp << "e\n";
    }
    out.plot("suboptimality.png", gp.str());
  }
  if (!sched_csv.str().empty()) {
    std::ostringstream gp;
    gp << "set title 'Schedules at their tuned peak lr (" << s.problems.front().name << " / " << s.optimizers.front().name
       << ", seed " << s.seeds.front() << ")' noenhanced\nset xlabel 'step'\nset ylabel 'learning rate'\nset grid\n"
       << "set key outside right top noenhanced\nset datafile separator ','\nset datafile columnheaders\nplot ";
    for (std::size_t si = 0; si < s.schedules.size(); ++si)
      gp << (si ? ", " : "") << gnuplot_quote((dir / "schedules.csv").string()) << " using 1:" << si + 2
         << " with lines lw 2 title " << gnuplot_quote(s.schedules[si]);
    gp << '\n';
    out.plot("schedules.png", gp.str());
  }
  if (!first_shapes.empty()) {
    std::ostringstream gp;
    gp << "set title 'Refined schedules (normalized) from linear-decay gradient-norm records, seed " << s.seeds.front()
       << "' noenhanced\nset xlabel 'fraction of the run'\nset ylabel 'lr / peak'\nset grid\n"
       << "set key outside right top noenhanced\nset datafile separator ','\nset datafile columnheaders\nplot ";
    for (std::size_t i = 0; i < first_shapes.size(); ++i)
      gp << (i ? ", " : "") << gnuplot_quote((dir / "refined_shapes.csv").string()) << " using 1:" << i + 2
         << " with lines lw 2 title " << gnuplot_quote(first_shapes[i].first);
    gp << '\n';
    out.plot("refined_shapes.png", gp.str());
  }
  return m;
}

}  // namespace

SuiteRunner schedule_suite() { return suite_runner("schedule_suite", "suite", read_schedule_suite, run_schedule_suite); }

}  // namespace convlab::experiments
