#include "suites/network_suite.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <numeric>
#include <sstream>

#include <Eigen/QR>

#include <convlab/core/random.hpp>
#include <convlab/optim/any_kappa.hpp>
#include <convlab/optim/lion_k.hpp>
#include <convlab/optim/minimize.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/problems/data_io.hpp>
#include <convlab/problems/graphs.hpp>
#include <convlab/problems/synthetic.hpp>
#include <convlab/schedules/cosine.hpp>
#include <convlab/schedules/linear.hpp>
#include <convlab/schedules/piecewise.hpp>
#include <convlab/schedules/refined.hpp>
#include <convlab/schedules/warmup.hpp>
#include <convlab/torch/optimizer.hpp>
#include <convlab/torch/problem.hpp>
#include <fmt/format.h>
#include <torch/torch.h>

#include "report/plots.hpp"
#include "fit/run_folder.hpp"
#include "suites/statistics.hpp"
#include "suites/suite.hpp"
#include "config/table_reader.hpp"

namespace convlab::experiments {
namespace {

namespace co = convlab::optim;
namespace cs = convlab::schedules;

// ---- shared: the data split, the network, the training loop -------------------------------

// Training, validation and test rows of one task: the digits (10 classes), two moons (2 classes)
// or a teacher network's regression (one output; y is then float, else class indices).
struct Split {
  torch::Tensor X_train, y_train, X_valid, y_valid, X_test, y_test;
  std::int64_t inputs = 0, outputs = 0;
  bool regression = false;
  std::string description;  // for the report
  std::string score_name() const { return regression ? "r2" : "accuracy"; }
};

const std::vector<std::string> kSynthetic{"teacher_regression", "two_moons"};

struct DataSpec {
  std::string data;       // a LIBSVM file of 8 × 8 digits, or empty with `synthetic`
  std::string synthetic;  // one of kSynthetic
  long long rows = 1800, features = 10, teacher_hidden = 16;
  double noise = 0.1;
  long long split_seed = 7, train = 1200, valid = 300;
  std::vector<long long> hidden{32};
  long long epochs = 20, batch = 64;
  std::vector<long long> seeds{1, 2, 3, 4, 5};
};

// The keys of parse_data and a runner's own.
std::set<std::string> keys_with_data(std::initializer_list<std::string> own) {
  std::set<std::string> k{"data", "synthetic", "rows", "features", "teacher_hidden", "noise", "split_seed",
                          "train_rows", "valid_rows", "hidden", "epochs", "batch_size", "seeds"};
  k.insert(own.begin(), own.end());
  return k;
}

DataSpec parse_data(const toml::table& t, const std::string& section, const TableReader& r, const std::filesystem::path& base) {
  DataSpec d;
  auto node = [&](const char* key) -> const toml::node& { return t.get(key) ? *t.get(key) : t; };  // the section when the key is absent
  if (t.get("synthetic")) d.synthetic = r.string(t, section, "synthetic", "", kSynthetic);
  if (!d.synthetic.empty()) {
    if (t.get("data")) r.fail(*t.get("data"), section, "data", "give either data (a file) or synthetic, not both");
    d.rows = r.integer(t, section, "rows", d.rows, 30);
    d.features = r.integer(t, section, "features", d.features, 1);
    d.teacher_hidden = r.integer(t, section, "teacher_hidden", d.teacher_hidden, 1);
    d.noise = r.number(t, section, "noise", d.noise, [](double v) { return v >= 0 && std::isfinite(v); }, ">= 0");
  } else {
    for (const char* key : {"rows", "features", "teacher_hidden", "noise"})
      if (t.get(key)) r.fail(*t.get(key), section, key, "only with synthetic = \"teacher_regression\" or \"two_moons\"");
    if (!t.get("data")) r.fail(t, section, "data", fmt::format("missing: give data (a file) or synthetic ({})", fmt::join(kSynthetic, " | ")));
    const std::string data = r.string(t, section, "data", "");
    d.data = resolve_data_path(data, base);
    if (d.data.empty()) r.fail(*t.get("data"), section, "data", "file '" + data + "' not found");
  }
  d.split_seed = r.integer(t, section, "split_seed", d.split_seed, 0);
  d.train = r.integer(t, section, "train_rows", d.train, 10);
  d.valid = r.integer(t, section, "valid_rows", d.valid, 10);
  if (!d.synthetic.empty() && d.train + d.valid >= d.rows)
    r.fail(node("rows"), section, "rows", fmt::format("{} rows; train_rows + valid_rows ({}) must leave test rows", d.rows, d.train + d.valid));
  d.hidden = r.integers(t, section, "hidden", d.hidden, 1, 4096, true);
  d.epochs = r.integer(t, section, "epochs", d.epochs, 1);
  d.batch = r.integer(t, section, "batch_size", d.batch, 1);
  if (d.batch > d.train) r.fail(*t.get("batch_size"), section, "batch_size", fmt::format("{} is larger than train_rows ({})", d.batch, d.train));
  d.seeds = r.integers(t, section, "seeds", d.seeds, 0, 1000000000);
  return d;
}

// The task's rows in a seeded train / validation / test split. Synthetic data are drawn with
// split_seed too. Digits: pixels 0..16 scaled to [0, 1].
Split load_split(const DataSpec& d) {
  Split out;
  Eigen::MatrixXf X;
  Eigen::VectorXd y;
  if (d.synthetic == "teacher_regression") {
    const auto t = problems::make_teacher_regression({.n = d.rows, .d = d.features, .hidden = d.teacher_hidden, .noise = d.noise,
                                                      .seed = static_cast<unsigned long long>(d.split_seed)});
    X = t.A.cast<float>();
    y = t.y;
    out.regression = true;
    out.outputs = 1;
    out.description = fmt::format("a teacher network's regression ({} inputs ~ N(0, I), teacher {}-{}-1 tanh, noise {})", d.features,
                                  d.features, d.teacher_hidden, d.noise);
  } else if (d.synthetic == "two_moons") {
    const auto m = problems::make_two_moons(d.rows, d.noise, static_cast<unsigned long long>(d.split_seed));
    X = m.points.cast<float>();
    y = Eigen::Map<const Eigen::VectorXi>(m.moon.data(), d.rows).cast<double>();
    out.outputs = 2;
    out.description = fmt::format("two moons (2 inputs, 2 classes, noise {})", d.noise);
  } else {
    const auto ds = problems::load_libsvm(d.data, {.num_features = 64});
    X = (Eigen::MatrixXd(ds.X) / 16.0).cast<float>();
    y = ds.y;
    if (y.size() > 0 && (y.minCoeff() < 0 || y.maxCoeff() > 9 || (y.array() != y.array().round()).any()))
      throw ConfigError(fmt::format("{}: labels must be the digits 0..9", d.data));
    out.outputs = 10;
    out.description = "the digits (64 pixels, 10 classes)";
  }
  const Eigen::Index n = X.rows(), p = X.cols();
  if (d.train + d.valid >= n)
    throw ConfigError(fmt::format("{}: {} rows; train_rows + valid_rows must leave test rows", d.data, n));
  out.inputs = p;
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  Rng rng(static_cast<std::uint64_t>(d.split_seed));
  shuffle(order.begin(), order.end(), rng);
  auto rows = torch::empty({n, p});
  auto targets = out.regression ? torch::empty({n}) : torch::empty({n}, torch::kLong);
  auto* px = rows.data_ptr<float>();
  for (std::size_t i = 0; i < order.size(); ++i) {
    for (Eigen::Index j = 0; j < p; ++j) px[i * static_cast<std::size_t>(p) + static_cast<std::size_t>(j)] = X(order[i], j);
    if (out.regression) targets.data_ptr<float>()[i] = static_cast<float>(y[order[i]]);
    else targets.data_ptr<std::int64_t>()[i] = static_cast<std::int64_t>(y[order[i]]);
  }
  const std::int64_t a = d.train, b = d.train + d.valid;
  out.X_train = rows.slice(0, 0, a), out.y_train = targets.slice(0, 0, a);
  out.X_valid = rows.slice(0, a, b), out.y_valid = targets.slice(0, a, b);
  out.X_test = rows.slice(0, b), out.y_test = targets.slice(0, b);
  return out;
}

// Mean squared error for a regression (one output), cross-entropy otherwise: a mean over rows.
torch::Tensor task_loss(bool regression, const torch::Tensor& out, const torch::Tensor& y) {
  return regression ? torch::mse_loss(out.squeeze(1), y) : torch::nn::functional::cross_entropy(out, y);
}

torch::nn::Sequential make_mlp(const Split& d, const std::vector<long long>& hidden, long long seed) {
  torch::manual_seed(static_cast<std::uint64_t>(seed));
  torch::nn::Sequential net;
  long long in = d.inputs;
  for (long long h : hidden) {
    net->push_back(torch::nn::Linear(in, h));
    net->push_back(torch::nn::ReLU());
    in = h;
  }
  net->push_back(torch::nn::Linear(in, d.outputs));
  return net;
}

// Higher is better: accuracy for classes, R² = 1 − MSE / variance of y for a regression.
double score(torch::nn::Sequential& net, const Split& d, const torch::Tensor& X, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  const auto out = net->forward(X);
  if (!d.regression) return out.argmax(1).eq(y).to(torch::kDouble).mean().item<double>();
  const auto yd = y.to(torch::kDouble);
  return 1 - (out.squeeze(1).to(torch::kDouble) - yd).square().mean().item<double>() / (yd - yd.mean()).square().mean().item<double>();
}

// A regression's baseline: R² on the test rows of the least-squares line (with intercept) fitted
// to the training rows. What the network gains over it is what needs a nonlinear model.
double line_test_r2(const Split& d) {
  auto design = [](const torch::Tensor& X) {
    const auto Xd = X.to(torch::kDouble).contiguous();
    Eigen::MatrixXd A(Xd.size(0), Xd.size(1) + 1);
    A.leftCols(Xd.size(1)) = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        Xd.data_ptr<double>(), Xd.size(0), Xd.size(1));
    A.rightCols(1).setOnes();
    return A;
  };
  auto vec = [](const torch::Tensor& y) {
    const auto yd = y.to(torch::kDouble).contiguous();
    return Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(yd.data_ptr<double>(), yd.size(0)));
  };
  const Eigen::VectorXd beta = design(d.X_train).colPivHouseholderQr().solve(vec(d.y_train));
  const Eigen::VectorXd y = vec(d.y_test);
  return 1 - (design(d.X_test) * beta - y).squaredNorm() / (y.array() - y.mean()).square().sum();
}

