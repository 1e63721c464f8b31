"""Learning-rate schedules as callables ``lr(step)`` (the C++ factories, same validation),
``refine(norms, ...)``, ``last_iterate_bound(lrs, norms, D)`` and ``final_iterate_bound(lrs, norms,
final_norm, D)`` of the refined-schedules paper."""
from ._convlab import schedules as _impl

Schedule = _impl.Schedule
_names = ["constant", "cosine", "linear", "linear_decay", "warmup_cosine", "warmup_linear", "exponential",
          "inverse_sqrt", "polynomial", "step", "piecewise", "wsd", "one_cycle", "refined", "refine",
          "last_iterate_bound", "final_iterate_bound"]
globals().update({name: getattr(_impl, name) for name in _names})

__all__ = ["Schedule"] + _names
