// convlab.schedules: every schedule of the C++ library as a callable lr(step), built by the same
// factory functions (the same validation and messages), plus refine() and the last-iterate
// bound of the refined-schedules paper (docs/schedules.md, docs/python.md).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <convlab/schedules/bound.hpp>
#include <convlab/schedules/cosine.hpp>
#include <convlab/schedules/exponential.hpp>
#include <convlab/schedules/inverse_sqrt.hpp>
#include <convlab/schedules/linear.hpp>
#include <convlab/schedules/one_cycle.hpp>
#include <convlab/schedules/piecewise.hpp>
#include <convlab/schedules/polynomial.hpp>
#include <convlab/schedules/refined.hpp>
#include <convlab/schedules/warmup.hpp>
#include <convlab/schedules/wsd.hpp>

namespace py = pybind11;
namespace cs = convlab::schedules;

namespace {

// A schedule held by value behind one Python type; `name` is what repr shows.
struct PySchedule {
  cs::AnySchedule lr;
  std::string name;
  double operator()(std::int64_t t) const { return lr(t); }
};

// A factory `make` (a captureless lambda, as a function pointer) as a Python function with the
// same arguments, returning the schedule with its name.
template <class... Args>
auto named(const char* name, cs::AnySchedule (*make)(Args...)) {
  return [name, make](Args... args) { return PySchedule{make(args...), name}; };
}
template <class F>
auto factory(const char* name, F make) {
  return named(name, +make);
}

}  // namespace