std::string architecture(const Split& d, const std::vector<long long>& hidden) {
  return fmt::format("MLP {}-{}-{} (ReLU)", d.inputs, fmt::join(hidden, "-"), d.outputs);
}

std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> weights_and_biases(torch::nn::Sequential& net) {
  std::vector<torch::Tensor> w, b;
  for (const auto& p : net->named_parameters()) (p.key().find("weight") != std::string::npos ? w : b).push_back(p.value());
  return {w, b};
}

// ---- refined schedules on an MLP ------------------------------------------------------------

struct ScheduleSpec {
  DataSpec data;
  std::vector<double> peaks{0.03, 0.1, 0.3};
  double momentum = 0.9, refine_tau = 0.1;
  static constexpr auto fields() {
    return std::tuple{field("momentum", &ScheduleSpec::momentum, "0 <= momentum < 1", [](double v) { return v >= 0 && v < 1; }, "SGD's momentum"),
                      field("refine_tau", &ScheduleSpec::refine_tau, "0 < tau <= 1", [](double v) { return v > 0 && v <= 1; },
                            "τ of the refined schedule")};
  }
};

const std::vector<std::string> kNetworkSchedules{"linear_decay", "cosine", "step", "refined"};

ScheduleSpec parse_schedules(const toml::table& t, const SuiteInput& in) {
  const TableReader r{in.file, in.origins};
  const std::string sec = "network_schedules";
  r.only(t, sec, keys_with_data({"peaks", "momentum", "refine_tau"}));
  ScheduleSpec s;
  s.data = parse_data(t, sec, r, in.base_dir);
  if (t.get("peaks")) s.peaks = r.numbers(t, sec, "peaks", [](double v) { return v > 0 && std::isfinite(v); }, "> 0");
  r.declared(t, sec, s);
  return s;
}

