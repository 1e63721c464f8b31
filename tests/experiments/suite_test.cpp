// The suite framework (experiments/src/suites/suite.hpp): metric names and summary.json come from one
// declaration, declared keys are read with their rules, every registered suite declares distinct
// metrics, a claim may only name a declared metric, and a suite run writes every one of them.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "cli_support.hpp"
#include "cli/commands.hpp"
#include "config/experiment.hpp"
#include "suites/suite.hpp"
#include "suites/suite_data.hpp"
#include "config/table_reader.hpp"

namespace ex = convlab::experiments;
namespace fs = std::filesystem;
using convlab::field;
using namespace convlab::test;

namespace {

const std::vector<std::string> kColours{"red", "blue"};

struct Cell {
  double hits = ex::kNotMeasured;
  static constexpr auto fields() { return std::tuple{field("hits", &Cell::hits, "hits of one colour")}; }
};

struct ToyMetrics {
  double score = ex::kNotMeasured, spread = ex::kNotMeasured;
  std::string status;
  std::vector<Cell> colours;
  static constexpr auto fields() {
    return std::tuple{field("score", &ToyMetrics::score, "the score"), field("spread", &ToyMetrics::spread, "the spread"),
                      field("status", &ToyMetrics::status, "a word"), ex::metric_cells("colour", kColours, &ToyMetrics::colours)};
  }
};

struct ToyParams {
  long long steps = 7;
  double rate = 0.5;
  bool fast = false;
  std::string mode = "a";
  static constexpr auto fields() {
    return std::tuple{field("steps", &ToyParams::steps, ">= 2", [](long long v) { return v >= 2; }, "steps"),
                      field("rate", &ToyParams::rate, "0 < rate <= 1", [](double v) { return v > 0 && v <= 1; }, "rate"),
                      field("fast", &ToyParams::fast, "fast"),
                      field("mode", &ToyParams::mode, "a | b", [](const std::string& v) { return v == "a" || v == "b"; }, "mode")};
  }
};

}  // namespace

TEST(Suite, MetricNamesExpandCellsInDeclarationOrderAndSkipStrings) {
  EXPECT_EQ(ex::metric_names<ToyMetrics>(), (std::vector<std::string>{"score", "spread", "red_hits", "blue_hits"}));
}

TEST(Suite, SummaryHoldsEveryDeclaredMetricWithNullForNotMeasured) {
  auto m = ex::make_metrics<ToyMetrics>();
  ASSERT_EQ(m.colours.size(), 2u);
  m.score = 0.25;
  m.colours[1].hits = 3;
  m.status = "done";
  const nlohmann::json j = ex::metrics_json(m);
  EXPECT_EQ(j.size(), 5u);
  EXPECT_EQ(j["score"].get<double>(), 0.25);
  EXPECT_TRUE(j["spread"].is_null());
  EXPECT_TRUE(j["red_hits"].is_null());
  EXPECT_EQ(j["blue_hits"].get<double>(), 3.0);
  EXPECT_EQ(j["status"], "done");
}

TEST(Suite, DeclaredKeysAreReadWithTheirRulesAndDefaults) {
  const std::string file = "toy.toml";
  const ex::Origins origins;
  const ex::TableReader r{file, origins};
  EXPECT_EQ(ex::TableReader::declared_keys<ToyParams>({"extra"}), (std::set<std::string>{"steps", "rate", "fast", "mode", "extra"}));
  ToyParams p;
  r.declared(toml::parse("steps = 3\nmode = \"b\""), "toy", p);
  EXPECT_EQ(p.steps, 3);
  EXPECT_EQ(p.rate, 0.5);  // absent: the struct's initializer
  EXPECT_FALSE(p.fast);
  EXPECT_EQ(p.mode, "b");
  auto message = [&](const std::string& text) {
    ToyParams q;
    try {
      r.declared(toml::parse(std::string_view(text), std::string_view("toy.toml")), "toy", q);
    } catch (const ex::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message("steps = 1").find("[toy] key 'steps': 1 is out of range; allowed: >= 2"), std::string::npos) << message("steps = 1");
  EXPECT_NE(message("rate = 2.0").find("allowed: 0 < rate <= 1"), std::string::npos);
  EXPECT_NE(message("rate = \"x\"").find("key 'rate': expected a number"), std::string::npos);
  EXPECT_NE(message("steps = 2.5").find("key 'steps': expected an integer"), std::string::npos);
  EXPECT_NE(message("fast = 1").find("key 'fast': expected a boolean"), std::string::npos);
  EXPECT_NE(message("mode = \"c\"").find("\"c\" is not one of a | b"), std::string::npos);
  EXPECT_NE(message("steps = 1").find("toy.toml:1"), std::string::npos);  // file:line
}

TEST(Suite, EveryRunnerDeclaresDistinctMetricsAndDocumentsThem) {
  for (const auto& r : ex::suite_runners()) {
    const auto& names = r.metrics();
    EXPECT_FALSE(names.empty()) << r.name;
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size()) << r.name << ": two metrics share a name";
    const std::string ref = r.reference();
    EXPECT_NE(ref.find("runner = \"" + r.name + "\""), std::string::npos) << r.name;
    EXPECT_NE(ref.find("| metric | meaning |"), std::string::npos) << r.name;
  }
}

