"""Optimizers that step float32/float64 NumPy arrays in place through the C++ code.

SGD, AdamW and Lion (Lion-κ: ``kappa="sign" | "huber" | "l2" | "linf" | "lp" | "relativistic"
| "dead_zone" | "log_cosh" | "quadratic" | "nuclear"``, with the κ's own ``delta``, ``p`` or
``beta``). Parameters are a list of arrays or of groups ``{"params": [...], "weight_decay": 0,
"lr_scale": 0.5, ...}``; keyword arguments are the C++ options' field names.
"""
from ._convlab import optim as _impl

SGD = _impl.SGD
AdamW = _impl.AdamW
Lion = _impl.Lion

__all__ = ["SGD", "AdamW", "Lion"]