struct ScheduleRun {
  double train_loss = 0, test_score = 0;
};

// A paired relative difference of the final training loss, mean over seeds with a 95% interval.
struct RelativeCell {
  double mean = kNotMeasured, lower = kNotMeasured, upper = kNotMeasured;
  static constexpr auto fields() {
    return std::tuple{field("relative_mean", &RelativeCell::mean, "paired relative difference of the final training loss, mean"),
                      field("relative_ci_lower", &RelativeCell::lower, "its 95% interval's lower end"),
                      field("relative_ci_upper", &RelativeCell::upper, "its 95% interval's upper end")};
  }
};
const std::vector<std::string> kRelatives{"linear_vs_cosine", "linear_vs_step", "refined_vs_linear"};

struct NetworkScheduleMetrics {
  std::vector<RelativeCell> relative;
  double linear_accuracy = kNotMeasured, refined_accuracy = kNotMeasured, linear_r2 = kNotMeasured, refined_r2 = kNotMeasured,
         line_r2 = kNotMeasured, linear_over_line = kNotMeasured, steps = kNotMeasured;
  static constexpr auto fields() {
    using M = NetworkScheduleMetrics;
    return std::tuple{metric_cells("comparison", kRelatives, &M::relative),
                      field("linear_decay_test_accuracy", &M::linear_accuracy, "classification: linear decay's test accuracy at its tuned lr"),
                      field("refined_test_accuracy", &M::refined_accuracy, "classification: the refined schedule's test accuracy"),
                      field("linear_decay_test_r2", &M::linear_r2, "regression: linear decay's test R²"),
                      field("refined_test_r2", &M::refined_r2, "regression: the refined schedule's test R²"),
                      field("line_test_r2", &M::line_r2, "regression: test R² of the least-squares line"),
                      field("linear_decay_r2_over_line", &M::linear_over_line, "regression: linear decay's test R² minus the line's"),
                      field("steps", &M::steps, "steps of every run")};
  }
};

