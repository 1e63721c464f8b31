"""LV-HBA from Python (docs/python.md, docs/bilevel.md): the bilevel method for lower levels with
coupled constraints, on the shipped toy problems, with its history as NumPy arrays.

    run = convlab.bilevel.lvhba_toy("llc", n=100, iterations=20000, box=2.0)
    run["k"], run["upper_value"], run["x_relative_error"], run["status"]

``box`` bounds the multipliers: it must exceed the largest one (1 on "llc"), or the run reports
``"multiplier_bound_active"`` and its point may be wrong.
"""
import numpy as np

from ._convlab import bilevel as _impl

__all__ = ["lvhba_toy"]


def lvhba_toy(toy="llc", iterations=10000, record_every=100, alpha=5e-3, beta=2e-3, eta=3e-2, gamma1=10.0,
              gamma2=1.0, c0=1.0, p=0.3, box=1.0, start=0.0, n=100, N=100, L=90, seed=1):
    """Runs LV-HBA (options as ``LvhbaOptions``) from the constant point ``start`` on

    - ``"llc"``: the toy with a non-singleton lower-level solution set and x* = −0.3·1 (size ``n``);
      the history includes ``x_relative_error`` = ‖x − x*‖/‖x*‖;
    - ``"llsc"``: the strongly convex toy with ``N`` variables and ``L`` constraints, drawn from ``seed``.

    Returns status ("completed", "multiplier_bound_active" — raise ``box`` —, "non_finite"),
    message, iterations, k, upper_value (and x_relative_error) every ``record_every`` iterations
    and at the end, and the final x, y, z."""
    out = _impl.lvhba_toy(toy, int(iterations), int(record_every), float(alpha), float(beta), float(eta), float(gamma1),
                          float(gamma2), float(c0), float(p), float(box), float(start), int(n), int(N), int(L), int(seed))
    for key in ("k", "upper_value", "x_relative_error"):
        if key in out:
            out[key] = np.asarray(out[key])
    return out