TEST(Suite, AClaimOnAnUndeclaredMetricIsAValidationError) {
  const fs::path dir = fresh_dir("suite-claim");
  const std::string body = R"(
[experiment]
title = "t"
paper = "presto"
runner = "presto"
[presto]
[[presto.design]]
name = "s"
type = "sparse"
intercepts = [0.0, 1.0]
[[claim]]
id = "c"
statement = "s"
source = "s"
paper_value = "v"
run = "suite"
op = "<="
threshold = 1
)";
  write(dir / "good.toml", body + "metric = \"presto_vs_po_sparse\"\n");
  EXPECT_NO_THROW(ex::load_experiment(dir / "good.toml", "p/good"));
  write(dir / "bad.toml", body + "metric = \"presto_vs_po_sprase\"\n");
  try {
    ex::load_experiment(dir / "bad.toml", "p/bad");
    ADD_FAILURE() << "a misspelled metric was accepted";
  } catch (const ex::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown metric 'presto_vs_po_sprase'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad.toml:19"), std::string::npos) << e.what();
  }
}

// A real suite end to end: summary.json has every declared metric of its runner, as a number
// or null, and nothing a claim could read that the declaration does not list.
TEST(Suite, ARunWritesEveryDeclaredMetric) {
  const fs::path configs = fresh_dir("suite-run-configs"), out = fresh_dir("suite-run-results");
  fs::create_directories(configs / "b");
  write(configs / "b" / "toy.toml", R"(
[experiment]
title = "bilevel toy"
paper = "bilevel-lvhba"
runner = "bilevel"
[bilevel]
n = 10
record_every = 50
[bilevel.converging]
iterations = 200
[bilevel.released]
iterations = 200
[bilevel.llsc]
iterations = 100
[bilevel.llsc_baseline]
iterations = 20
)");
  ex::ReproduceArgs args{.full = false, .only = {}, .out = out.string(), .configs_dir = configs.string()};
  ASSERT_EQ(ex::command_reproduce(args), 0);
  const auto s = read_json(out / "b" / "toy" / "suite" / "summary.json");
  const auto& names = ex::find_suite_runner("bilevel")->metrics();
  for (const auto& n : names) EXPECT_TRUE(s.contains(n) && (s[n].is_number() || s[n].is_null())) << n;
  for (auto it = s.begin(); it != s.end(); ++it) {
    if (it.value().is_number() && it.key() != "checksum") {
      EXPECT_NE(std::find(names.begin(), names.end(), it.key()), names.end()) << it.key() << " is written but not declared";
    }
  }
  EXPECT_EQ(s["status"], "done");
  EXPECT_TRUE(s["llc_converging_status"].is_string());
}

// A suite's data file is read by one helper (suite_data.hpp); its label mapping is for files,
// so a synthetic problem that names positive labels is refused at the key.
TEST(Suite, PositiveLabelsAreForDataFiles) {
  const fs::path dir = fresh_dir("suite-labels");
  write(dir / "lion.toml", R"(
[experiment]
title = "t"
paper = "lion-kappa"
runner = "lion_kappa"
[lion]
[[lion.problem]]
name = "s"
type = "logistic"
synthetic = { n = 20, d = 2 }
positive_labels = [1]
lambdas = [1.0]
)");
  try {
    ex::load_experiment(dir / "lion.toml", "lk/lion");
    ADD_FAILURE() << "positive_labels on synthetic data was accepted";
  } catch (const ex::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("lion.toml:11: [lion.problem] key 'positive_labels': is for a data file"), std::string::npos)
        << e.what();
  }
  write(dir / "labels.csv", "y,a\n3,0.5\n1,1.5\n2,-1\n3,2\n");
  const auto d = ex::load_suite_data((dir / "labels.csv").string(), "y", {3, 2}, false);
  EXPECT_EQ(d.y, (convlab::VecX<double>(4) << 1, 0, 1, 1).finished());
  EXPECT_EQ(d.X.col(0), (convlab::VecX<double>(4) << 0.5, 1.5, -1, 2).finished());
}
