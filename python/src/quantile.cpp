// convlab._convlab.quantile: certified linear quantile regression (an LP with a vertex
// certificate), isotonic regression (PAVA) and the aggregation pipeline (cross-fitted base
// models, a global aggregator, non-crossing, conformal calibration), for the estimators of
// python/convlab/quantile.py.
#include <pybind11/eigen.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <convlab/core/random.hpp>
#include <convlab/quantile/aggregation.hpp>
#include <convlab/quantile/conformal.hpp>
#include <convlab/quantile/cross_fit.hpp>
#include <convlab/quantile/monotone.hpp>
#include <convlab/quantile/quantile_regression.hpp>

#include "report.hpp"

#include <numeric>
#include <optional>

namespace py = pybind11;
namespace cq = convlab::quantile;

namespace {

using convlab::MatX;
using convlab::VecX;

// Rows of X picked by index.
MatX<double> rows_of(const MatX<double>& X, const std::vector<Eigen::Index>& rows) {
  MatX<double> out(static_cast<Eigen::Index>(rows.size()), X.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Eigen::Index>(i)) = X.row(rows[i]);
  return out;
}

// Fakoor et al.'s pipeline (docs/quantile.md) fitted once: the rows are shuffled (seeded), the
// last ⌈fraction·n⌉ become calibration rows, the base models are cross-fitted on the others and an
// aggregator is fitted on their out-of-fold predictions. Predictions are the aggregate, then CQR
// on the calibration rows (when there are any) or the non-crossing operator alone.
class Aggregation {
 public:
  Aggregation(const MatX<double>& X, const VecX<double>& y, const VecX<double>& levels, const std::vector<std::string>& models,
              Eigen::Index k, Eigen::Index features, double bandwidth, const std::string& aggregator,
              const std::string& noncrossing, double calibration_fraction, int folds, unsigned long long seed)
      : levels_(levels), aggregator_(aggregator), after_(cq::parse_monotonize(noncrossing)) {
    convlab::problems::check_levels(levels, "QuantileAggregator");
    if (aggregator == "coarse") global_.emplace(cq::GlobalAggregator::Kind::Coarse);
    else if (aggregator == "medium") global_.emplace(cq::GlobalAggregator::Kind::Medium);
    else if (aggregator == "fine") global_.emplace(cq::GlobalAggregator::Kind::Fine);
    else if (aggregator != "average" && aggregator != "median")
      throw convlab::InvalidArgument("aggregator = '" + aggregator + "' is not one of: average | median | coarse | medium | fine");
    std::vector<Eigen::Index> order(static_cast<std::size_t>(y.size()));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    convlab::Rng rng(seed);
    convlab::shuffle(order.begin(), order.end(), rng);
    const auto n_cal = static_cast<std::size_t>(std::ceil(calibration_fraction * static_cast<double>(order.size()) - 1e-9));
    fit_rows.assign(order.begin(), order.end() - static_cast<std::ptrdiff_t>(n_cal));
    calibration_rows.assign(order.end() - static_cast<std::ptrdiff_t>(n_cal), order.end());
    const MatX<double> X_fit = rows_of(X, fit_rows), X_cal = rows_of(X, calibration_rows);
    y_fit.resize(static_cast<Eigen::Index>(fit_rows.size()));
    y_cal_.resize(static_cast<Eigen::Index>(calibration_rows.size()));
    for (std::size_t i = 0; i < fit_rows.size(); ++i) y_fit[static_cast<Eigen::Index>(i)] = y[fit_rows[i]];
    for (std::size_t i = 0; i < calibration_rows.size(); ++i) y_cal_[static_cast<Eigen::Index>(i)] = y[calibration_rows[i]];

    std::vector<std::unique_ptr<cq::QuantileModel>> protos;
    for (const auto& name : models) protos.push_back(cq::make_quantile_model(name, k, features, bandwidth, seed + 1));
    auto cf = cq::cross_fit(protos, X_fit, y_fit, X_cal, MatX<double>(0, X.cols()), levels, folds);
    names = cf.names;
    oof = std::move(cf.oof);
    models_ = std::move(cf.fitted);
    if (global_) {
      global_->fit(oof, y_fit, levels);
      weights = global_->weights();
      max_lp_gap = global_->max_lp_gap();
    }
    if (!calibration_rows.empty()) {
      Q_cal_ = combine(cf.val);
      cq::cqr_calibrate(Q_cal_, y_cal_, MatX<double>(0, levels.size()), levels_, after_);  // its checks (a symmetric grid) at fit time
    }
  }

