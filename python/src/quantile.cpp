// convlab._convlab.quantile: certified linear quantile regression (an LP with a vertex
// certificate) and isotonic regression (PAVA), for the estimators of python/convlab/quantile.py.
#include <pybind11/eigen.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <convlab/quantile/monotone.hpp>
#include <convlab/quantile/quantile_regression.hpp>

namespace py = pybind11;
namespace cq = convlab::quantile;

void bind_quantile(py::module_& m) {
  m.def("quantile_regression", [](const Eigen::MatrixXd& X, const Eigen::VectorXd& y, double tau, double l1,
                                  Eigen::Index first_penalized) {
          cq::QuantileRegressionResult r;
          {
            py::gil_scoped_release release;
            r = cq::quantile_regression(X, y, tau, {}, l1, first_penalized);
          }
          py::dict d;
          d["beta"] = r.beta;
          d["objective"] = r.objective;
          d["certified"] = r.certified;
          d["lp_gap"] = r.lp_gap;
          d["iterations"] = r.lp_iterations;
          return d;
        }, py::arg("X"), py::arg("y"), py::arg("tau"), py::arg("l1") = 0.0, py::arg("first_penalized") = 0,
        "argmin_β Σ ρ_τ(y − Xβ) + l1·Σ_{j >= first_penalized} |β_j|, certified at a vertex when possible.");
  m.def("isotonic_fit", [](const Eigen::VectorXd& x, const Eigen::VectorXd& y, const Eigen::VectorXd& w, bool increasing) {
          return cq::isotonic_fit(x, y, w, increasing ? cq::Order::Increasing : cq::Order::Decreasing);
        }, py::arg("x"), py::arg("y"), py::arg("w"), py::arg("increasing") = true,
        "The isotonic fit of y on x (ties pooled), at every input point, by PAVA.");
}
