#include "suites/lion_suite.hpp"

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>
#include <limits>
#include <sstream>

#include <convlab/optim/ceres_lbfgs.hpp>
#include <convlab/optim/lion_composite.hpp>
#include <convlab/optim/lion_k.hpp>
#include <convlab/optim/lyapunov.hpp>
#include <convlab/optim/minimize.hpp>
#include <convlab/optim/proximal_gradient.hpp>
#include <convlab/problems/data_io.hpp>
#include <convlab/problems/least_squares.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/preprocessing.hpp>
#include <convlab/problems/synthetic.hpp>
#include <convlab/schedules/linear.hpp>

#include "report/plots.hpp"
#include "fit/run_folder.hpp"
#include "suites/suite.hpp"
#include "suites/suite_data.hpp"
#include "config/table_reader.hpp"

namespace convlab::experiments {
namespace {

namespace cp = convlab::problems;
namespace co = convlab::optim;

const std::vector<std::string> kKappas{"l1", "huber", "relativistic", "dead_zone", "log_cosh", "quadratic", "l2", "linf"};
const std::set<std::string> kSmooth{"huber", "relativistic", "log_cosh", "quadratic"};

struct SyntheticSpec {
  long long n = 500, d = 10, seed = 0;
  double condition = 10, signal = 4, noise = 0.1;
  static constexpr auto fields() {
    return std::tuple{
        field("n", &SyntheticSpec::n, ">= 2", [](long long v) { return v >= 2; }, "rows"),
        field("d", &SyntheticSpec::d, ">= 1", [](long long v) { return v >= 1; }, "features"),
        field("condition", &SyntheticSpec::condition, ">= 1", [](double v) { return v >= 1; }, "condition number of the features"),
        field("signal", &SyntheticSpec::signal, "> 0", [](double v) { return v > 0; }, "scale of the planted logistic coefficients"),
        field("noise", &SyntheticSpec::noise, ">= 0", [](double v) { return v >= 0; }, "Gaussian noise of a least-squares response"),
        field("seed", &SyntheticSpec::seed, ">= 0", [](long long v) { return v >= 0; }, "seed of the data")};
  }
};

struct ProblemSpec {
  std::string name, type, data, response = "y";
  bool synthetic = false, standardize = true;
  SyntheticSpec gen;
  std::vector<double> positive_labels, lambdas;
};

struct LionSpec {
  long long steps = 6000;
  double lr_lambda = 0.01, start_radius = 3.0, entry_tolerance = 1e-3, beta1 = 0.9, beta2 = 0.99;
  double delta = 0.5, dead_zone_delta = 0.05, log_cosh_beta = 1.0;
  std::vector<std::string> kappas;
  std::vector<ProblemSpec> problems;
  static constexpr auto fields() {
    return std::tuple{
        field("steps", &LionSpec::steps, ">= 10", [](long long v) { return v >= 10; }, "steps of every run"),
        field("lr_lambda", &LionSpec::lr_lambda, "0 < lr·λ <= 1 (box invariance)", [](double v) { return v > 0 && v <= 1; },
              "lr·λ, the same for every λ"),
        field("start_radius", &LionSpec::start_radius, "> 1 (start outside the set)", [](double v) { return v > 1; },
              "the start's entries are ±start_radius/λ"),
        field("entry_tolerance", &LionSpec::entry_tolerance, "0 < tol < 1", [](double v) { return v > 0 && v < 1; },
              "violation·λ at which the iterate counts as inside"),
        field("beta1", &LionSpec::beta1, "0 <= beta1 < 1", [](double v) { return v >= 0 && v < 1; }, "Lion's β₁"),
        field("beta2", &LionSpec::beta2, "0 <= beta2 < 1", [](double v) { return v >= 0 && v < 1; }, "Lion's β₂"),
        field("delta", &LionSpec::delta, "> 0", [](double v) { return v > 0; }, "δ of the Huber and relativistic κ"),
        field("dead_zone_delta", &LionSpec::dead_zone_delta, "> 0", [](double v) { return v > 0; }, "δ of the dead-zone κ"),
        field("log_cosh_beta", &LionSpec::log_cosh_beta, "> 0", [](double v) { return v > 0; }, "β of the log-cosh κ")};
  }
};

LionSpec read_lion(const toml::table& t, const SuiteInput& in) {
  const TableReader r{in.file, in.origins};
  r.only(t, "lion", TableReader::declared_keys<LionSpec>({"kappas", "problem"}));
  LionSpec s;
  r.declared(t, "lion", s);
  s.kappas = r.strings(t, "lion", "kappas", kKappas, kKappas);
  for (const auto& node : r.tables(t, "lion", "problem")) {
    const auto& pt = *node.as_table();
    r.only(pt, "lion.problem", {"name", "type", "data", "response", "synthetic", "positive_labels", "standardize", "lambdas"});
    ProblemSpec p;
    p.name = r.string(pt, "lion.problem", "name", "");
    p.type = r.string(pt, "lion.problem", "type", "", {"least_squares", "logistic"});
    p.standardize = r.boolean(pt, "lion.problem", "standardize", true);
    p.lambdas = r.numbers(pt, "lion.problem", "lambdas", [](double v) { return v > 0; }, "> 0");
    if (const toml::table* syn = pt.get_as<toml::table>("synthetic")) {
      if (pt.get("data")) r.fail(*pt.get("data"), "lion.problem", "data", "give either 'data' or a [synthetic] table, not both");
      r.only(*syn, "lion.problem.synthetic", TableReader::declared_keys<SyntheticSpec>());
      p.synthetic = true;
      r.declared(*syn, "lion.problem.synthetic", p.gen);
    } else {
      const std::string data = r.string(pt, "lion.problem", "data", "");
      p.data = resolve_data_path(data, in.base_dir);
      if (p.data.empty()) r.fail(*pt.get("data"), "lion.problem", "data", "file '" + data + "' not found");
      p.response = r.string(pt, "lion.problem", "response", "y");
    }
    if (const toml::node* labels = pt.get("positive_labels")) {
      if (p.synthetic) r.fail(*labels, "lion.problem", "positive_labels", "is for a data file (synthetic labels are 0/1)");
      p.positive_labels = r.numbers(pt, "lion.problem", "positive_labels", [](double) { return true; }, "a label");
    }
    s.problems.push_back(std::move(p));
  }
  return s;
}

SuiteData load(const ProblemSpec& p) {
  SuiteData d;
  if (p.synthetic) {
    const SyntheticSpec& gen = p.gen;
    auto g = cp::make_logistic_data<double>({.n = gen.n, .d = gen.d, .condition = gen.condition, .signal = gen.signal,
                                             .seed = static_cast<unsigned long long>(gen.seed)});
    d.X = std::move(g.A);
    d.y = std::move(g.y);
    if (p.type == "least_squares") {  // planted coefficients in [−4, 4] plus Gaussian noise
      boost::random::mt19937_64 rng(static_cast<unsigned long long>(gen.seed) + 1);
      boost::random::uniform_real_distribution<double> U(-4, 4);
      boost::random::normal_distribution<double> N;
      VecX<double> beta(gen.d);
      for (auto& v : beta) v = U(rng);
      d.y = d.X * beta;
      for (auto& v : d.y) v += gen.noise * N(rng);
    }
    if (p.standardize) cp::standardize(d.X);
  } else {
    d = load_suite_data(p.data, p.response, p.positive_labels, p.standardize);
  }
  if (p.type == "least_squares") d.y.array() -= d.y.mean();  // no intercept: center the response
  return d;
}

// A maximum over no iterates (nothing after entry, no smooth κ in the grid): shown as "—", and
// written as null so that a claim on it cannot pass vacuously (it reads as not measured).
constexpr double kNone = -std::numeric_limits<double>::infinity();
std::string cell(double v) { return v == kNone ? "—" : fmt::format("{:.2g}", v); }
double measured(double v) { return v == kNone ? kNotMeasured : v; }

struct RunMetrics {
  bool entered = false;
  long long entry = -1, predicted_entry = -1;
  double envelope_excess = kNone;  // max_t violation_t − Π_{s<t}(1 − η_s λ)·(initial excess), relative
  double violation_once_inside = 0; // largest violation after the first exactly-feasible iterate
  double distance = 0, gap = 0, lyapunov_increase = kNone, kkt = 0;  // kNone: no iterate after entry
  double reference_value = 0;
};

template <class K, class P>
RunMetrics run_one(const P& f, const K& kappa, double lambda, bool decay, const LionSpec& s, const std::filesystem::path& csv,
                   double& ceres_distance, bool want_ceres, const MatX<double>* A, const VecX<double>* b) {
  RunMetrics m;
  const auto R = co::composite_term<double>(kappa, lambda);
  VecX<double> xref = VecX<double>::Zero(f.dim());
  const auto ref = co::proximal_gradient(f, R, xref, static_cast<double>(f.lipschitz()), {.max_iterations = 400000});
  m.kkt = ref.certificate.value;
  m.reference_value = f.value(xref) + R.value(xref);
  if (want_ceres && A && b) {
    VecX<double> xc = VecX<double>::Zero(f.dim());
    co::ceres_box_least_squares(*A, *b, -1 / lambda, 1 / lambda, xc);  // active-set loop around Ceres
    ceres_distance = std::max(ceres_distance, (xc - xref).lpNorm<Eigen::Infinity>() * lambda);
  }
  const double lr = s.lr_lambda / lambda, radius = 1 / lambda;
  VecX<double> x(f.dim());
  for (Eigen::Index i = 0; i < x.size(); ++i) x[i] = (i % 2 ? -1.0 : 1.0) * s.start_radius * radius;
  co::LyapunovMonitor<double, K> mon(kappa, lambda, s.beta1, s.beta2);
  const co::LionK<double, K> opt({.beta1 = s.beta1, .beta2 = s.beta2, .weight_decay = lambda}, kappa);
  const co::MinimizeOptions mo{.max_iterations = s.steps};
  const auto summary = decay ? co::minimize(f, opt, x, mo, schedules::linear_decay(lr, s.steps), mon)
                             : co::minimize(f, opt, x, mo, lr, mon);
  // Phase 1 (spec §3.5): for a norm κ the violation·λ is at most Π_{s<t}(1 − η_s λ)·(excess at
  // t = 0); entry (violation ≤ tol) must come no later than that envelope reaches tol.
  const double tol = s.entry_tolerance;
  std::ostringstream out;
  out.precision(12);
  out << "iteration,value,violation,f_gap,lyapunov\n";  // violation·λ; f(x_t) − f(x*)
  double envelope = mon.violation.empty() ? 0.0 : mon.violation.front() * lambda;
  bool inside = false;
  for (std::size_t t = 0; t < summary.history.size(); ++t) {
    const double v = mon.violation[t] * lambda;
    if (t > 0) envelope *= 1 - summary.history[t - 1].lr * lambda;
    m.envelope_excess = std::max(m.envelope_excess, v - envelope);
    if (m.predicted_entry < 0 && envelope <= tol) m.predicted_entry = summary.history[t].iteration;
    if (!m.entered && v <= tol) {
      m.entered = true;
      m.entry = summary.history[t].iteration;
    }
    if (inside) m.violation_once_inside = std::max(m.violation_once_inside, v);
    inside = inside || v == 0;
    out << summary.history[t].iteration << ',' << summary.history[t].value << ',' << v << ',';
    out << (summary.history[t].value - f.value(xref)) << ',' << (std::isfinite(mon.H[t]) ? mon.H[t] : std::nan("")) << '\n';
    if (t > 0 && m.entered && std::isfinite(mon.H[t]) && std::isfinite(mon.H[t - 1]))
      m.lyapunov_increase = std::max(m.lyapunov_increase, (mon.H[t] - mon.H[t - 1]) / std::max(1.0, std::abs(mon.H[t])));
  }
  write_atomic(csv, out.str());
  const double Fx = f.value(x) + R.value(x);
  m.gap = std::isfinite(Fx) ? (Fx - m.reference_value) / std::max(1.0, std::abs(m.reference_value)) : std::numeric_limits<double>::infinity();
  m.distance = (x - xref).lpNorm<Eigen::Infinity>() * lambda;
  return m;
}

template <class F>
auto with_kappa(const std::string& name, const LionSpec& s, F&& fn) {
  if (name == "l1") return fn(co::SignK{});
  if (name == "huber") return fn(co::HuberK{s.delta});
  if (name == "relativistic") return fn(co::RelativisticK{s.delta});
  if (name == "dead_zone") return fn(co::DeadZoneK{s.dead_zone_delta});
  if (name == "log_cosh") return fn(co::LogCoshK{s.log_cosh_beta});
  if (name == "quadratic") return fn(co::QuadraticK{});
  if (name == "l2") return fn(co::L2NormK{});
  return fn(co::LInfK{});
}

struct LionMetrics {
  double entry_fraction = kNotMeasured, envelope_excess = kNotMeasured, once_inside = kNotMeasured,
         entry_vs_bound = kNotMeasured, distance_decay = kNotMeasured, distance_constant = kNotMeasured,
         kappa_gap_decay = kNotMeasured, kappa_distance_decay = kNotMeasured, smooth_lyapunov_increase = kNotMeasured,
         lion_lyapunov_increase = kNotMeasured, reference_kkt = kNotMeasured, ceres_distance = kNotMeasured;
  static constexpr auto fields() {
    using M = LionMetrics;
    return std::tuple{
        field("lion_entry_fraction", &M::entry_fraction, "runs of a norm κ whose iterate entered the set"),
        field("lion_envelope_excess", &M::envelope_excess, "largest violation·λ above the phase-1 envelope"),
        field("lion_max_violation_once_inside", &M::once_inside, "largest violation·λ after an exactly feasible iterate"),
        field("lion_entry_vs_bound", &M::entry_vs_bound, "largest entry step ÷ the envelope's entry step"),
        field("lion_distance_linear_decay", &M::distance_decay, "Lion (κ = l1), linear decay: ‖x_T − x*‖∞·λ"),
        field("lion_distance_constant", &M::distance_constant, "Lion (κ = l1), constant lr: ‖x_T − x*‖∞·λ"),
        field("kappa_max_gap_linear_decay", &M::kappa_gap_decay, "every κ, linear decay: largest relative gap of F"),
        field("kappa_max_distance_linear_decay", &M::kappa_distance_decay, "every κ, linear decay: largest ‖x_T − x*‖∞·λ"),
        field("smooth_kappa_max_lyapunov_increase", &M::smooth_lyapunov_increase,
              "smooth κ, linear decay: largest relative increase of the Lyapunov function after entry"),
        field("lion_max_lyapunov_increase", &M::lion_lyapunov_increase,
              "Lion (κ = l1): largest relative increase of the Lyapunov function after entry"),
        field("reference_max_kkt", &M::reference_kkt, "largest KKT residual of the proximal-gradient references"),
        field("ceres_vs_reference_distance", &M::ceres_distance, "Ceres's box least squares against the reference, ·λ")};
  }
};

LionMetrics run_lion_kappa(const LionSpec& s, SuiteOutput& out) {
  const std::filesystem::path& dir = out.dir;
  std::size_t total = 0, done = 0;
  for (const auto& p : s.problems) total += p.lambdas.size() * s.kappas.size() * 2;
  double entered = 0, norm_runs = 0, envelope_excess = kNone, once_inside = 0, entry_ratio = 0, dist_decay = 0,
         dist_const = 0, gap_decay = kNone, kdist_decay = 0, smooth_inc = kNone, lion_inc = kNone, max_kkt = 0,
         ceres_dist = 0;
  std::ostringstream md;
  md << "One row per (problem, λ, κ); schedule: constant lr = lr·λ/λ, or linear decay from it to 0, " << s.steps
     << " steps from ‖x₀‖ = " << s.start_radius << "/λ. Distance: ‖x_T − x*‖∞·λ; gap: (F(x_T) − F*)/max(1, |F*|) with "
     << "F = f + (1/λ)κ*(λx); ΔH: the largest relative increase of the discrete Lyapunov function after entry.\n\n"
     << "| problem | λ | κ | entry (envelope bound, constant lr) | distance const | distance decay | gap decay | max ΔH decay | ref KKT |\n"
     << "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& ps : s.problems) {
    const SuiteData d = load(ps);
    for (double lambda : ps.lambdas) {
      for (const auto& kname : s.kappas) {
        RunMetrics mc, md_;
        const std::string stem = ps.name + "_lambda" + fmt::format("{}", lambda) + "_" + kname;
        auto go = [&](auto kappa) {
          auto one = [&](const auto& f) {
            const bool ceres = ps.type == "least_squares" && kname == "l1";
            mc = run_one(f, kappa, lambda, false, s, dir / (stem + "_constant.csv"), ceres_dist, ceres, &d.X, &d.y);
            out.progress(++done, total);
            md_ = run_one(f, kappa, lambda, true, s, dir / (stem + "_decay.csv"), ceres_dist, false, nullptr, nullptr);
            out.progress(++done, total);
          };
          if (ps.type == "least_squares") one(cp::LeastSquares<double>(d.X, d.y));
          else one(cp::Logistic<double>(d.X, d.y));
          return 0;
        };
        with_kappa(kname, s, go);
        max_kkt = std::max({max_kkt, mc.kkt, md_.kkt});
        gap_decay = std::max(gap_decay, md_.gap);
        kdist_decay = std::max(kdist_decay, md_.distance);
        if (kSmooth.count(kname)) smooth_inc = std::max(smooth_inc, md_.lyapunov_increase);
        if (kname == "l1" || kname == "l2" || kname == "linf") {  // norms: phase-1 envelope and invariance
          for (const auto* m : {&mc, &md_}) {
            norm_runs += 1;
            entered += m->entered;
            envelope_excess = std::max(envelope_excess, m->envelope_excess);
            once_inside = std::max(once_inside, m->violation_once_inside);
            if (m->entered && m->predicted_entry > 0)
              entry_ratio = std::max(entry_ratio, static_cast<double>(m->entry) / static_cast<double>(m->predicted_entry));
          }
        }
        if (kname == "l1") {
          dist_decay = std::max(dist_decay, md_.distance);
          dist_const = std::max(dist_const, mc.distance);
          lion_inc = std::max({lion_inc, mc.lyapunov_increase, md_.lyapunov_increase});
          // The two phases: violation and gap against iterations.
          std::ostringstream gp;
          gp << "set title " << gnuplot_quote("Lion on " + ps.name + ", λ = " + fmt::format("{}", lambda) + ": entry, then optimization")
             << " noenhanced\nset xlabel 'iteration'\nset ylabel 'violation·λ and f - f*'\nset logscale y\nset format y '10^{%L}'\n"
             << "set grid\nset key outside right top noenhanced\nset datafile separator ','\nset datafile columnheaders\n"
             << "plot " << gnuplot_quote((dir / (stem + "_constant.csv")).string()) << " using 1:($3 > 0 ? $3 : 1/0) with lines lw 2 title 'violation·λ (constant lr)', "
             << gnuplot_quote((dir / (stem + "_constant.csv")).string()) << " using 1:($4 > 0 ? $4 : 1/0) with lines lw 2 title 'f - f* (constant lr)', "
             << gnuplot_quote((dir / (stem + "_decay.csv")).string()) << " using 1:($4 > 0 ? $4 : 1/0) with lines lw 2 title 'f - f* (linear decay)'\n";
          out.plot(stem + "_phases.png", gp.str());
        }
        md << "| " << ps.name << " | " << lambda << " | " << kname << " | "
           << fmt::format("{} ({})", mc.entry, mc.predicted_entry) << " | "
           << fmt::format("{:.2g}", mc.distance) << " | " << fmt::format("{:.2g}", md_.distance) << " | "
           << fmt::format("{:.2g}", md_.gap) << " | " << cell(md_.lyapunov_increase) << " | "
           << fmt::format("{:.1g}", std::max(mc.kkt, md_.kkt)) << " |\n";
      }
    }
  }
  out.details_markdown = md.str();
  LionMetrics m;
  m.entry_fraction = norm_runs > 0 ? entered / norm_runs : 0.0;
  m.envelope_excess = measured(envelope_excess);
  m.once_inside = once_inside;
  m.entry_vs_bound = entry_ratio;
  m.distance_decay = dist_decay;
  m.distance_constant = dist_const;
  m.kappa_gap_decay = measured(gap_decay);
  m.kappa_distance_decay = kdist_decay;
  m.smooth_lyapunov_increase = measured(smooth_inc);
  m.lion_lyapunov_increase = measured(lion_inc);
  m.reference_kkt = max_kkt;
  m.ceres_distance = ceres_dist;
  return m;
}

}  // namespace

SuiteRunner lion_kappa_suite() { return suite_runner("lion_kappa", "lion", read_lion, run_lion_kappa); }

}  // namespace convlab::experiments
