"""convlab: the optimizers, schedules, federated runs and LV-HBA of the convlab C++ library, from
Python (docs/python.md); scikit-learn estimators in convlab.linear_model and convlab.quantile.

    import numpy as np, convlab
    w = np.zeros(10, dtype=np.float32)
    opt = convlab.optim.Lion([w], weight_decay=0.1)           # steps w in place, no copy
    lr = convlab.schedules.warmup_cosine(0.0, 1e-3, 100, 1000)
    opt.step([grad], lr(t))
"""
from ._convlab import __version__
from . import bilevel, federated, optim, schedules

__all__ = ["__version__", "bilevel", "federated", "optim", "schedules"]
