// convlab.optim: the C++ optimizers stepping NumPy arrays in place (docs/python.md). A thin
// layer: keyword arguments are the options' declared fields (core/fields.hpp), parameter groups
// are optim::ParamGroups, the step is the C++ step on the arrays' own memory.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <convlab/optim/adamw.hpp>
#include <convlab/optim/any_kappa.hpp>
#include <convlab/optim/chain.hpp>
#include <convlab/optim/lion_k.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/optim/state_io.hpp>
#include <convlab/optim/transform_list.hpp>

#include <set>
#include <sstream>
#include <variant>

namespace py = pybind11;
namespace co = convlab::optim;

namespace {

std::string shape_of(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

template <class S>
constexpr const char* dtype_name() {
  return std::is_same_v<S, float> ? "float32" : "float64";
}

// An array as a tensor of its own memory. A C-contiguous array of shape (d0, d1, ...) is the
// column-major (d1·d2·…) × d0 matrix — its transpose, which the nuclear κ treats alike, since
// msign(Wᵀ) = msign(W)ᵀ; an F-contiguous 2-D array is (d0, d1) as it is.
template <class T>
co::Tensor<T> tensor_of(const py::array& a, const std::string& what) {
  using S = std::remove_const_t<T>;
  if (!py::isinstance<py::array_t<S>>(a))
    throw py::type_error(what + " has dtype " + std::string(py::str(a.dtype())) + "; this optimizer steps " +
                         dtype_name<S>() + " (all parameters and gradients of one optimizer share the dtype of the first parameter)");
  const bool c = a.flags() & py::array::c_style, f = a.flags() & py::array::f_style;
  if (!c && !f) throw py::value_error(what + " is not contiguous; pass numpy.ascontiguousarray(...) and step that array");
  if constexpr (!std::is_const_v<T>) {
    if (!a.writeable()) throw py::value_error(what + " is read-only; the optimizer updates parameters in place");
  }
  auto* data = static_cast<T*>(const_cast<void*>(a.data()));
  if (a.ndim() == 2 && f && !c) return {data, a.shape(0), a.shape(1)};
  if (a.ndim() <= 1) return {data, static_cast<Eigen::Index>(a.size()), 1};
  return {data, static_cast<Eigen::Index>(a.size() / a.shape(0)), a.shape(0)};
}

// Keyword arguments into a declared options struct; unknown keys are left for the caller.
template <class Options>
void read_fields(Options& o, const py::dict& kw, std::set<std::string>& used) {
  convlab::for_each_field<Options>([&](const auto& f) {
    const std::string key(f.name);
    if (!kw.contains(key)) return;
    using T = typename std::decay_t<decltype(f)>::value_type;
    try {
      o.*(f.member) = kw[key.c_str()].template cast<T>();
    } catch (const py::cast_error&) {
      throw py::type_error("'" + key + "' must be a " + (std::is_same_v<T, bool> ? "bool" : std::is_integral_v<T> ? "int" : "float") +
                           ", not " + std::string(py::str(kw[key.c_str()].get_type().attr("__name__"))));
    }
    used.insert(key);
  });
}

void refuse_unknown(const py::dict& kw, const std::set<std::string>& used, const std::string& who, const std::string& known) {
  for (const auto& item : kw) {
    const auto key = item.first.cast<std::string>();
    if (!used.count(key)) throw py::type_error(who + "() got an unexpected keyword argument '" + key + "'; known: " + known);
  }
}

template <class Options>
std::string field_names() {
  std::string s;
  convlab::for_each_field<Options>([&](const auto& f) { s += (s.empty() ? "" : ", ") + std::string(f.name); });
  return s;
}

// How each optimizer family reads its options (and κ) from keyword arguments.
// An optimizer whose keyword arguments are exactly its Options' declared fields.
template <class Options, template <class> class Optimizer, const char* Name>
struct PlainFamily {
  static constexpr const char* name = Name;
  template <class S> using Opt = Optimizer<S>;
  template <class S>
  static Opt<S> make(const py::dict& kw, std::set<std::string>& used, const Opt<S>* base) {
    Options o = base ? base->options() : Options{};
    read_fields(o, kw, used);
    return Opt<S>(o);
  }
  static std::string known() { return field_names<Options>() + ", lr_scale, transforms"; }
};
constexpr char kSgd[] = "SGD", kAdamW[] = "AdamW";
using SgdFamily = PlainFamily<co::SgdOptions, co::Sgd, kSgd>;
using AdamWFamily = PlainFamily<co::AdamWOptions, co::AdamW, kAdamW>;
struct LionFamily {
  static constexpr const char* name = "Lion";
  template <class S> using Opt = co::LionK<S, co::AnyKappa>;
  template <class S>
  static Opt<S> make(const py::dict& kw, std::set<std::string>& used, const Opt<S>* base) {
    co::LionOptions o = base ? base->options() : co::LionOptions{};
    read_fields(o, kw, used);
    co::AnyKappa kappa = base ? base->kappa() : co::AnyKappa{};
    if (kw.contains("kappa")) {
      const auto name = kw["kappa"].cast<std::string>();
      used.insert("kappa");
      const bool found = co::with_kappa_named(name, [&](const auto& entry) {
        typename std::decay_t<decltype(entry)>::type k{};
        read_fields(k, kw, used);
        kappa = co::AnyKappa(k);
      });
      if (!found) {
        std::string names;
        std::apply([&](const auto&... e) { ((names += (names.empty() ? "" : " | ") + std::string(e.name)), ...); }, co::kappa_names);
        throw py::value_error("kappa = '" + name + "' is not one of: " + names);
      }
    }
    return Opt<S>(o, kappa);
  }
  static std::string known() { return field_names<co::LionOptions>() + ", kappa (and its delta, p or beta), lr_scale, transforms"; }
};

// One optimizer over the arrays of its groups, for one dtype; with transforms, the optimizer
// inside a chain (chain.hpp) over a run-time TransformList.
template <class Family, class S, bool Chained>
class Stepper {
 public:
  using Scalar = S;
  using O = typename Family::template Opt<S>;
  using Runner = std::conditional_t<Chained, co::Chain<O, co::TransformList>, O>;
  using State = decltype(std::declval<const Runner&>().init(std::declval<const co::ParamGroups<O>&>()));

  Stepper(O opt, co::TransformList transforms, std::vector<std::vector<py::array>> arrays, std::vector<std::optional<O>> own,
          std::vector<double> scales)
      : runner_(make_runner(std::move(opt), std::move(transforms))), arrays_(std::move(arrays)) {
    for (std::size_t i = 0; i < arrays_.size(); ++i) {
      co::ParamGroup<O> g{.params = {}, .optimizer = std::move(own[i]), .lr_scale = scales[i]};
      for (std::size_t j = 0; j < arrays_[i].size(); ++j)
        g.params.push_back(tensor_of<S>(arrays_[i][j], "parameter " + std::to_string(count_++)));
      groups_.push_back(std::move(g));
    }
    state_ = runner_.init(groups_);
    grads_.resize(static_cast<std::size_t>(count_), co::Tensor<const S>(nullptr, 0, 1));
  }

  bool step(const std::vector<py::array>& grads, double lr) {
    if (grads.size() != static_cast<std::size_t>(count_))
      throw py::value_error(std::string(Family::name) + ".step: " + std::to_string(grads.size()) + " gradients for " +
                            std::to_string(count_) + " parameters (one per parameter, in the order given)");
    std::size_t k = 0;
    for (const auto& group : arrays_)
      for (const auto& p : group) {
        const auto& g = grads[k];
        if (g.ndim() != p.ndim() || !std::equal(g.shape(), g.shape() + g.ndim(), p.shape()))
          throw py::value_error("gradient " + std::to_string(k) + " has shape " + shape_of(g) + ", its parameter " + shape_of(p));
        grads_[k] = tensor_of<const S>(g, "gradient " + std::to_string(k));
        // The same memory order as the parameter, so the two views line up value by value.
        if ((p.flags() & py::array::c_style) != (g.flags() & py::array::c_style) && p.ndim() > 1)
          throw py::value_error("gradient " + std::to_string(k) + " is stored in another order (C or Fortran) than its parameter");
        ++k;
      }
    py::gil_scoped_release release;
    if constexpr (Chained) {
      return runner_.step(groups_, grads_, state_, static_cast<S>(lr));
    } else {
      runner_.step(groups_, grads_, state_, static_cast<S>(lr));
      return true;
    }
  }
  void save(const std::string& path) const { co::save_state(path, runner_, groups_, state_); }
  void load(const std::string& path) { co::load_state(path, runner_, groups_, state_); }
  std::vector<py::array> params() const {
    std::vector<py::array> all;
    for (const auto& g : arrays_) all.insert(all.end(), g.begin(), g.end());
    return all;
  }
  // Copies of the averaged parameters kept by the (last) ParamAverage transform, shaped and
  // ordered as the parameters.
  std::vector<py::array> averaged() const {
    const co::ParamAverage::State<S>* avg = nullptr;
    if constexpr (Chained)
      for (const auto& item : std::get<0>(state_.transforms).items)
        if (const auto* a = std::get_if<co::ParamAverage::State<S>>(&item)) avg = a;
    if (!avg)
      throw py::value_error(std::string(Family::name) + ".averaged_params: no ParamAverage among this optimizer's transforms");
    std::vector<py::array> out;
    std::size_t k = 0;
    for (const auto& group : arrays_)
      for (const auto& p : group) {
        const bool fortran = p.ndim() > 1 && !(p.flags() & py::array::c_style);
        std::vector<py::ssize_t> shape(p.shape(), p.shape() + p.ndim());
        py::array a = fortran ? py::array(py::array_t<S, py::array::f_style>(shape)) : py::array(py::array_t<S, py::array::c_style>(shape));
        std::copy_n(avg->average[k].data(), avg->average[k].size(), static_cast<S*>(a.mutable_data()));
        out.push_back(a);
        ++k;
      }
    return out;
  }

 private:
  static Runner make_runner(O opt, co::TransformList transforms) {
    if constexpr (Chained) return Runner(std::move(transforms), std::move(opt));
    else return opt;
  }

  Runner runner_;
  std::vector<std::vector<py::array>> arrays_;  // keeps the parameters alive
  co::ParamGroups<O> groups_;
  State state_;
  std::vector<co::Tensor<const S>> grads_;
  long long count_ = 0;
};

// The Python class: parameters as a list of arrays or of groups {"params": [...], key: value},
// options as keyword arguments; the dtype of the first parameter chooses float or double.
template <class Family>
class PyOptimizer {
 public:
  PyOptimizer(const py::iterable& params, const py::kwargs& kwargs) : impl_(create(params, kwargs)) {}

  bool step(const py::iterable& grads, double lr) {
    std::vector<py::array> g;
    for (const auto& a : grads) g.push_back(as_array(a));
    return std::visit([&](auto& s) { return s.step(g, lr); }, impl_);
  }
  void save(const std::string& path) const { std::visit([&](const auto& s) { s.save(path); }, impl_); }
  void load(const std::string& path) { std::visit([&](auto& s) { s.load(path); }, impl_); }
  std::vector<py::array> params() const { return std::visit([](const auto& s) { return s.params(); }, impl_); }
  std::vector<py::array> averaged() const { return std::visit([](const auto& s) { return s.averaged(); }, impl_); }
  std::string dtype() const {
    return std::visit([](const auto& s) { return std::string(dtype_name<typename std::decay_t<decltype(s)>::Scalar>()); }, impl_);
  }

 private:
  using Impl = std::variant<Stepper<Family, float, false>, Stepper<Family, float, true>, Stepper<Family, double, false>,
                            Stepper<Family, double, true>>;

  static Impl create(const py::iterable& params, const py::kwargs& kwargs) {
    std::vector<py::dict> groups;
    std::vector<py::array> loose;
    for (const auto& item : params) {
      if (py::isinstance<py::dict>(item)) groups.push_back(item.cast<py::dict>());
      else loose.push_back(as_array(item));
    }
    if (!loose.empty() && !groups.empty())
      throw py::type_error(std::string(Family::name) + "(): give a list of arrays or a list of groups (dicts), not both");
    if (!loose.empty()) {
      py::dict g;
      g["params"] = loose;
      groups.push_back(g);
    }
    if (groups.empty()) throw py::value_error(std::string(Family::name) + "(): no parameters given");
    py::dict defaults = kwargs;
    co::TransformList transforms;
    const bool chained = defaults.contains("transforms");
    if (chained) {
      for (const auto& t : defaults["transforms"].cast<py::iterable>()) transforms.items.push_back(as_transform(t));
      PyDict_DelItemString(defaults.ptr(), "transforms");
    }
    std::vector<std::vector<py::array>> arrays;
    for (const auto& g : groups) {
      if (!g.contains("params")) throw py::value_error(std::string(Family::name) + "(): a group without 'params'");
      std::vector<py::array> list;
      for (const auto& a : g["params"].cast<py::iterable>()) list.push_back(as_array(a));
      if (list.empty()) throw py::value_error(std::string(Family::name) + "(): a group with no parameters");
      arrays.push_back(std::move(list));
    }
    const bool single = py::isinstance<py::array_t<float>>(arrays[0][0]);
    if (single && chained) return build<float, true>(defaults, std::move(transforms), groups, std::move(arrays));
    if (single) return build<float, false>(defaults, {}, groups, std::move(arrays));
    if (chained) return build<double, true>(defaults, std::move(transforms), groups, std::move(arrays));
    return build<double, false>(defaults, {}, groups, std::move(arrays));
  }

  static co::AnyTransform as_transform(const py::handle& h) {
    if (py::isinstance<co::ClipByGlobalNorm>(h)) return h.cast<co::ClipByGlobalNorm>();
    if (py::isinstance<co::ClipByValue>(h)) return h.cast<co::ClipByValue>();
    if (py::isinstance<co::Accumulate>(h)) return h.cast<co::Accumulate>();
    if (py::isinstance<co::ParamAverage>(h)) return h.cast<co::ParamAverage>();
    throw py::type_error(std::string(Family::name) + "(): transforms takes ClipByGlobalNorm, ClipByValue, Accumulate and "
                         "ParamAverage objects, not " + std::string(py::str(h.get_type().attr("__name__"))));
  }

  static py::array as_array(const py::handle& h) {
    if (!py::isinstance<py::array>(h))
      throw py::type_error(std::string(Family::name) + ": expected a numpy array, got " +
                           std::string(py::str(h.get_type().attr("__name__"))) + " (arrays are stepped in place, never copied)");
    return py::reinterpret_borrow<py::array>(h);
  }

  template <class S, bool Chained>
  static Stepper<Family, S, Chained> build(const py::dict& defaults, co::TransformList transforms,
                                           const std::vector<py::dict>& groups, std::vector<std::vector<py::array>> arrays) {
    using O = typename Family::template Opt<S>;
    std::set<std::string> used;
    O base = Family::template make<S>(defaults, used, nullptr);
    refuse_unknown(defaults, used, Family::name, Family::known());
    std::vector<std::optional<O>> own;
    std::vector<double> scales;
    for (const auto& g : groups) {
      py::dict options;
      double scale = 1.0;
      for (const auto& item : g) {
        const auto key = item.first.cast<std::string>();
        if (key == "params") continue;
        if (key == "transforms")
          throw py::value_error(std::string(Family::name) + "(): transforms apply to all groups together; give them as a keyword argument of the optimizer");
        if (key == "lr_scale") scale = item.second.cast<double>();
        else options[item.first] = item.second;
      }
      std::set<std::string> group_used;
      if (options.empty()) {
        own.emplace_back();
      } else {
        own.emplace_back(Family::template make<S>(options, group_used, &base));
        refuse_unknown(options, group_used, Family::name, Family::known());
      }
      scales.push_back(scale);
    }
    return Stepper<Family, S, Chained>(std::move(base), std::move(transforms), std::move(arrays), std::move(own), std::move(scales));
  }

  Impl impl_;
};

template <class Family>
void bind_optimizer(py::module_& m, const char* doc) {
  py::class_<PyOptimizer<Family>>(m, Family::name, doc)
      .def(py::init<const py::iterable&, const py::kwargs&>(), py::arg("params"))
      .def("step", &PyOptimizer<Family>::step, py::arg("grads"), py::arg("lr"),
           "Steps every parameter in place with its gradient (same order as the parameters) at learning rate lr. "
           "Returns False when an Accumulate transform only collected the gradients.")
      .def("save", &PyOptimizer<Family>::save, py::arg("path"), "Writes the optimizer state atomically (checked on load).")
      .def("load", &PyOptimizer<Family>::load, py::arg("path"),
           "Restores a state saved by the same optimizer, options, groups and shapes; all or nothing.")
      .def_property_readonly("params", &PyOptimizer<Family>::params, "The parameter arrays, in order.")
      .def("averaged_params", &PyOptimizer<Family>::averaged,
           "Copies of the averaged parameters kept by the ParamAverage transform (EMA or Polyak), in order.")
      .def_property_readonly("dtype", &PyOptimizer<Family>::dtype);
}

}  // namespace

template <class T>
T validated(T t) {
  t.validate();
  return t;
}

template <class T>
py::class_<T> bind_transform(py::module_& m, const char* doc) {
  py::class_<T> c(m, std::string(T::type_name).c_str(), doc);
  convlab::for_each_field<T>([&](const auto& f) { c.def_readonly(std::string(f.name).c_str(), f.member); });
  c.def("__repr__", [](const T& t) {
    std::ostringstream os;
    co::describe_transform(os, t);
    return os.str().substr(1);
  });
  // Picklable (torch.save of a state_dict holds the groups' transforms): the declared fields, then ParamAverage's kind.
  c.def(py::pickle(
      [](const T& t) {
        py::list values;
        convlab::for_each_field<T>([&](const auto& f) { values.append(t.*(f.member)); });
        if constexpr (std::is_same_v<T, co::ParamAverage>) values.append(t.kind == co::ParamAverage::Kind::Ema ? "ema" : "polyak");
        return py::tuple(values);
      },
      [](const py::tuple& values) {
        T t{};
        std::size_t i = 0;
        convlab::for_each_field<T>([&](const auto& f) {
          t.*(f.member) = values[i++].template cast<typename std::decay_t<decltype(f)>::value_type>();
        });
        if constexpr (std::is_same_v<T, co::ParamAverage>)
          t.kind = values[i].cast<std::string>() == "ema" ? co::ParamAverage::Kind::Ema : co::ParamAverage::Kind::Polyak;
        return validated(t);
      }));
  return c;
}
void bind_transforms(py::module_& m) {
  bind_transform<co::ClipByGlobalNorm>(m, "Scales all gradients together down to a global norm of at most max_norm (optax.clip_by_global_norm).")
      .def(py::init([](double max_norm) { return validated(co::ClipByGlobalNorm{max_norm}); }), py::arg("max_norm") = 1.0);
  bind_transform<co::ClipByValue>(m, "Clamps every gradient value to [-limit, limit] (optax.clip).")
      .def(py::init([](double limit) { return validated(co::ClipByValue{limit}); }), py::arg("limit") = 1.0);
  bind_transform<co::Accumulate>(m, "Sums `every` gradients; the optimizer steps on their mean on every `every`-th call (optax.MultiSteps).")
      .def(py::init([](long long every) { return validated(co::Accumulate{every}); }), py::arg("every") = 1);
  bind_transform<co::ParamAverage>(m, "After each step, an average of the iterates: kind='ema' (a <- decay*a + (1-decay)*x) "
                                      "or 'polyak' (their mean); read it with averaged_params().")
      .def(py::init([](const std::string& kind, double decay) {
             if (kind != "ema" && kind != "polyak") throw py::value_error("kind = '" + kind + "' is not one of: ema | polyak");
             return validated(co::ParamAverage{.kind = kind == "ema" ? co::ParamAverage::Kind::Ema : co::ParamAverage::Kind::Polyak,
                                               .decay = decay});
           }),
           py::arg("kind") = "ema", py::arg("decay") = 0.999)
      .def_property_readonly("kind", [](const co::ParamAverage& t) { return t.kind == co::ParamAverage::Kind::Ema ? "ema" : "polyak"; });
}

void bind_optim(py::module_& m) {
  bind_transforms(m);
  bind_optimizer<SgdFamily>(m, "SGD with heavy-ball or Nesterov momentum (torch.optim.SGD's step): "
                               "SGD(params, momentum=0, dampening=0, weight_decay=0, nesterov=False).");
  bind_optimizer<AdamWFamily>(m, "AdamW (torch.optim.AdamW's step): AdamW(params, beta1=0.9, beta2=0.999, eps=1e-8, "
                                 "weight_decay=1e-2, amsgrad=False).");
  bind_optimizer<LionFamily>(m, "Lion-κ (Chen et al. 2024): Lion(params, beta1=0.9, beta2=0.99, weight_decay=0, "
                                "kappa='sign', and the κ's own delta, p or beta).");
}
