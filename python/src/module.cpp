// The extension module `convlab._convlab`: its submodules `optim` and `schedules` are re-exported
// by the pure-Python package python/convlab/. Library errors need no translation: a
// convlab::InvalidArgument (a rule broken, sizes that differ, a damaged state file) is a
// std::invalid_argument, which pybind11 raises as ValueError with the C++ message unchanged.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void bind_optim(py::module_& m);
void bind_schedules(py::module_& m);
void bind_linear_model(py::module_& m);
void bind_quantile(py::module_& m);
void bind_federated(py::module_& m);
void bind_bilevel(py::module_& m);
void bind_ordinal(py::module_& m);

PYBIND11_MODULE(_convlab, m) {
  m.doc() = "convlab: optimizers and schedules of the C++ library (docs/python.md)";
  m.attr("__version__") = CONVLAB_VERSION;
  auto optim = m.def_submodule("optim", "Optimizers stepping NumPy arrays in place");
  bind_optim(optim);
  auto schedules = m.def_submodule("schedules", "Learning-rate schedules as callables lr(step)");
  bind_schedules(schedules);
  auto linear_model = m.def_submodule("linear_model", "Certified lasso, elastic-net and logistic solvers");
  bind_linear_model(linear_model);
  auto quantile = m.def_submodule("quantile", "Certified quantile regression and isotonic regression");
  bind_quantile(quantile);
  auto federated = m.def_submodule("federated", "FedAU and its baselines over clients given as arrays, and partitions");
  bind_federated(federated);
  auto bilevel = m.def_submodule("bilevel", "LV-HBA on the toy problems with coupled lower-level constraints");
  bind_bilevel(bilevel);
  auto ordinal = m.def_submodule("ordinal", "PRESTO and proportional odds for ordinal outcomes");
  bind_ordinal(ordinal);
}