NetworkScheduleMetrics run_network_schedules(const ScheduleSpec& s, SuiteOutput& out) {
  const std::filesystem::path& dir = out.dir;
  const auto& progress = out.progress;
  const int threads_before = torch::get_num_threads();
  torch::set_num_threads(1);  // LibTorch's kernels give the same bits only on one thread
  const Split d = load_split(s.data);
  const long long per_epoch = s.data.train / s.data.batch, T = s.data.epochs * per_epoch;
  const co::Sgd<float> sgd({.momentum = s.momentum});
  const co::MinimizeOptions base_options{.max_iterations = T, .batch_size = s.data.batch, .evaluate_every = per_epoch};
  // result[schedule][peak][seed]
  std::vector<std::vector<std::vector<ScheduleRun>>> result(
      kNetworkSchedules.size(), std::vector<std::vector<ScheduleRun>>(s.peaks.size(), std::vector<ScheduleRun>(s.data.seeds.size())));
  std::ostringstream runs_csv;
  runs_csv << "schedule,peak_lr,seed,final_train_loss,test_" << d.score_name() << "\n";
  const std::size_t total = s.peaks.size() * s.data.seeds.size();
  std::size_t done = 0;
  for (std::size_t pi = 0; pi < s.peaks.size(); ++pi)
    for (std::size_t si = 0; si < s.data.seeds.size(); ++si) {
      const long long seed = s.data.seeds[si];
      auto net = make_mlp(d, s.data.hidden, seed);
      const libtorch::TorchProblem<float> f(
          net->parameters(), [net](const torch::Tensor& x) mutable { return net->forward(x); },
          [regression = d.regression](const torch::Tensor& out, const torch::Tensor& y) { return task_loss(regression, out, y); }, d.X_train,
          d.y_train);
      const Eigen::VectorXf x0 = f.parameters();
      co::MinimizeOptions options = base_options;
      options.seed = static_cast<unsigned long long>(seed);
      const double peak = s.peaks[pi];
      auto finish = [&](std::size_t k, const co::Summary& summary, const Eigen::VectorXf& x) {
        f.set_parameters(x);
        // A diverged run (x restored to its last finite iterate) counts as an infinite loss.
        result[k][pi][si] = {summary.status == co::Status::NonFinite ? std::numeric_limits<double>::infinity() : summary.final_value,
                             score(net, d, d.X_test, d.y_test)};
        runs_csv << fmt::format("{},{},{},{:.10g},{:.6g}\n", kNetworkSchedules[k], peak, seed, result[k][pi][si].train_loss,
                                result[k][pi][si].test_score);
      };
      // Linear decay, logging each step's gradient norm (L2: SGD), then the refined schedule.
      Eigen::VectorXf x = x0;
      options.record_step_norms = co::StepNorm::L2;
      const auto linear = co::minimize(f, sgd, x, options, cs::linear_decay(peak, T));
      finish(0, linear, x);
      options.record_step_norms = co::StepNorm::None;
      x = x0;
      finish(1, co::minimize(f, sgd, x, options, cs::cosine(peak, T)), x);
      x = x0;
      finish(2, co::minimize(f, sgd, x, options, cs::piecewise(peak, {T / 2, (3 * T) / 4}, {0.1, 0.1})), x);
      x = x0;
      const auto shape = cs::refine(linear.step_gradient_norms, {.tau = s.refine_tau});
      finish(3, co::minimize(f, sgd, x, options, cs::refined(shape, peak, T)), x);
      progress(++done, total);
    }
  torch::set_num_threads(threads_before);
  write_atomic(dir / "runs.csv", runs_csv.str());

  // Each schedule at its best peak (lowest mean final training loss over seeds), as the paper tunes.
  std::vector<std::size_t> best(kNetworkSchedules.size());
  auto mean_loss = [&](std::size_t k, std::size_t pi) {
    double m = 0;
    for (const auto& r : result[k][pi]) m += r.train_loss / static_cast<double>(result[k][pi].size());
    return m;
  };
  for (std::size_t k = 0; k < kNetworkSchedules.size(); ++k)
    for (std::size_t pi = 1; pi < s.peaks.size(); ++pi)
      if (mean_loss(k, pi) < mean_loss(k, best[k])) best[k] = pi;
  // Paired over seeds: (L_a − L_b) / L_b, each at its own best peak.
  auto relative = [&](std::size_t a, std::size_t b) {
    std::vector<double> v;
    for (std::size_t si = 0; si < s.data.seeds.size(); ++si)
      v.push_back((result[a][best[a]][si].train_loss - result[b][best[b]][si].train_loss) / result[b][best[b]][si].train_loss);
    return mean_ci(v);
  };
  const MeanInterval lin_cos = relative(0, 1), lin_step = relative(0, 2), ref_lin = relative(3, 0);
  NetworkScheduleMetrics m = make_metrics<NetworkScheduleMetrics>();
  m.relative = {{lin_cos.mean, lin_cos.lo, lin_cos.hi}, {lin_step.mean, lin_step.lo, lin_step.hi}, {ref_lin.mean, ref_lin.lo, ref_lin.hi}};
  auto mean_score = [&](std::size_t k) {
    double mean = 0;
    for (const auto& r : result[k][best[k]]) mean += r.test_score / static_cast<double>(result[k][best[k]].size());
    return mean;
  };
  (d.regression ? m.linear_r2 : m.linear_accuracy) = mean_score(0);
  (d.regression ? m.refined_r2 : m.refined_accuracy) = mean_score(3);
  m.steps = static_cast<double>(T);
  if (d.regression) {
    m.line_r2 = line_test_r2(d);
    m.linear_over_line = m.linear_r2 - m.line_r2;
  }

  std::ostringstream md;
  md << fmt::format("{} on {} ({} training rows, {} test rows), SGD with momentum {}, minibatches of {}, "
                    "{} epochs = {} steps, {} seeds; each schedule's peak lr tuned on {{{}}} by mean final training loss.\n\n",
                    architecture(d, s.data.hidden), d.description, s.data.train, d.X_test.size(0), s.momentum, s.data.batch,
                    s.data.epochs, T, s.data.seeds.size(), fmt::join(s.peaks, ", "));
  md << fmt::format("| schedule | best peak lr | final training loss (mean, 95% CI) | test {} (mean) |\n|---|---|---|---|\n",
                    d.regression ? "R²" : "accuracy");
  for (std::size_t k = 0; k < kNetworkSchedules.size(); ++k) {
    std::vector<double> losses;
    for (const auto& r : result[k][best[k]]) losses.push_back(r.train_loss);
    const MeanInterval st = mean_ci(losses);
    md << fmt::format("| {} | {} | {:.4g} [{:.4g}, {:.4g}] | {:.4f} |\n", kNetworkSchedules[k], s.peaks[best[k]], st.mean, st.lo, st.hi,
                      mean_score(k));
  }
  if (d.regression)
    md << fmt::format("\nBaseline: the least-squares line through the training rows reaches test R² {:.4f}.\n", m.line_r2);
  md << fmt::format("\nPaired relative differences of the final training loss (negative: the first is lower): linear − cosine {:+.3f} "
                    "[{:+.3f}, {:+.3f}], linear − step {:+.3f} [{:+.3f}, {:+.3f}], refined − linear {:+.3f} [{:+.3f}, {:+.3f}].\n",
                    lin_cos.mean, lin_cos.lo, lin_cos.hi, lin_step.mean, lin_step.lo, lin_step.hi, ref_lin.mean, ref_lin.lo, ref_lin.hi);
  out.details_markdown = md.str();
  return m;
}

}  // namespace

