// convlab._convlab.bilevel: LV-HBA (bilevel/lvhba.hpp, lvhba_run) on the shipped toy problems with
// coupled lower-level constraints, for python/convlab/bilevel.py; histories as NumPy arrays.
#include <pybind11/eigen.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <convlab/bilevel/lvhba.hpp>
#include <convlab/bilevel/toy_problems.hpp>

namespace py = pybind11;
namespace cb = convlab::bilevel;
using convlab::VecX;

namespace {

template <class P>
py::dict run(const P& toy, const cb::LvhbaOptions& o, long long iterations, long long record_every, double start) {
  convlab::detail::require(record_every >= 1, "lvhba: record_every", record_every, ">= 1");
  const Eigen::Index n = toy.upper_dim(), m = toy.lower_dim(), l = toy.constraints();
  const cb::Lvhba<P> solver(o);
  cb::LvhbaState s{VecX<double>::Constant(n, start), VecX<double>::Constant(m, start), VecX<double>::Zero(l), VecX<double>::Constant(m, start),
                   VecX<double>::Zero(l)};
  solver.init(toy, s);
  std::vector<long long> k;
  std::vector<double> upper, x_error;
  VecX<double> x_star;
  if constexpr (requires { toy.x_star(); }) x_star = toy.x_star();
  cb::LvhbaSummary sum;
  {
    py::gil_scoped_release release;
    sum = cb::lvhba_run(toy, solver, s, iterations, 0.5, [&](const cb::LvhbaState& st) {
      if (st.k % record_every != 0 && st.k != iterations) return;
      k.push_back(st.k);
      upper.push_back(toy.upper_value(st.x, st.y));
      if (x_star.size()) x_error.push_back((st.x - x_star).norm() / x_star.norm());
    });
  }
  py::dict out;
  out["status"] = cb::to_string(sum.status);
  out["message"] = sum.message;
  out["iterations"] = sum.iterations;
  out["lambda_at_edge_fraction"] = sum.lambda_at_edge_fraction;
  out["k"] = k;
  out["upper_value"] = upper;
  if (x_star.size()) out["x_relative_error"] = x_error;
  out["x"] = s.x;
  out["y"] = s.y;
  out["z"] = s.z;
  return out;
}

}  // namespace

void bind_bilevel(py::module_& m) {
  m.def("lvhba_toy", [](const std::string& toy, long long iterations, long long record_every, double alpha, double beta, double eta,
                        double gamma1, double gamma2, double c0, double p, double box, double start, Eigen::Index n, Eigen::Index N,
                        Eigen::Index L, unsigned long long seed) {
          const cb::LvhbaOptions o{.alpha = alpha, .beta = beta, .eta = eta, .gamma1 = gamma1, .gamma2 = gamma2, .c0 = c0, .p = p, .box = box};
          if (toy == "llc") return run(cb::LlcToy(n), o, iterations, record_every, start);
          if (toy == "llsc") return run(cb::LlscToyProjectedTheta(N, L, seed), o, iterations, record_every, start);
          throw convlab::InvalidArgument("toy '" + toy + "' is not one of llc | llsc");
        },
        py::arg("toy"), py::arg("iterations"), py::arg("record_every"), py::arg("alpha"), py::arg("beta"), py::arg("eta"), py::arg("gamma1"),
        py::arg("gamma2"), py::arg("c0"), py::arg("p"), py::arg("box"), py::arg("start"), py::arg("n"), py::arg("N"), py::arg("L"),
        py::arg("seed"), "LV-HBA on a toy problem; see python/convlab/bilevel.py.");
}
