#include "suites/bilevel_svm_suite.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/normal_distribution.hpp>
#include <sstream>

#include <convlab/bilevel/implicit_gradient.hpp>
#include <convlab/core/random.hpp>
#include <convlab/bilevel/lvhba.hpp>
#include <convlab/bilevel/toy_problems.hpp>
#include <convlab/bilevel/weighted_svm.hpp>
#include <convlab/problems/data_io.hpp>

#include "suites/parallel_runs.hpp"
#include "report/plots.hpp"
#include "fit/run_folder.hpp"
#include "suites/suite.hpp"
#include "config/table_reader.hpp"

namespace convlab::experiments {
namespace {

namespace cb = convlab::bilevel;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kTasks{"real", "synthetic", "cleaning"};

struct TaskSpec {
  std::string task, data;  // data: a resolved CSV path, or empty for the synthetic 2-D set
  std::string response = "y";
  long long rows = 862, train = 500, validation = 150;
  double flip = 0;
};

struct SvmSpec {
  long long seeds = 3, seed = 1, lvhba_iterations = 2000, baseline_iterations = 200, records = 20;
  double c_start = 0, c_bound = 10, upper_weight = 1;
  cb::LvhbaOptions lvhba{.alpha = 0.003, .beta = 0.01, .eta = 0.001, .gamma1 = 10, .gamma2 = 10, .c0 = 1, .p = 0.5, .box = 1};
  cb::ImplicitGradientOptions baseline{.step = 1};
  std::vector<TaskSpec> tasks;
  static constexpr auto fields() {
    using S = SvmSpec;
    return std::tuple{
        field("seeds", &S::seeds, ">= 1", [](long long v) { return v >= 1; }, "seeds per task"),
        field("seed", &S::seed, ">= 0", [](long long v) { return v >= 0; }, "the first seed"),
        field("lvhba_iterations", &S::lvhba_iterations, ">= 1", [](long long v) { return v >= 1; }, "LV-HBA's iterations"),
        field("baseline_iterations", &S::baseline_iterations, ">= 1", [](long long v) { return v >= 1; },
              "the implicit-gradient baseline's iterations"),
        field("records", &S::records, ">= 1", [](long long v) { return v >= 1; }, "evaluations recorded per run"),
        field("c_start", &S::c_start, "|c_start| <= 50", [](double v) { return std::abs(v) <= 50; }, "start of every log-weight c"),
        field("c_bound", &S::c_bound, "0 < c_bound <= 700", [](double v) { return v > 0 && v <= 700; }, "X = [−c_bound, c_bound]ⁿ"),
        field("upper_weight", &S::upper_weight, "> 0", [](double v) { return v > 0; }, "weight of the upper-level loss F")};
  }
};

SvmSpec read_svm(const toml::table& t, const SuiteInput& in) {
  const TableReader r{in.file, in.origins};
  const std::filesystem::path& base = in.base_dir;
  r.only(t, "svm", TableReader::declared_keys<SvmSpec>({"lvhba", "baseline", "task"}));
  SvmSpec s;
  auto pos = [](double v) { return v > 0; };
  r.declared(t, "svm", s);
  if (const toml::table* l = t.get_as<toml::table>("lvhba")) {
    const std::string sec = "svm.lvhba";
    r.only(*l, sec, {"alpha", "beta", "eta", "gamma1", "gamma2", "c0", "p", "box"});
    auto& o = s.lvhba;
    o.alpha = r.number(*l, sec, "alpha", o.alpha, pos, "> 0");
    o.beta = r.number(*l, sec, "beta", o.beta, pos, "> 0");
    o.eta = r.number(*l, sec, "eta", o.eta, pos, "> 0");
    o.gamma1 = r.number(*l, sec, "gamma1", o.gamma1, pos, "> 0");
    o.gamma2 = r.number(*l, sec, "gamma2", o.gamma2, pos, "> 0");
    o.c0 = r.number(*l, sec, "c0", o.c0, pos, "> 0");
    o.p = r.number(*l, sec, "p", o.p, [](double v) { return v > 0 && v <= 0.5; }, "0 < p <= 1/2");
    o.box = r.number(*l, sec, "box", o.box, pos, "> 0");
  }
  if (const toml::table* b = t.get_as<toml::table>("baseline")) {
    r.only(*b, "svm.baseline", {"step", "active_tolerance"});
    s.baseline.step = r.number(*b, "svm.baseline", "step", s.baseline.step, pos, "> 0");
    s.baseline.active_tolerance =
        r.number(*b, "svm.baseline", "active_tolerance", s.baseline.active_tolerance, [](double v) { return v >= 0; }, ">= 0");
  }
  for (const auto& node : r.tables(t, "svm", "task")) {
    const auto& dt = *node.as_table();
    const std::string sec = "svm.task";
    r.only(dt, sec, {"task", "data", "response", "rows", "train", "validation", "flip"});
    TaskSpec d;
    d.task = r.string(dt, sec, "task", "", kTasks);
    for (const auto& other : s.tasks)
      if (other.task == d.task) r.fail(*dt.get("task"), sec, "task", "\"" + d.task + "\" appears twice");
    const std::string data = r.string(dt, sec, "data", "synthetic-2d");
    if (data != "synthetic-2d") {
      d.data = resolve_data_path(data, base);
      if (d.data.empty()) r.fail(*dt.get("data"), sec, "data", "file '" + data + "' not found");
      d.response = r.string(dt, sec, "response", "y");
    }
    d.rows = r.integer(dt, sec, "rows", d.rows, 10);
    d.train = r.integer(dt, sec, "train", d.train, 2);
    d.validation = r.integer(dt, sec, "validation", d.validation, 1);
    d.flip = r.number(dt, sec, "flip", 0.0, [](double v) { return v >= 0 && v < 0.5; }, "0 <= flip < 0.5");
    if (d.task == "cleaning" && d.flip == 0) r.fail(dt, sec, "flip", "the cleaning task needs flip > 0");
    s.tasks.push_back(std::move(d));
  }
  return s;
}

// Two Gaussian blobs in 2-D whose boundary bends (x₂ = 0.5 sin 2x₁): a linear SVM cannot fit it
// exactly, as with LIBSVM's fourclass.
void synthetic_2d(long long rows, Rng& rng, MatX<double>& X, VecX<double>& y) {
  boost::random::normal_distribution<double> N(0, 1);
  X.resize(rows, 2);
  y.resize(rows);
  for (long long i = 0; i < rows; ++i) {
    X(i, 0) = 1.5 * N(rng);
    X(i, 1) = N(rng);
    y[i] = X(i, 1) + 0.6 * X(i, 0) - 0.5 * std::sin(2 * X(i, 0)) + 0.4 * N(rng) > 0 ? 1 : -1;
  }
}

struct Split {
  cb::LabelledSet train, validation, test;
  std::vector<char> flipped;
};

Split make_split(const TaskSpec& t, const MatX<double>& X, const VecX<double>& y, Rng& rng) {
  const Eigen::Index n = X.rows();
  if (t.train + t.validation >= n)
    throw InvalidArgument("svm.task \"" + t.task + "\": train + validation = " + std::to_string(t.train + t.validation) +
                          " leaves no test rows (the data has " + std::to_string(n) + ")");
  std::vector<Eigen::Index> perm(static_cast<std::size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  convlab::shuffle(perm.begin(), perm.end(), rng);
  auto take = [&](Eigen::Index from, Eigen::Index count) {
    cb::LabelledSet s;
    s.Z.resize(count, X.cols());
    s.y.resize(count);
    for (Eigen::Index i = 0; i < count; ++i) {
      s.Z.row(i) = X.row(perm[static_cast<std::size_t>(from + i)]);
      s.y[i] = y[perm[static_cast<std::size_t>(from + i)]] > 0 ? 1 : -1;
    }
    return s;
  };
  Split sp{take(0, t.train), take(t.train, t.validation), take(t.train + t.validation, n - t.train - t.validation), {}};
  // Standardize by the training rows (constant columns are left centred).
  const VecX<double> mean = sp.train.Z.colwise().mean();
  VecX<double> sd = (sp.train.Z.rowwise() - mean.transpose()).array().square().colwise().mean().sqrt();
  for (auto& v : sd)
    if (!(v > 1e-12)) v = 1;
  for (auto* s : {&sp.train, &sp.validation, &sp.test})
    s->Z = ((s->Z.rowwise() - mean.transpose()).array().rowwise() / sd.transpose().array()).matrix();
  boost::random::bernoulli_distribution<double> flip(t.flip);
  sp.flipped.assign(static_cast<std::size_t>(t.train), 0);
  for (Eigen::Index i = 0; i < t.train; ++i)
    if (t.flip > 0 && flip(rng)) {
      sp.flipped[static_cast<std::size_t>(i)] = 1;
      sp.train.y[i] = -sp.train.y[i];
    }
  return sp;
}

// Area under the ROC curve of "low weight ⇒ flipped" (Mann–Whitney, ties count ½).
double flipped_auc(const VecX<double>& c, const std::vector<char>& flipped) {
  std::vector<Eigen::Index> order(static_cast<std::size_t>(c.size()));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return c[a] > c[b]; });  // rank 1 = largest c
  double rank_sum = 0, positives = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && c[order[j]] == c[order[i]]) ++j;
    const double mid = 0.5 * static_cast<double>(i + 1 + j);
    for (std::size_t k = i; k < j; ++k)
      if (flipped[static_cast<std::size_t>(order[k])]) rank_sum += mid, positives += 1;
    i = j;
  }
  const double negatives = static_cast<double>(c.size()) - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