void bind_schedules(py::module_& m) {
  py::class_<PySchedule>(m, "Schedule", "A learning-rate schedule: call it with the 0-based step to get the lr.")
      .def("__call__", &PySchedule::operator(), py::arg("step"))
      .def("values", [](const PySchedule& s, std::int64_t n) {
        std::vector<double> v;
        for (std::int64_t t = 0; t < n; ++t) v.push_back(s(t));
        return v;
      }, py::arg("steps"), "lr(0), ..., lr(steps - 1)")
      .def("__repr__", [](const PySchedule& s) { return "<convlab schedule " + s.name + ">"; });

  m.def("constant", factory("constant", [](double lr) { return cs::AnySchedule(cs::constant(lr)); }), py::arg("lr"));
  m.def("cosine", factory("cosine", [](double lr, std::int64_t steps, double end, double exponent) {
          return cs::AnySchedule(cs::cosine(lr, steps, end, exponent));
        }), py::arg("lr"), py::arg("steps"), py::arg("end") = 0.0, py::arg("exponent") = 1.0);
  m.def("linear", factory("linear", [](double init, double end, std::int64_t steps, std::int64_t begin) {
          return cs::AnySchedule(cs::linear(init, end, steps, begin));
        }), py::arg("init"), py::arg("end"), py::arg("steps"), py::arg("begin") = 0);
  m.def("linear_decay", factory("linear_decay", [](double lr, std::int64_t steps, double end) {
          return cs::AnySchedule(cs::linear_decay(lr, steps, end));
        }), py::arg("lr"), py::arg("steps"), py::arg("end") = 0.0);
  m.def("warmup_cosine", factory("warmup_cosine", [](double init, double peak, std::int64_t warmup_steps, std::int64_t total_steps, double end) {
          return cs::AnySchedule(cs::warmup_cosine(init, peak, warmup_steps, total_steps, end));
        }), py::arg("init"), py::arg("peak"), py::arg("warmup_steps"), py::arg("total_steps"), py::arg("end") = 0.0);
  m.def("warmup_linear", factory("warmup_linear", [](double init, double peak, std::int64_t warmup_steps, std::int64_t total_steps, double end) {
          return cs::AnySchedule(cs::warmup_linear(init, peak, warmup_steps, total_steps, end));
        }), py::arg("init"), py::arg("peak"), py::arg("warmup_steps"), py::arg("total_steps"), py::arg("end") = 0.0);
  m.def("exponential", factory("exponential", [](double lr, double rate, std::int64_t steps, std::int64_t begin, bool staircase, double end) {
          return cs::AnySchedule(cs::exponential(lr, rate, steps, begin, staircase, end));
        }), py::arg("lr"), py::arg("rate"), py::arg("steps"), py::arg("begin") = 0, py::arg("staircase") = false, py::arg("end") = 0.0);
  m.def("inverse_sqrt", factory("inverse_sqrt", [](double lr, std::int64_t warmup_steps, double timescale) {
          return cs::AnySchedule(cs::inverse_sqrt(lr, warmup_steps, timescale));
        }), py::arg("lr"), py::arg("warmup_steps") = 0, py::arg("timescale") = 0.0);
  m.def("polynomial", factory("polynomial", [](double lr, double end, double power, std::int64_t steps, std::int64_t begin) {
          return cs::AnySchedule(cs::polynomial(lr, end, power, steps, begin));
        }), py::arg("lr"), py::arg("end"), py::arg("power"), py::arg("steps"), py::arg("begin") = 0);
  m.def("step", factory("step", [](double lr, std::int64_t step_size, double gamma) {
          return cs::AnySchedule(cs::step(lr, step_size, gamma));
        }), py::arg("lr"), py::arg("step_size"), py::arg("gamma") = 0.1);
  m.def("piecewise", factory("piecewise", [](double lr, std::vector<std::int64_t> boundaries, std::vector<double> scales) {
          return cs::AnySchedule(cs::piecewise(lr, std::move(boundaries), std::move(scales)));
        }), py::arg("lr"), py::arg("boundaries"), py::arg("scales"));
  m.def("wsd", factory("wsd", [](double lr, std::int64_t total_steps, std::int64_t warmup_steps, double cooldown_fraction,
                                 const std::string& shape, double init) {
          if (shape != "linear" && shape != "sqrt") throw py::value_error("wsd: shape = '" + shape + "' is not one of: linear | sqrt");
          return cs::AnySchedule(cs::wsd(lr, total_steps, warmup_steps, cooldown_fraction,
                                         shape == "linear" ? cs::CooldownShape::Linear : cs::CooldownShape::Sqrt, init));
        }), py::arg("lr"), py::arg("total_steps"), py::arg("warmup_steps"), py::arg("cooldown_fraction") = 0.2,
        py::arg("shape") = "linear", py::arg("init") = 0.0);
  m.def("one_cycle", factory("one_cycle", [](double lr, std::int64_t total_steps, const std::string& shape, double pct_start,
                                             double div, double final_div, double pct_final) {
          if (shape != "cosine" && shape != "linear") throw py::value_error("one_cycle: shape = '" + shape + "' is not one of: cosine | linear");
          return cs::AnySchedule(cs::one_cycle(lr, total_steps, shape == "cosine" ? cs::OneCycleShape::Cosine : cs::OneCycleShape::Linear,
                                               pct_start, div, final_div, pct_final));
        }), py::arg("lr"), py::arg("total_steps"), py::arg("shape") = "cosine", py::arg("pct_start") = 0.3, py::arg("div") = 25.0,
        py::arg("final_div") = 1e4, py::arg("pct_final") = 0.85);
  m.def("refined", factory("refined", [](std::vector<double> shape, double peak, std::int64_t total_steps) {
          return cs::AnySchedule(cs::refined(std::move(shape), peak, total_steps));
        }), py::arg("shape"), py::arg("peak"), py::arg("total_steps"),
        "The refined schedule: the shape from refine(), scaled to `peak`, stretched over total_steps.");

  m.def("refine", [](const std::vector<double>& norms, const py::kwargs& kw) {
          cs::RefineOptions o;
          convlab::for_each_field<cs::RefineOptions>([&](const auto& f) {
            if (kw.contains(std::string(f.name))) o.*(f.member) = kw[std::string(f.name).c_str()].template cast<typename std::decay_t<decltype(f)>::value_type>();
          });
          for (const auto& item : kw) {
            bool known = false;
            const auto key = item.first.cast<std::string>();
            convlab::for_each_field<cs::RefineOptions>([&](const auto& f) { known = known || key == f.name; });
            if (!known) throw py::type_error("refine() got an unexpected keyword argument '" + key + "'; known: tau, resample, q, drop_edges");
          }
          o.validate();
          return cs::refine(norms, o);
        }, py::arg("norms"),
        "The refined shape from a run's gradient norms (one per step): refine(norms, tau=0.1, resample=10000, q=2, drop_edges=2).");
  m.def("last_iterate_bound", [](const std::vector<double>& lrs, const std::vector<double>& norms, double D) {
          return cs::last_iterate_bound(lrs, norms, D);
        }, py::arg("lrs"), py::arg("norms"), py::arg("D"),
        "The refined-schedules paper's bound on f(x_T) − f(x*) for steps lrs, gradient norms and distance D.");
  m.def("final_iterate_bound", [](const std::vector<double>& lrs, const std::vector<double>& norms, double final_norm, double D) {
          const auto b = cs::final_iterate_bound(lrs, norms, final_norm, D);
          py::dict d;
          d["value"] = b.value;
          d["at_zero_distance"] = b.at_zero_distance;
          d["per_squared_distance"] = b.per_squared_distance;
          d["extra_step"] = b.extra_step;
          return d;
        }, py::arg("lrs"), py::arg("norms"), py::arg("final_norm"), py::arg("D"),
        "The bound on the iterate after every step of lrs (final_norm: the gradient norm there): a dict with value = "
        "at_zero_distance + per_squared_distance * D**2 and the free last step extra_step it was evaluated at.");
}