// ---- Lion-κ on a network: the box, and κ compared ------------------------------------------

namespace {

struct LionSpec {
  DataSpec data;
  double lambda = 2, start_radius = 3, box_lr = 0.01;
  std::vector<std::string> box_kappas{"sign", "nuclear"};
  std::vector<std::string> kappas{"sign", "l2", "huber", "nuclear"};
  std::map<std::string, std::vector<double>> kappa_lrs;
  double compare_weight_decay = 0.1, bias_lr = 3e-3;
  static constexpr auto fields() {
    using S = LionSpec;
    auto positive = [](double v) { return v > 0 && std::isfinite(v); };
    return std::tuple{field("lambda", &S::lambda, "> 0", positive, "weight decay λ of the box runs"),
                      field("start_radius", &S::start_radius, "> 1 (a start outside the box)", [](double v) { return v > 1 && std::isfinite(v); },
                            "every weight matrix starts at start_radius/λ in κ's norm"),
                      field("box_lr", &S::box_lr, "> 0", positive, "constant lr of the box runs (box_lr·λ < 1)"),
                      field("compare_weight_decay", &S::compare_weight_decay, ">= 0", [](double v) { return v >= 0; },
                            "weight decay of the κ comparison"),
                      field("bias_lr", &S::bias_lr, "> 0", positive, "lr of the biases (Lion, sign) in the κ comparison")};
  }
};

LionSpec parse_lion(const toml::table& t, const SuiteInput& in) {
  const TableReader r{in.file, in.origins};
  const std::string sec = "network_lion";
  r.only(t, sec, keys_with_data({"lambda", "start_radius", "box_lr", "kappa_lrs", "compare_weight_decay", "bias_lr"}));
  LionSpec s;
  s.data = parse_data(t, sec, r, in.base_dir);
  auto pos = [](double v) { return v > 0 && std::isfinite(v); };
  r.declared(t, sec, s);
  if (s.box_lr * s.lambda >= 1) r.fail(*t.get("box_lr"), sec, "box_lr", "box_lr · lambda must be < 1 (the box is then invariant)");
  const toml::table* lrs = t.get_as<toml::table>("kappa_lrs");
  if (!lrs) throw ConfigError(r.where(t) + ": [network_lion] is missing required table 'kappa_lrs' (a grid of peak lrs per κ)");
  s.kappas.clear();
  for (auto&& [k, v] : *lrs) {
    const std::string name(k.str());
    if (!co::with_kappa_named(name, [](auto) {}))
      r.fail(v, "network_lion.kappa_lrs", name, "not a κ (sign, huber, l2, linf, lp, relativistic, dead_zone, log_cosh, quadratic, nuclear)");
    s.kappas.push_back(name);
    s.kappa_lrs[name] = r.numbers(*lrs, "network_lion.kappa_lrs", name, pos, "> 0");
  }
  return s;
}

co::AnyKappa kappa_named(const std::string& name) {
  co::AnyKappa k;  // sign unless `name` names another κ (checked by parse_lion)
  co::with_kappa_named(name, [&](auto entry) { k = co::AnyKappa(typename decltype(entry)::type{}); });
  return k;
}

using LionTorch = libtorch::Optimizer<co::LionK<float, co::AnyKappa>>;

// Group 0: the weight matrices with κ and weight decay; group 1: the biases, sign κ, no decay.
std::unique_ptr<LionTorch> make_lion(torch::nn::Sequential& net, const std::string& kappa, double weight_decay) {
  auto [w, b] = weights_and_biases(net);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(w, std::make_unique<LionTorch::Options>(0.0, co::LionK<float, co::AnyKappa>({.weight_decay = weight_decay}, kappa_named(kappa))));
  groups.emplace_back(b);
  return std::make_unique<LionTorch>(std::move(groups), LionTorch::Options(0.0));
}

// Epochs of seeded minibatches (Boost.Random order per epoch); lr(t) for the weights (group 0),
// bias_lr(t) for the biases (group 1); after_step(t) after each step.
template <class Lr, class BiasLr, class After>
void train(torch::nn::Sequential& net, torch::optim::Optimizer& opt, const Split& d, const DataSpec& spec, long long seed, const Lr& lr,
           const BiasLr& bias_lr, const After& after_step) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(d.X_train.size(0)));
  std::iota(order.begin(), order.end(), 0);
  Rng rng(static_cast<std::uint64_t>(seed) + 1000);
  long long t = 0;
  for (long long e = 0; e < spec.epochs; ++e) {
    shuffle(order.begin(), order.end(), rng);
    for (std::size_t b = 0; b + static_cast<std::size_t>(spec.batch) <= order.size(); b += static_cast<std::size_t>(spec.batch), ++t) {
      const auto idx = torch::from_blob(order.data() + b, {spec.batch}, torch::kLong);
      opt.param_groups()[0].options().set_lr(lr(t));
      opt.param_groups()[1].options().set_lr(bias_lr(t));
      opt.zero_grad();
      task_loss(d.regression, net->forward(d.X_train.index_select(0, idx)), d.y_train.index_select(0, idx)).backward();
      opt.step();
      after_step(t);
    }
  }
}

