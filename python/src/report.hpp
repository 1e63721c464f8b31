// The common part of every solver's result (convlab::optim::Report) as a Python dict, so the
// estimators read status, iterations, seconds and the certificate under the same keys.
#pragma once
#include <pybind11/pybind11.h>

#include <convlab/optim/summary.hpp>

namespace convlab::python {

inline pybind11::dict report_dict(const convlab::optim::Report& r) {
  namespace co = convlab::optim;
  pybind11::dict d;
  d["status"] = co::to_string(r.status);
  d["message"] = r.message;
  d["converged"] = r.converged();
  d["iterations"] = r.iterations;
  d["seconds"] = r.seconds;
  d["certificate_kind"] = co::to_string(r.certificate.kind);
  d["certificate"] = r.certificate.value;  // the relative duality gap or the KKT residual
  d["primal"] = r.certificate.primal;
  d["dual"] = r.certificate.dual;
  return d;
}

}  // namespace convlab::python
