// convlab._convlab.ordinal: PRESTO and proportional odds (solvers/presto.hpp), with sample weights,
// one λ, the warm-started path and its K-fold cross-validation, for python/convlab/ordinal.py.
#include <pybind11/eigen.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include <convlab/solvers/presto.hpp>

#include "report.hpp"

namespace py = pybind11;
namespace cs = convlab::solvers;

namespace {
py::dict fit_dict(const cs::PrestoFit& f) {
  py::dict d = convlab::python::report_dict(f);  // certificate: the KKT residual; iterations: Newton steps
  d["lambda"] = f.lambda;
  d["alpha"] = f.alpha;
  d["beta"] = f.beta;
  d["objective"] = f.objective;
  d["separation"] = f.separation;
  d["on_boundary"] = f.on_boundary;
  d["nonzero_differences"] = f.nonzero_differences;
  return d;
}
}  // namespace

void bind_ordinal(py::module_& m) {
  m.def("presto_fit", [](const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int K, double lambda, bool penalize_first, bool standardize,
                         double tolerance, int max_newton, const std::optional<Eigen::VectorXd>& sample_weight) {
          cs::PrestoFit f;
          {
            py::gil_scoped_release release;
            f = cs::presto_fit(X, y, K, lambda, {.penalize_first = penalize_first, .standardize = standardize, .tolerance = tolerance, .max_newton = max_newton},
                               sample_weight.value_or(Eigen::VectorXd()));
          }
          return fit_dict(f);
        }, py::arg("X"), py::arg("y"), py::arg("K"), py::arg("lam"), py::arg("penalize_first"), py::arg("standardize"), py::arg("tolerance"),
        py::arg("max_newton"), py::arg("sample_weight"),
        "PRESTO at one lambda (inf: the held fit; with penalize_first = False that is proportional odds); labels 1..K.");
  // The path over `lambdas` (decreasing), or over the geometric grid λ_max … ratio·λ_max when empty.
  m.def("presto_path", [](const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int K, int n_lambdas, double ratio, const std::vector<double>& lambdas,
                          bool penalize_first, double tolerance, int max_newton, const std::optional<Eigen::VectorXd>& sample_weight) {
          const cs::PrestoPathOptions o{.n_lambdas = n_lambdas, .ratio = ratio,
                                        .presto = {.penalize_first = penalize_first, .tolerance = tolerance, .max_newton = max_newton}};
          std::vector<cs::PrestoFit> path;
          {
            py::gil_scoped_release release;
            path = cs::presto_path(X, y, K, o, lambdas, sample_weight.value_or(Eigen::VectorXd()));
          }
          py::list out;
          for (const auto& f : path) out.append(fit_dict(f));
          return out;
        }, py::arg("X"), py::arg("y"), py::arg("K"), py::arg("n_lambdas"), py::arg("ratio"), py::arg("lambdas"), py::arg("penalize_first"),
        py::arg("tolerance"), py::arg("max_newton"), py::arg("sample_weight"), "PRESTO's warm-started path; labels 1..K.");
  m.def("presto_cv", [](const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int K, int folds, unsigned long long seed, int n_lambdas, double ratio,
                        bool penalize_first, double tolerance, int max_newton, const std::optional<Eigen::VectorXd>& sample_weight) {
          const cs::PrestoCvOptions o{.folds = folds, .seed = seed,
                                      .path = {.n_lambdas = n_lambdas, .ratio = ratio,
                                               .presto = {.penalize_first = penalize_first, .tolerance = tolerance, .max_newton = max_newton}}};
          cs::PrestoCv cv;
          {
            py::gil_scoped_release release;
            cv = cs::presto_cv(X, y, K, o, sample_weight.value_or(Eigen::VectorXd()));
          }
          py::dict d = fit_dict(cv.fit);
          d["lambdas"] = cv.lambdas;
          d["mean_brier"] = cv.mean_brier;
          d["chosen"] = cv.chosen;
          return d;
        }, py::arg("X"), py::arg("y"), py::arg("K"), py::arg("folds"), py::arg("seed"), py::arg("n_lambdas"), py::arg("ratio"),
        py::arg("penalize_first"), py::arg("tolerance"), py::arg("max_newton"), py::arg("sample_weight"),
        "K-fold CV of PRESTO over the full-data path (out-of-fold Brier score), refitted at the chosen lambda; labels 1..K.");
  m.def("probabilities", [](const Eigen::MatrixXd& X, const Eigen::VectorXd& alpha, const Eigen::MatrixXd& beta) {
          return convlab::problems::cumulative_logit_probabilities(X, alpha, beta);
        }, py::arg("X"), py::arg("alpha"), py::arg("beta"), "Class probabilities (rows x K) of the cumulative-logit model.");
}
