// The experiments layer end to end: `convlab fit` against an independent Newton solve,
// reproduce + resume, claims that fail, --set overrides, exit codes and determinism.
#include <convlab/optim/ceres_lbfgs.hpp>
#include <convlab/optim/gradient_descent.hpp>
#include <convlab/optim/minimize.hpp>
#include <convlab/optim/newton.hpp>
#include <convlab/solvers/presto.hpp>
#include <convlab/optim/proximal_gradient.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/optim/two_pass_refinement.hpp>
#include <convlab/problems/least_squares.hpp>
#include <convlab/problems/regularizers.hpp>
#include <convlab/problems/data_io.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/preprocessing.hpp>
#include <convlab/problems/synthetic.hpp>
#include <convlab/core/random.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <functional>
#include <fstream>
#include <iterator>
#include <map>
#include <numeric>
#include <tuple>
#include <sstream>
#include <nlohmann/json.hpp>

#include <convlab/schedules/bound.hpp>
#include <convlab/schedules/linear.hpp>
#include <convlab/schedules/warmup.hpp>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "config/experiment.hpp"
#include "fit/federations.hpp"
#include "cli_support.hpp"
#include "fit/fit.hpp"
#include "fit/run_folder.hpp"
#include "test_support.hpp"
#include "config/variants.hpp"

namespace fs = std::filesystem;
namespace ex = convlab::experiments;
using convlab::VecX;

namespace {
using convlab::test::fresh_dir;
using convlab::test::read_json;
using convlab::test::run_cli;
using convlab::test::source_dir;
using convlab::test::write;

// The run folder `convlab fit` writes under `experiment` for the overrides in `sets`
// (" --set key=value ..."): named from them (docs/configs.md, tested by Fit.VariantFolders...).
fs::path variant_dir(const fs::path& experiment, const std::string& sets) {
  ex::Overrides overrides;
  std::istringstream words(sets);
  for (std::string w; words >> w;)
    if (w != "--set") overrides.push_back(w);
  return experiment / ex::variant_folder(ex::settings_of(overrides));
}

/// A small experiment with two runs and two claims, one of which may be made impossible.
std::string tiny_experiment(double gd_threshold) {
  return "seed = 1\nreference = \"newton\"\n[experiment]\ntitle = \"tiny\"\npaper = \"test\"\n"
         "figure_metric = \"suboptimality\"\n[problem]\ntype = \"logistic\"\ndata = \"" +
         source_dir() + "/data/breast_cancer.csv\"\nl2 = 0.1\nintercept = true\nstandardize = true\n"
         "[stop]\nmax_iterations = 300\n"
         "[[run]]\nname = \"gd\"\nschedule = { lr = 1.0, per_lipschitz = true }\n"
         "[[run]]\nname = \"adamw\"\noptimizer = { type = \"adamw\" }\nschedule = { type = \"linear_decay\", lr = 0.05 }\n"
         "[[claim]]\nid = \"gd_close\"\nstatement = \"s\"\nsource = \"t\"\npaper_value = \"v\"\nrun = \"gd\"\n"
         "metric = \"relative_suboptimality\"\nop = \"<=\"\nthreshold = " +
         std::to_string(gd_threshold) + "\n";
}
}  // namespace

TEST(Fit, ShippedConfigMatchesTheNewtonOptimum) {
  const fs::path out = fresh_dir("fit");
  const std::string config = source_dir() + "/experiments/examples/logistic_breast_cancer.toml";
  ASSERT_EQ(run_cli("fit " + config + " --out " + out.string()), 0);
  const auto s = read_json(out / "logistic_breast_cancer" / "fit" / "summary.json");
  // Independent reference: the same problem built here, solved by Newton's method.
  auto ds = convlab::problems::load_csv(source_dir() + "/data/breast_cancer.csv", {.response = "y"});
  convlab::problems::standardize(ds.X);
  const convlab::problems::Logistic<double> p(ds.X, ds.y, {.l2 = 1e-3, .intercept = true});
  VecX<double> x = VecX<double>::Zero(p.dim());
  convlab::optim::newton(p, x, {.gradient_tolerance = 1e-13});
  const double fstar = p.value(x);
  EXPECT_LE(std::abs(s["final_value"].get<double>() - fstar) / fstar, 1e-8);
  EXPECT_EQ(s["x"].size(), 31u);
  for (const char* key : {"status", "iterations", "grad_norm", "seconds", "config_hash", "seed", "version", "git_commit"})
    EXPECT_TRUE(s.contains(key)) << key;
  for (const char* file : {"config.toml", "metrics.csv"}) EXPECT_TRUE(fs::exists(out / "logistic_breast_cancer" / "fit" / file));
  // The saved config is itself a valid config that resolves to the same hash.
  EXPECT_EQ(ex::load_run_config((out / "logistic_breast_cancer" / "fit" / "config.toml").string()).hash(),
            s["config_hash"].get<std::string>());
}

TEST(Fit, DivergingRunExitsWithOne) {
  const fs::path out = fresh_dir("diverge");
  const std::string config = source_dir() + "/experiments/examples/logistic_breast_cancer.toml";
  EXPECT_EQ(run_cli("fit " + config + " --out " + out.string() +
                    " --set schedule.lr=1e6 --set problem.type=least_squares --set reference=none"),
            1);
  const auto s = read_json(out / "logistic_breast_cancer" / "problem.type=least_squares,reference=none,schedule.lr=1000000" /
                           "summary.json");
  EXPECT_EQ(s["status"], "non_finite");
}

TEST(Fit, SameSeedSameNumbersWhateverTheThreadCount) {
  const fs::path out1 = fresh_dir("threads1"), out2 = fresh_dir("threads2");
  const std::string config = source_dir() + "/experiments/examples/logistic_breast_cancer.toml";
  const std::string sets = " --set optimizer.type=momentum --set optimizer.batch_size=16 --set stop.max_iterations=500"
                           " --set reference=none --set output.plots=false";
  ASSERT_EQ(run_cli("fit " + config + " --out " + out1.string() + sets, "OMP_NUM_THREADS=1"), 0);
  ASSERT_EQ(run_cli("fit " + config + " --out " + out2.string() + sets, "OMP_NUM_THREADS=2"), 0);
  const auto a = read_json(variant_dir(out1 / "logistic_breast_cancer", sets) / "summary.json");
  const auto b = read_json(variant_dir(out2 / "logistic_breast_cancer", sets) / "summary.json");
  EXPECT_EQ(a["x"], b["x"]);
  EXPECT_EQ(a["final_value"], b["final_value"]);
}