struct Record {
  long long iteration;
  double seconds, val_loss, val_acc, test_loss, test_acc;
};

struct RunResult {
  std::vector<Record> lvhba, baseline;
  double uniform_test_acc = 0, uniform_val_loss = 0, lvhba_lower_test_acc = 0, lvhba_auc = 0, baseline_auc = 0, feasibility = 0;
  double lvhba_oracles_per_iteration = 0, baseline_newton_per_iteration = 0, baseline_kkt_size = 0;
};

std::vector<long long> checkpoints(long long iterations, long long records) {
  std::vector<long long> k;
  for (long long r = 1; r <= records; ++r) k.push_back(std::max<long long>(1, iterations * r / records));
  k.erase(std::unique(k.begin(), k.end()), k.end());
  return k;
}

RunResult run_one(const SvmSpec& s, const TaskSpec& t, std::size_t task_index, long long seed_index) {
  Rng rng(static_cast<unsigned long long>(s.seed) * 1000003ULL + task_index * 1009ULL + static_cast<unsigned long long>(seed_index));
  MatX<double> X;
  VecX<double> y;
  if (t.data.empty()) {
    synthetic_2d(t.rows, rng, X, y);
  } else {
    auto ds = problems::load_csv(t.data, {.response = t.response});
    X = std::move(ds.X);
    y = std::move(ds.y);
  }
  Split sp = make_split(t, X, y, rng);
  const cb::WeightedSvmBilevel P(sp.train, sp.validation, s.upper_weight, s.c_bound);
  const Eigen::Index n = P.upper_dim(), m = P.lower_dim(), d = P.features();
  RunResult res;
  auto record = [&](std::vector<Record>& out, long long k, double sec, const VecX<double>& yv) {
    const auto v = P.score(yv, sp.validation), te = P.score(yv, sp.test);
    out.push_back({k, sec, v.loss_mean, v.accuracy, te.loss_mean, te.accuracy});
  };
  // Reference: the SVM with uniform weights e^{c_start}.
  const VecX<double> c_start = VecX<double>::Constant(n, s.c_start);
  {
    VecX<double> yl, mu;
    P.solve_lower(c_start, yl, mu);
    res.uniform_test_acc = P.score(yl, sp.test).accuracy;
    res.uniform_val_loss = P.score(yl, sp.validation).loss_mean;
  }
  // The released scripts' start: w = 1, b = 0, ξ = 1, λ = z = 1 (clipped to the box).
  VecX<double> y0 = VecX<double>::Zero(m);
  y0.head(d).setOnes();
  y0.tail(n).setOnes();
  {
    const cb::CountingBilevel<cb::WeightedSvmBilevel> counted(P);
    const cb::Lvhba<cb::CountingBilevel<cb::WeightedSvmBilevel>> lv(s.lvhba);
    cb::LvhbaState st{c_start, y0, VecX<double>::Ones(n), y0, VecX<double>::Ones(n)};
    const auto marks = checkpoints(s.lvhba_iterations, s.records);
    double seconds = 0;
    auto t0 = Clock::now();
    lv.init(counted, st);
    seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    record(res.lvhba, 0, seconds, st.y);
    VecX<double> g(n);
    std::size_t next = 0;
    for (long long k = 1; k <= s.lvhba_iterations; ++k) {
      t0 = Clock::now();
      lv.step(counted, st);
      seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      P.constraint_value(st.x, st.y, g);
      res.feasibility = std::max(res.feasibility, g.maxCoeff());
      if (next < marks.size() && k == marks[next]) record(res.lvhba, k, seconds, st.y), ++next;
    }
    const auto& c = counted.counts();
    res.lvhba_oracles_per_iteration = static_cast<double>(c.upper_gradient + c.lower_gradient_x + c.lower_gradient_y + c.constraint_value +
                                                          c.jacobian_x + c.jacobian_y) /
                                      static_cast<double>(s.lvhba_iterations);
    VecX<double> yl, mu;
    P.solve_lower(st.x, yl, mu);
    res.lvhba_lower_test_acc = P.score(yl, sp.test).accuracy;
    if (t.flip > 0) res.lvhba_auc = flipped_auc(st.x, sp.flipped);
  }
  {
    const cb::ImplicitGradient<cb::WeightedSvmBilevel> ig(s.baseline);
    cb::ImplicitGradientState st{c_start, y0, VecX<double>()};
    const auto marks = checkpoints(s.baseline_iterations, s.records);
    double seconds = 0;
    long long newton = 0;
    double kkt = 0;
    std::size_t next = 0;
    for (long long k = 1; k <= s.baseline_iterations; ++k) {
      const auto t0 = Clock::now();
      const auto info = ig.step(P, st);
      seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      newton += info.lower_iterations;
      kkt += static_cast<double>(info.kkt_size);
      if (k == 1) record(res.baseline, 0, seconds, st.y);  // y*(c_start)
      if (next < marks.size() && k == marks[next]) {
        // Evaluate the lower-level solution at the new c (not timed).
        VecX<double> yl = st.y, mu;
        P.solve_lower(st.x, yl, mu);
        record(res.baseline, k, seconds, yl);
        ++next;
      }
    }
    res.baseline_newton_per_iteration = static_cast<double>(newton) / static_cast<double>(s.baseline_iterations);
    res.baseline_kkt_size = kkt / static_cast<double>(s.baseline_iterations);
    if (t.flip > 0) res.baseline_auc = flipped_auc(st.x, sp.flipped);
  }
  return res;
}

