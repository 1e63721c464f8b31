# Shared by the scikit-learn peer scripts: the design X of a problem written by lasso_tool — a
# CSV (_X.csv), raw float64 column-major (_X.f64 with _shape.txt "n p"), or sparse (0-based int32
# rows _i.i32 and columns _j.i32, float64 values _x.f64, _shape.txt "n p nnz") as SciPy CSC.
import os

import numpy as np
import scipy.sparse


def read_design(d, name):
    shape = os.path.join(d, f"{name}_shape.txt")
    if not os.path.exists(shape):
        return np.asfortranarray(np.loadtxt(os.path.join(d, f"{name}_X.csv"), delimiter=",", ndmin=2))
    dims = [int(v) for v in open(shape).read().split()]
    raw = lambda suffix, dtype: np.fromfile(os.path.join(d, f"{name}{suffix}"), dtype=dtype)
    if len(dims) == 3:
        return scipy.sparse.csc_matrix((raw("_x.f64", "<f8"), (raw("_i.i32", "<i4"), raw("_j.i32", "<i4"))), shape=dims[:2])
    return raw("_X.f64", "<f8").reshape(dims, order="F")