TEST(Reproduce, WritesTheReportAndResumesAnInterruptedRun) {
  const fs::path configs = fresh_dir("configs"), out = fresh_dir("results");
  fs::create_directories(configs / "test");
  write(configs / "test" / "tiny.toml", tiny_experiment(1e-3));
  ex::ReproduceArgs args{.full = false, .only = {}, .out = out.string(), .configs_dir = configs.string()};
  ASSERT_EQ(ex::command_reproduce(args), 0);
  const fs::path gd = out / "test" / "tiny" / "gd", adamw = out / "test" / "tiny" / "adamw";
  ASSERT_TRUE(fs::exists(gd / "summary.json"));
  ASSERT_TRUE(fs::exists(out / "report.md"));
  std::ifstream html(out / "report.html");
  const std::string page((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
  EXPECT_NE(page.find("data:image/png;base64,"), std::string::npos) << "figure embedded";
  EXPECT_NE(page.find("PASS"), std::string::npos);
  const auto gd_before = read_json(gd / "summary.json");
  // Interrupt the second run: its summary never got written, a temporary file was left.
  fs::remove(adamw / "summary.json");
  write(adamw / "metrics.csv.tmp", "partial");
  ASSERT_EQ(ex::command_reproduce(args), 0);
  EXPECT_EQ(read_json(gd / "summary.json"), gd_before) << "finished run was skipped, not redone";
  EXPECT_TRUE(fs::exists(adamw / "summary.json")) << "interrupted run was redone";
  // A changed config changes the hash, so the run is redone.
  std::string text = tiny_experiment(1e-3);
  text.replace(text.find("max_iterations = 300"), 20, "max_iterations = 301");
  write(configs / "test" / "tiny.toml", text);
  ASSERT_EQ(ex::command_reproduce(args), 0);
  EXPECT_EQ(read_json(gd / "summary.json")["iterations"], 301);
}

// Regression: an edited (or damaged) summary.json with a matching config hash was trusted.
TEST(Reproduce, ATamperedSummaryIsNotTrustedOnResume) {
  const fs::path configs = fresh_dir("configs-tamper"), out = fresh_dir("results-tamper");
  fs::create_directories(configs / "test");
  write(configs / "test" / "tiny.toml", tiny_experiment(1e-3));
  ex::ReproduceArgs args{.full = false, .only = {}, .out = out.string(), .configs_dir = configs.string()};
  ASSERT_EQ(ex::command_reproduce(args), 0);
  const fs::path summary = out / "test" / "tiny" / "gd" / "summary.json";
  auto j = read_json(summary);
  const double honest = j["relative_suboptimality"].get<double>();
  j["relative_suboptimality"] = 0.5;  // would fail the claim if it were believed
  write(summary, j.dump(2));
  ASSERT_EQ(ex::command_reproduce(args), 0) << "the run is redone, so the claim holds again";
  EXPECT_EQ(read_json(summary)["relative_suboptimality"].get<double>(), honest);
}

// Regression: with evaluate_every > 1 the full-batch steps between evaluations reused the
// gradient of the last evaluation (gd on diabetes blew up to 1e302).
TEST(Fit, EvaluateEveryDoesNotChangeTheIterates) {
  const fs::path out1 = fresh_dir("every1"), out100 = fresh_dir("every100");
  const std::string config = source_dir() + "/experiments/examples/logistic_breast_cancer.toml";
  const std::string sets = " --set problem.type=least_squares --set problem.data=" + source_dir() +
                           "/data/diabetes.csv --set reference=none --set output.plots=false --set stop.max_iterations=1000"
                           " --set stop.tolerance=0 --set stop.relative_tolerance=0";
  ASSERT_EQ(run_cli("fit " + config + " --out " + out1.string() + sets + " --set stop.evaluate_every=1"), 0);
  ASSERT_EQ(run_cli("fit " + config + " --out " + out100.string() + sets + " --set stop.evaluate_every=100"), 0);
  const auto a = read_json(variant_dir(out1 / "logistic_breast_cancer", sets + " --set stop.evaluate_every=1") / "summary.json");
  const auto b = read_json(variant_dir(out100 / "logistic_breast_cancer", sets + " --set stop.evaluate_every=100") / "summary.json");
  EXPECT_EQ(a["x"], b["x"]);
  EXPECT_EQ(a["final_value"], b["final_value"]);
  EXPECT_EQ(b["status"], "max_iterations");
}

// A run that ends on its budget says so in summary.json, with the suboptimality when a
// reference ran (gd on raw-feature data is far from optimal after a few steps).
TEST(Fit, BudgetStopIsReportedWithTheSuboptimality) {
  const fs::path out = fresh_dir("budget");
  const std::string config = source_dir() + "/experiments/examples/logistic_breast_cancer.toml";
  const std::string sets = " --set stop.max_iterations=5 --set stop.tolerance=0 --set output.plots=false";
  ASSERT_EQ(run_cli("fit " + config + " --out " + out.string() + sets), 0);
  const auto s = read_json(variant_dir(out / "logistic_breast_cancer", sets) / "summary.json");
  ASSERT_TRUE(s.contains("reference"));
  EXPECT_EQ(s["status"], "max_iterations");
  const std::string w = s.value("warning", "");
  EXPECT_NE(w.find("stopped by max_iterations after 5 iterations"), std::string::npos) << w;
  EXPECT_NE(w.find(fmt::format("relative suboptimality {:.3e}", s["relative_suboptimality"].get<double>())), std::string::npos) << w;
}

// Regression: two processes writing one run folder mixed one run's config.toml with the
// other's summary.json, and shared a temporary file name (invalid JSON). With the folder lock
// and unique temporaries, every folder holds one run whole, whichever finished last.
TEST(Fit, TwoWritersOfOneFolderNeverMixIt) {
  const fs::path out = fresh_dir("two-writers");
  // One config name in two folders (a config edited while its first version still runs): the
  // same run folder, two different runs.
  std::map<std::string, std::string> command;
  for (const std::string l2 : {"0.1", "0.2"}) {
    fs::create_directories(out / l2);
    write(out / l2 / "run.toml", "reference = \"none\"\n[problem]\ndata = \"" + source_dir() +
                                     "/data/breast_cancer.csv\"\nl2 = " + l2 +
                                     "\nintercept = true\nstandardize = true\n[schedule]\nlr = 1.0\nper_lipschitz = true\n"
                                     "[stop]\nmax_iterations = 300\n[output]\nplots = false\n");
    command[l2] = std::string(CONVLAB_CLI) + " fit " + (out / l2 / "run.toml").string() + " --out " + (out / "results").string() +
                  " >/dev/null 2>&1";
  }
  const fs::path dir = out / "results" / "run" / "fit";
  std::map<std::string, nlohmann::json> alone;  // each version's x, run alone
  for (const std::string l2 : {"0.1", "0.2"}) {
    ASSERT_EQ(std::system(command[l2].c_str()), 0);
    alone[l2] = read_json(dir / "summary.json")["x"];
  }
  ASSERT_NE(alone["0.1"], alone["0.2"]);
  for (int trial = 0; trial < 6; ++trial) {
    const std::string cmd = "(" + command["0.1"] + " & " + command["0.2"] + " & wait)";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    const auto s = read_json(dir / "summary.json");  // throws on invalid JSON
    std::ifstream in(dir / "config.toml");
    const std::string toml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string l2 = toml.find("l2 = 0.1") != std::string::npos ? "0.1" : "0.2";
    EXPECT_EQ(s["x"], alone[l2]) << "config.toml (l2 = " << l2 << ") and summary.json are of one run";
    for (const auto& f : fs::directory_iterator(dir))
      EXPECT_EQ(f.path().string().find(".tmp"), std::string::npos) << "left behind: " << f.path();
  }
}

// The report cites "spec" sections: each must be resolvable in the repository (docs/specs/).
TEST(Reproduce, EverySpecCitationNamesAShippedSpec) {
  int cited = 0;
  for (const auto& e : ex::discover_experiments(source_dir() + "/experiments/configs"))
    for (const auto& c : e.claims)
      if ((c.source + c.paper_value).find("spec") != std::string::npos) {
        ++cited;
        EXPECT_TRUE(fs::exists(source_dir() + "/docs/specs/" + e.paper + ".md")) << e.name << ": claim " << c.id << " cites the spec of '"
                                                                                << e.paper << "'";
      }
  EXPECT_GT(cited, 0);
}

TEST(Reproduce, AFailedClaimExitsWithOne) {
  const fs::path configs = fresh_dir("configs-fail"), out = fresh_dir("results-fail");
  fs::create_directories(configs / "test");
  write(configs / "test" / "tiny.toml", tiny_experiment(1e-300));  // 300 GD steps cannot get there
  ex::ReproduceArgs args{.full = false, .only = {}, .out = out.string(), .configs_dir = configs.string()};
  EXPECT_EQ(ex::command_reproduce(args), 1);
  std::ifstream md(out / "report.md");
  const std::string report((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_NE(report.find("FAIL"), std::string::npos);
  EXPECT_THROW(ex::command_reproduce({.full = false, .only = {"nope"}, .out = out.string(), .configs_dir = configs.string()}),
               ex::ConfigError);
}

TEST(Config, OverridesAndRelativePaths) {
  const fs::path dir = fresh_dir("overrides");
  write(dir / "data.csv", "y,a\n0,1\n1,2\n0,3\n");
  write(dir / "run.toml", "[problem]\ntype = \"logistic\"\ndata = \"data.csv\"\n[optimizer]\ntype = \"gd\"\n");
  const auto c = ex::load_run_config((dir / "run.toml").string(),
                                     {"optimizer.type=adamw", "optimizer.beta1=0.5", "schedule.lr=0.25", "stop.max_iterations=7"});
  EXPECT_EQ(c.optimizer.type, "adamw");
  EXPECT_EQ(c.optimizer.adamw.beta1, 0.5);
  EXPECT_EQ(c.schedule.lr, 0.25);
  EXPECT_EQ(c.stop.max_iterations, 7);
  EXPECT_EQ(fs::path(c.problem.data), (dir / "data.csv").lexically_normal()) << "resolved against the config's folder";
  try {
    ex::load_run_config((dir / "run.toml").string(), {"optimizer.lr=1"});
    FAIL() << "unknown key accepted";
  } catch (const ex::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--set optimizer.lr"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ex::load_run_config((dir / "run.toml").string(), {"novalue"}), ex::ConfigError);
  // Every default is listed for --explain, and the saved TOML round-trips to the same hash.
  EXPECT_GE(c.explain.size(), 20u);
  write(dir / "resolved.toml", c.to_toml());
  EXPECT_EQ(ex::load_run_config((dir / "resolved.toml").string()).hash(), c.hash());
}

TEST(ScheduleSuite, RunsTunesAndReportsEverySchedule) {
  const fs::path configs = fresh_dir("suite-configs"), out = fresh_dir("suite-results");
  fs::create_directories(configs / "rs");
  write(configs / "rs" / "tiny.toml", R"(
[experiment]
title = "tiny suite"
paper = "refined-schedules"
runner = "schedule_suite"
[suite]
steps = 60
batch_size = 8
seeds = [1, 2]
[[suite.problem]]
name = "synthetic"
synthetic = { n = 200, d = 5, condition = 10, seed = 3 }
l2 = 1e-2
[[suite.optimizer]]
name = "sgd"
type = "sgd"
per_lipschitz = true
lr_grid = [0.5, 1.0]
[[claim]]
id = "linear"
statement = "s"
source = "s"
paper_value = "v"
run = "suite"
metric = "constant_refinement_error"
op = "<="
threshold = 1e-12
)");
  ex::ReproduceArgs args{.full = false, .only = {}, .out = out.string(), .configs_dir = configs.string()};
  ASSERT_EQ(ex::command_reproduce(args), 0);
  const fs::path dir = out / "rs" / "tiny" / "suite";
  const auto s = read_json(dir / "summary.json");
  EXPECT_LE(s["constant_refinement_error"].get<double>(), 1e-12);
  for (const char* m : {"linear_matches_or_beats_cosine_and_step_fraction", "refined_matches_or_beats_linear_fraction",
                        "synthetic_warmup_peak_position"})
    EXPECT_TRUE(s.contains(m)) << m;
  // results.csv: one row per (schedule, lr, seed): 5 schedules × 2 lrs × 2 seeds.
  std::ifstream results(dir / "results.csv");
  std::string line;
  std::size_t rows = 0;
  while (std::getline(results, line)) ++rows;
  EXPECT_EQ(rows, 1u + 5 * 2 * 2);
  EXPECT_TRUE(fs::exists(dir / "best.csv"));
  EXPECT_GE(s["figures"].size(), 3u);
  // Resume: the same config is skipped.
  const auto mtime = fs::last_write_time(dir / "summary.json");
  ASSERT_EQ(ex::command_reproduce(args), 0);
  EXPECT_EQ(fs::last_write_time(dir / "summary.json"), mtime);
}

TEST(Config, EveryScheduleTypeRunsAndRecordsItsLearningRate) {
  const std::string config = source_dir() + "/experiments/examples/logistic_breast_cancer.toml";
  const auto c = ex::load_run_config(config, {"schedule.type=cosine", "schedule.warmup_steps=10", "schedule.lr=0.5",
                                              "schedule.per_lipschitz=false", "schedule.end=0.1", "stop.max_iterations=50",
                                              "reference=none", "stop.tolerance=0"});
  const auto r = ex::run_fit(c, false);
  // Warmup from 0 over 10 steps, then cosine from 0.5 to 0.1 over the remaining 40 on its own clock.
  const auto expected = convlab::schedules::warmup_cosine(0.0, 0.5, 10, 50, 0.1);
  ASSERT_EQ(r.summary.history.size(), 51u);
  for (const auto& h : r.summary.history) EXPECT_DOUBLE_EQ(h.lr, expected(h.iteration)) << "step " << h.iteration;
  for (const std::string type : {"step", "exponential", "polynomial", "inverse_sqrt", "wsd", "one_cycle", "linear_decay"}) {
    const auto ct = ex::load_run_config(config, {"schedule.type=" + type, "stop.max_iterations=30", "reference=none"});
    const auto rt = ex::run_fit(ct, false);
    EXPECT_TRUE(rt.summary.is_solution_usable()) << type;
    EXPECT_LT(rt.summary.final_value, rt.summary.initial_value) << type;
  }
}

TEST(LionSuite, RunsEveryKappaAgainstItsReference) {
  const fs::path configs = fresh_dir("lion-configs"), out = fresh_dir("lion-results");
  fs::create_directories(configs / "lk");
  write(configs / "lk" / "tiny.toml", R"(
[experiment]
title = "tiny lion"
paper = "lion-kappa"
runner = "lion_kappa"
[lion]
steps = 1500
lr_lambda = 0.02
[[lion.problem]]
name = "ls"
type = "least_squares"
synthetic = { n = 60, d = 4, seed = 2 }
lambdas = [1.0]
[[claim]]
id = "envelope"
statement = "s"
source = "s"
paper_value = "v"
run = "suite"
metric = "lion_envelope_excess"
op = "<="
threshold = 1e-12
[[claim]]
id = "ceres"
statement = "s"
source = "s"
paper_value = "v"
run = "suite"
metric = "ceres_vs_reference_distance"
op = "<="
threshold = 1e-6
)");
  ex::ReproduceArgs args{.full = false, .only = {}, .out = out.string(), .configs_dir = configs.string()};
  ASSERT_EQ(ex::command_reproduce(args), 0);
  const auto s = read_json(out / "lk" / "tiny" / "suite" / "summary.json");
  EXPECT_EQ(s["lion_entry_fraction"].get<double>(), 1.0);
  EXPECT_LE(s["reference_max_kkt"].get<double>(), 1e-10);
  EXPECT_LE(s["smooth_kappa_max_lyapunov_increase"].get<double>(), 1e-9);
  EXPECT_TRUE(fs::exists(out / "lk" / "tiny" / "suite" / "ls_lambda1_l1_constant.csv"));
}

namespace {
const char* kTinyBcd = R"(
[experiment]
title = "tiny bcd"
paper = "bcd"
runner = "bcd"
[bcd]
iterations = 200
record_every = 2
[[bcd.dataset]]
name = "A"
type = "least_squares"
scaled_sparse = { rows = 40, cols = 120, seed = 1, density = 0.3 }
[[bcd.dataset]]
name = "E"
type = "label_propagation"
two_moons = { n = 150, k = 5, labelled = 10, seed = 2 }
[[bcd.figure]]
name = "f"
datasets = ["A", "E"]
taus = [4]
updates = ["lb", "hb"]
rules = ["gs", "gsl", "gsq", "random"]
blocks = ["fb", "vb"]
[[claim]]
id = "matrix"
statement = "s"
source = "s"
paper_value = "v"
run = "suite"
metric = "matrix_beats_gradient_fraction"
op = ">="
threshold = 0.0
)";
}  // namespace

TEST(BcdSuite, RunsTheGridMeasuresFromATrueOptimumAndIsThreadCountInvariant) {
  const fs::path configs = fresh_dir("bcd-configs");
  fs::create_directories(configs / "b");
  write(configs / "b" / "tiny.toml", kTinyBcd);
  const fs::path out1 = fresh_dir("bcd-results-1"), out2 = fresh_dir("bcd-results-2");
  ASSERT_EQ(run_cli("reproduce --configs " + configs.string() + " --out " + out1.string(), "OMP_NUM_THREADS=1"), 0);
  ASSERT_EQ(run_cli("reproduce --configs " + configs.string() + " --out " + out2.string(), "OMP_NUM_THREADS=2"), 0);
  const fs::path dir = out1 / "b" / "tiny" / "suite";
  std::ifstream a(dir / "curves.csv"), b(out2 / "b" / "tiny" / "suite" / "curves.csv");
  const std::string ca((std::istreambuf_iterator<char>(a)), {}), cb((std::istreambuf_iterator<char>(b)), {});
  EXPECT_FALSE(ca.empty());
  EXPECT_EQ(ca, cb) << "BCD curves depend on the thread count";
  // Every gap is measured from a true lower bound (f* from a direct solve), and on the
  // consistent least-squares problem (40 rows < 120 columns, f* = 0) exact greedy matrix
  // updates reach the target.
  std::ifstream runs(dir / "runs.csv");
  std::string line;
  std::getline(runs, line);
  int rows = 0;
  bool gsq_reached = false;
  while (std::getline(runs, line)) {
    ++rows;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
    ASSERT_EQ(f.size(), 12u) << line;
    EXPECT_GE(std::stod(f[9]), -1e-9) << "negative gap: f* is not a lower bound: " << line;
    if (f[0] == "A" && f[3] == "hb" && f[4] == "gsq" && f[5] == "vb") gsq_reached = f[7] == "true";
  }
  EXPECT_EQ(rows, 2 * 2 * 4 * 2);
  EXPECT_TRUE(gsq_reached);
  const auto s = read_json(dir / "summary.json");
  EXPECT_EQ(s["runs"].get<double>(), 32.0);
  EXPECT_TRUE(fs::exists(dir / "f_A_tau4.csv"));
}

// Message passing and proximal BCD through the runner: the lasso optimum is certified, greedy
// Newton-type runs identify its support, and forest blocks beat red–black blocks.
TEST(BcdSuite, MessagePassingAndActiveSetIdentification) {
  const fs::path configs = fresh_dir("bcd2-configs"), out = fresh_dir("bcd2-results");
  fs::create_directories(configs / "b");
  write(configs / "b" / "mp.toml", R"(
[experiment]
title = "t"
paper = "bcd"
runner = "bcd"
[bcd]
iterations = 300
[[bcd.dataset]]
name = "D"
type = "label_propagation"
lattice = { rows = 12, cols = 12, weight = 100.0, labelled = 10, seed = 1 }
[[bcd.dataset]]
name = "E"
type = "label_propagation"
two_moons = { n = 200, k = 5, labelled = 10, seed = 2 }
[[bcd.figure]]
name = "f"
datasets = ["D", "E"]
taus = [1]
updates = ["exact"]
rules = ["greedy_tree", "tree_partition", "red_black", "general"]
blocks = ["fb"]
)");
  write(configs / "b" / "l1.toml", R"(
[experiment]
title = "t"
paper = "bcd"
runner = "bcd"
[bcd]
iterations = 300
[[bcd.dataset]]
name = "L"
type = "least_squares"
scaled_sparse = { rows = 60, cols = 150, seed = 3, density = 0.3 }
l1_ratio = 0.1
nonnegative = true
[[bcd.figure]]
name = "f"
datasets = ["L"]
taus = [10]
updates = ["pn", "tmp"]
rules = ["gs_q", "random"]
blocks = ["vb"]
)");
  ASSERT_EQ(run_cli("reproduce --configs " + configs.string() + " --out " + out.string()), 0);
  const auto mp = read_json(out / "b" / "mp" / "suite" / "summary.json");
  EXPECT_EQ(mp["forest_beats_colouring_fraction"].get<double>(), 1.0);
  EXPECT_TRUE(mp["greedy_beats_classic_fraction"].is_null()) << "metrics without pairs are not measured";
  const auto l1 = read_json(out / "b" / "l1" / "suite" / "summary.json");
  EXPECT_EQ(l1["prox_newton_vb_identified_fraction"].get<double>(), 1.0);
  EXPECT_NE(l1["details_markdown"].get<std::string>().find("certified"), std::string::npos);
}

// `type = "lasso_cd"` in a run config: the same optimum as accelerated proximal gradient on the
// same LeastSquares + L1 objective, without and with a free intercept, and clear errors where it
// does not apply.
TEST(Fit, LassoCdConfigMatchesProximalGradient) {
  const fs::path dir = fresh_dir("lasso-fit");
  write(dir / "lasso.toml", "seed = 1\nreference = \"none\"\n[problem]\ntype = \"least_squares\"\ndata = \"" + source_dir() +
                                "/data/diabetes.csv\"\nstandardize = true\nl1 = 0.5\nl2 = 0.1\n[optimizer]\ntype = \"lasso_cd\"\n"
                                "gap_tolerance = 1e-10\n[stop]\nmax_iterations = 100000\n");
  const auto c = ex::load_run_config((dir / "lasso.toml").string(), {});
  const ex::FitResult r = ex::run_fit(c, false);
  EXPECT_EQ(r.summary.status, convlab::optim::Status::DualityGap) << r.summary.message;
  auto ds = convlab::problems::load_csv(source_dir() + "/data/diabetes.csv", {.response = "y"});
  convlab::problems::standardize(ds.X);
  convlab::problems::LeastSquares<double> f(ds.X, ds.y, {0, 0.1, false});
  VecX<double> w = VecX<double>::Zero(10);
  const auto ref = convlab::optim::proximal_gradient(f, convlab::problems::L1<double>{0.5}, w, f.lipschitz(),
                                                     {.max_iterations = 2000000, .kkt_tolerance = 1e-12});
  const double fref = f.value(w) + 0.5 * w.lpNorm<1>();
  EXPECT_LE(r.summary.final_value - fref, 1e-8 * fref);
  EXPECT_LE((r.x - w).norm(), 1e-5 * (1 + w.norm()));
  // summary.json carries the solver's certificate: the gap of the x written beside it.
  ASSERT_EQ(run_cli("fit " + (dir / "lasso.toml").string() + " --out " + dir.string()), 0);
  const auto json = read_json(dir / "lasso" / "fit" / "summary.json");
  EXPECT_EQ(json["certificate"]["kind"], "duality_gap");
  EXPECT_EQ(json["certificate"]["tolerance"].get<double>(), 1e-10);
  EXPECT_LE(json["certificate"]["value"].get<double>(), 1e-10);
  EXPECT_EQ(json["certificate"]["primal"].get<double>(), json["final_value"].get<double>());
  EXPECT_LE(json["certificate"]["dual"].get<double>(), fref * (1 + 1e-12)) << "the dual bounds the optimum from below";
  // An intercept (not penalized): against FISTA with the l1 term on the coefficients only.
  write(dir / "b.toml", "seed = 1\nreference = \"none\"\n[problem]\ntype = \"least_squares\"\ndata = \"" + source_dir() +
                            "/data/diabetes.csv\"\nstandardize = true\nintercept = true\nl1 = 0.5\n[optimizer]\ntype = \"lasso_cd\"\n"
                            "gap_tolerance = 1e-13\n");
  const ex::FitResult rb = ex::run_fit(ex::load_run_config((dir / "b.toml").string(), {}), false);
  EXPECT_EQ(rb.summary.status, convlab::optim::Status::DualityGap) << rb.summary.message;
  auto raw = convlab::problems::load_csv(source_dir() + "/data/diabetes.csv", {.response = "y"});
  convlab::problems::standardize(raw.X);
  convlab::problems::LeastSquares<double> fb(raw.X, raw.y, {0, 0, true});
  Eigen::Array<bool, Eigen::Dynamic, 1> penalized = Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(11, true);
  penalized[10] = false;
  const convlab::problems::Restricted<convlab::problems::L1<double>> l1{{0.5}, penalized};
  VecX<double> xb = VecX<double>::Zero(11);
  convlab::optim::proximal_gradient(fb, l1, xb, fb.lipschitz(), {.max_iterations = 4000000, .kkt_tolerance = 1e-10});
  const double fbref = fb.value(xb) + l1.value(xb);
  ASSERT_EQ(rb.x.size(), 11);
  EXPECT_NEAR(rb.summary.final_value, fb.value(rb.x) + l1.value(rb.x), 1e-12 * fbref) << "the reported value is the objective at x";
  EXPECT_LE(std::abs(rb.summary.final_value - fbref), 1e-9 * fbref);
  EXPECT_LE((rb.x - xb).norm(), 1e-4 * (1 + xb.norm()));
  // A sparse (LIBSVM) design with an intercept would be filled by centring: refused.
  write(dir / "s.libsvm", "1 1:0.5 2:1\n0 1:-0.5\n2 2:2\n");
  write(dir / "bad.toml", "[problem]\ntype = \"least_squares\"\nformat = \"libsvm\"\ndata = \"" + (dir / "s.libsvm").string() +
                              "\"\nintercept = true\nl1 = 0.5\n[optimizer]\ntype = \"lasso_cd\"\n");
  EXPECT_EQ(run_cli("fit " + (dir / "bad.toml").string() + " --out " + dir.string()), 2);  // message: tests/configs/bad/47_*
}

// [problem] lower/upper: fista with a box on the weights (intercepts free). The answer satisfies
// the optimality conditions written out by hand, per coordinate: 0 ∈ ∂_j f + l1·∂|w_j| + N_[lo,hi](w_j),
// the box is active on both sides, and the unconstrained fit leaves the box (so the box mattered).
TEST(Fit, FistaWithABoxMeetsTheOptimalityConditions) {
  const fs::path dir = fresh_dir("box");
  write(dir / "box.toml", "seed = 1\n[problem]\ntype = \"least_squares\"\ndata = \"" + source_dir() +
                              "/data/diabetes.csv\"\nstandardize = true\nintercept = true\nl1 = 0.5\nlower = -8\nupper = 12\n"
                              "[optimizer]\ntype = \"fista\"\n[stop]\nmax_iterations = 200000\ntolerance = 1e-10\n");
  const auto check = [&](const ex::Overrides& sets, const std::string& data, bool intercept) -> std::pair<int, int> {
    const auto c = ex::load_run_config((dir / "box.toml").string(), sets);
    const ex::FitResult r = ex::run_fit(c, false);
    EXPECT_TRUE(r.summary.is_solution_usable()) << r.summary.message;
    auto ds = convlab::problems::load_csv(source_dir() + "/data/" + data, {.response = "y"});
    convlab::problems::standardize(ds.X);
    VecX<double> g(r.x.size());
    const bool ls = c.problem.type == "least_squares";
    const double l1 = c.problem.l1, lo = c.problem.lower, hi = c.problem.upper;
    if (ls) convlab::problems::gradient(convlab::problems::LeastSquares<double>(ds.X, ds.y, {0, c.problem.l2, intercept}), r.x, g);
    else convlab::problems::gradient(convlab::problems::Logistic<double>(ds.X, ds.y, {0, c.problem.l2, intercept}), r.x, g);
    const double tol = 1e-7 * (1 + g.cwiseAbs().maxCoeff());
    int at_lo = 0, at_hi = 0;
    for (Eigen::Index j = 0; j < ds.X.cols(); ++j) {
      const double w = r.x[j];
      EXPECT_GE(w, lo) << j;
      EXPECT_LE(w, hi) << j;
      const double s = w > 0 ? 1 : w < 0 ? -1 : 0, d = g[j] + l1 * s;  // ∂f/∂w_j + l1·sign(w_j)
      if (w == hi) {
        ++at_hi;
        EXPECT_LE(d, tol) << j;
      } else if (w == lo) {
        ++at_lo;
        EXPECT_GE(d, -tol) << j;
      } else if (w != 0) EXPECT_LE(std::abs(d), tol) << j;
      else EXPECT_LE(std::abs(g[j]), l1 + tol) << j;
    }
    if (intercept) {
      EXPECT_LE(std::abs(g[ds.X.cols()]), tol);
    }
    return {at_lo, at_hi};
  };
  const auto [lo, hi] = check({}, "diabetes.csv", true);
  EXPECT_GE(lo, 1);
  EXPECT_GE(hi, 1);
  const auto free = ex::run_fit(ex::load_run_config((dir / "box.toml").string(), {"problem.lower=-inf", "problem.upper=inf"}), false);
  EXPECT_TRUE(free.x.head(10).minCoeff() < -8 && free.x.head(10).maxCoeff() > 12) << free.x.transpose();
  // nonnegative logistic weights, no l1
  const std::string bc = "problem.data=\"" + source_dir() + "/data/breast_cancer.csv\"";
  const auto [nn_lo, nn_hi] = check({"problem.type=\"logistic\"", bc, "problem.l1=0", "problem.l2=0.01", "problem.lower=0",
                                     "problem.upper=inf", "stop.tolerance=1e-9"},
                                    "breast_cancer.csv", true);
  EXPECT_GE(nn_lo, 1);
  EXPECT_EQ(nn_hi, 0);
  // the box is fista's: other optimizers and the (unconstrained) references refuse it
  EXPECT_EQ(run_cli("validate " + (dir / "box.toml").string() + " --set optimizer.type=\"gd\""), 2);
  EXPECT_EQ(run_cli("validate " + (dir / "box.toml").string() + " --set reference=\"newton\" --set problem.l1=0"), 2);
  EXPECT_EQ(run_cli("validate " + (dir / "box.toml").string() + " --set problem.lower=13"), 2);
}

// [problem] type = "label_propagation": on a weighted path 0 − 1 − … − k with labels 0 at node 0
// and 1 at node k, the harmonic solution is the closed form x_i = (Σ_{edges before i} 1/w)/(Σ 1/w)
// (resistances in series); bcd reaches it, the Newton reference (one sparse solve) agrees, and
// propagated.csv lists every node. Bad graphs are refused naming the file and the node.
TEST(Fit, LabelPropagationIsTheHarmonicSolution) {
  const fs::path dir = fresh_dir("graph");
  const int k = 12;
  std::string edges = "target,source,w\n";  // columns in any order; edges listed high → low on purpose
  std::vector<double> resistance(k + 1, 0.0);
  for (int i = 0; i < k; ++i) {
    const double w = 0.5 + (i % 4);
    edges += fmt::format("{},{},{}\n", i + 1, i, w);
    resistance[i + 1] = resistance[i] + 1 / w;
  }
  write(dir / "edges.csv", edges);
  write(dir / "labels.csv", fmt::format("node,label\n0,0\n{},1\n", k));
  write(dir / "lp.toml", "seed = 1\nreference = \"newton\"\n[problem]\ntype = \"label_propagation\"\ndata = \"edges.csv\"\n"
                             "labels = \"labels.csv\"\nweights = \"w\"\n[optimizer]\ntype = \"bcd\"\nrule = \"gs\"\n"
                             "[stop]\nmax_iterations = 100000\ntolerance = 1e-12\n[output]\nplots = false\n");
  const ex::FitResult r = ex::run_fit(ex::load_run_config((dir / "lp.toml").string()), false);
  EXPECT_EQ(r.summary.status, convlab::optim::Status::GradientTolerance) << r.summary.message;
  ASSERT_EQ(r.x.size(), k - 1);
  ASSERT_EQ(r.node_values.size(), static_cast<std::size_t>(k + 1));
  for (int i = 0; i <= k; ++i) EXPECT_NEAR(r.node_values[i], resistance[i] / resistance[k], 1e-10) << i;
  ASSERT_TRUE(r.reference.has_value());
  EXPECT_LE((r.reference->x - r.x).norm(), 1e-10);
  ASSERT_EQ(run_cli("fit " + (dir / "lp.toml").string() + " --out " + (dir / "out").string()), 0);
  const fs::path run = dir / "out" / "lp" / "fit";
  std::ifstream in(run / "propagated.csv");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "node,value,labelled");
  int rows = 0;
  for (; std::getline(in, line); ++rows) {
    std::istringstream fields(line);
    std::string node, value, labelled;
    std::getline(fields, node, ',');
    std::getline(fields, value, ',');
    std::getline(fields, labelled, ',');
    EXPECT_EQ(std::stoi(node), rows);
    EXPECT_EQ(std::stod(value), r.node_values[rows]) << line;
    EXPECT_EQ(labelled, rows == 0 || rows == k ? "1" : "0") << line;
  }
  EXPECT_EQ(rows, k + 1);
  EXPECT_EQ(run_cli("predict " + run.string() + " " + (dir / "edges.csv").string()), 2);  // transductive: nothing to predict
  // a node that reaches no label, a non-integer id, another optimizer: refused before any run
  write(dir / "island.csv", edges + "20,21,1\n");
  EXPECT_EQ(run_cli("validate " + (dir / "lp.toml").string() + " --set problem.data=\"island.csv\""), 2);
  write(dir / "frac.csv", edges + "3.5,2,1\n");
  EXPECT_EQ(run_cli("validate " + (dir / "lp.toml").string() + " --set problem.data=\"frac.csv\""), 2);
  EXPECT_EQ(run_cli("validate " + (dir / "lp.toml").string() + " --set optimizer.type=\"gd\""), 2);
}

// The quantile-aggregation runner end to end on small data: the post-processing and nesting
// guarantees hold on every row, the results do not depend on the thread count, and the CSV has
// one row per (data set, repetition, method).
TEST(QuantileSuite, GuaranteesHoldAndResultsAreThreadCountInvariant) {
  const fs::path configs = fresh_dir("qa-configs");
  fs::create_directories(configs / "q");
  write(configs / "q" / "tiny.toml", R"(
[experiment]
title = "t"
paper = "quantile-aggregation"
runner = "quantile"
[quantile]
levels = 9
repetitions = 2
folds = 3
local_steps = 100
conformal_splits = 200
models = ["linear", "knn", "ls_residual"]
[[quantile.dataset]]
name = "s"
synthetic = { n = 300, seed = 4 }
[[quantile.dataset]]
name = "o"
synthetic = { n = 300, seed = 5 }
bases = "oracle"
[[quantile.dataset]]
name = "engel"
data = ")" + source_dir() + R"(/data/engel.csv"
)");
  const fs::path out1 = fresh_dir("qa-results-1"), out2 = fresh_dir("qa-results-2");
  ASSERT_EQ(run_cli("reproduce --configs " + configs.string() + " --out " + out1.string(), "OMP_NUM_THREADS=1"), 0);
  ASSERT_EQ(run_cli("reproduce --configs " + configs.string() + " --out " + out2.string(), "OMP_NUM_THREADS=2"), 0);
  const fs::path dir = out1 / "q" / "tiny" / "suite";
  std::ifstream a(dir / "runs.csv"), b(out2 / "q" / "tiny" / "suite" / "runs.csv");
  const std::string ca((std::istreambuf_iterator<char>(a)), {}), cb((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(ca, cb) << "quantile results depend on the thread count";
  // 3 data sets × 2 repetitions × (bases + best single + 7 aggregators + selected), plus the header.
  const auto lines = std::count(ca.begin(), ca.end(), '\n');
  EXPECT_EQ(lines, 1 + 2 * ((3 + 9) + (3 + 9) + (3 + 9)));
  const auto s = read_json(dir / "summary.json");
  EXPECT_EQ(s["qa_sort_violations"].get<double>(), 0.0);
  EXPECT_EQ(s["qa_isotonic_violations"].get<double>(), 0.0);
  EXPECT_LE(s["qa_nesting_violation"].get<double>(), 1e-8);
  EXPECT_EQ(s["qa_coarse_crossing_monotone_bases"].get<double>(), 0.0);
  EXPECT_GT(s["qa_rows_checked"].get<double>(), 0.0);
  // The selected-vs-best-single figures, recomputed from runs.csv: per fitted-base data set the
  // ratio of mean sorted test WIS; the worst ratio, and the fraction of data sets within 2%.
  std::map<std::string, std::map<std::string, double>> wis;  // data set → method → sum
  std::istringstream rows(ca);
  std::string line;
  std::getline(rows, line);
  ASSERT_EQ(line.rfind("dataset,repetition,method,test_wis,test_wis_sorted,", 0), 0u) << line;
  while (std::getline(rows, line)) {
    std::vector<std::string> f;
    std::istringstream cells(line);
    for (std::string c; std::getline(cells, c, ',');) f.push_back(c);
    ASSERT_GE(f.size(), 5u) << line;
    wis[f[0]][f[2]] += std::stod(f[4]);
  }
  double worst = 0, matches = 0;
  for (const char* d : {"s", "engel"}) {
    const double ratio = wis[d]["selected"] / wis[d]["best_single"];
    worst = std::max(worst, ratio);
    matches += ratio <= 1.02;
  }
  EXPECT_NEAR(s["qa_selected_vs_best_single"].get<double>(), worst, 1e-8);
  EXPECT_DOUBLE_EQ(s["qa_selected_matches_best_single_fraction"].get<double>(), matches / 2);
}

// The PRESTO runner end to end on small designs: the CSV has a row per repetition and split,
// every ratio is finite, and the results do not depend on the thread count.
TEST(PrestoSuite, RunsDesignsAndSoupAndIsThreadCountInvariant) {
  const fs::path configs = fresh_dir("presto-configs");
  fs::create_directories(configs / "p");
  write(configs / "p" / "tiny.toml", R"(
[experiment]
title = "t"
paper = "presto"
runner = "presto"
[presto]
repetitions = 2
n = 400
p = 4
n_lambdas = 6
folds = 3
[[presto.design]]
name = "s"
type = "sparse"
intercepts = [0.0, 2.0, 3.5]
[[presto.design]]
name = "po"
type = "po"
intercepts = [0.0, 2.0, 3.5]
[presto.soup]
data = ")" + source_dir() + R"(/data/soup.csv"
splits = 1
n_lambdas = 4
)");
  const fs::path out1 = fresh_dir("presto-results-1"), out2 = fresh_dir("presto-results-2");
  ASSERT_EQ(run_cli("reproduce --configs " + configs.string() + " --out " + out1.string(), "OMP_NUM_THREADS=1"), 0);
  ASSERT_EQ(run_cli("reproduce --configs " + configs.string() + " --out " + out2.string(), "OMP_NUM_THREADS=2"), 0);
  const fs::path dir = out1 / "p" / "tiny" / "suite";
  std::ifstream a(dir / "runs.csv"), b(out2 / "p" / "tiny" / "suite" / "runs.csv");
  const std::string ca((std::istreambuf_iterator<char>(a)), {}), cb((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(ca, cb) << "PRESTO results depend on the thread count";
  EXPECT_EQ(std::count(ca.begin(), ca.end(), '\n'), 1 + 2 * 2 + 1);
  const auto s = read_json(dir / "summary.json");
  for (const char* m : {"presto_vs_logit_sparse", "presto_vs_po_sparse", "presto_vs_po_po_truth", "soup_logloss_presto_vs_po"}) {
    ASSERT_TRUE(s.contains(m)) << m;
    EXPECT_GT(s[m].get<double>(), 0.0) << m;
    EXPECT_TRUE(std::isfinite(s[m].get<double>())) << m;
  }
}

// The bilevel runner on a small LLC toy: the converging configuration reaches the closed-form
// solution, feasibility holds, the released defaults do not converge.
TEST(BilevelSuite, LlcToyConvergesUnderTheConvergingConfigurationOnly) {
  const fs::path configs = fresh_dir("bilevel-configs"), out = fresh_dir("bilevel-results");
  fs::create_directories(configs / "b");
  write(configs / "b" / "llc.toml", R"(
[experiment]
title = "t"
paper = "bilevel-lvhba"
runner = "bilevel"
[bilevel]
n = 20
[bilevel.converging]
iterations = 10000
[bilevel.released]
iterations = 4000
)");
  ASSERT_EQ(run_cli("reproduce --configs " + configs.string() + " --out " + out.string()), 0);
  const auto s = read_json(out / "b" / "llc" / "suite" / "summary.json");
  EXPECT_LT(s["llc_error_1e4"].get<double>(), 0.025);  // the toy's error does not depend on n (spec)
  EXPECT_LE(s["llc_feasibility"].get<double>(), 1e-10);
  EXPECT_GT(s["llc_released_error_median_last_half"].get<double>(), 1.0);
  // λ* = −1 lies exactly on the converging configuration's box edge r = 1 (docs/bilevel.md), so λ
  // sits there through the second half and lvhba_run's verdict reads multiplier_bound_active.
  EXPECT_EQ(s["llc_converging_lambda_at_edge_second_half"].get<double>(), 1.0);
  EXPECT_EQ(s["llc_converging_status"], "multiplier_bound_active");
  EXPECT_TRUE(fs::exists(out / "b" / "llc" / "suite" / "llc_converging.csv"));
}

namespace {
// A numeric column of a CSV with a header, by name (other columns may hold text).
std::vector<double> csv_column(const fs::path& p, const std::string& name) {
  std::ifstream in(p);
  std::string line;
  auto cells = [](const std::string& l) {
    std::vector<std::string> c;
    std::stringstream ss(l);
    for (std::string cell; std::getline(ss, cell, ',');) c.push_back(cell);
    return c;
  };
  std::getline(in, line);
  const auto header = cells(line);
  const auto k = static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  if (k == header.size()) throw std::runtime_error(p.string() + ": no column " + name);
  std::vector<double> v;
  while (std::getline(in, line)) v.push_back(std::stod(cells(line).at(k)));
  return v;
}
}  // namespace

#ifdef CONVLAB_EXPERIMENTS_TORCH
// The network experiments (LibTorch): both runners train, their metrics follow from their CSVs,
// a second run gives the same bits, and a bad key is named.
TEST(NetworkSuites, TrainRepeatBitForBitAndNameBadKeys) {
  const auto read_file = [](const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const fs::path configs = fresh_dir("network-configs"), out1 = fresh_dir("network-results-1"), out2 = fresh_dir("network-results-2");
  fs::create_directories(configs / "n");
  const std::string data = "data = \"" + source_dir() + "/data/digits.libsvm\"\nepochs = 3\nseeds = [1, 2]\n";
  write(configs / "n" / "schedules.toml", "[experiment]\ntitle = \"t\"\npaper = \"refined-schedules\"\nrunner = \"network_schedules\"\n"
                                          "[network_schedules]\n" + data + "peaks = [0.1, 0.3]\n");
  write(configs / "n" / "lion.toml", "[experiment]\ntitle = \"t\"\npaper = \"lion-kappa\"\nrunner = \"network_lion\"\n"
                                     "[network_lion]\n" + data + "box_lr = 0.1\n[network_lion.kappa_lrs]\nsign = [0.01]\nnuclear = [0.03]\n");
  ASSERT_EQ(run_cli("reproduce --configs " + configs.string() + " --out " + out1.string()), 0);
  ASSERT_EQ(run_cli("reproduce --configs " + configs.string() + " --out " + out2.string()), 0);
  for (const char* f : {"schedules/suite/runs.csv", "lion/suite/box.csv", "lion/suite/kappas.csv"})
    EXPECT_EQ(read_file(out1 / "n" / f), read_file(out2 / "n" / f)) << f;
  const auto lion = read_json(out1 / "n" / "lion" / "suite" / "summary.json");
  // ηλ = 0.2: from 2 the bound reaches 2·0.8^54 ≈ 1e-5 within the 54 steps; measured <= bound.
  EXPECT_LE(lion["box_bound_violation_max"].get<double>(), 1e-5);
  EXPECT_LE(lion["box_final_excess_max"].get<double>(), 1e-4);
  EXPECT_NEAR(lion["box_start_excess"].get<double>(), 2.0, 1e-5);
  // The κ table's minimum is the smaller of the two κ's mean test accuracy in kappas.csv.
  std::istringstream rows(read_file(out1 / "n" / "lion" / "suite" / "kappas.csv"));
  std::string line;
  std::getline(rows, line);
  std::map<std::string, double> mean;
  while (std::getline(rows, line)) {
    const auto k = line.substr(0, line.find(','));
    mean[k] += std::stod(line.substr(line.rfind(',') + 1)) / 2;
  }
  EXPECT_NEAR(lion["kappa_test_accuracy_min"].get<double>(), std::min(mean["sign"], mean["nuclear"]), 1e-5);
  const auto sched = read_json(out1 / "n" / "schedules" / "suite" / "summary.json");
  EXPECT_LE(sched["linear_vs_cosine_relative_ci_lower"].get<double>(), sched["linear_vs_cosine_relative_mean"].get<double>());
  EXPECT_GE(sched["linear_vs_cosine_relative_ci_upper"].get<double>(), sched["linear_vs_cosine_relative_mean"].get<double>());
  EXPECT_EQ(sched["steps"].get<long long>(), 3 * (1200 / 64));
  write(configs / "n" / "lion.toml", "[experiment]\ntitle = \"t\"\npaper = \"lion-kappa\"\nrunner = \"network_lion\"\n"
                                     "[network_lion]\n" + data + "box_lr = 0.5\n[network_lion.kappa_lrs]\nsign = [0.01]\n");
  EXPECT_EQ(run_cli("validate " + (configs / "n" / "lion.toml").string() + " 2>" + (configs / "err.txt").string() + " #"), 2);
  const std::string err = read_file(configs / "err.txt");
  EXPECT_NE(err.find("lion.toml:9: [network_lion] key 'box_lr': box_lr · lambda must be < 1"), std::string::npos) << err;
}

// The seeded synthetic tasks: a teacher network's regression scores by R² against the
// least-squares line, two moons by accuracy; their metrics follow from their CSVs, and a key
// that belongs to the other kind of data is named.
TEST(NetworkSuites, SyntheticTasksTrainAndNameMisplacedKeys) {
  const fs::path configs = fresh_dir("network-synthetic"), out = fresh_dir("network-synthetic-results");
  fs::create_directories(configs / "s");
  const std::string head = "epochs = 3\nseeds = [1, 2]\nhidden = [16]\nrows = 900\ntrain_rows = 600\nvalid_rows = 150\n";
  write(configs / "s" / "teacher.toml", "[experiment]\ntitle = \"t\"\npaper = \"refined-schedules\"\nrunner = \"network_schedules\"\n"
                                         "[network_schedules]\nsynthetic = \"teacher_regression\"\n" + head + "peaks = [0.1]\n");
  write(configs / "s" / "moons.toml", "[experiment]\ntitle = \"t\"\npaper = \"lion-kappa\"\nrunner = \"network_lion\"\n"
                                       "[network_lion]\nsynthetic = \"two_moons\"\nnoise = 0.2\n" + head +
                                           "box_lr = 0.1\n[network_lion.kappa_lrs]\nsign = [0.01]\n");
  ASSERT_EQ(run_cli("reproduce --configs " + configs.string() + " --out " + out.string()), 0);
  const auto teacher = read_json(out / "s" / "teacher" / "suite" / "summary.json");
  // One peak: the linear-decay R² is the mean of runs.csv's linear_decay rows.
  const auto runs = out / "s" / "teacher" / "suite" / "runs.csv";
  const auto r2 = csv_column(runs, "test_r2");
  ASSERT_EQ(r2.size(), 8u);  // 4 schedules × 2 seeds, linear decay first per seed
  EXPECT_NEAR(teacher["linear_decay_test_r2"].get<double>(), (r2[0] + r2[4]) / 2, 1e-5);
  EXPECT_NEAR(teacher["linear_decay_r2_over_line"].get<double>(),
              teacher["linear_decay_test_r2"].get<double>() - teacher["line_test_r2"].get<double>(), 1e-12);
  EXPECT_GT(teacher["line_test_r2"].get<double>(), 0.5);  // tests/problems/synthetic_test.cpp: 0.77–0.89 noise-free
  EXPECT_LT(teacher["line_test_r2"].get<double>(), 0.95);
  EXPECT_TRUE(teacher["linear_decay_test_accuracy"].is_null());  // a regression task: not measured
  {  // line_test_r2 recomputed: the same draw (split_seed 7) and split, the line by the normal equations.
    const auto data = convlab::problems::make_teacher_regression({.n = 900, .seed = 7});
    std::vector<std::int64_t> order(900);
    std::iota(order.begin(), order.end(), 0);
    convlab::Rng rng(7);
    convlab::shuffle(order.begin(), order.end(), rng);
    auto rows = [&](std::size_t from, std::size_t to) {
      Eigen::MatrixXd A(static_cast<Eigen::Index>(to - from), 11);
      Eigen::VectorXd y(A.rows());
      for (std::size_t i = from; i < to; ++i) {
        const auto r = static_cast<Eigen::Index>(i - from);
        A.row(r) << data.A.row(order[i]).cast<float>().cast<double>(), 1.0;  // the runner trains on float rows
        y[r] = static_cast<double>(static_cast<float>(data.y[order[i]]));
      }
      return std::pair{A, y};
    };
    const auto [A, b] = rows(0, 600);
    const auto [At, bt] = rows(750, 900);
    const Eigen::VectorXd beta = (A.transpose() * A).ldlt().solve(A.transpose() * b);
    const double r2 = 1 - (At * beta - bt).squaredNorm() / (bt.array() - bt.mean()).square().sum();
    EXPECT_NEAR(teacher["line_test_r2"].get<double>(), r2, 1e-8);
  }
  const auto moons = read_json(out / "s" / "moons" / "suite" / "summary.json");
  EXPECT_LE(moons["box_bound_violation_max"].get<double>(), 1e-5);  // the box holds on any data
  const auto accuracy = csv_column(out / "s" / "moons" / "suite" / "kappas.csv", "test_accuracy");
  ASSERT_EQ(accuracy.size(), 2u);
  EXPECT_NEAR(moons["kappa_test_accuracy_min"].get<double>(), (accuracy[0] + accuracy[1]) / 2, 1e-5);

  const auto refused = [&](const std::string& section, const std::string& body) {
    write(configs / "bad.toml", "[experiment]\ntitle = \"t\"\npaper = \"refined-schedules\"\nrunner = \"network_schedules\"\n[" +
                                    section + "]\n" + body);
    EXPECT_EQ(run_cli("validate " + (configs / "bad.toml").string() + " 2>" + (configs / "err.txt").string() + " #"), 2) << body;
    std::ifstream in(configs / "err.txt");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const std::string digits = "data = \"" + source_dir() + "/data/digits.libsvm\"\n";
  std::string err = refused("network_schedules", digits + "noise = 0.2\n");
  EXPECT_NE(err.find("bad.toml:7: [network_schedules] key 'noise': only with synthetic"), std::string::npos) << err;
  err = refused("network_schedules", "synthetic = \"spirals\"\n");
  EXPECT_NE(err.find("key 'synthetic': \"spirals\" is not one of teacher_regression | two_moons"), std::string::npos) << err;
  err = refused("network_schedules", digits + "synthetic = \"two_moons\"\n");
  EXPECT_NE(err.find("key 'data': give either data (a file) or synthetic, not both"), std::string::npos) << err;
  err = refused("network_schedules", "synthetic = \"two_moons\"\nrows = 100\n");
  EXPECT_NE(err.find("key 'rows': 100 rows; train_rows + valid_rows (1500) must leave test rows"), std::string::npos) << err;
  // A data file whose labels are not digits is refused when the runner reads it.
  write(configs / "s" / "letters.libsvm", "12 1:3 2:4\n1 1:2\n");
  write(configs / "s" / "teacher.toml", "[experiment]\ntitle = \"t\"\npaper = \"refined-schedules\"\nrunner = \"network_schedules\"\n"
                                         "[network_schedules]\ndata = \"letters.libsvm\"\ntrain_rows = 10\nvalid_rows = 10\nbatch_size = 5\n");
  fs::remove(configs / "s" / "moons.toml");
  fs::remove(configs / "bad.toml");
  EXPECT_NE(run_cli("reproduce --configs " + configs.string() + " --out " + (out / "bad").string() + " 2>" + (configs / "err.txt").string() + " #"), 0);
  {
    std::ifstream in(configs / "err.txt");
    err = std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  EXPECT_NE(err.find("letters.libsvm: labels must be the digits 0..9"), std::string::npos) << err;
  err = refused("network_schedules", "epochs = 2\n");
  EXPECT_NE(err.find("key 'data': missing: give data (a file) or synthetic"), std::string::npos) << err;
}
#endif

// ---- optimizers from configs: the library's declared options, every κ ----------------------

namespace {
/// Every field of `got` equals the same field of `want` (the library's own defaults).
template <class Options>
void expect_same_fields(const Options& got, const Options& want, const std::string& what) {
  convlab::for_each_field<Options>([&](const auto& f) {
    EXPECT_EQ(got.*(f.member), want.*(f.member)) << what << ": " << f.name;
  });
}

std::vector<std::string> kappa_names() {
  std::vector<std::string> names;
  std::apply([&](const auto&... e) { (names.emplace_back(e.name), ...); }, convlab::optim::kappa_names);
  return names;
}
}  // namespace

// A config that names only the type gets exactly the library's defaults (the CLI once set
// AdamW's weight decay to 0 where the library has 1e-2); --explain lists them as defaults.
TEST(Config, OptimizerDefaultsAreTheLibrarysDefaults) {
  namespace co = convlab::optim;
  const fs::path dir = fresh_dir("defaults");
  write(dir / "data.csv", "y,a\n0,1\n1,2\n0,3\n");
  write(dir / "run.toml", "[problem]\ntype = \"logistic\"\ndata = \"data.csv\"\n");
  const auto load = [&](const ex::Overrides& o) { return ex::load_run_config((dir / "run.toml").string(), o); };
  expect_same_fields(load({"optimizer.type=adamw"}).optimizer.adamw, co::AdamWOptions{}, "adamw");
  expect_same_fields(load({"optimizer.type=sgd"}).optimizer.sgd, co::SgdOptions{}, "sgd");
  expect_same_fields(load({"optimizer.type=momentum"}).optimizer.sgd, co::SgdOptions{.momentum = 0.9}, "momentum");
  expect_same_fields(load({"optimizer.type=nesterov"}).optimizer.sgd, co::SgdOptions{.momentum = 0.9, .nesterov = true},
                     "nesterov");
  expect_same_fields(load({"optimizer.type=lion"}).optimizer.lion, co::LionOptions{}, "lion");
  EXPECT_EQ(load({"optimizer.type=adamw"}).optimizer.adamw.weight_decay, 1e-2);
  for (const auto& name : kappa_names()) {
    const auto c = load({"optimizer.type=lion", "optimizer.kappa=" + name});
    co::with_kappa_named(name, [&](const auto& entry) {
      using K = typename std::decay_t<decltype(entry)>::type;
      const K* k = std::get_if<K>(&c.optimizer.kappa_object.variant());
      ASSERT_NE(k, nullptr) << name;
      expect_same_fields(*k, K{}, name);
    });
  }
  for (const auto& row : load({"optimizer.type=adamw"}).explain)
    if (row.key.rfind("optimizer.", 0) == 0 && row.key != "optimizer.type") {
      EXPECT_EQ(row.value, row.default_value) << row.key;
    }
  // lasso_cd's accelerations are LassoOptions' declared fields; alpha, tolerance and max_epochs
  // come from other keys and are not offered.
  write(dir / "ls.toml", "[problem]\ntype = \"least_squares\"\ndata = \"data.csv\"\nl1 = 0.1\n[optimizer]\ntype = \"lasso_cd\"\n");
  const auto lasso = [&](const ex::Overrides& o) { return ex::load_run_config((dir / "ls.toml").string(), o); };
  expect_same_fields(lasso({}).optimizer.lasso, convlab::solvers::LassoOptions{}, "lasso_cd");
  EXPECT_EQ(lasso({"optimizer.anderson_memory=3"}).optimizer.lasso.anderson_memory, 3);
  EXPECT_FALSE(lasso({"optimizer.gram=false"}).optimizer.lasso.gram);
  for (const char* bad : {"optimizer.anderson_memory=1", "optimizer.alpha=0.5"}) {
    try {
      (void)lasso({bad});
      ADD_FAILURE() << bad << " was accepted";
    } catch (const ex::ConfigError& e) {
      const std::string key = std::string(bad).substr(10, std::string(bad).find('=') - 10);
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  }
}

// Every optimizer type and κ: config → object → saved TOML → the same config (hash and every
// resolved key); a non-default κ parameter reaches the κ object; a bad one names its key.
TEST(Config, EveryOptimizerAndKappaRoundTrips) {
  const fs::path dir = fresh_dir("roundtrip");
  write(dir / "data.csv", "y,a\n0,1\n1,2\n0,3\n");
  write(dir / "run.toml", "[problem]\ntype = \"logistic\"\ndata = \"data.csv\"\n");
  std::vector<ex::Overrides> variants;
  for (const auto& type : ex::optimizer_types())
    if (type != "lion" && type != "lasso_cd" && type != "quantile_lp" && type != "presto") variants.push_back({"optimizer.type=" + type});
  for (const auto& name : kappa_names()) variants.push_back({"optimizer.type=lion", "optimizer.kappa=" + name});
  variants.push_back({"problem.type=quantile", "problem.taus=[0.1, 0.9]", "optimizer.type=quantile_lp"});
  variants.push_back({"problem.type=quantile", "optimizer.type=quantile_lp"});
  variants.push_back({"problem.type=ordinal", "optimizer.type=presto"});
  variants.push_back({"problem.type=ordinal", "problem.model=presto", "problem.lambda=0.5", "optimizer.type=presto"});
  variants.push_back({"problem.type=ordinal", "problem.model=proportional_odds", "optimizer.type=presto"});
  for (const auto& v : variants) {
    const auto c = ex::load_run_config((dir / "run.toml").string(), v);
    write(dir / "resolved.toml", c.to_toml());
    const auto again = ex::load_run_config((dir / "resolved.toml").string());
    EXPECT_EQ(again.hash(), c.hash()) << v.back();
    ASSERT_EQ(again.explain.size(), c.explain.size()) << v.back();
    for (std::size_t i = 0; i < c.explain.size(); ++i) EXPECT_EQ(again.explain[i].value, c.explain[i].value) << c.explain[i].key;
  }
  const auto huber = ex::load_run_config((dir / "run.toml").string(),
                                         {"optimizer.type=lion", "optimizer.kappa=huber", "optimizer.delta=0.25"});
  EXPECT_EQ(std::get<convlab::optim::HuberK>(huber.optimizer.kappa_object.variant()).delta, 0.25);
  try {
    ex::load_run_config((dir / "run.toml").string(), {"optimizer.type=lion", "optimizer.kappa=lp", "optimizer.p=1"});
    FAIL() << "p = 1 accepted";
  } catch (const ex::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--set optimizer.p: [optimizer] key 'p': 1 is out of range; allowed: 1 < p < inf"),
              std::string::npos)
        << e.what();
  }
  try {  // a κ parameter of another κ is an unknown key that lists the allowed ones
    ex::load_run_config((dir / "run.toml").string(), {"optimizer.type=lion", "optimizer.delta=0.5"});
    FAIL() << "delta accepted for sign";
  } catch (const ex::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown key 'delta' in [optimizer] (optimizer type 'lion', kappa 'sign')"),
              std::string::npos)
        << e.what();
  }
}

// `convlab fit` runs Lion with every κ and a linear-decay schedule on a CSV file. Lion-κ with
// decoupled decay λ and lr·λ <= 1 keeps λx in dom κ* (docs/optim.md): checked on the result
// with the κ's own domain test; the nuclear κ acts on the multinomial weights as a matrix
// (its operator norm is bounded, not the column's). Each run lowers the objective.
TEST(Fit, LionWithEveryKappaStaysInItsFeasibleSet) {
  namespace co = convlab::optim;
  const fs::path dir = fresh_dir("lion-fit");
  const double lambda = 2.0;
  for (const auto& name : kappa_names()) {
    const bool nuclear = name == "nuclear";
    write(dir / "lion.toml",
          "seed = 1\n[problem]\ntype = \"" + std::string(nuclear ? "multinomial" : "logistic") + "\"\ndata = \"" +
              source_dir() + (nuclear ? "/data/iris.csv" : "/data/breast_cancer.csv") +
              "\"\nstandardize = true\nintercept = true\n[optimizer]\ntype = \"lion\"\nkappa = \"" + name +
              "\"\nweight_decay = " + std::to_string(lambda) +
              "\n[schedule]\ntype = \"linear_decay\"\nlr = 0.05\n[stop]\nmax_iterations = 300\n[output]\nplots = false\n");
    const auto c = ex::load_run_config((dir / "lion.toml").string());
    const ex::FitResult r = ex::run_fit(c, false);
    EXPECT_LT(r.summary.final_value, r.summary.initial_value) << name;
    EXPECT_TRUE(r.x.allFinite()) << name;
    co::AnyKappa kappa = c.optimizer.kappa_object;
    const Eigen::Index outputs = nuclear ? 3 : 1;
    kappa.reshape(r.x.size() / outputs, outputs);
    const VecX<double> scaled = lambda * r.x;
    EXPECT_LE(kappa.domain_violation<double>(scaled), 1e-9) << name;
    EXPECT_GT(scaled.cwiseAbs().maxCoeff(), 0.05) << name << ": the run moved";
    if (nuclear) {  // the matrix, not the column: outside the unit Frobenius ball, inside the operator-norm ball
      EXPECT_GT(scaled.norm(), 1.2) << "the nuclear κ saw the weights as one column";
    }
  }
  // and from the command line, with a run folder
  ASSERT_EQ(run_cli("fit " + (dir / "lion.toml").string() + " --out " + (dir / "out").string()), 0);
  const auto summary = read_json(dir / "out" / "lion" / "fit" / "summary.json");
  EXPECT_TRUE(summary.contains("x")) << summary.dump();
}

// The key tables of docs/configs.md are what the code generates (also CTest docs_configs_generated).
TEST(Docs, ConfigKeyTablesAreGenerated) {
  EXPECT_EQ(run_cli("docs " + source_dir() + "/docs/configs.md"), 0);
  {  // the page holds every section, so the check above covers them all
    std::ifstream page(source_dir() + "/docs/configs.md");
    const std::string text((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
    for (const char* s : {"optimizer keys", "suite reference", "network suite reference"})
      EXPECT_NE(text.find(std::string("<!-- END generated: ") + s + " -->"), std::string::npos) << s;
    EXPECT_NE(text.find("| `lion_entry_fraction` |"), std::string::npos);
    EXPECT_NE(text.find("| `<pattern>_<method>_dist_star` |"), std::string::npos);
  }
  const fs::path dir = fresh_dir("docs");
  write(dir / "page.md", "x\n<!-- BEGIN generated: optimizer keys -->\nstale\n<!-- END generated: optimizer keys -->\n");
  EXPECT_EQ(run_cli("docs " + (dir / "page.md").string()), 1);
  EXPECT_EQ(run_cli("docs --write " + (dir / "page.md").string()), 0);
  EXPECT_EQ(run_cli("docs " + (dir / "page.md").string()), 0);
  std::ifstream in(dir / "page.md");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("| lion, kappa = \"huber\" | `delta` | 1 |"), std::string::npos) << text;
  EXPECT_NE(text.find("| adamw | `weight_decay` | 0.01 |"), std::string::npos) << text;
}

// [problem] features / exclude: an id column and a split column are left out (or the features
// named), the model is the same bits as on a file without them, and summary.json names the
// columns of x.
TEST(Fit, FeaturesAndExcludeChooseTheColumns) {
  const fs::path dir = fresh_dir("features");
  std::ifstream in(source_dir() + "/data/diabetes.csv");
  std::string header, line, with_ids = "", plain;
  std::getline(in, header);
  with_ids = "id,split," + header + "\n";
  plain = header + "\n";
  for (int i = 0; std::getline(in, line); ++i) {
    with_ids += "row" + std::to_string(i) + "," + (i % 5 ? "train" : "test") + "," + line + "\n";
    plain += line + "\n";
  }
  write(dir / "ids.csv", with_ids);
  write(dir / "plain.csv", plain);
  const std::string body = "\"\nstandardize = true\n[stop]\nmax_iterations = 50\n[output]\nplots = false\n";
  write(dir / "plain.toml", "[problem]\ntype = \"least_squares\"\ndata = \"plain.csv\"" + body.substr(1));
  write(dir / "ids.toml", "[problem]\ntype = \"least_squares\"\ndata = \"ids.csv\"\nexclude = [\"id\", \"split\"]" + body.substr(1));
  const auto plain_fit = ex::run_fit(ex::load_run_config((dir / "plain.toml").string()), false);
  const auto ids_fit = ex::run_fit(ex::load_run_config((dir / "ids.toml").string()), false);
  EXPECT_TRUE(plain_fit.x == ids_fit.x);
  EXPECT_EQ(ids_fit.feature_names, plain_fit.feature_names);
  EXPECT_EQ(ids_fit.feature_names.size(), 10u);
  // two named features, in the order given
  const auto two = ex::run_fit(ex::load_run_config((dir / "ids.toml").string(), {"problem.exclude=[]", "problem.features=[\"bmi\", \"age\"]"}), false);
  EXPECT_EQ(two.feature_names, (std::vector<std::string>{"bmi", "age"}));
  EXPECT_EQ(two.x.size(), 2);
  // the id column is not numeric: without exclude the file is refused, never used as a feature
  EXPECT_EQ(run_cli("validate " + (dir / "ids.toml").string() + " --set problem.exclude=[]"), 2);
  ASSERT_EQ(run_cli("fit " + (dir / "ids.toml").string() + " --out " + (dir / "out").string()), 0);
  const auto summary = read_json(dir / "out" / "ids" / "fit" / "summary.json");
  EXPECT_EQ(summary["feature_names"].get<std::vector<std::string>>(), plain_fit.feature_names);
}

// [schedule] type = "refined": the CLI runs the paper's two passes (linear decay recording the
// gradient norms, then the refined schedule) and agrees with the library's
// two_pass_refinement on the same problem (up to the blockwise sums' rounding).
TEST(Fit, RefinedScheduleRunsBothPassesLikeTheLibrary) {
  const fs::path dir = fresh_dir("refined");
  write(dir / "refined.toml", "seed = 1\n[problem]\ntype = \"least_squares\"\ndata = \"" + source_dir() +
                                  "/data/diabetes.csv\"\nstandardize = true\nl2 = 0.1\n[optimizer]\ntype = \"momentum\"\n"
                                  "[schedule]\ntype = \"refined\"\nlr = 0.05\nfirst_lr = 0.02\ntau = 0.2\n[stop]\n"
                                  "max_iterations = 400\n[output]\nplots = false\n");
  const auto c = ex::load_run_config((dir / "refined.toml").string());
  const ex::FitResult r = ex::run_fit(c, false);
  ASSERT_TRUE(r.first_pass.has_value());
  auto ds = convlab::problems::load_csv(source_dir() + "/data/diabetes.csv", {.response = "y"});
  convlab::problems::standardize(ds.X);
  const convlab::problems::LeastSquares<double> f(ds.X, ds.y, {.l2 = 0.1});
  VecX<double> x = VecX<double>::Zero(10);
  const auto two = convlab::optim::two_pass_refinement(f, convlab::optim::Sgd<double>({.momentum = 0.9}), x,
                                                       {.max_iterations = 400, .seed = 1}, 0.02, 0.05, {.tau = 0.2});
  EXPECT_NEAR(r.first_pass->final_value, two.first.final_value, 1e-10 * two.first.final_value);
  EXPECT_NEAR(r.summary.final_value, two.second.final_value, 1e-10 * two.second.final_value);
  ASSERT_EQ(r.refined_shape.size(), two.shape.size());
  for (std::size_t i = 0; i < two.shape.size(); i += 997) EXPECT_NEAR(r.refined_shape[i], two.shape[i], 1e-9) << i;
  EXPECT_LE((r.x - x).norm(), 1e-8 * (1 + x.norm()));
  EXPECT_LT(r.summary.final_value, r.summary.initial_value);
  ASSERT_EQ(run_cli("fit " + (dir / "refined.toml").string() + " --out " + (dir / "out").string()), 0);
  const auto summary = read_json(dir / "out" / "refined" / "fit" / "summary.json");
  EXPECT_EQ(summary["first_pass"]["iterations"].get<long long>(), 400);
  ASSERT_EQ(summary["refined_shape_deciles"].size(), 11u);
  for (std::size_t i = 0; i <= 10; ++i)  // the shape at 0, 10, ..., 100 % of the run
    EXPECT_EQ(summary["refined_shape_deciles"][i].get<double>(), r.refined_shape[(r.refined_shape.size() - 1) * i / 10]) << i;
  EXPECT_EQ(run_cli("validate " + (dir / "refined.toml").string() + " --set schedule.warmup_steps=10"), 2);
  EXPECT_EQ(run_cli("validate " + (dir / "refined.toml").string() + " --set schedule.tau=0"), 2);
}

// Runs of plain gradient steps report the refined-schedules paper's bound on the returned iterate:
// it equals the library's final_iterate_bound over the same run rebuilt by hand (the schedule's η,
// every step's ‖g‖ and D = ‖x0 − x*‖ from Newton), it is above the measured suboptimality for
// several schedules, and it is absent where the theorem does not apply (momentum, minibatches).
TEST(Fit, LastIterateBoundIsTheLibrarysAndHoldsForPlainSteps) {
  const fs::path dir = fresh_dir("bound");
  write(dir / "gd.toml", "seed = 1\nreference = \"newton\"\n[problem]\ntype = \"least_squares\"\ndata = \"" + source_dir() +
                             "/data/diabetes.csv\"\nstandardize = true\nl2 = 0.1\n[optimizer]\ntype = \"gd\"\n"
                             "[schedule]\ntype = \"linear_decay\"\nlr = 0.3\n[stop]\nmax_iterations = 60\n[output]\nplots = false\n");
  const ex::FitResult r = ex::run_fit(ex::load_run_config((dir / "gd.toml").string()), false);
  ASSERT_TRUE(r.last_iterate_bound.has_value());
  auto ds = convlab::problems::load_csv(source_dir() + "/data/diabetes.csv", {.response = "y"});
  convlab::problems::standardize(ds.X);
  const convlab::problems::LeastSquares<double> f(ds.X, ds.y, {.l2 = 0.1});
  VecX<double> xstar = VecX<double>::Zero(10), x = xstar, g(10);
  convlab::optim::newton(f, xstar, {.max_iterations = 200, .gradient_tolerance = 1e-13});
  const auto run = convlab::optim::minimize(f, convlab::optim::GradientDescent<double>{}, x,
                                            {.max_iterations = 60, .record_step_norms = convlab::optim::StepNorm::L2},
                                            convlab::schedules::linear_decay(0.3, 60));
  std::vector<double> eta;
  for (std::int64_t t = 0; t < 60; ++t) eta.push_back(convlab::schedules::linear_decay(0.3, 60)(t));
  const double fx = convlab::problems::value_and_gradient(f, x, g), fstar = f.value(xstar);
  const auto want = convlab::schedules::final_iterate_bound(eta, run.step_gradient_norms, g.norm(), xstar.norm());
  const auto& got = *r.last_iterate_bound;
  EXPECT_NEAR(got.distance, xstar.norm(), 1e-10 * xstar.norm());
  EXPECT_NEAR(got.suboptimality, fx - fstar, 1e-9 * fx);
  EXPECT_NEAR(got.form.value, want.value, 1e-9 * want.value);
  EXPECT_NEAR(got.form.per_squared_distance, 1 / (2 * (std::accumulate(eta.begin(), eta.end(), 0.0) + got.form.extra_step)), 1e-12);
  EXPECT_GT(got.suboptimality, 0);
  EXPECT_LE(got.suboptimality, got.form.value);
  const std::string breast_cancer = "problem.data=\"" + source_dir() + "/data/breast_cancer.csv\"";
  for (const std::vector<std::string>& sets : std::vector<std::vector<std::string>>{
           {"schedule.type=\"cosine\""}, {"schedule.type=\"constant\"", "schedule.lr=0.1"}, {"optimizer.type=\"sgd\""},
           {"schedule.type=\"refined\""},  // two passes: the bound of the refined (second) pass
           {"problem.type=\"logistic\"", breast_cancer, "schedule.lr=1"}, {"problem.type=\"logistic\"", breast_cancer, "schedule.lr=20"}}) {
    const auto v = ex::run_fit(ex::load_run_config((dir / "gd.toml").string(), sets), false);
    ASSERT_TRUE(v.last_iterate_bound.has_value()) << sets.front();
    EXPECT_LE(v.last_iterate_bound->suboptimality, v.last_iterate_bound->form.value) << sets.front();
  }
  for (const std::string set : {"optimizer.type=\"momentum\"", "optimizer.batch_size=32", "optimizer.type=\"adamw\""})
    EXPECT_FALSE(ex::run_fit(ex::load_run_config((dir / "gd.toml").string(), {set}), false).last_iterate_bound.has_value()) << set;
  ASSERT_EQ(run_cli("fit " + (dir / "gd.toml").string() + " --out " + (dir / "out").string()), 0);
  const auto summary = read_json(dir / "out" / "gd" / "fit" / "summary.json");
  EXPECT_EQ(summary["last_iterate_bound"]["value"].get<double>(), got.form.value);
  EXPECT_EQ(summary["last_iterate_bound"]["at_zero_distance"].get<double>(), got.form.at_zero_distance);
  // without a reference the form is reported, not a value at an unknown D
  const std::string noref_set = " --set reference=\"none\"";
  ASSERT_EQ(run_cli("fit " + (dir / "gd.toml").string() + noref_set + " --out " + (dir / "noref").string()), 0);
  const auto noref = read_json(variant_dir(dir / "noref" / "gd", noref_set) / "summary.json");
  EXPECT_TRUE(noref["last_iterate_bound"].contains("per_squared_distance"));
  EXPECT_FALSE(noref["last_iterate_bound"].contains("value"));
}

// Every shipped single-run example validates (and so names only keys that exist).
TEST(Examples, EveryRunExampleValidates) {
  int checked = 0;
  for (const auto& e : fs::directory_iterator(source_dir() + "/experiments/examples")) {
    if (e.path().extension() != ".toml") continue;
#ifndef CONVLAB_EXPERIMENTS_TORCH  // a federation of networks is built (and so needs LibTorch) to validate
    if (e.path().stem() == "federated_digits_mlp") continue;
#endif
    EXPECT_EQ(run_cli("validate " + e.path().string()), 0) << e.path();
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

// `validate --explain` prints each declared key with its default, rule and one line of doc.
TEST(Config, ExplainPrintsTheDeclaredDoc) {
  const fs::path dir = fresh_dir("explain");
  write(dir / "run.toml", "[problem]\ntype = \"logistic\"\ndata = \"" + source_dir() +
                              "/data/breast_cancer.csv\"\n[optimizer]\ntype = \"lion\"\nkappa = \"log_cosh\"\n");
  ASSERT_EQ(std::system((std::string(CONVLAB_CLI) + " validate --explain " + (dir / "run.toml").string() + " > " +
                         (dir / "explain.txt").string() + " 2>&1").c_str()),
            0);
  std::ifstream in(dir / "explain.txt");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("optimizer.beta               = 1                        # default 1; allowed beta > 0; sharpness: ∇κ = tanh(βv)"),
            std::string::npos)
      << text;
}

// ---- Federated runs on a user's data (docs/federated.md, issue 25) ----
namespace {
namespace cp = convlab::problems;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The digits federation of experiments/examples/federated_digits_iid.toml.
ex::FederationData digits_iid() {
  ex::FederationData d;
  d.data = source_dir() + "/data/digits.libsvm";
  d.format = "libsvm";
  d.standardize = d.intercept = true;
  d.mu = 0.001;
  d.clients = 20;
  d.participation_rate = 0.5;
  return d;
}

std::string digits_config(const std::string& extra) {
  return "[federated]\nproblem = \"multinomial\"\ndata = \"" + source_dir() +
         "/data/digits.libsvm\"\nstandardize = true\nintercept = true\nmu = 0.001\nclients = 20\npartition = \"iid\"\n" + extra +
         "\n[federated.local]\nsteps = 5\nbatch = 16\nlr = 0.05\n";
}
}  // namespace

TEST(FederatedData, DigitsIidWithHalfParticipationComesWithinAFewPointsOfTheCentralizedFit) {
  // Centralized: the same standardized training rows (all clients stacked) and penalty, solved by
  // Ceres' L-BFGS, scored on the same test rows.
  const auto fed = ex::data_federation<cp::Multinomial<double>>(digits_iid());
  Eigen::Index n = 0;
  for (const auto& c : fed.clients) n += c.num_samples();
  convlab::MatX<double> A(n, fed.test->num_features());
  VecX<double> b(n);
  Eigen::Index row = 0;
  for (const auto& c : fed.clients) {
    A.middleRows(row, c.num_samples()) = c.design();
    b.segment(row, c.num_samples()) = c.labels().cast<double>();
    row += c.num_samples();
  }
  const cp::Multinomial<double> central(A, b, 10, {.l2 = 0.001, .intercept = true});
  VecX<double> x = VecX<double>::Zero(central.dim());
  convlab::optim::ceres_lbfgs(central, x);
  VecX<double> g(x.size());
  cp::gradient(central, x, g);
  ASSERT_LT(g.norm(), 1e-8);
  const double central_accuracy = ex::test_accuracy(fed)(x);
  const fs::path dir = fresh_dir("fed-digits");
  write(dir / "digits.toml", digits_config("participation_rate = 0.5\nrounds = 300\neval_every = 50\n"));
  ASSERT_EQ(run_cli("fit " + (dir / "digits.toml").string() + " --out " + dir.string()), 0);
  const auto j = read_json(dir / "digits" / "fit" / "summary.json");
  const double federated_accuracy = j["final_test_accuracy"].get<double>();
  std::cout << "digits, 20 iid clients, p = 0.5, 300 rounds: federated test accuracy " << federated_accuracy << ", centralized " << central_accuracy
            << "\n";
  EXPECT_GT(central_accuracy, 0.9);
  EXPECT_GE(federated_accuracy, central_accuracy - 0.03);
  // The summary's numbers are recomputed from what the run wrote.
  VecX<double> xf(central.dim());
  std::istringstream xs(slurp(dir / "digits" / "fit" / "x.csv"));
  for (Eigen::Index i = 0; i < xf.size(); ++i) xs >> xf[i];
  EXPECT_DOUBLE_EQ(federated_accuracy, ex::test_accuracy(fed)(xf));
  EXPECT_NEAR(j["final_test_loss"].get<double>(), fed.test->value(xf), 1e-12);
  EXPECT_EQ(fed.test->options().l2, 0.0);  // the test loss has no penalty
  double best = 0;
  for (double a : csv_column(dir / "digits" / "fit" / "metrics.csv", "test_accuracy")) best = std::max(best, a);
  EXPECT_NEAR(j["best_test_accuracy"].get<double>(), best, 1e-6);
}

TEST(FederatedData, StandardizationUsesTheTrainingRowsOfAllClientsTogether) {
  ex::FederationData d = digits_iid();
  d.data = source_dir() + "/data/iris.csv";
  d.format = "csv";
  d.response = "y";
  d.clients = 5;
  const auto standardized = ex::data_federation<cp::Multinomial<double>>(d);
  d.standardize = false;
  const auto raw = ex::data_federation<cp::Multinomial<double>>(d);
  ASSERT_EQ(standardized.clients.size(), raw.clients.size());
  convlab::MatX<double> stacked_raw(0, 4), stacked_std(0, 4);
  for (std::size_t c = 0; c < raw.clients.size(); ++c) {
    const auto r = stacked_raw.rows(), k = raw.clients[c].num_samples();
    stacked_raw.conservativeResize(r + k, 4);
    stacked_std.conservativeResize(r + k, 4);
    stacked_raw.bottomRows(k) = raw.clients[c].design();
    stacked_std.bottomRows(k) = standardized.clients[c].design();
  }
  convlab::MatX<double> centralized = stacked_raw;
  const cp::Standardization t = cp::standardize(centralized);  // what a centralized fit on the training rows uses
  EXPECT_LT((centralized - stacked_std).cwiseAbs().maxCoeff(), 1e-12);
  convlab::MatX<double> test = raw.test->design();
  cp::apply_standardization(test, t);
  EXPECT_LT((test - standardized.test->design()).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_GT((standardized.test->design() - raw.test->design()).cwiseAbs().maxCoeff(), 0.1);  // it did change something
}

TEST(FederatedData, ParticipationRatesHoldInExpectation) {
  // Σ participants over R rounds is Binomial(R·N, p) for one rate, and a sum of two binomials
  // for two: accepted within 4.5 standard deviations.
  const fs::path dir = fresh_dir("fed-rates");
  const auto total = [&](const std::string& name, const std::string& rates) {
    write(dir / (name + ".toml"), digits_config(rates + "\nrounds = 400\neval_every = 1\ncheckpoint_every = 0\n"));
    EXPECT_EQ(run_cli("fit " + (dir / (name + ".toml")).string() + " --out " + dir.string()), 0);
    double s = 0;
    for (double v : csv_column(dir / name / "fit" / "metrics.csv", "participants")) s += v;
    return s;
  };
  const double one = total("one", "participation_rate = 0.3");
  EXPECT_NEAR(one, 400 * 20 * 0.3, 4.5 * std::sqrt(400 * 20 * 0.3 * 0.7));
  std::string list = "rates = [";
  for (int n = 0; n < 20; ++n) list += n < 10 ? "0.1, " : "0.9, ";
  list += "]";
  const double two = total("two", list);
  EXPECT_NEAR(two, 400 * (10 * 0.1 + 10 * 0.9), 4.5 * std::sqrt(400 * 20 * 0.09));
}

TEST(FederatedData, MethodsAreComparedOnTheSameDrawsAndEqualTheirSingleRuns) {
  const fs::path dir = fresh_dir("fed-compare");
  write(dir / "both.toml", digits_config("participation_rate = 0.4\nrounds = 60\neval_every = 10\nmethod = [\"fedau\", \"known_prob\"]\n"));
  write(dir / "single.toml", digits_config("participation_rate = 0.4\nrounds = 60\neval_every = 10\nmethod = \"known_prob\"\n"));
  ASSERT_EQ(run_cli("fit " + (dir / "both.toml").string() + " --out " + dir.string()), 0);
  ASSERT_EQ(run_cli("fit " + (dir / "single.toml").string() + " --out " + dir.string()), 0);
  EXPECT_EQ(csv_column(dir / "both" / "fit" / "fedau" / "metrics.csv", "participants"),
            csv_column(dir / "both" / "fit" / "known_prob" / "metrics.csv", "participants"));
  EXPECT_EQ(slurp(dir / "both" / "fit" / "known_prob" / "x.csv"), slurp(dir / "single" / "fit" / "x.csv"));
  const std::string table = slurp(dir / "both" / "fit" / "comparison.csv");
  EXPECT_NE(table.find("\nfedau,completed,"), std::string::npos) << table;
  EXPECT_NE(table.find("\nknown_prob,completed,"), std::string::npos) << table;
  const auto j = read_json(dir / "both" / "fit" / "known_prob" / "summary.json");
  EXPECT_NE(table.find(fmt::format("{:.10g}", j["final_test_accuracy"].get<double>())), std::string::npos) << table;
  // FedAU's weight error, recomputed from the weights and rates it reports.
  const auto f = read_json(dir / "both" / "fit" / "fedau" / "summary.json");
  const auto w = f["estimated_weights"].get<std::vector<double>>(), p = f["probabilities"].get<std::vector<double>>();
  std::vector<double> rel;
  for (std::size_t n = 0; n < w.size(); ++n) rel.push_back(std::abs(w[n] * p[n] - 1));
  std::sort(rel.begin(), rel.end());
  EXPECT_NEAR(f["weights_median_relative_error"].get<double>(), 0.5 * (rel[9] + rel[10]), 1e-12);
  EXPECT_NEAR(f["weights_max_relative_error"].get<double>(), rel.back(), 1e-12);
}

// [[sweep]] in a federated config: one folder per variant, each the same bits as the variant run
// alone with --set; sweep.csv has a row per variant and method; a bad value in the last variant
// fails before any round runs.
TEST(FederatedData, SweepRunsEveryVariantAsItsOwnRun) {
  const fs::path dir = fresh_dir("fed-sweep");
  const std::string base = "participation_rate = 0.4\nrounds = 30\neval_every = 10\nmethod = [\"fedau\", \"known_prob\"]\n";
  write(dir / "grid.toml", digits_config(base) + "[[sweep]]\nfederated.local.lr = [0.02, 0.05]\n");
  write(dir / "one.toml", digits_config(base));
  ASSERT_EQ(run_cli("fit " + (dir / "grid.toml").string() + " --out " + dir.string()), 0);
  ASSERT_EQ(run_cli("fit " + (dir / "one.toml").string() + " --out " + dir.string() + " --set federated.local.lr=0.02"), 0);
  EXPECT_EQ(slurp(dir / "grid" / "federated.local.lr=0.02" / "fedau" / "x.csv"),
            slurp(dir / "one" / "federated.local.lr=0.02" / "fedau" / "x.csv"));
  EXPECT_NE(slurp(dir / "grid" / "federated.local.lr=0.02" / "fedau" / "x.csv"),
            slurp(dir / "grid" / "federated.local.lr=0.05" / "fedau" / "x.csv"));
  const std::string table = slurp(dir / "grid" / "sweep.csv");
  EXPECT_EQ(table.substr(0, table.find('\n')),
            "variant,federated.local.lr,method,status,rounds,final_objective,final_test_accuracy,final_test_loss,seconds_this_session");
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 5) << table;
  const auto j = read_json(dir / "grid" / "federated.local.lr=0.05" / "known_prob" / "summary.json");
  EXPECT_NE(table.find("federated.local.lr=0.05/known_prob,0.05,known_prob,completed,30," +
                       fmt::format("{}", j["final_objective"].get<double>())),
            std::string::npos)
      << table;
  write(dir / "bad.toml", digits_config(base) + "[[sweep]]\nfederated.local.lr = [0.02, -1.0]\n");
  EXPECT_EQ(run_cli("fit " + (dir / "bad.toml").string() + " --out " + dir.string()), 2);
  EXPECT_FALSE(fs::exists(dir / "bad" / "federated.local.lr=0.02" / "fedau" / "x.csv"));
  EXPECT_EQ(run_cli("validate " + (dir / "grid.toml").string()), 0);
}

TEST(FederatedData, LeastSquaresReportsTheTestLossOfItsModel) {
  const fs::path dir = fresh_dir("fed-ls");
  write(dir / "ls.toml", "[federated]\nproblem = \"least_squares\"\ndata = \"" + source_dir() +
                             "/data/diabetes.csv\"\nstandardize = true\nintercept = true\nclients = 10\nparticipation_rate = 0.7\nrounds = 50\n"
                             "eval_every = 5\nmu = 0\n");
  ASSERT_EQ(run_cli("fit " + (dir / "ls.toml").string() + " --out " + dir.string()), 0);
  const auto j = read_json(dir / "ls" / "fit" / "summary.json");
  ex::FederationData d;
  d.data = source_dir() + "/data/diabetes.csv";
  d.standardize = d.intercept = true;
  d.clients = 10;
  d.mu = 0;
  d.participation_rate = 0.7;
  const auto fed = ex::data_federation<cp::LeastSquares<double>>(d);
  const auto x = j["x"].get<std::vector<double>>();
  const VecX<double> xv = Eigen::Map<const VecX<double>>(x.data(), static_cast<Eigen::Index>(x.size()));
  // ½·mean((Xw + c − y)²) on the test rows, written out.
  const Eigen::Index k = fed.test->num_features();
  const double loss = 0.5 * ((fed.test->design() * xv.head(k)).array() + xv[k] - fed.test->response().array()).square().mean();
  EXPECT_NEAR(j["final_test_loss"].get<double>(), loss, 1e-9 * loss);
  const auto history = csv_column(dir / "ls" / "fit" / "metrics.csv", "test_loss");
  EXPECT_NEAR(history.back(), loss, 1e-5 * loss);  // metrics.csv keeps 6 digits
  EXPECT_NEAR(j["best_test_loss"].get<double>(), *std::min_element(history.begin(), history.end()), 1e-5 * loss);
  EXPECT_FALSE(j.contains("final_test_accuracy"));
}

// A federated run on a user's data keeps its model like `convlab fit` does: predict on the test
// rows gives the run's own test loss and accuracy (standardization, intercept and the
// multinomial layout round-trip through summary.json), for CSV and LIBSVM data.
TEST(FederatedData, PredictAppliesTheFederatedModel) {
  const fs::path dir = fresh_dir("fed-predict");
  const std::string diabetes = source_dir() + "/data/diabetes.csv", digits = source_dir() + "/data/digits.libsvm";
  write(dir / "ls.toml", "[federated]\nproblem = \"least_squares\"\ndata = \"" + diabetes + "\"\ntest_data = \"" + diabetes +
                             "\"\nstandardize = true\nintercept = true\nclients = 5\nparticipation_rate = 0.7\nrounds = 20\n");
  ASSERT_EQ(run_cli("fit " + (dir / "ls.toml").string() + " --out " + dir.string()), 0);
  const fs::path ls = dir / "ls" / "fit";
  ASSERT_EQ(run_cli("predict " + ls.string() + " " + diabetes), 0);
  const double loss = read_json(ls / "summary.json")["final_test_loss"].get<double>();
  EXPECT_NEAR(read_json(ls / "predictions.json")["rmse"].get<double>(), std::sqrt(2 * loss), 1e-12 * std::sqrt(2 * loss));
  write(dir / "mn.toml", "[federated]\nproblem = \"multinomial\"\nformat = \"libsvm\"\ndata = \"" + digits + "\"\ntest_data = \"" + digits +
                             "\"\nintercept = true\nclients = 4\nparticipation_rate = 1\nrounds = 10\n");
  ASSERT_EQ(run_cli("fit " + (dir / "mn.toml").string() + " --out " + dir.string()), 0);
  const fs::path mn = dir / "mn" / "fit";
  ASSERT_EQ(run_cli("predict " + mn.string() + " " + digits), 0);
  const auto s = read_json(mn / "summary.json"), m = read_json(mn / "predictions.json");
  EXPECT_EQ(s["model"]["outputs"].get<int>(), 10);
  EXPECT_NEAR(m["log_loss"].get<double>(), s["final_test_loss"].get<double>(), 1e-12);
  EXPECT_DOUBLE_EQ(m["accuracy"].get<double>(), s["final_test_accuracy"].get<double>());
}

TEST(FederatedData, ColumnPartitionMakesOneClientPerIdAndWritesItsHistogram) {
  const fs::path dir = fresh_dir("fed-column");
  std::string csv = "site,y,a,b\n";
  int count[3] = {0, 0, 0}, positives[3] = {0, 0, 0};
  for (int i = 0; i < 60; ++i) {
    const int site = (i * 7) % 3 * 10, y = i % 4 == 0;  // sites 0, 10, 20
    csv += fmt::format("{},{},{},{}\n", site, y, 0.1 * i, (i % 5) - 2.0);
    ++count[site / 10];
    positives[site / 10] += y;
  }
  write(dir / "sites.csv", csv);
  write(dir / "sites.toml", "[federated]\nproblem = \"logistic\"\ndata = \"sites.csv\"\ntest_data = \"sites.csv\"\npartition = \"column\"\n"
                            "partition_column = \"site\"\nparticipation_rate = 1\nrounds = 5\n");
  ASSERT_EQ(run_cli("fit " + (dir / "sites.toml").string() + " --out " + dir.string()), 0);
  const fs::path clients = dir / "sites" / "fit" / "clients.csv";
  EXPECT_EQ(csv_column(clients, "id"), (std::vector<double>{0, 10, 20}));
  EXPECT_EQ(csv_column(clients, "rows"), (std::vector<double>{double(count[0]), double(count[1]), double(count[2])}));
  EXPECT_EQ(csv_column(clients, "label_1"), (std::vector<double>{double(positives[0]), double(positives[1]), double(positives[2])}));
  // Test accuracy (the test rows are the data), recomputed: class 1 where a·w > 0 (no intercept).
  const auto j = read_json(dir / "sites" / "fit" / "summary.json");
  const auto w = j["x"].get<std::vector<double>>();
  ASSERT_EQ(w.size(), 2u);
  double correct = 0;
  for (int i = 0; i < 60; ++i) correct += ((0.1 * i * w[0] + ((i % 5) - 2.0) * w[1]) > 0) == (i % 4 == 0);
  EXPECT_DOUBLE_EQ(j["final_test_accuracy"].get<double>(), correct / 60);
  // A trace gives the rates (its column means) and is the only source of them.
  write(dir / "trace.csv", "1,0,1\n1,1,0\n1,0,0\n0,0,1\n");
  write(dir / "traced.toml", "[federated]\nproblem = \"logistic\"\ndata = \"sites.csv\"\ntest_data = \"sites.csv\"\npartition = \"column\"\n"
                             "partition_column = \"site\"\nparticipation = \"trace\"\ntrace = \"trace.csv\"\nrounds = 8\n");
  ASSERT_EQ(run_cli("fit " + (dir / "traced.toml").string() + " --out " + dir.string()), 0);
  EXPECT_EQ(read_json(dir / "traced" / "fit" / "summary.json")["probabilities"].get<std::vector<double>>(), (std::vector<double>{0.75, 0.25, 0.5}));
  write(dir / "both.toml", slurp(dir / "traced.toml") + "participation_rate = 0.5\n");
  EXPECT_EQ(run_cli("fit " + (dir / "both.toml").string() + " --out " + dir.string()), 2);
  // Rates from a CSV: matched to the clients by id, in any order.
  write(dir / "rates.csv", "id,rate\n20,0.3\n0,0.9\n10,0.6\n");
  const std::string by_file = "[federated]\nproblem = \"logistic\"\ndata = \"sites.csv\"\ntest_data = \"sites.csv\"\npartition = \"column\"\n"
                              "partition_column = \"site\"\nrates = \"rates.csv\"\nrounds = 4\n";
  write(dir / "by_file.toml", by_file);
  ASSERT_EQ(run_cli("fit " + (dir / "by_file.toml").string() + " --out " + dir.string()), 0);
  EXPECT_EQ(read_json(dir / "by_file" / "fit" / "summary.json")["probabilities"].get<std::vector<double>>(), (std::vector<double>{0.9, 0.6, 0.3}));
  write(dir / "rates.csv", "id,rate\n20,0.3\n0,0.9\n11,0.6\n");  // no client 11
  EXPECT_EQ(run_cli("fit " + (dir / "by_file.toml").string() + " --out " + dir.string()), 2);
}

// A gzip-compressed copy of the data (format from the name before .gz) fits to the same bits,
// and predict reads compressed rows too.
TEST(Fit, GzipDataFitsLikeThePlainFile) {
  const fs::path out = fresh_dir("fit-gzip");
  const std::string plain = source_dir() + "/data/breast_cancer.csv";
  {
    const std::string text = slurp(plain);
    gzFile f = gzopen((out / "bc.csv.gz").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
    ASSERT_EQ(gzclose(f), Z_OK);
  }
  const std::string config = source_dir() + "/experiments/examples/logistic_breast_cancer.toml";
  const std::string sets = " --set output.plots=false --set stop.max_iterations=50";
  ASSERT_EQ(run_cli("fit " + config + " --out " + (out / "plain").string() + sets), 0);
  ASSERT_EQ(run_cli("fit " + config + " --out " + (out / "gz").string() + sets + " --set problem.data=" + (out / "bc.csv.gz").string()), 0);
  const fs::path a = variant_dir(out / "plain" / "logistic_breast_cancer", sets),
                 b = variant_dir(out / "gz" / "logistic_breast_cancer", sets + " --set problem.data=" + (out / "bc.csv.gz").string());
  EXPECT_EQ(read_json(a / "summary.json")["x"], read_json(b / "summary.json")["x"]);
  ASSERT_EQ(run_cli("predict " + a.string() + " " + (out / "bc.csv.gz").string() + " --out " + (out / "p.csv").string()), 0);
  ASSERT_EQ(run_cli("predict " + a.string() + " " + plain), 0);
  EXPECT_EQ(csv_column(out / "p.csv", "probability"), csv_column(a / "predictions.csv", "probability"));
}

// ---- convlab predict (docs/predict.md) ----
namespace {
// Exit code and stderr of one CLI call.
std::pair<int, std::string> run_cli_stderr(const std::string& args, const fs::path& err) {
  const int status = std::system((std::string(CONVLAB_CLI) + " " + args + " >/dev/null 2>" + err.string()).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(err)};
}

// A fitted run folder of the shipped example `name` with extra --set overrides.
fs::path fitted(const fs::path& out, const std::string& name, const std::string& sets = "") {
  EXPECT_EQ(run_cli("fit " + source_dir() + "/experiments/examples/" + name + ".toml --out " + out.string() + " " + sets), 0);
  return variant_dir(out / name, sets);
}
}  // namespace

// On the rows it was fitted on, predict's log loss is the fit's objective without its penalty
// (standardization and coefficient layout round-trip through summary.json), and its accuracy and
// log loss are what the predictions CSV's own columns give.
TEST(Predict, LogisticOnTheTrainingRowsGivesTheFitsLossAndMatchesItsColumns) {
  const fs::path out = fresh_dir("predict-logistic");
  const fs::path run = fitted(out, "logistic_breast_cancer");
  ASSERT_EQ(run_cli("predict " + run.string() + " " + source_dir() + "/data/breast_cancer.csv"), 0);
  const auto s = read_json(run / "summary.json"), m = read_json(run / "predictions.json");
  const auto x = s["x"].get<std::vector<double>>();
  double w2 = 0;
  for (std::size_t j = 0; j + 1 < x.size(); ++j) w2 += x[j] * x[j];  // the intercept is not penalized
  EXPECT_NEAR(m["log_loss"].get<double>(), s["final_value"].get<double>() - 1e-3 / 2 * w2, 1e-12);
  EXPECT_EQ(m["rows"].get<int>(), 569);
  const auto prob = csv_column(run / "predictions.csv", "probability"), label = csv_column(run / "predictions.csv", "label"),
             y = csv_column(run / "predictions.csv", "y");
  double correct = 0, loss = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    EXPECT_EQ(label[i], prob[i] > 0.5 ? 1.0 : 0.0) << "row " << i;
    correct += label[i] == y[i];
    loss -= y[i] == 1 ? std::log(prob[i]) : std::log1p(-prob[i]);
  }
  EXPECT_DOUBLE_EQ(m["accuracy"].get<double>(), correct / static_cast<double>(y.size()));
  EXPECT_NEAR(m["log_loss"].get<double>(), loss / static_cast<double>(y.size()), 1e-9);
}

// New rows: the fitted columns are found by name in any order, other columns are ignored, and
// without the response there are predictions but no metrics.
TEST(Predict, ColumnsAreFoundByNameAndTheResponseMayBeAbsent) {
  const fs::path out = fresh_dir("predict-columns");
  const fs::path run = fitted(out, "logistic_breast_cancer", "--set stop.max_iterations=200");
  const auto ds = cp::load_csv(source_dir() + "/data/breast_cancer.csv", {.response = "y"});
  std::string text = "id";
  for (auto it = ds.feature_names.rbegin(); it != ds.feature_names.rend(); ++it) text += "," + *it;
  text += "\n";
  for (Eigen::Index i = 0; i < ds.X.rows(); ++i) {
    text += std::to_string(1000 + i);
    for (Eigen::Index j = ds.X.cols() - 1; j >= 0; --j) text += fmt::format(",{:.17g}", ds.X(i, j));
    text += "\n";
  }
  write(out / "new.csv", text);
  ASSERT_EQ(run_cli("predict " + run.string() + " " + source_dir() + "/data/breast_cancer.csv --out " + (out / "a" / "train.csv").string()), 0);
  ASSERT_EQ(run_cli("predict " + run.string() + " " + (out / "new.csv").string() + " --out " + (out / "b" / "new.csv").string()), 0);
  EXPECT_EQ(csv_column(out / "a" / "train.csv", "probability"), csv_column(out / "b" / "new.csv", "probability"));
  // --out a bare file name: the current folder (this failed with "cannot create directories").
  ASSERT_EQ(std::system(("cd " + out.string() + " && " + CONVLAB_CLI + " predict " + run.string() + " new.csv --out bare.csv >/dev/null").c_str()), 0);
  EXPECT_EQ(csv_column(out / "bare.csv", "probability"), csv_column(out / "b" / "new.csv", "probability"));
  EXPECT_TRUE(fs::exists(out / "a" / "train.json"));
  EXPECT_FALSE(fs::exists(out / "b" / "new.json"));
}

// Least squares (CSV) and multinomial (sparse LIBSVM, standardized by scaling only), unpenalized:
// predict's RMSE and log loss are the fit's own objective on the same rows.
TEST(Predict, LeastSquaresAndMultinomialOnLibsvmGiveTheFitsObjective) {
  const fs::path out = fresh_dir("predict-models");
  write(out / "ls.toml", "[problem]\ntype = \"least_squares\"\ndata = \"" + source_dir() +
                            "/data/diabetes.csv\"\nstandardize = true\nintercept = true\n[optimizer]\ntype = \"gd\"\n"
                            "[schedule]\ntype = \"constant\"\nlr = 1\nper_lipschitz = true\n[stop]\nmax_iterations = 500\n");
  ASSERT_EQ(run_cli("fit " + (out / "ls.toml").string() + " --out " + out.string()), 0);
  const fs::path ls = out / "ls" / "fit";
  ASSERT_EQ(run_cli("predict " + ls.string() + " " + source_dir() + "/data/diabetes.csv"), 0);
  const double f_ls = read_json(ls / "summary.json")["final_value"].get<double>();
  EXPECT_NEAR(read_json(ls / "predictions.json")["rmse"].get<double>(), std::sqrt(2 * f_ls), 1e-10 * std::sqrt(2 * f_ls));
  const fs::path mn = fitted(out, "multinomial_digits", "--set problem.l2=0 --set stop.max_iterations=300");
  ASSERT_EQ(run_cli("predict " + mn.string() + " " + source_dir() + "/data/digits.libsvm"), 0);
  const auto s = read_json(mn / "summary.json"), m = read_json(mn / "predictions.json");
  EXPECT_NEAR(m["log_loss"].get<double>(), s["final_value"].get<double>(), 1e-12);
  // Each row's probabilities sum to one and its label is their argmax.
  const auto label = csv_column(mn / "predictions.csv", "label");
  std::vector<std::vector<double>> p;
  for (int k = 0; k < 10; ++k) p.push_back(csv_column(mn / "predictions.csv", "p_" + std::to_string(k)));
  for (std::size_t i = 0; i < label.size(); ++i) {
    double sum = 0, best = -1;
    int arg = 0;
    for (int k = 0; k < 10; ++k) {
      sum += p[k][i];
      if (p[k][i] > best) best = p[k][i], arg = k;
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
    EXPECT_EQ(label[i], arg) << "row " << i;
  }
}

// The lasso examples fit an unpenalized intercept: predict on their own rows gives RMSE²/2 = the
// fit's value without its l1 term (both examples: l1 = 0.5). Without the intercept the RMSE was
// 161, above the response's standard deviation of 77.
TEST(Predict, LassoExamplesPredictTheirRowsAtTheFitsLoss) {
  const fs::path out = fresh_dir("predict-lasso-examples");
  for (const std::string name : {"lasso_diabetes", "bcd_lasso_diabetes"}) {
    SCOPED_TRACE(name);
    const fs::path run = fitted(out, name);
    ASSERT_EQ(run_cli("predict " + run.string() + " " + source_dir() + "/data/diabetes.csv"), 0);
    const auto s = read_json(run / "summary.json"), m = read_json(run / "predictions.json");
    const auto x = s["x"].get<std::vector<double>>();
    ASSERT_EQ(x.size(), 11u);  // 10 weights, then the intercept
    double w1 = 0;
    for (std::size_t j = 0; j + 1 < x.size(); ++j) w1 += std::abs(x[j]);
    const double rmse = m["rmse"].get<double>(), f = s["final_value"].get<double>();
    EXPECT_NEAR(rmse * rmse / 2, f - 0.5 * w1, 1e-9 * f);
    EXPECT_LT(rmse, 60.0);
  }
}

TEST(Predict, BadInputExitsTwoNamingTheCause) {
  const fs::path out = fresh_dir("predict-bad");
  const fs::path run = fitted(out, "logistic_breast_cancer", "--set stop.max_iterations=100");
  const fs::path err = out / "err.txt";
  auto [code, text] = run_cli_stderr("predict " + run.string() + " " + source_dir() + "/data/diabetes.csv", err);
  EXPECT_EQ(code, 2);
  EXPECT_NE(text.find("no column named 'mean_radius'"), std::string::npos) << text;
  std::tie(code, text) = run_cli_stderr("predict " + run.string() + " " + source_dir() + "/data/breast_cancer.csv --out x.json", err);
  EXPECT_EQ(code, 2);
  EXPECT_NE(text.find("--out x.json"), std::string::npos) << text;
  // A run folder from before predict: a valid summary.json without "model".
  auto s = read_json(run / "summary.json");
  s.erase("model");
  ex::write_summary(run / "summary.json", s);
  std::tie(code, text) = run_cli_stderr("predict " + run.string() + " " + source_dir() + "/data/breast_cancer.csv", err);
  EXPECT_EQ(code, 2);
  EXPECT_NE(text.find("no \"model\""), std::string::npos) << text;
  // An edited summary.json is not trusted.
  s["x"][0] = 1.0;
  write(run / "summary.json", s.dump());
  std::tie(code, text) = run_cli_stderr("predict " + run.string() + " " + source_dir() + "/data/breast_cancer.csv", err);
  EXPECT_EQ(code, 2);
  EXPECT_NE(text.find("checksum mismatch"), std::string::npos) << text;
  // LIBSVM rows with a feature the model does not have.
  const fs::path mn = fitted(out, "multinomial_digits", "--set stop.max_iterations=10");
  write(out / "wide.libsvm", "1 1:0.5 65:1\n");
  std::tie(code, text) = run_cli_stderr("predict " + mn.string() + " " + (out / "wide.libsvm").string(), err);
  EXPECT_EQ(code, 2);
  EXPECT_NE(text.find("wide.libsvm"), std::string::npos) << text;
}

// Quantile regression from a config: on engel (food expenditure on income) the coefficients at
// τ = 0.1, 0.5, 0.9 are those of an independent LP solver (SciPy's HiGHS on the primal LP; the
// median fit is Koenker's textbook 81.482 + 0.5602·income), the objective is the sum of the
// levels' mean pinball losses, and predict's metrics recompute from its own columns. With
// standardized features the fitted quantiles are the same (the LP is equivariant under affine
// maps of the features when there is an intercept).
TEST(Predict, QuantileFitIsTheExactLpSolutionAndPredictsItsLevels) {
  const fs::path out = fresh_dir("predict-quantile");
  const std::string data = source_dir() + "/data/engel.csv";
  const auto config = [&](const std::string& name, const std::string& extra) {
    write(out / (name + ".toml"), "[problem]\ntype = \"quantile\"\ndata = \"" + data +
                                      "\"\ntaus = [0.1, 0.5, 0.9]\nintercept = true\n" + extra + "[optimizer]\ntype = \"quantile_lp\"\n");
    EXPECT_EQ(run_cli("fit " + (out / (name + ".toml")).string() + " --out " + out.string()), 0);
    EXPECT_EQ(run_cli("predict " + (out / name / "fit").string() + " " + data), 0);
    return out / name / "fit";
  };
  const fs::path raw = config("raw", ""), standardized = config("std", "standardize = true\n");
  // A solver run has no history to plot: no plot, and no gnuplot temporaries left behind.
  for (const auto& entry : fs::directory_iterator(raw))
    EXPECT_TRUE(entry.path().extension() != ".gp" && entry.path().extension() != ".log" && entry.path().extension() != ".png")
        << entry.path();
  const auto s = read_json(raw / "summary.json");
  const std::vector<double> highs{0.4017657593034804, 110.14157420494848, 0.5601805512094195, 81.48224741693612,
                                  0.6862994803719054, 67.35087208012978};  // (slope, intercept) per level
  const auto x = s["x"].get<std::vector<double>>();
  ASSERT_EQ(x.size(), highs.size());
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], highs[i], 1e-9 * std::abs(highs[i])) << i;
  const double pinball[] = {16.46779642973034, 37.3615588247355, 14.433973238418078};  // HiGHS objective / n
  EXPECT_NEAR(s["final_value"].get<double>(), pinball[0] + pinball[1] + pinball[2], 1e-9);
  EXPECT_EQ(s["status"].get<std::string>(), "kkt_residual");  // every level at a certified vertex
  EXPECT_EQ(s["certificate"]["kind"].get<std::string>(), "kkt_residual");
  EXPECT_LE(s["certificate"]["value"].get<double>(), s["certificate"]["tolerance"].get<double>());
  const auto m = read_json(raw / "predictions.json");
  EXPECT_NEAR(m["pinball_0.5"].get<double>(), pinball[1], 1e-9);
  EXPECT_NEAR(m["wis"].get<double>(), 2.0 / 3 * (pinball[0] + pinball[1] + pinball[2]), 1e-9);
  const auto lo = csv_column(raw / "predictions.csv", "q_0.1"), hi = csv_column(raw / "predictions.csv", "q_0.9"),
             y = csv_column(raw / "predictions.csv", "y"), lo_std = csv_column(standardized / "predictions.csv", "q_0.1");
  double inside = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    inside += y[i] >= lo[i] && y[i] <= hi[i];
    EXPECT_NEAR(lo_std[i], lo[i], 1e-8 * std::abs(lo[i])) << "row " << i;
  }
  EXPECT_DOUBLE_EQ(m["interval_coverage"].get<double>(), inside / static_cast<double>(y.size()));
  // Below income ≈ 178 the fitted τ = 0.1 line lies above the median line: there predict's rows
  // are the sorted values of the three lines (by default), `none` keeps them as fitted, and
  // sorting cannot raise the pinball loss or WIS (docs/quantile.md).
  std::string rows = "y,income\n";
  for (int i = 0; i < 12; ++i) rows += fmt::format("{},{}\n", 40.0 + 13 * i, 25.0 * i);
  write(out / "low.csv", rows);
  const fs::path sorted = out / "sorted.csv", as_fitted = out / "none.csv";
  ASSERT_EQ(run_cli("predict " + raw.string() + " " + (out / "low.csv").string() + " --out " + sorted.string()), 0);
  ASSERT_EQ(run_cli("predict " + raw.string() + " " + (out / "low.csv").string() + " --out " + as_fitted.string() + " --monotonize none"), 0);
  std::vector<std::vector<double>> q(3), fitted_q(3);
  const char* names[] = {"q_0.1", "q_0.5", "q_0.9"};
  for (int k = 0; k < 3; ++k) q[k] = csv_column(sorted, names[k]), fitted_q[k] = csv_column(as_fitted, names[k]);
  int crossed = 0, crossed_pairs = 0;
  for (int i = 0; i < 12; ++i) {
    const double income = 25.0 * i;
    std::vector<double> lines{highs[1] + highs[0] * income, highs[3] + highs[2] * income, highs[5] + highs[4] * income};
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(fitted_q[k][i], lines[k], 1e-8 * std::abs(lines[k])) << i;
    crossed += lines[0] > lines[1];
    crossed_pairs += (lines[0] > lines[1]) + (lines[0] > lines[2]) + (lines[1] > lines[2]);
    std::sort(lines.begin(), lines.end());
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(q[k][i], lines[k], 1e-8 * std::abs(lines[k])) << i;
  }
  EXPECT_EQ(crossed, 8);  // incomes 0 … 175
  const auto ms = read_json(out / "sorted.json"), mn = read_json(out / "none.json");
  EXPECT_EQ(ms["monotonize"].get<std::string>(), "sort");
  EXPECT_DOUBLE_EQ(ms["crossing_fraction"].get<double>(), mn["crossing_fraction"].get<double>());  // of the fitted lines
  EXPECT_NEAR(ms["crossing_fraction"].get<double>(), crossed_pairs / 36.0, 1e-15);  // 12 rows × 3 pairs
  EXPECT_LE(ms["wis"].get<double>(), mn["wis"].get<double>());
  EXPECT_EQ(run_cli("predict " + raw.string() + " " + (out / "low.csv").string() + " --monotonize cummin"), 2);
  // Configs that cannot mean a quantile fit name the key.
  const fs::path err = out / "err.txt";
  const auto bad = [&](const std::string& problem, const std::string& optimizer, const std::string& needle) {
    write(out / "bad.toml", "[problem]\ndata = \"" + data + "\"\n" + problem + "\n[optimizer]\ntype = \"" + optimizer + "\"\n");
    const auto [code, text] = run_cli_stderr("validate " + (out / "bad.toml").string(), err);
    EXPECT_EQ(code, 2) << text;
    EXPECT_NE(text.find(needle), std::string::npos) << text;
  };
  bad("type = \"quantile\"", "gd", "key 'type': [problem] type = \"quantile\" is solved by type = \"quantile_lp\"");
  bad("type = \"least_squares\"", "quantile_lp", "quantile_lp solves [problem] type = \"quantile\" only");
  bad("type = \"quantile\"\ntau = 0.5\ntaus = [0.5]", "quantile_lp", "give either tau or taus");
  bad("type = \"quantile\"\ntaus = [0.5, 0.2]", "quantile_lp", "levels must lie in (0, 1) and increase");
  bad("type = \"quantile\"\nl2 = 1", "quantile_lp", "takes l1 only");
}

// `convlab predict --weights n` on grouped rows gives the metrics of the rows repeated (every
// metric but the per-row crossing checks, which describe the file's rows).
namespace {
void expect_weighted_metrics_equal(const fs::path& run, const fs::path& expanded, const fs::path& grouped, const fs::path& out) {
  const auto metrics = [&](const fs::path& data, const std::string& extra) {
    const auto [code, text] = run_cli_stderr("predict " + run.string() + " " + data.string() + " --out " + (out / "p.csv").string() + extra, out / "err.txt");
    EXPECT_EQ(code, 0) << text;
    return read_json(out / "p.json");
  };
  const auto pe = metrics(expanded, ""), pg = metrics(grouped, " --weights n");
  EXPECT_EQ(pg["weights"], "n");
  EXPECT_EQ(pg["total_weight"].get<double>(), pe["rows"].get<double>());
  int compared = 0;
  for (const auto& [key, v] : pe.items())
    if (v.is_number() && key != "rows" && key != "crossing_fraction" && key != "invalid_rows") {
      EXPECT_NEAR(pg[key].get<double>(), v.get<double>(), 1e-12 * (1 + std::abs(v.get<double>()))) << key;
      ++compared;
    }
  EXPECT_GE(compared, 2);
}
}  // namespace

// Grouped ordinal data: a `weights` column of counts fits exactly what the repeated rows fit
// (proportional odds, PRESTO at λ, and PRESTO with λ by CV, whose folds split the counted
// observations), predict's weighted metrics are those of the repeated rows, and the column is
// never a feature. Weights where they cannot apply, negative weights and fractional weights for
// CV exit 2 naming the key.
TEST(Predict, OrdinalWeightsEqualRepeatedRows) {
  const fs::path out = fresh_dir("ordinal-weights");
  std::map<std::tuple<int, int, int>, int> groups;
  std::string expanded = "y,a,b\n";
  for (int i = 0; i < 300; ++i) {
    const int a = i % 5, b = (i / 5) % 3, y = 1 + (a + b + (i * 7919) % 13) % 4;
    expanded += fmt::format("{},{},{}\n", y, a, b);
    ++groups[{y, a, b}];
  }
  std::string grouped = "n,y,a,b\n", runs = "y,a,b\n";  // runs: each group's rows together, in the grouped file's order
  for (const auto& [key, n] : groups) {
    grouped += fmt::format("{},{},{},{}\n", n, std::get<0>(key), std::get<1>(key), std::get<2>(key));
    for (int c = 0; c < n; ++c) runs += fmt::format("{},{},{}\n", std::get<0>(key), std::get<1>(key), std::get<2>(key));
  }
  write(out / "expanded.csv", expanded);
  write(out / "grouped.csv", grouped);
  write(out / "runs.csv", runs);
  const auto fit = [&](const std::string& name, const std::string& problem) {
    write(out / (name + ".toml"), "[problem]\ntype = \"ordinal\"\n" + problem + "\n[optimizer]\ntype = \"presto\"\n[output]\nplots = false\n");
    const auto [code, text] = run_cli_stderr("fit " + (out / (name + ".toml")).string() + " --out " + out.string(), out / "err.txt");
    EXPECT_EQ(code, 0) << name << ": " << text;
    return read_json(out / name / "fit" / "summary.json");
  };
  for (const std::string model : {"model = \"proportional_odds\"", "model = \"presto\"\nlambda = 0.05"}) {
    const auto e = fit("e", "data = \"expanded.csv\"\n" + model), g = fit("g", "data = \"grouped.csv\"\nweights = \"n\"\n" + model);
    EXPECT_EQ(g["model"]["feature_names"], e["model"]["feature_names"]) << model;  // a, b: not n
    const auto xe = e["x"].get<std::vector<double>>(), xg = g["x"].get<std::vector<double>>();
    ASSERT_EQ(xe.size(), xg.size());
    for (std::size_t k = 0; k < xe.size(); ++k) EXPECT_NEAR(xg[k], xe[k], 1e-7 * (1 + std::abs(xe[k]))) << model << " " << k;
    EXPECT_NEAR(g["final_value"].get<double>(), e["final_value"].get<double>(), 1e-10) << model;
    EXPECT_NEAR(g["initial_value"].get<double>(), e["initial_value"].get<double>(), 1e-12) << model;
  }
  const auto refused = [&](const std::string& config, const std::string& needle) {
    write(out / "bad.toml", config + "\n[optimizer]\ntype = \"presto\"\n");
    const auto [code, text] = run_cli_stderr("fit " + (out / "bad.toml").string() + " --out " + out.string(), out / "err.txt");
    EXPECT_EQ(code, 2) << config;
    EXPECT_NE(text.find(needle), std::string::npos) << text;
  };
  // λ by cross-validation splits the counted observations into folds: the CV of the rows repeated
  // in runs (same seed), so the same λ, score and fit.
  {
    const std::string cv = "model = \"presto\"\nfolds = 3\nn_lambdas = 6";
    const auto e = fit("e", "data = \"runs.csv\"\n" + cv), g = fit("g", "data = \"grouped.csv\"\nweights = \"n\"\n" + cv);
    EXPECT_NEAR(g["solver"]["lambda"].get<double>(), e["solver"]["lambda"].get<double>(), 1e-10 * e["solver"]["lambda"].get<double>());
    EXPECT_NEAR(g["solver"]["cv_mean_brier"].get<double>(), e["solver"]["cv_mean_brier"].get<double>(), 1e-10);
    const auto xe = e["x"].get<std::vector<double>>(), xg = g["x"].get<std::vector<double>>();
    ASSERT_EQ(xe.size(), xg.size());
    for (std::size_t k = 0; k < xe.size(); ++k) EXPECT_NEAR(xg[k], xe[k], 1e-7 * (1 + std::abs(xe[k]))) << "cv " << k;
    expect_weighted_metrics_equal(out / "e" / "fit", out / "runs.csv", out / "grouped.csv", out);
  }
  write(out / "fractional.csv", "n,y,a\n1,1,0\n2,2,1\n0.5,3,0\n1,1,1\n2,3,1\n");
  refused("[problem]\ntype = \"ordinal\"\ndata = \"fractional.csv\"\nweights = \"n\"", "must be integer counts up to 1e8, but column 'n'");
  refused("[problem]\ntype = \"ordinal\"\ndata = \"grouped.csv\"\nweights = \"y\"\nlambda = 1", "is the response or a feature");
  write(out / "negative.csv", "n,y,a\n1,1,0\n2,2,1\n-1,3,0\n1,1,1\n");
  refused("[problem]\ntype = \"ordinal\"\ndata = \"negative.csv\"\nweights = \"n\"\nmodel = \"non_parallel\"", "negative.csv:4: column 1 (n): weight -1 is negative");
}

// Ordinal regression from a config. Proportional odds on soup equals MASS::polr (reference values
// of tests/solvers/presto_test.cpp), and on its training rows predict's log loss is the fit's
// objective; its class probabilities sum to one and its metrics recompute from its columns.
// PRESTO with λ by cross-validation is the library's presto_cv with the run's seed. Separable
// data get a warning instead of a silent fit, and wrong labels or keys exit 2.
TEST(Predict, OrdinalFitsMatchPolrAndPredictClassProbabilities) {
  const fs::path out = fresh_dir("predict-ordinal");
  const std::string soup = source_dir() + "/data/soup.csv";
  const auto fit = [&](const std::string& name, const std::string& problem) {
    write(out / (name + ".toml"), "seed = 3\n[problem]\ntype = \"ordinal\"\n" + problem + "\n[optimizer]\ntype = \"presto\"\n");
    const auto [code, text] = run_cli_stderr("fit " + (out / (name + ".toml")).string() + " --out " + out.string(), out / "err.txt");
    EXPECT_EQ(code, 0) << text;
    return out / name / "fit";
  };
  const fs::path po = fit("po", "data = \"" + soup + "\"\nfeatures = [\"PROD_Test\", \"DAY_2\", \"COLD_Yes\"]\nmodel = \"proportional_odds\"");
  const auto s = read_json(po / "summary.json");
  const auto x = s["x"].get<std::vector<double>>();
  const double zeta[] = {-1.5247283243522, -0.5390465525727, -0.2129388135571, 0.0411905532527, 0.7075907088124};
  const double b[] = {1.153642927209, -0.290755819709, 0.267242675831};
  ASSERT_EQ(x.size(), 20u);  // per threshold: 3 weights, then α_k
  for (int k = 0; k < 5; ++k) {
    EXPECT_NEAR(x[static_cast<std::size_t>(4 * k + 3)], zeta[k], 2e-5) << k;
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(x[static_cast<std::size_t>(4 * k + j)], -b[j], 2e-5) << k << "," << j;
  }
  ASSERT_EQ(run_cli("predict " + po.string() + " " + soup), 0);
  const auto m = read_json(po / "predictions.json");
  EXPECT_NEAR(m["log_loss"].get<double>(), s["final_value"].get<double>(), 1e-12);
  EXPECT_EQ(m["invalid_rows"].get<double>(), 0.0);
  std::vector<std::vector<double>> p;
  for (int k = 1; k <= 6; ++k) p.push_back(csv_column(po / "predictions.csv", "p_" + std::to_string(k)));
  const auto label = csv_column(po / "predictions.csv", "label"), y = csv_column(po / "predictions.csv", "y");
  double brier = 0, correct = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    double sum = 0, best = -1;
    int arg = 0;
    for (int k = 0; k < 6; ++k) {
      sum += p[k][i];
      brier += std::pow((y[i] == k + 1 ? 1.0 : 0.0) - p[k][i], 2);
      if (p[k][i] > best) best = p[k][i], arg = k + 1;
    }
    EXPECT_NEAR(sum, 1.0, 1e-12) << "row " << i;
    EXPECT_EQ(label[i], arg) << "row " << i;
    correct += label[i] == y[i];
  }
  EXPECT_NEAR(m["brier"].get<double>(), brier / static_cast<double>(y.size()), 1e-12);
  EXPECT_DOUBLE_EQ(m["accuracy"].get<double>(), correct / static_cast<double>(y.size()));

  // PRESTO with λ by 3-fold CV over 6 values: the library's presto_cv with the run's seed.
  const fs::path cv = fit("cv", "data = \"" + soup + "\"\nfolds = 3\nn_lambdas = 6\nlambda_ratio = 0.05");
  const auto ds = cp::load_csv(soup, {.response = "y"});
  const auto want = convlab::solvers::presto_cv(ds.X, ds.y, 6, {.folds = 3, .seed = 3, .path = {.n_lambdas = 6, .ratio = 0.05, .presto = {}}});
  const auto c = read_json(cv / "summary.json");
  EXPECT_DOUBLE_EQ(c["solver"]["lambda"].get<double>(), want.fit.lambda);
  const auto xc = c["x"].get<std::vector<double>>();
  const Eigen::Index d = ds.X.cols();
  for (Eigen::Index k = 0; k < 5; ++k) {
    EXPECT_DOUBLE_EQ(xc[static_cast<std::size_t>(k * (d + 1) + d)], want.fit.alpha[k]);
    for (Eigen::Index j = 0; j < d; ++j) EXPECT_DOUBLE_EQ(xc[static_cast<std::size_t>(k * (d + 1) + j)], want.fit.beta(j, k));
  }

  // Completely separated levels: no maximum-likelihood fit, and the summary says so.
  std::string sep = "y,a\n";
  for (int i = 0; i < 60; ++i) sep += fmt::format("{},{}\n", i < 20 ? 1 : i < 40 ? 2 : 3, i * 0.1);
  write(out / "sep.csv", sep);
  const fs::path separated = fit("sep", "data = \"" + (out / "sep.csv").string() + "\"\nmodel = \"proportional_odds\"");
  EXPECT_NE(read_json(separated / "summary.json").value("warning", "").find("does not exist"), std::string::npos);

  const auto bad = [&](const std::string& problem, const std::string& needle) {
    write(out / "bad.toml", "[problem]\ntype = \"ordinal\"\n" + problem + "\n[optimizer]\ntype = \"presto\"\n");
    const auto [code, text] = run_cli_stderr("validate " + (out / "bad.toml").string(), out / "err.txt");
    EXPECT_EQ(code, 2) << text;
    EXPECT_NE(text.find(needle), std::string::npos) << text;
  };
  write(out / "zero.csv", "y,a\n0,1\n1,2\n2,3\n1,4\n");
  bad("data = \"" + (out / "zero.csv").string() + "\"", "labels must be integers 1");
  bad("data = \"" + soup + "\"\nl1 = 0.1", "penalized by lambda");
  bad("data = \"" + soup + "\"\nintercept = true", "always fit their K − 1 thresholds");
  bad("data = \"" + soup + "\"\nlambda = 0.1\nfolds = 3", "unknown key 'folds'");
}

// ---- variants: --set and [[sweep]] (docs/configs.md "Variants and sweeps") ----

// The folder names say what each variant sets; two variants never share one.
TEST(Variants, FolderNamesComeFromTheOverrides) {
  const auto name = [](const ex::Overrides& o) { return ex::variant_folder(ex::settings_of(o)); };
  EXPECT_EQ(name({}), "fit");
  EXPECT_EQ(name({"output.plots=false", "output.dir=elsewhere"}), "fit");  // [output] does not change a run
  EXPECT_EQ(name({"schedule.lr=0.5", "optimizer.type=adamw"}), "optimizer.type=adamw,schedule.lr=0.5");
  EXPECT_EQ(name({"optimizer.type=adamw", "schedule.lr=0.5"}), name({"schedule.lr=0.5", "optimizer.type=adamw"}));
  EXPECT_EQ(name({"schedule.lr=0.5", "schedule.lr=0.25"}), "schedule.lr=0.25");  // the last value wins
  EXPECT_EQ(name({"schedule.lr=1e-3"}), name({"schedule.lr=0.001"}));             // the value, not its spelling
  EXPECT_EQ(name({"optimizer.type=\"adamw\""}), name({"optimizer.type=adamw"}));
  // Characters a file name should not hold are replaced, and the lossy value gets a hash.
  const std::string slash = name({"problem.data=a/b.csv"}), plain = name({"problem.data=a_b.csv"});
  EXPECT_EQ(plain, "problem.data=a_b.csv");
  EXPECT_EQ(slash.rfind("problem.data=a_b.csv-", 0), 0u) << slash;
  EXPECT_EQ(slash.size(), plain.size() + 9);
  EXPECT_NE(name({"problem.taus=[0.1, 0.9]"}), name({"problem.taus=[0.1, 0.5]"}));
  // Long names stay below the file-name limit and still differ in their last value.
  ex::Overrides many, many2;
  for (int i = 0; i < 30; ++i) many.push_back(fmt::format("optimizer.key_number_{:02}={}", i, i));
  many2 = many;
  many2.back() = "optimizer.key_number_29=30";
  EXPECT_LE(name(many).size(), 200u);
  EXPECT_NE(name(many), name(many2));
}

// A sweep runs every point of each grid into its own folder, each the same run as its --set
// twin, and sweep.csv holds one row per variant with what its summary.json says.
TEST(Variants, SweepWritesOneFolderPerVariantAndATable) {
  const fs::path out = fresh_dir("sweep");
  const std::string base = "reference = \"none\"\n[problem]\ndata = \"" + source_dir() +
                           "/data/breast_cancer.csv\"\nintercept = true\nstandardize = true\n[schedule]\nlr = 1.0\n"
                           "per_lipschitz = true\n[stop]\nmax_iterations = 40\n[output]\nplots = false\n";
  const std::string sweep = "[[sweep]]\noptimizer.type = [\"gd\", \"nesterov\"]\nschedule.lr = [0.5, 1.0]\n"
                            "[[sweep]]\n\"optimizer.type\" = [\"adamw\"]\nschedule = { lr = [0.01], per_lipschitz = [false] }\n";
  fs::create_directories(out / "plain");
  write(out / "plain" / "run.toml", base);
  write(out / "run.toml", base + sweep);
  ASSERT_EQ(run_cli("validate " + (out / "run.toml").string()), 0);
  ASSERT_EQ(run_cli("fit " + (out / "run.toml").string() + " --out " + (out / "results").string() + " --set seed=3"), 0);
  const std::vector<std::string> expected{
      "optimizer.type=gd,schedule.lr=0.5,seed=3", "optimizer.type=gd,schedule.lr=1,seed=3",
      "optimizer.type=nesterov,schedule.lr=0.5,seed=3", "optimizer.type=nesterov,schedule.lr=1,seed=3",
      "optimizer.type=adamw,schedule.lr=0.01,schedule.per_lipschitz=false,seed=3"};
  std::vector<std::string> folders;
  for (const auto& f : fs::directory_iterator(out / "results" / "run"))
    if (f.is_directory()) folders.push_back(f.path().filename().string());
  std::sort(folders.begin(), folders.end());
  auto sorted = expected;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(folders, sorted);

  // Each variant is the run its --set twin makes (same folder name, same bits).
  const std::string twin = " --set optimizer.type=nesterov --set schedule.lr=1.0 --set seed=3";
  ASSERT_EQ(run_cli("fit " + (out / "plain" / "run.toml").string() + " --out " + (out / "twin").string() + twin), 0);
  const fs::path twin_dir = variant_dir(out / "twin" / "run", twin);
  EXPECT_EQ(twin_dir.filename().string(), expected[3]);
  EXPECT_EQ(read_json(twin_dir / "summary.json")["x"], read_json(out / "results" / "run" / expected[3] / "summary.json")["x"]);
  EXPECT_NE(read_json(out / "results" / "run" / expected[2] / "summary.json")["x"],
            read_json(out / "results" / "run" / expected[3] / "summary.json")["x"]);

  // sweep.csv: a row per variant, in grid order, agreeing with the folders.
  std::istringstream table(slurp(out / "results" / "run" / "sweep.csv"));
  std::string line;
  std::getline(table, line);
  EXPECT_EQ(line, "variant,optimizer.type,schedule.lr,schedule.per_lipschitz,status,iterations,final_value,grad_norm,seconds");
  for (const auto& folder : expected) {
    ASSERT_TRUE(std::getline(table, line));
    ASSERT_EQ(line.rfind("\"" + folder + "\",", 0), 0u) << line;  // the name holds commas: quoted
    std::vector<std::string> fields;
    std::istringstream rest(line.substr(folder.size() + 3));
    for (std::string f; std::getline(rest, f, ',');) fields.push_back(f);
    ASSERT_EQ(fields.size(), 8u) << line;
    const auto s = read_json(out / "results" / "run" / folder / "summary.json");
    EXPECT_EQ(fields[0], folder.substr(15, folder.find(',') - 15));  // after "optimizer.type="
    EXPECT_EQ(fields[2], folder.find("per_lipschitz") == std::string::npos ? "" : "false");
    EXPECT_EQ(fields[3], s["status"].get<std::string>());
    EXPECT_EQ(std::stoll(fields[4]), s["iterations"].get<long long>());
    EXPECT_EQ(std::stod(fields[5]), s["final_value"].get<double>());
    EXPECT_EQ(std::stod(fields[6]), s["grad_norm"].get<double>());
  }
  EXPECT_FALSE(std::getline(table, line));

  // --set variants of one config keep their own folders; no --set writes "fit".
  for (const std::string lr : {"0.5", "0.25"})
    ASSERT_EQ(run_cli("fit " + (out / "plain" / "run.toml").string() + " --out " + (out / "keep").string() + " --set schedule.lr=" + lr), 0);
  ASSERT_EQ(run_cli("fit " + (out / "plain" / "run.toml").string() + " --out " + (out / "keep").string() + " --set output.plots=false"), 0);
  EXPECT_NE(read_json(out / "keep" / "run" / "schedule.lr=0.5" / "summary.json")["x"],
            read_json(out / "keep" / "run" / "schedule.lr=0.25" / "summary.json")["x"]);
  EXPECT_EQ(read_json(out / "keep" / "run" / "fit" / "summary.json")["run"], "fit");
  EXPECT_EQ(read_json(out / "keep" / "run" / "schedule.lr=0.5" / "summary.json")["run"], "schedule.lr=0.5");
}

// Every variant is checked before the first runs; errors name the line of the sweep or the --set.
TEST(Variants, BadSweepsAreRefusedBeforeAnythingRuns) {
  const fs::path out = fresh_dir("sweep-bad");
  const std::string base = "reference = \"none\"\n[problem]\ndata = \"" + source_dir() +
                           "/data/breast_cancer.csv\"\n[stop]\nmax_iterations = 5\n[output]\nplots = false\n";
  const auto refused = [&](const std::string& sweep, const std::string& sets, const std::string& needle) {
    write(out / "bad.toml", base + sweep);
    for (const std::string cmd : {"fit", "validate"}) {
      const auto [code, text] =
          run_cli_stderr(cmd + " " + (out / "bad.toml").string() + (cmd == "fit" ? " --out " + (out / "results").string() : "") + sets,
                         out / "err.txt");
      EXPECT_EQ(code, 2) << text;
      EXPECT_NE(text.find(needle), std::string::npos) << text;
    }
    EXPECT_FALSE(fs::exists(out / "results" / "bad")) << sweep << " ran something";
  };
  refused("[[sweep]]\noptimizer.type = [\"gd\", \"rmsprop\"]\n", "", "bad.toml:9: [optimizer] key 'type': \"rmsprop\"");
  refused("[[sweep]]\nproblem.response = [\"y\", \"nope\"]\n", "", "no column named 'nope'");
  refused("[[sweep]]\nschedule.lr = [0.1]\n", " --set schedule.lr=0.2", "--set schedule.lr: 'schedule.lr' is swept by [[sweep]] (");
  refused("[[sweep]]\nschedule.lr = [0.1]\n", " --set schedule={lr=0.2}", "is swept by [[sweep]]");
  refused("[[sweep]]\nschedule.lr = [0.1]\n[[sweep]]\nschedule.lr = [0.1]\n", "", "makes the variant 'schedule.lr=0.1' twice");
  refused("[[sweep]]\nschedule.lr = 0.1\n", "", "bad.toml:9: [[sweep]] key 'schedule.lr': expected a non-empty array");
  refused("[[sweep]]\nschedule.lr = []\n", "", "expected a non-empty array");
  refused("[[sweep]]\noutput.dir = [\"a\", \"b\"]\n", "", "[output] keys are not swept");
  refused("[[sweep]]\n", "", "an empty [[sweep]] table");
  write(out / "fed.toml", slurp(source_dir() + "/experiments/examples/fedau_digits.toml") + "\n[[sweep]]\nseed = [1, 2]\n");
  const auto [code, text] = run_cli_stderr("fit " + (out / "fed.toml").string() + " --out " + (out / "results").string(), out / "err.txt");
  EXPECT_EQ(code, 2);  // a federated config sweeps its own keys, checked like any value of it
  EXPECT_NE(text.find("unknown key 'seed'"), std::string::npos) << text;
}

// `[schedule] from`: refining the norms an earlier linear-decay run recorded is the two-pass run
// (its first pass is that run), bit for bit; the folder's record is checked before use.
TEST(Fit, RefinedFromAnEarlierRunIsTheTwoPassRun) {
  const fs::path out = fresh_dir("refined-from");
  const auto config = [&](const std::string& name, const std::string& optimizer, const std::string& schedule) {
    write(out / (name + ".toml"), "reference = \"none\"\n[problem]\ndata = \"" + source_dir() +
                                      "/data/breast_cancer.csv\"\nintercept = true\nstandardize = true\nl2 = 1e-3\n"
                                      "[optimizer]\n" + optimizer + "\nbatch_size = 32\n[schedule]\n" + schedule +
                                      "\n[stop]\nmax_iterations = 300\n[output]\nplots = false\n");
    return (out / (name + ".toml")).string();
  };
  const std::string results = " --out " + (out / "results").string();
  for (const auto& [opt, lr, q] : {std::tuple{std::string("type = \"sgd\""), std::string("lr = 1.0\nper_lipschitz = true"), std::string("")},
                                   std::tuple{std::string("type = \"adamw\""), std::string("lr = 0.01"), std::string("\nq = 1")}}) {
    ASSERT_EQ(run_cli("fit " + config("linear", opt, "type = \"linear_decay\"\n" + lr) + results), 0);
    ASSERT_EQ(run_cli("fit " + config("two", opt, "type = \"refined\"\n" + lr + q) + results), 0);
    ASSERT_EQ(run_cli("fit " + config("from", opt, "type = \"refined\"\nfrom = \"results/linear/fit\"\n" + lr + q) + results), 0);
    const auto two = read_json(out / "results" / "two" / "fit" / "summary.json");
    const auto from = read_json(out / "results" / "from" / "fit" / "summary.json");
    const auto linear = read_json(out / "results" / "linear" / "fit" / "summary.json");
    EXPECT_EQ(from["x"], two["x"]) << opt;
    EXPECT_EQ(from["refined_shape_deciles"], two["refined_shape_deciles"]);
    EXPECT_EQ(two["first_pass"]["final_value"], linear["final_value"]);  // the earlier run was the first pass
    EXPECT_EQ(from["refined_from"].get<std::string>(), (out / "results" / "linear" / "fit").string());
    EXPECT_FALSE(from.contains("first_pass"));
    EXPECT_EQ(linear["step_gradient_norms"]["norm"], q.empty() ? "l2" : "l1");
    EXPECT_EQ(csv_column(out / "results" / "linear" / "fit" / "step_norms.csv", "norm").size(), 300u);
  }
  // A refined run of another length resamples the same shape.
  ASSERT_EQ(run_cli("fit " + config("short", "type = \"adamw\"", "type = \"refined\"\nfrom = \"results/linear/fit\"\nlr = 0.01\nq = 1") +
                    results + " --set stop.max_iterations=120"),
            0);

  const auto refused = [&](const std::string& schedule, const std::string& needle) {
    const auto [code, text] = run_cli_stderr("validate " + config("bad", "type = \"adamw\"", schedule), out / "err.txt");
    EXPECT_EQ(code, 2) << schedule;
    EXPECT_NE(text.find(needle), std::string::npos) << text;
  };
  refused("type = \"refined\"\nfrom = \"results/nowhere\"", "'results/nowhere' is not a finished run folder");
  refused("type = \"refined\"\nfrom = \"results/linear/fit\"\nq = 1\nfirst_lr = 0.1", "not with 'from'");
  refused("type = \"refined\"\nfrom = \"results/linear/fit\"", "l1 norms, but [schedule] q = 2");
  refused("type = \"refined\"\nfrom = \"results/two/fit\"\nq = 1", "recorded no gradient norms");
  const fs::path norms = out / "results" / "linear" / "fit" / "step_norms.csv";
  std::string text = slurp(norms);
  text[text.find("\n2,") + 4] = text[text.find("\n2,") + 4] == '1' ? '2' : '1';  // one digit of step 2's norm
  write(norms, text);
  refused("type = \"refined\"\nfrom = \"results/linear/fit\"\nq = 1", "step_norms.csv: damaged or edited");
}

// ---- bcd and fista in `convlab fit` (docs/configs.md, docs/bcd.md) ----

namespace {
/// A run config over a shipped data set; `extra` adds keys to [problem] and the other tables.
std::string solver_config(const std::string& type, const std::string& data, const std::string& problem, const std::string& optimizer,
                          const std::string& stop, const std::string& reference = "newton") {
  return "seed = 3\nreference = \"" + reference + "\"\n[problem]\ntype = \"" + type + "\"\ndata = \"" + source_dir() + "/data/" + data +
         "\"\nstandardize = true\n" + problem + "\n[optimizer]\n" + optimizer + "\n[stop]\n" + stop + "\n";
}
}  // namespace

// Every smooth linear model: bcd (several rules and updates) and fista reach the Newton optimum,
// the history's first stationarity is ‖∇f(0)‖ computed here, and predict reads the folder.
TEST(Fit, BcdAndFistaReachTheNewtonOptimumOfEveryLinearModel) {
  const fs::path dir = fresh_dir("bcd-fit");
  struct Case {
    std::string type, data, problem, optimizer;
  };
  const std::vector<Case> cases{
      {"least_squares", "diabetes.csv", "l2 = 0.1", "type = \"bcd\""},
      {"least_squares", "diabetes.csv", "l2 = 0.1", "type = \"bcd\"\npartition = \"sort\"\nblock_size = 3\nrule = \"cyclic\"\nupdate = \"hb\""},
      {"least_squares", "diabetes.csv", "l2 = 0.1", "type = \"fista\""},
      {"logistic", "breast_cancer.csv", "l2 = 0.01\nintercept = true", "type = \"bcd\""},
      {"logistic", "breast_cancer.csv", "l2 = 0.01", "type = \"bcd\"\npartition = \"random\"\nrule = \"random\"\nupdate = \"newton\""},
      {"logistic", "breast_cancer.csv", "l2 = 0.01", "type = \"fista\""},
      {"multinomial", "iris.csv", "l2 = 0.01\nintercept = true", "type = \"bcd\"\nrule = \"gs\"\nupdate = \"la\""},
      {"multinomial", "iris.csv", "l2 = 0.01", "type = \"fista\""},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& k = cases[i];
    const bool bcd = k.optimizer.find("bcd") != std::string::npos;
    const fs::path cfg = dir / fmt::format("c{}.toml", i);
    // Multinomial has no Hessian in the library: its reference is L-BFGS (to a looser optimum).
    const bool multinomial = k.type == "multinomial";
    write(cfg, solver_config(k.type, k.data, k.problem, k.optimizer,
                             "max_iterations = 400000\ntolerance = 1e-9", multinomial ? "lbfgs" : "newton"));
    SCOPED_TRACE(k.type + " / " + k.optimizer);
    const auto c = ex::load_run_config(cfg.string(), {});
    const ex::FitResult r = ex::run_fit(c, false);
    ASSERT_TRUE(r.reference.has_value());
    // FISTA stops on its KKT-residual certificate, BCD on the gradient norm.
    EXPECT_EQ(r.summary.status, bcd ? convlab::optim::Status::GradientTolerance : convlab::optim::Status::KktResidual) << r.summary.message;
    EXPECT_LE(r.summary.final_value - r.reference->value, (multinomial ? 1e-9 : 1e-11) * std::abs(r.reference->value));
    // Softmax intercepts are unique only up to a shift common to every class: compare them centred.
    const auto centred = [&](VecX<double> x) {
      if (multinomial && c.problem.intercept) {
        const Eigen::Index per = r.dim / r.outputs;
        double mean = 0;
        for (Eigen::Index k = 0; k < r.outputs; ++k) mean += x[k * per + per - 1] / static_cast<double>(r.outputs);
        for (Eigen::Index k = 0; k < r.outputs; ++k) x[k * per + per - 1] -= mean;
      }
      return x;
    };
    EXPECT_LE((centred(r.x) - centred(r.reference->x)).norm(), (multinomial ? 1e-3 : 1e-5) * (1 + r.reference->x.norm()));
    if (!bcd) continue;
    // The first history row: x = 0, where the stationarity is ‖∇f(0)‖₂ of the standardized problem.
    auto ds = cp::load_csv(source_dir() + "/data/" + k.data, {.response = "y"});
    cp::standardize(ds.X);
    VecX<double> g0(r.dim);
    const VecX<double> zero = VecX<double>::Zero(r.dim);
    if (k.type == "least_squares") cp::gradient(cp::LeastSquares<double>(ds.X, ds.y, {.l2 = c.problem.l2, .intercept = c.problem.intercept}), zero, g0);
    else if (k.type == "logistic") cp::gradient(cp::Logistic<double>(ds.X, ds.y, {.l2 = c.problem.l2, .intercept = c.problem.intercept}), zero, g0);
    else continue;
    ASSERT_FALSE(r.summary.history.empty());
    EXPECT_NEAR(r.summary.history.front().grad_norm, g0.norm(), 1e-12 * g0.norm());
    EXPECT_NEAR(r.summary.final_grad_norm, r.summary.history.back().grad_norm, 1e-12 + 1e-9 * r.summary.history.back().grad_norm);
  }
  // predict on a bcd folder: RMSE²/2 is the fit's value without its l2 term.
  write(dir / "ls.toml", solver_config("least_squares", "diabetes.csv", "l2 = 0.1\nintercept = true", "type = \"bcd\"",
                                       "max_iterations = 20000\ntolerance = 1e-9"));
  ASSERT_EQ(run_cli("fit " + (dir / "ls.toml").string() + " --out " + dir.string()), 0);
  const fs::path run = dir / "ls" / "fit";
  ASSERT_EQ(run_cli("predict " + run.string() + " " + source_dir() + "/data/diabetes.csv"), 0);
  const auto s = read_json(run / "summary.json"), m = read_json(run / "predictions.json");
  const auto x = s["x"].get<std::vector<double>>();
  ASSERT_EQ(x.size(), 11u);  // 10 weights, then the intercept (not penalized)
  double w2 = 0;
  for (std::size_t j = 0; j + 1 < x.size(); ++j) w2 += x[j] * x[j];
  const double rmse = m["rmse"].get<double>();
  EXPECT_NEAR(rmse * rmse / 2, s["final_value"].get<double>() - 0.1 / 2 * w2, 1e-9 * s["final_value"].get<double>());
}

// With an l1 term: proximal bcd (GS-q with PG, and PN) and fista agree with lasso_cd, with and
// without an unpenalized intercept; on logistic data with an intercept they meet the KKT
// conditions checked here.
TEST(Fit, ProximalBcdAndFistaSolveTheL1ProblemsLikeLassoCd) {
  const fs::path dir = fresh_dir("bcd-l1");
  const std::string lasso = "l1 = 2.0\nl2 = 0.5\nintercept = false";
  write(dir / "cd.toml", solver_config("least_squares", "diabetes.csv", lasso, "type = \"lasso_cd\"\ngap_tolerance = 1e-14",
                                       "max_iterations = 100000", "none"));
  const ex::FitResult cd = ex::run_fit(ex::load_run_config((dir / "cd.toml").string(), {}), false);
  ASSERT_EQ(cd.summary.status, convlab::optim::Status::DualityGap);
  for (const std::string opt : {"type = \"bcd\"", "type = \"bcd\"\nupdate = \"pn\"\nrule = \"random_permutation\"", "type = \"fista\""}) {
    SCOPED_TRACE(opt);
    write(dir / "l1.toml", solver_config("least_squares", "diabetes.csv", lasso, opt, "max_iterations = 400000\ntolerance = 1e-10", "none"));
    const ex::FitResult r = ex::run_fit(ex::load_run_config((dir / "l1.toml").string(), {}), false);
    // fista and proximal bcd both stop on the KKT residual, their certificate.
    EXPECT_EQ(r.summary.status, convlab::optim::Status::KktResidual) << r.summary.message;
    EXPECT_TRUE(r.summary.certificate.holds() && r.summary.certificate.tolerance == 1e-10);
    EXPECT_NEAR(r.summary.final_value, cd.summary.final_value, 1e-12 * cd.summary.final_value);
    EXPECT_LE((r.x - cd.x).norm(), 1e-6 * (1 + cd.x.norm()));
    for (Eigen::Index j = 0; j < r.x.size(); ++j) EXPECT_EQ(r.x[j] == 0, cd.x[j] == 0) << "support differs at " << j;
  }
  // An unpenalized intercept: proximal bcd (its intercept free of the l1 term) against lasso_cd's
  // exact reduction.
  const std::string with_b = "l1 = 2.0\nl2 = 0.5\nintercept = true";
  write(dir / "cdb.toml", solver_config("least_squares", "diabetes.csv", with_b, "type = \"lasso_cd\"\ngap_tolerance = 1e-14",
                                        "max_iterations = 100000", "none"));
  const ex::FitResult cdb = ex::run_fit(ex::load_run_config((dir / "cdb.toml").string(), {}), false);
  ASSERT_EQ(cdb.summary.status, convlab::optim::Status::DualityGap);
  for (const std::string opt : {"type = \"bcd\"", "type = \"bcd\"\nupdate = \"pn\"\nrule = \"random_permutation\"\nblock_size = 4"}) {
    SCOPED_TRACE(opt + " with an intercept");
    write(dir / "b.toml", solver_config("least_squares", "diabetes.csv", with_b, opt, "max_iterations = 400000\ntolerance = 1e-10", "none"));
    const ex::FitResult r = ex::run_fit(ex::load_run_config((dir / "b.toml").string(), {}), false);
    EXPECT_EQ(r.summary.status, convlab::optim::Status::KktResidual) << r.summary.message;
    EXPECT_NEAR(r.summary.final_value, cdb.summary.final_value, 1e-12 * cdb.summary.final_value);
    EXPECT_LE((r.x - cdb.x).norm(), 1e-6 * (1 + cdb.x.norm()));
    EXPECT_GT(std::abs(r.x[10]), 1.0);  // the intercept (mean of y ≈ 152) is not shrunk towards 0
  }
  // Logistic + l1 with an intercept (fista, and bcd with PG and PN): ∇f of the smooth part at x
  // satisfies g_b = 0 for the intercept, g_j = −l1·sign(w_j) where w_j ≠ 0 and |g_j| <= l1 where w_j = 0.
  const double l1 = 0.02;
  auto ds = cp::load_csv(source_dir() + "/data/breast_cancer.csv", {.response = "y"});
  cp::standardize(ds.X);
  const cp::Logistic<double> f(ds.X, ds.y, {.l2 = 0.001, .intercept = true});
  for (const std::string opt : {"type = \"fista\"", "type = \"bcd\"", "type = \"bcd\"\nupdate = \"pn\"\nblock_size = 4"}) {
    SCOPED_TRACE(opt + " on logistic data");
    write(dir / "lg.toml", solver_config("logistic", "breast_cancer.csv", fmt::format("l1 = {}\nl2 = 0.001\nintercept = true", l1), opt,
                                         "max_iterations = 4000000\ntolerance = 1e-11", "none"));
    const ex::FitResult r = ex::run_fit(ex::load_run_config((dir / "lg.toml").string(), {}), false);
    ASSERT_TRUE(r.summary.converged()) << r.summary.message;  // fista on its KKT certificate, bcd on ‖∇f‖
    VecX<double> g(r.dim);
    cp::gradient(f, r.x, g);
    const Eigen::Index d = r.dim - 1;
    EXPECT_LE(std::abs(g[d]), 1e-9);
    EXPECT_NE(r.x[d], 0.0);
    long long zeros = 0;
    for (Eigen::Index j = 0; j < d; ++j) {
      if (r.x[j] == 0) {
        ++zeros;
        EXPECT_LE(std::abs(g[j]), l1 + 1e-9) << j;
      } else {
        EXPECT_NEAR(g[j], -l1 * (r.x[j] > 0 ? 1 : -1), 1e-9) << j;
      }
    }
    EXPECT_GT(zeros, 0);  // the penalty is large enough to zero some weights ...
    EXPECT_LT(zeros, d);  // ... and small enough to keep some
  }
}

// Combinations that would give a wrong or meaningless answer are refused with exit 2 before
// anything runs, and leave no folder behind.
TEST(Fit, BcdAndFistaRefuseWhatTheyCannotSolve) {
  const fs::path dir = fresh_dir("bcd-refused");
  const auto refused = [&](const std::string& problem, const std::string& optimizer, const std::string& stop, const std::string& needle) {
    SCOPED_TRACE(optimizer + " / " + problem);
    write(dir / "bad.toml", solver_config("least_squares", "diabetes.csv", problem, optimizer, stop, "none"));
    const std::string err = (dir / "err.txt").string();
    const int status = std::system((std::string(CONVLAB_CLI) + " fit " + (dir / "bad.toml").string() + " --out " + (dir / "out").string() +
                                    " --set seed=4 >/dev/null 2>" + err).c_str());
    EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 2);
    EXPECT_NE(slurp(err).find(needle), std::string::npos) << slurp(err);
    EXPECT_FALSE(fs::exists(dir / "out")) << "a refused run made its folder";
  };
  refused("l1 = 1\nintercept = false", "type = \"bcd\"\nupdate = \"lb\"", "", "ignores the regularizer");
  refused("l1 = 1\nintercept = false", "type = \"bcd\"\nupdate = \"hb\"", "", "use pg | pn");
  refused("l2 = 1", "type = \"bcd\"\nrule = \"gs_q\"", "", "needs a composite problem");
  refused("l2 = 1", "type = \"bcd\"\npartition = \"rows\"", "", "allowed: order | sort | avg | random | vb");
  refused("l2 = 1", "type = \"bcd\"\nblock_size = 0", "", "block_size");
  refused("l2 = 1", "type = \"bcd\"\nblock_size = 11", "", "[optimizer] key 'block_size' = 11 is larger than the problem's 10 coordinates");
  refused("l2 = 1", "type = \"fista\"", "max_iterations = 0", "needs [stop] max_iterations >= 1");
  refused("l2 = 1", "type = \"fista\"\nbatch_size = 10", "", "batch_size");
}

// `logistic_l1` and `logistic_ridge` in a run config: their certified answers against fista on the
// same Logistic objective (mean log-loss + penalty, with and without a free intercept), the
// reported value against the problem's own value at x, and refusals where they do not apply.
TEST(Fit, LogisticSolversMatchFistaOnTheSameObjective) {
  const fs::path dir = fresh_dir("logistic-solvers");
  auto ds = cp::load_csv(source_dir() + "/data/breast_cancer.csv", {.response = "y"});
  cp::standardize(ds.X);
  for (const bool intercept : {false, true})
  for (const auto& [type, penalty] : {std::pair<std::string, std::string>{"logistic_l1", "l1 = 0.02"}, {"logistic_ridge", "l2 = 0.05"}}) {
    SCOPED_TRACE(type + (intercept ? " with an intercept" : ""));
    const std::string problem = penalty + "\nintercept = " + (intercept ? "true" : "false");
    write(dir / "s.toml", solver_config("logistic", "breast_cancer.csv", problem, "type = \"" + type + "\"\ngap_tolerance = 1e-13",
                                        "max_iterations = 1000", "none"));
    const ex::FitResult r = ex::run_fit(ex::load_run_config((dir / "s.toml").string(), {}), false);
    EXPECT_EQ(r.summary.status, convlab::optim::Status::DualityGap) << r.summary.message;
    write(dir / "f.toml", solver_config("logistic", "breast_cancer.csv", problem, "type = \"fista\"", "max_iterations = 2000000\ntolerance = 1e-11",
                                        "none"));
    const ex::FitResult f = ex::run_fit(ex::load_run_config((dir / "f.toml").string(), {}), false);
    ASSERT_EQ(f.summary.status, convlab::optim::Status::KktResidual) << f.summary.message;
    const bool l1 = type == "logistic_l1";
    const cp::Logistic<double> p(ds.X, ds.y, {.l1 = l1 ? 0.02 : 0.0, .l2 = l1 ? 0.0 : 0.05, .intercept = intercept});
    EXPECT_NEAR(r.summary.final_value, p.value(r.x), 1e-12 * p.value(r.x)) << "the reported value is the objective at x";
    EXPECT_LE(std::abs(p.value(r.x) - p.value(f.x)), 1e-9 * p.value(f.x));
    EXPECT_LE((r.x - f.x).norm(), 1e-4 * (1 + f.x.norm()));
  }
  const auto refused = [&](const std::string& problem, const std::string& type, const std::string& needle,
                           const std::string& problem_type = "logistic", const std::string& data = "breast_cancer.csv") {
    SCOPED_TRACE(type + " / " + problem);
    write(dir / "bad.toml", solver_config(problem_type, data, problem, "type = \"" + type + "\"", "", "none"));
    const std::string err = (dir / "err.txt").string();
    const int status = std::system((std::string(CONVLAB_CLI) + " validate " + (dir / "bad.toml").string() + " >/dev/null 2>" + err).c_str());
    EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 2);
    EXPECT_NE(slurp(err).find(needle), std::string::npos) << slurp(err);
  };
  refused("l1 = 0.1\nl2 = 0.1", "logistic_l1", "needs [problem] l1 > 0 and l2 = 0");
  refused("l2 = 0.1", "logistic_l1", "needs [problem] l1 > 0 and l2 = 0");
  refused("l1 = 0.1", "logistic_ridge", "needs [problem] l2 > 0 and l1 = 0");
  refused("l2 = 0.1", "logistic_ridge", "is for [problem] type = \"logistic\"", "least_squares", "diabetes.csv");
}

// Grouped data for every problem: a `weights` column of counts fits what the repeated rows fit
// (a row of weight 0: what the data without it fits), and the column is never a feature. Least
// squares with l1 and free intercepts, logistic and multinomial with l2 run fista to a tight
// tolerance; lasso_cd, bcd, logistic_l1 and logistic_ridge run to their certificates; quantile
// runs the LP at two levels. Logistic's Newton reference on the weighted data agrees with the run.
// Weights where they cannot apply exit 2 naming the key.
TEST(Fit, RowWeightsEqualRepeatedRows) {
  const fs::path out = fresh_dir("fit-weights");
  std::string grouped = "y,a,n,b,c\n", expanded = "y,a,b,c\n";
  const auto rows = [&](const std::function<double(int, double, double)>& response) {
    grouped = "y,a,n,b,c\n", expanded = "y,a,b,c\n";
    for (int i = 0; i < 45; ++i) {
      const double a = std::sin(1.3 * i), b = std::cos(0.7 * i + 0.2), c = std::sin(0.37 * i * i);
      const int n = i % 4;  // 0 … 3 copies
      const std::string features = fmt::format("{:.17g},{:.17g},{:.17g}", a, b, c), y = fmt::format("{:.17g}", response(i, a, b));
      grouped += y + "," + fmt::format("{:.17g}", a) + "," + std::to_string(n) + "," + fmt::format("{:.17g},{:.17g}", b, c) + "\n";
      for (int k = 0; k < n; ++k) expanded += y + "," + features + "\n";
    }
    write(out / "grouped.csv", grouped);
    write(out / "expanded.csv", expanded);
  };
  const auto fit = [&](const std::string& name, const std::string& problem, const std::string& rest, const std::string& top) {
    write(out / (name + ".toml"), top + "[problem]\n" + problem + "\n" + rest + "\n[output]\nplots = false\n");
    const auto [code, text] = run_cli_stderr("fit " + (out / (name + ".toml")).string() + " --out " + out.string(), out / "err.txt");
    EXPECT_EQ(code, 0) << name << ": " << text;
    return read_json(out / name / "fit" / "summary.json");
  };
  const auto same = [&](const std::string& problem, const std::string& rest, double tol, const std::string& top = "") -> nlohmann::json {
    SCOPED_TRACE(problem);
    const auto e = fit("e", "data = \"expanded.csv\"\n" + problem, rest, top);
    const auto g = fit("g", "data = \"grouped.csv\"\nweights = \"n\"\n" + problem, rest, top);
    EXPECT_EQ(g["model"]["feature_names"], e["model"]["feature_names"]);  // a, b, c: not n
    const auto xe = e["x"].get<std::vector<double>>(), xg = g["x"].get<std::vector<double>>();
    EXPECT_EQ(xe.size(), xg.size());
    for (std::size_t k = 0; k < xe.size() && k < xg.size(); ++k) EXPECT_NEAR(xg[k], xe[k], tol * (1 + std::abs(xe[k]))) << k;
    EXPECT_NEAR(g["final_value"].get<double>(), e["final_value"].get<double>(), 1e-10 * (1 + std::abs(e["final_value"].get<double>())));
    EXPECT_NEAR(g["initial_value"].get<double>(), e["initial_value"].get<double>(), 1e-12 * (1 + std::abs(e["initial_value"].get<double>())));
    expect_weighted_metrics_equal(out / "e" / "fit", out / "expanded.csv", out / "grouped.csv", out);
    return g;
  };
  const std::string fista = "[optimizer]\ntype = \"fista\"\n[stop]\nmax_iterations = 200000\ntolerance = 1e-12\n";
  rows([](int i, double a, double b) { return 1 + 2 * a - b + 0.3 * std::sin(5.1 * i); });
  same("type = \"least_squares\"\nl1 = 0.05\nintercept = true", fista, 1e-8);
  rows([](int i, double a, double b) { return a + 0.5 * b + 0.8 * std::sin(3.3 * i) > 0 ? 1.0 : 0.0; });
  const auto g = same("type = \"logistic\"\nl2 = 0.01\nintercept = true", fista, 1e-8, "reference = \"newton\"\n");
  EXPECT_LT(g["relative_suboptimality"].get<double>(), 1e-12);  // Newton on the weighted Hessian
  rows([](int i, double a, double b) { return std::clamp(std::floor(1.5 * (a + b + 0.7 * std::sin(2.9 * i)) + 1.5), 0.0, 2.0); });
  same("type = \"multinomial\"\nl2 = 0.05\nintercept = true", fista, 1e-7);
  // lasso_cd (weighted centring and row scaling) and bcd (weighted coordinate form, with and
  // without an l1 term).
  rows([](int i, double a, double b) { return 2 - a + 1.5 * b + 0.4 * std::sin(2.3 * i); });
  same("type = \"least_squares\"\nl1 = 0.03\nl2 = 0.01\nintercept = true", "[optimizer]\ntype = \"lasso_cd\"\ngap_tolerance = 1e-14\n", 1e-8);
  same("type = \"least_squares\"\nl1 = 0.03\nintercept = false", "[optimizer]\ntype = \"bcd\"\nblock_size = 2\n[stop]\nmax_iterations = 400000\ntolerance = 1e-12\n",
       1e-8);
  rows([](int i, double a, double b) { return a + 0.5 * b + 0.8 * std::sin(3.3 * i) > 0 ? 1.0 : 0.0; });
  same("type = \"logistic\"\nl2 = 0.01\nintercept = true", "[optimizer]\ntype = \"bcd\"\nblock_size = 2\nupdate = \"newton\"\n[stop]\nmax_iterations = 400000\ntolerance = 1e-12\n",
       1e-8);
  // The certified logistic solvers (weighted loss, dual and curvature; a free intercept).
  same("type = \"logistic\"\nl1 = 0.02\nintercept = true", "[optimizer]\ntype = \"logistic_l1\"\ngap_tolerance = 1e-13\n", 1e-7);
  same("type = \"logistic\"\nl2 = 0.01\nintercept = true", "[optimizer]\ntype = \"logistic_ridge\"\ngap_tolerance = 1e-13\n", 1e-7);
  rows([](int i, double a, double b) { return 1 + a - 2 * b + std::sin(4.7 * i); });
  same("type = \"quantile\"\ntaus = [0.3, 0.7]\nintercept = true", "[optimizer]\ntype = \"quantile_lp\"\n", 1e-8);

  const auto refused = [&](const std::string& config, const std::string& command, const std::string& needle) {
    write(out / "bad.toml", config);
    const auto [code, text] = run_cli_stderr(command + " " + (out / "bad.toml").string() + (command == "fit" ? " --out " + out.string() : ""),
                                             out / "err.txt");
    EXPECT_EQ(code, 2) << config;
    EXPECT_NE(text.find(needle), std::string::npos) << text;
  };
  refused("[problem]\ntype = \"least_squares\"\ndata = \"grouped.csv\"\nweights = \"a\"\n", "fit", "grouped.csv:5: column 2 (a): weight -0.68");
  write(out / "w.libsvm", "1 1:0.5\n0 1:-0.5\n");
  refused("[problem]\ntype = \"logistic\"\ndata = \"w.libsvm\"\nweights = \"n\"\n", "validate", "key 'weights': applies to CSV data");
}