// λ·‖W‖ − 1 over the weight matrices, in the norm whose ball is κ's feasible set.
double box_excess(const std::vector<torch::Tensor>& weights, const std::string& kappa, double lambda) {
  torch::NoGradGuard no_grad;
  double worst = -1;
  for (const auto& w : weights) {
    const double norm = kappa == "nuclear" ? torch::linalg_svdvals(w.to(torch::kDouble)).max().item<double>() : w.abs().max().item<double>();
    worst = std::max(worst, lambda * norm - 1);
  }
  return worst;
}

struct NetworkLionMetrics {
  double final_excess = kNotMeasured, bound_violation = kNotMeasured, entry = kNotMeasured, start_excess = kNotMeasured,
         accuracy_min = kNotMeasured, accuracy_max = kNotMeasured, r2_min = kNotMeasured, r2_max = kNotMeasured;
  static constexpr auto fields() {
    using M = NetworkLionMetrics;
    return std::tuple{field("box_final_excess_max", &M::final_excess, "largest λ‖W‖ − 1 (κ's norm) after the last step of a box run"),
                      field("box_bound_violation_max", &M::bound_violation, "largest excess of λ‖W‖ − 1 over its bound (1 − ηλ)ᵗ(λ‖W₀‖ − 1)"),
                      field("box_entry_step_max", &M::entry, "latest step at which a box run came within 1e-3 of the box (T + 1: never)"),
                      field("box_start_excess", &M::start_excess, "λ‖W₀‖ − 1 at the start"),
                      field("kappa_test_accuracy_min", &M::accuracy_min, "classification: lowest test accuracy over κ at its tuned lr"),
                      field("kappa_test_accuracy_max", &M::accuracy_max, "classification: highest"),
                      field("kappa_test_r2_min", &M::r2_min, "regression: lowest test R² over κ"),
                      field("kappa_test_r2_max", &M::r2_max, "regression: highest")};
  }
};