double mean_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); }

// One task's metrics: means over seeds.
struct SvmTask {
  double lvhba_acc = kNotMeasured, lvhba_lower_acc = kNotMeasured, baseline_acc = kNotMeasured, uniform_acc = kNotMeasured,
         lvhba_seconds = kNotMeasured, baseline_seconds = kNotMeasured, ratio = kNotMeasured, lvhba_val = kNotMeasured,
         baseline_val = kNotMeasured, uniform_val = kNotMeasured, lvhba_minus_baseline = kNotMeasured,
         lvhba_gain = kNotMeasured, baseline_gain = kNotMeasured;
  static constexpr auto fields() {
    using M = SvmTask;
    return std::tuple{
        field("lvhba_test_accuracy", &M::lvhba_acc, "test accuracy of LV-HBA's lower-level iterate"),
        field("lvhba_lower_test_accuracy", &M::lvhba_lower_acc, "test accuracy of y*(c) at LV-HBA's weights"),
        field("baseline_test_accuracy", &M::baseline_acc, "test accuracy of the implicit-gradient baseline"),
        field("uniform_test_accuracy", &M::uniform_acc, "test accuracy with uniform weights"),
        field("lvhba_seconds", &M::lvhba_seconds, "LV-HBA's seconds (updates only)"),
        field("baseline_seconds", &M::baseline_seconds, "the baseline's seconds (updates only)"),
        field("seconds_per_iteration_ratio", &M::ratio, "the baseline's seconds per iteration ÷ LV-HBA's"),
        field("lvhba_val_loss", &M::lvhba_val, "LV-HBA's validation loss"), field("baseline_val_loss", &M::baseline_val, "the baseline's validation loss"),
        field("uniform_val_loss", &M::uniform_val, "validation loss with uniform weights"),
        field("lvhba_minus_baseline_accuracy", &M::lvhba_minus_baseline, "LV-HBA's test accuracy minus the baseline's"),
        field("lvhba_gain_over_uniform", &M::lvhba_gain, "LV-HBA's test accuracy minus uniform weights'"),
        field("baseline_gain_over_uniform", &M::baseline_gain, "the baseline's test accuracy minus uniform weights'")};
  }
};

