"""Optimizers that step float32/float64 NumPy arrays in place through the C++ code.

SGD, AdamW and Lion (Lion-κ: ``kappa="sign" | "huber" | "l2" | "linf" | "lp" | "relativistic"
| "dead_zone" | "log_cosh" | "quadratic" | "nuclear"``, with the κ's own ``delta``, ``p`` or
``beta``). Parameters are a list of arrays or of groups ``{"params": [...], "weight_decay": 0,
"lr_scale": 0.5, ...}``; keyword arguments are the C++ options' field names.

``transforms=[ClipByGlobalNorm(1.0), Accumulate(4), ParamAverage("ema", 0.99), ...]`` runs the
gradient transforms in order on a copy of the gradients before the step (the caller's arrays
are not changed) and the parameter averages after it, as the C++ ``chain`` does; ``step``
returns False while ``Accumulate`` collects, and ``averaged_params()`` returns the average.
"""
from ._convlab import optim as _impl

SGD = _impl.SGD
AdamW = _impl.AdamW
Lion = _impl.Lion
ClipByGlobalNorm = _impl.ClipByGlobalNorm
ClipByValue = _impl.ClipByValue
Accumulate = _impl.Accumulate
ParamAverage = _impl.ParamAverage

__all__ = ["SGD", "AdamW", "Lion", "ClipByGlobalNorm", "ClipByValue", "Accumulate", "ParamAverage"]