NetworkLionMetrics run_network_lion(const LionSpec& s, SuiteOutput& out) {
  const std::filesystem::path& dir = out.dir;
  const auto& progress = out.progress;
  const int threads_before = torch::get_num_threads();
  torch::set_num_threads(1);
  const Split d = load_split(s.data);
  const long long T = s.data.epochs * (s.data.train / s.data.batch);
  std::size_t total = s.box_kappas.size() * s.data.seeds.size(), done = 0;
  for (const auto& k : s.kappas) total += s.kappa_lrs.at(k).size() * s.data.seeds.size();

  // 1. The box: start with every weight matrix at start_radius/λ in κ's norm, constant lr η;
  //    Lion-κ's step gives λ‖W_{t+1}‖ − 1 <= (1 − ηλ)(λ‖W_t‖ − 1) (‖∇κ‖ <= 1 in the dual norm).
  std::ostringstream box_csv;
  box_csv << "kappa,seed,step,excess,bound\n";
  double final_excess = -1, bound_violation = -1e300, start_excess = 0;
  long long entry_max = 0;
  std::ostringstream md;
  for (const auto& kappa : s.box_kappas)
    for (const long long seed : s.data.seeds) {
      auto net = make_mlp(d, s.data.hidden, seed);
      auto [weights, biases] = weights_and_biases(net);
      {
        torch::NoGradGuard no_grad;
        for (auto& w : weights) {
          const double norm = kappa == "nuclear" ? torch::linalg_svdvals(w.to(torch::kDouble)).max().item<double>() : w.abs().max().item<double>();
          w.mul_(s.start_radius / s.lambda / norm);
        }
      }
      auto opt = make_lion(net, kappa, s.lambda);
      const double e0 = box_excess(weights, kappa, s.lambda);
      start_excess = e0;
      long long entry = -1;
      double last = e0;
      const auto constant = [&](long long) { return s.box_lr; };
      train(net, *opt, d, s.data, seed, constant, constant, [&](long long step) {
        last = box_excess(weights, kappa, s.lambda);
        const double bound = std::max(0.0, std::pow(1 - s.box_lr * s.lambda, static_cast<double>(step + 1)) * e0);
        bound_violation = std::max(bound_violation, last - bound);
        if (entry < 0 && last <= 1e-3) entry = step + 1;
        if ((step + 1) % 10 == 0) box_csv << fmt::format("{},{},{},{:.8g},{:.8g}\n", kappa, seed, step + 1, last, bound);
      });
      final_excess = std::max(final_excess, last);
      entry_max = std::max(entry_max, entry < 0 ? T + 1 : entry);
      md << fmt::format("- box, κ = {}, seed {}: λ‖W‖ − 1 from {:.3f} to {:.2e}, inside within 1e-3 after {} steps, test {} {:.3f}\n",
                        kappa, seed, e0, last, entry < 0 ? std::string("(never)") : std::to_string(entry), d.score_name(), score(net, d, d.X_test, d.y_test));
      progress(++done, total);
    }
  write_atomic(dir / "box.csv", box_csv.str());

  // 2. κ compared at tuned lr: warmup-cosine, weight decay on the weight matrices, the lr chosen
  //    by the mean validation score over seeds, the test score reported at that lr.
  std::ostringstream cmp_csv;
  cmp_csv << fmt::format("kappa,peak_lr,seed,valid_{0},test_{0}\n", d.score_name());
  double acc_min = 1, acc_max = 0;
  md << fmt::format("\nκ compared: default initialization, warmup (10%) + cosine over {} steps, weight decay {} on the weight matrices, "
                    "biases stepped by sign with peak lr {}; peak lr tuned on validation rows, test {} (mean over {} seeds):\n\n"
                    "| κ | lr grid | best lr | test {} |\n|---|---|---|---|\n",
                    T, s.compare_weight_decay, s.bias_lr, d.score_name(), s.data.seeds.size(), d.score_name());
  for (const auto& kappa : s.kappas) {
    double best_valid = -1, best_test = 0, best_lr = 0;
    const auto& grid = s.kappa_lrs.at(kappa);
    for (const double peak : grid) {
      double valid = 0, test = 0;
      for (const long long seed : s.data.seeds) {
        auto net = make_mlp(d, s.data.hidden, seed);
        auto opt = make_lion(net, kappa, s.compare_weight_decay);
        train(net, *opt, d, s.data, seed, cs::warmup_cosine(0.0, peak, T / 10, T), cs::warmup_cosine(0.0, s.bias_lr, T / 10, T),
              [](long long) {});
        const double va = score(net, d, d.X_valid, d.y_valid), te = score(net, d, d.X_test, d.y_test);
        cmp_csv << fmt::format("{},{},{},{:.6g},{:.6g}\n", kappa, peak, seed, va, te);
        valid += va / static_cast<double>(s.data.seeds.size());
        test += te / static_cast<double>(s.data.seeds.size());
        progress(++done, total);
      }
      if (valid > best_valid) best_valid = valid, best_test = test, best_lr = peak;
    }
    acc_min = std::min(acc_min, best_test);
    acc_max = std::max(acc_max, best_test);
    md << fmt::format("| {} | {{{}}} | {} | {:.4f} |\n", kappa, fmt::join(grid, ", "), best_lr, best_test);
  }
  torch::set_num_threads(threads_before);
  write_atomic(dir / "kappas.csv", cmp_csv.str());

  NetworkLionMetrics m;
  m.final_excess = final_excess;
  m.bound_violation = bound_violation;
  m.entry = entry_max;
  m.start_excess = start_excess;
  (d.regression ? m.r2_min : m.accuracy_min) = acc_min;
  (d.regression ? m.r2_max : m.accuracy_max) = acc_max;
  std::string head = fmt::format("{} on {} ({} training rows), Lion-κ (β = 0.9, 0.99) on the weight matrices, minibatches of {}, {} "
                                 "steps. Box runs: λ = {}, constant lr {} (ηλ = {}), every weight matrix started at {}/λ in κ's norm "
                                 "(max |w| for sign, the operator norm for nuclear); the bound is (1 − ηλ)ᵗ(λ‖W₀‖ − 1).\n\n",
                                 architecture(d, s.data.hidden), d.description, s.data.train, s.data.batch, T, s.lambda, s.box_lr,
                                 s.box_lr * s.lambda, s.start_radius);
  out.details_markdown = head + md.str();
  std::ostringstream gp;
  gp << "set title 'Lion-kappa on an MLP: lambda*||W|| - 1 against its bound' noenhanced\nset xlabel 'step'\nset ylabel 'lambda*||W|| - 1'\n"
     << "set grid\nset key top right\nset datafile separator ','\nset datafile columnheaders\nplot "
     << gnuplot_quote((dir / "box.csv").string()) << " using 3:4 with points pt 7 ps 0.3 title 'measured (every kappa and seed)', '' using 3:5 with lines lw 2 title 'bound'\n";
  out.plot("box.png", gp.str());
  return m;
}

}  // namespace

SuiteRunner network_schedules_suite() {
  return suite_runner("network_schedules", "network_schedules", parse_schedules, run_network_schedules);
}
SuiteRunner network_lion_suite() { return suite_runner("network_lion", "network_lion", parse_lion, run_network_lion); }

}  // namespace convlab::experiments
