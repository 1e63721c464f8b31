// convlab._convlab.ordinal: PRESTO and proportional odds (optim/presto.hpp), with sample weights,
// for the OrdinalRegressor of python/convlab/ordinal.py.
#include <pybind11/eigen.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include <convlab/optim/presto.hpp>

namespace py = pybind11;
namespace co = convlab::optim;

void bind_ordinal(py::module_& m) {
  m.def("presto_fit", [](const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int K, double lambda, bool penalize_first, bool standardize,
                         double tolerance, int max_newton, const std::optional<Eigen::VectorXd>& sample_weight) {
          co::PrestoFit f;
          {
            py::gil_scoped_release release;
            f = co::presto_fit(X, y, K, lambda, {.penalize_first = penalize_first, .standardize = standardize, .tolerance = tolerance, .max_newton = max_newton},
                               sample_weight ? *sample_weight : Eigen::VectorXd());
          }
          py::dict d;
          d["alpha"] = f.alpha;
          d["beta"] = f.beta;
          d["objective"] = f.objective;
          d["kkt_residual"] = f.kkt_residual;
          d["newton_steps"] = f.newton_steps;
          d["converged"] = f.converged;
          d["separation"] = f.separation;
          d["on_boundary"] = f.on_boundary;
          d["nonzero_differences"] = f.nonzero_differences;
          return d;
        }, py::arg("X"), py::arg("y"), py::arg("K"), py::arg("lam"), py::arg("penalize_first"), py::arg("standardize"), py::arg("tolerance"),
        py::arg("max_newton"), py::arg("sample_weight"),
        "PRESTO at one lambda (inf: the held fit; with penalize_first = False that is proportional odds); labels 1..K.");
  m.def("probabilities", [](const Eigen::MatrixXd& X, const Eigen::VectorXd& alpha, const Eigen::MatrixXd& beta) {
          return convlab::problems::cumulative_logit_probabilities(X, alpha, beta);
        }, py::arg("X"), py::arg("alpha"), py::arg("beta"), "Class probabilities (rows x K) of the cumulative-logit model.");
}