struct SvmMetrics {
  double feasibility = kNotMeasured, cleaning_lvhba_auc = kNotMeasured, cleaning_baseline_auc = kNotMeasured;
  std::vector<SvmTask> tasks;
  static constexpr auto fields() {
    using M = SvmMetrics;
    return std::tuple{field("lvhba_feasibility", &M::feasibility, "largest margin-constraint violation max g(c, y) over every LV-HBA iterate"),
                      field("cleaning_lvhba_auc", &M::cleaning_lvhba_auc, "cleaning task: AUC of a low LV-HBA weight as a detector of the flipped labels"),
                      field("cleaning_baseline_auc", &M::cleaning_baseline_auc, "cleaning task: the baseline's AUC"),
                      metric_cells("task", kTasks, &M::tasks)};
  }
};

SvmMetrics run_bilevel_svm(const SvmSpec& s, SuiteOutput& out) {
  const std::filesystem::path& dir = out.dir;
  const std::size_t T = s.tasks.size(), S = static_cast<std::size_t>(s.seeds);
  std::vector<RunResult> results(T * S);
  parallel_runs(T * S, out.progress, [&](std::size_t r) { results[r] = run_one(s, s.tasks[r / S], r / S, static_cast<long long>(r % S)); });

  std::ostringstream csv;
  csv << "task,seed,method,iteration,seconds,val_loss,val_accuracy,test_loss,test_accuracy\n";
  for (std::size_t r = 0; r < results.size(); ++r)
    for (const auto& [method, recs] : {std::pair<const char*, const std::vector<Record>*>{"lvhba", &results[r].lvhba}, {"baseline", &results[r].baseline}})
      for (const auto& x : *recs)
        csv << s.tasks[r / S].task << "," << r % S << "," << method << "," << x.iteration << ","
            << fmt::format("{:.6g},{:.8g},{:.6g},{:.8g},{:.6g}", x.seconds, x.val_loss, x.val_acc, x.test_loss, x.test_acc) << "\n";
  write_atomic(dir / "runs.csv", csv.str());

  SvmMetrics m = make_metrics<SvmMetrics>();
  std::ostringstream md;
  md << fmt::format("Per-sample weights e^c on the SVM (spec c.3, c.4), {} seeds per task, means over seeds. LV-HBA: {} iterations, α = {}, "
                    "β = {}, η = {}, γ₁ = {}, γ₂ = {}, c_k = (k+1)^{}, Z = [0, {}]; implicit-gradient baseline: {} iterations, step {}. "
                    "Start c = {} (uniform weights), X = [−{}, {}]ⁿ, F weighted by {}. Times count the updates only (evaluation excluded), "
                    "one thread per run.\n\n",
                    s.seeds, s.lvhba_iterations, s.lvhba.alpha, s.lvhba.beta, s.lvhba.eta, s.lvhba.gamma1, s.lvhba.gamma2, s.lvhba.p,
                    s.lvhba.box, s.baseline_iterations, s.baseline.step, s.c_start, s.c_bound, s.c_bound, s.upper_weight);
  md << "| task | data | uniform test acc | LV-HBA test acc (iterate) | LV-HBA test acc (y*(c)) | baseline test acc | LV-HBA s | baseline s | "
        "s/iteration ratio | LV-HBA oracle calls / it | baseline Newton steps / it, KKT size |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  double feas = 0;
  for (std::size_t ti = 0; ti < T; ++ti) {
    const auto& t = s.tasks[ti];
    std::vector<double> lv_acc, lv_low, ig_acc, un_acc, lv_s, ig_s, lv_val, ig_val, un_val, lv_auc, ig_auc, lv_or, ig_nt, ig_kkt;
    for (std::size_t k = 0; k < S; ++k) {
      const auto& r = results[ti * S + k];
      lv_acc.push_back(r.lvhba.back().test_acc);
      lv_low.push_back(r.lvhba_lower_test_acc);
      ig_acc.push_back(r.baseline.back().test_acc);
      un_acc.push_back(r.uniform_test_acc);
      lv_s.push_back(r.lvhba.back().seconds);
      ig_s.push_back(r.baseline.back().seconds);
      lv_val.push_back(r.lvhba.back().val_loss);
      ig_val.push_back(r.baseline.back().val_loss);
      un_val.push_back(r.uniform_val_loss);
      lv_auc.push_back(r.lvhba_auc);
      ig_auc.push_back(r.baseline_auc);
      lv_or.push_back(r.lvhba_oracles_per_iteration);
      ig_nt.push_back(r.baseline_newton_per_iteration);
      ig_kkt.push_back(r.baseline_kkt_size);
      feas = std::max(feas, r.feasibility);
    }
    const double ratio = (mean_of(ig_s) / static_cast<double>(s.baseline_iterations)) / (mean_of(lv_s) / static_cast<double>(s.lvhba_iterations));
    SvmTask& mt = m.tasks[cell_index(kTasks, t.task)];
    mt.lvhba_acc = mean_of(lv_acc);
    mt.lvhba_lower_acc = mean_of(lv_low);
    mt.baseline_acc = mean_of(ig_acc);
    mt.uniform_acc = mean_of(un_acc);
    mt.lvhba_seconds = mean_of(lv_s);
    mt.baseline_seconds = mean_of(ig_s);
    mt.ratio = ratio;
    mt.lvhba_val = mean_of(lv_val);
    mt.baseline_val = mean_of(ig_val);
    mt.uniform_val = mean_of(un_val);
    mt.lvhba_minus_baseline = mean_of(lv_acc) - mean_of(ig_acc);
    mt.lvhba_gain = mean_of(lv_acc) - mean_of(un_acc);
    mt.baseline_gain = mean_of(ig_acc) - mean_of(un_acc);
    if (t.task == "cleaning") {
      m.cleaning_lvhba_auc = mean_of(lv_auc);
      m.cleaning_baseline_auc = mean_of(ig_auc);
    }
    const std::string data = t.data.empty() ? "synthetic 2-D" : std::filesystem::path(t.data).filename().string();
    md << fmt::format("| {} | {} ({}/{}/rest{}) | {:.4f} | {:.4f} | {:.4f} | {:.4f} | {:.3g} | {:.3g} | {:.1f} | {:.1f} | {:.2f}, {:.0f} |\n", t.task, data,
                      t.train, t.validation, t.flip > 0 ? fmt::format(", {:.0f}% flipped", 100 * t.flip) : "", mean_of(un_acc), mean_of(lv_acc),
                      mean_of(lv_low), mean_of(ig_acc), mean_of(lv_s), mean_of(ig_s), ratio, mean_of(lv_or), mean_of(ig_nt), mean_of(ig_kkt));
    if (t.task == "cleaning")
      md << fmt::format("\nCleaning: AUC of the learned weights for telling flipped from clean training rows (low weight ⇒ flipped): "
                        "LV-HBA {:.3f}, baseline {:.3f}.\n\n",
                        mean_of(lv_auc), mean_of(ig_auc));
    // Mean curve over seeds: test accuracy against time.
    std::ostringstream curve;
    curve << "method,seconds,test_accuracy,val_loss\n";
    for (const auto& [method, pick] : {std::pair<std::string, int>{"lvhba", 0}, {"baseline", 1}}) {
      const auto& first = pick == 0 ? results[ti * S].lvhba : results[ti * S].baseline;
      for (std::size_t q = 0; q < first.size(); ++q) {
        double sec = 0, acc = 0, vl = 0;
        for (std::size_t k = 0; k < S; ++k) {
          const auto& rec = (pick == 0 ? results[ti * S + k].lvhba : results[ti * S + k].baseline)[q];
          sec += rec.seconds, acc += rec.test_acc, vl += rec.val_loss;
        }
        curve << method << "," << fmt::format("{:.6g},{:.6g},{:.6g}", std::max(sec / static_cast<double>(S), 1e-5), acc / static_cast<double>(S), vl / static_cast<double>(S)) << "\n";
      }
    }
    const auto curve_file = dir / ("curve_" + t.task + ".csv");
    write_atomic(curve_file, curve.str());
    std::ostringstream g2;
    g2 << "set title 'SVM with per-sample weights (" << t.task << "): test accuracy against time, mean over seeds' noenhanced\n"
       << "set xlabel 'seconds (updates only)'\nset ylabel 'test accuracy'\nset logscale x\nset grid\nset key bottom right\n"
       << "set datafile separator ','\nset datafile columnheaders\n"
       << "plot " << gnuplot_quote(curve_file.string()) << " using 2:(strcol(1) eq 'lvhba' ? $3 : 1/0) with linespoints lw 2 title 'LV-HBA (iterate)', "
       << "'' using 2:(strcol(1) eq 'baseline' ? $3 : 1/0) with linespoints lw 2 title 'implicit gradient'\n";
    out.plot("accuracy_" + t.task + ".png", g2.str());
  }
  m.feasibility = feas;
  md << fmt::format("\nLargest margin-constraint violation max g(c, y) over every LV-HBA iterate: {:.2g}.\n", feas);
  out.details_markdown = md.str();
  return m;
}

}  // namespace

SuiteRunner bilevel_svm_suite() { return suite_runner("bilevel_svm", "svm", read_svm, run_bilevel_svm); }

}  // namespace convlab::experiments
