// convlab: run configs, predict with their models, reproduce the papers' claims, list and validate experiments.
// Exit codes: 0 ok; 1 a claim failed or a run diverged; 2 bad input; 3 internal error.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <convlab/core/errors.hpp>
#ifdef CONVLAB_EXPERIMENTS_MPI
#include <convlab/problems/mpi/shard_text.hpp>
#endif

#include "cli/commands.hpp"
#include "cli/mpi_session.hpp"
#include "fit/predict.hpp"
#include "version.hpp"

int main(int argc, char** argv) {
  namespace ex = convlab::experiments;
  CLI::App app{"convlab: optimization research library — experiments and reproduction", "convlab"};
  app.set_version_flag("--version", std::string(ex::kVersion) + " (" + ex::kGitCommit + ")");
  bool verbose = false;
  app.add_flag("--verbose", verbose, "print details with errors");
  app.require_subcommand(1);

  ex::FitArgs fit;
  auto* fit_cmd = app.add_subcommand("fit", "one run of a problem + data + optimizer + schedule + stopping rule");
  fit_cmd->add_option("config", fit.config, "run config (TOML)")->required();
  fit_cmd->add_option("--set", fit.overrides, "override a key, e.g. --set optimizer.type=adamw")->take_all();
  fit_cmd->add_option("--out", fit.out, "output folder (default: [output] dir)");

  ex::PredictArgs pred;
  auto* pred_cmd = app.add_subcommand("predict", "apply the model of a `fit` run folder to new rows (CSV or LIBSVM)");
  pred_cmd->add_option("run_dir", pred.run_dir, "run folder written by `convlab fit` (holds summary.json)")->required();
  pred_cmd->add_option("data", pred.data, "rows to predict, in the format the run was fitted on")->required();
  pred_cmd->add_option("--out", pred.out, "predictions CSV (default: RUN_DIR/predictions.csv); metrics go beside it as .json");
  pred_cmd->add_option("--monotonize", pred.monotonize, "quantile models: make each row non-decreasing across levels by sort (default), isotonic, mono, cummax or none")
      ->check(CLI::IsMember({"sort", "isotonic", "mono", "cummax", "none"}));
  pred_cmd->add_option("--weights", pred.weights, "CSV: a column of row weights (counts of grouped rows); the metrics become weighted means");

  ex::ReproduceArgs rep;
  auto* rep_cmd = app.add_subcommand("reproduce", "run every experiment, then write report.md/report.html");
  rep_cmd->add_flag("--full", rep.full, "full profile (default: quick)");
  rep_cmd->add_option("--only", rep.only, "experiment names or paper prefixes")->take_all();
  rep_cmd->add_option("--out", rep.out, "output folder")->capture_default_str();
  rep_cmd->add_option("--configs", rep.configs_dir, "experiments folder (default: the source tree's)");

  std::string list_dir;
  auto* list_cmd = app.add_subcommand("list", "the experiments and the claim each one checks");
  list_cmd->add_option("--configs", list_dir, "experiments folder");

  std::string validate_config;
  ex::Overrides validate_overrides;
  bool explain = false;
  auto* val_cmd = app.add_subcommand("validate", "parse and check a config (and its data) without running");
  val_cmd->add_option("config", validate_config, "run or experiment config (TOML)")->required();
  val_cmd->add_option("--set", validate_overrides, "override a key")->take_all();
  val_cmd->add_flag("--explain", explain, "print every key with its resolved value and default");

  std::string docs_page;
  bool docs_write = false;
  auto* docs_cmd = app.add_subcommand("docs", "check (or --write) the generated key tables of docs/configs.md");
  docs_cmd->add_option("page", docs_page, "the page, docs/configs.md")->required();
  docs_cmd->add_flag("--write", docs_write, "rewrite the generated sections");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports a mistyped command as a missing one; name it and the commands there are.
    if (argc > 1 && argv[1][0] != '-' && app.get_subcommands([&](CLI::App* s) { return s->get_name() == argv[1]; }).empty()) {
      std::string names;
      for (const CLI::App* s : app.get_subcommands([](CLI::App*) { return true; })) names += (names.empty() ? "" : ", ") + s->get_name();
      fmt::print(stderr, "convlab: unknown command '{}'; the commands are {}\n", argv[1], names);
      return 2;
    }
    fmt::print(stderr, "convlab: {}\n", e.what());
    if (verbose) fmt::print(stderr, "{}", app.help());
    return 2;
  }

  // Under mpirun every rank runs this program; errors name the rank and end the whole job.
  ex::mpi_session::start(&argc, &argv);
  // Exit 1 (diverged, a claim failed) is an outcome every rank agreed on (they share every
  // evaluation), so the ranks end normally and rank 0 has written the run folder. Errors
  // (2, 3) may be one rank's alone: they end the whole job.
  const auto finish = [](int code) {
    if (code >= 2 && ex::mpi_session::size() > 1) ex::mpi_session::abort(code);
    ex::mpi_session::stop();
    return code;
  };
  const std::string who = ex::mpi_session::active() ? fmt::format(" (rank {} of {})", ex::mpi_session::rank(), ex::mpi_session::size()) : "";
  try {
    if (*fit_cmd) return finish(ex::command_fit(fit));
    if (*rep_cmd) return finish(ex::command_reproduce(rep));
    if (*pred_cmd) return finish(ex::command_predict(pred));
    if (*list_cmd) return finish(ex::command_list(list_dir));
    if (*docs_cmd) return finish(ex::command_docs(docs_page, docs_write));
    return finish(ex::command_validate(validate_config, validate_overrides, explain));
  }
#ifdef CONVLAB_EXPERIMENTS_MPI
  catch (const convlab::mpi::PeerFailure&) {
    // Another rank failed reading its shard and reports it (then ends the job); this one stays
    // quiet so the user sees one message, and waits in MPI_Finalize for that rank's abort.
    ex::mpi_session::stop();
    return 2;
  }
#endif
  catch (const ex::ConfigError& e) {
    fmt::print(stderr, "convlab: error{}: {}\n", who, e.what());
    if (verbose) fmt::print(stderr, "(configuration error; schema in docs/configs.md)\n");
    return finish(2);
  } catch (const convlab::DataError& e) {
    fmt::print(stderr, "convlab: error{}: {}\n", who, e.what());
    if (verbose) fmt::print(stderr, "(data error in file {}, line {}, field {})\n", e.file(), e.line(), e.field());
    return finish(2);
  } catch (const std::invalid_argument& e) {  // convlab::InvalidArgument and option validation
    fmt::print(stderr, "convlab: error{}: {}\n", who, e.what());
    return finish(2);
  } catch (const std::exception& e) {
    fmt::print(stderr, "convlab: error{}: {}\n", who, e.what());
    return finish(3);
  }
}