  MatX<double> predict(const MatX<double>& X) const {
    cq::BasePredictions Z;
    for (const auto& model : models_) Z.push_back(model->predict(X));
    const MatX<double> Q = combine(Z);
    return calibration_rows.empty() ? cq::monotonize(Q, after_) : cq::cqr_calibrate(Q_cal_, y_cal_, Q, levels_, after_);
  }

  std::vector<Eigen::Index> fit_rows, calibration_rows;
  VecX<double> y_fit;
  cq::BasePredictions oof;  ///< per base model, on the fit rows (in fit_rows' order)
  std::vector<std::string> names;
  MatX<double> weights;     ///< the global aggregator's (empty for average and median)
  double max_lp_gap = 0;

 private:
  MatX<double> combine(const cq::BasePredictions& Z) const {
    if (global_) return global_->predict(Z);
    return aggregator_ == "average" ? cq::average_aggregate(Z) : cq::median_aggregate(Z);
  }

  VecX<double> levels_;
  std::string aggregator_;
  cq::Monotonize after_;
  std::optional<cq::GlobalAggregator> global_;
  std::vector<std::unique_ptr<cq::QuantileModel>> models_;
  MatX<double> Q_cal_;  ///< the aggregate on the calibration rows, before calibration
  VecX<double> y_cal_;
};

}  // namespace

void bind_quantile(py::module_& m) {
  py::class_<Aggregation>(m, "Aggregation", "The fitted aggregation pipeline of QuantileAggregator (docs/python.md).")
      .def(py::init([](const MatX<double>& X, const VecX<double>& y, const VecX<double>& levels, const std::vector<std::string>& models,
                       Eigen::Index k, Eigen::Index features, double bandwidth, const std::string& aggregator,
                       const std::string& noncrossing, double calibration_fraction, int folds, unsigned long long seed) {
             py::gil_scoped_release release;
             return std::make_unique<Aggregation>(X, y, levels, models, k, features, bandwidth, aggregator, noncrossing,
                                                  calibration_fraction, folds, seed);
           }),
           py::arg("X"), py::arg("y"), py::arg("levels"), py::arg("models"), py::arg("k"), py::arg("features"),
           py::arg("bandwidth"), py::arg("aggregator"), py::arg("noncrossing"), py::arg("calibration_fraction"),
           py::arg("folds"), py::arg("seed"))
      .def("predict", [](const Aggregation& a, const MatX<double>& X) {
             py::gil_scoped_release release;
             return a.predict(X);
           })
      .def_readonly("fit_rows", &Aggregation::fit_rows)
      .def_readonly("calibration_rows", &Aggregation::calibration_rows)
      .def_readonly("y_fit", &Aggregation::y_fit)
      .def_readonly("oof", &Aggregation::oof)
      .def_readonly("names", &Aggregation::names)
      .def_readonly("weights", &Aggregation::weights)
      .def_readonly("max_lp_gap", &Aggregation::max_lp_gap);
  m.def("quantile_regression", [](const Eigen::MatrixXd& X, const Eigen::VectorXd& y, double tau, double l1,
                                  Eigen::Index first_penalized) {
          cq::QuantileRegressionResult r;
          {
            py::gil_scoped_release release;
            r = cq::quantile_regression(X, y, tau, {}, l1, first_penalized);
          }
          py::dict d = convlab::python::report_dict(r);  // certificate: the vertex's KKT residual or the LP's gap
          d["beta"] = r.beta;
          d["objective"] = r.objective;
          d["at_vertex"] = r.at_vertex();
          return d;
        }, py::arg("X"), py::arg("y"), py::arg("tau"), py::arg("l1") = 0.0, py::arg("first_penalized") = 0,
        "argmin_β Σ ρ_τ(y − Xβ) + l1·Σ_{j >= first_penalized} |β_j|, certified at a vertex when possible.");
  m.def("isotonic_fit", [](const Eigen::VectorXd& x, const Eigen::VectorXd& y, const Eigen::VectorXd& w, bool increasing) {
          return cq::isotonic_fit(x, y, w, increasing ? cq::Order::Increasing : cq::Order::Decreasing);
        }, py::arg("x"), py::arg("y"), py::arg("w"), py::arg("increasing") = true,
        "The isotonic fit of y on x (ties pooled), at every input point, by PAVA.");
}
