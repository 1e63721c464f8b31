# scikit-learn's coordinate descent (Lasso; the path by warm starts) on the problems written by lasso_tool:
# for each tolerance of a ladder, the median time of one λ and of the 50-λ path, and the
# coefficients (certified by lasso_tool gap). Objective: 1/(2n)·‖y − Xw‖² + α‖w‖₁, no intercept.
import os, sys, warnings
import numpy as np
from sklearn.linear_model import Lasso
from sklearn.exceptions import ConvergenceWarning

from problem_io import read_design
from timing import timed

warnings.simplefilter("ignore", ConvergenceWarning)
d, name, out = sys.argv[1], sys.argv[2], sys.argv[3]  # [LADDER: comma-separated tolerances]
X = read_design(d, name)
y = np.loadtxt(os.path.join(d, f"{name}_y.csv"), delimiter=",")
lam = float(np.loadtxt(os.path.join(d, f"{name}_lambda.txt")))
grid = np.loadtxt(os.path.join(d, f"{name}_path.txt"))

ladder = [float(t) for t in sys.argv[4].split(",")] if len(sys.argv) > 4 else [1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12]
for tol in ladder:
    one = lambda: Lasso(alpha=lam, fit_intercept=False, tol=tol, max_iter=1000000).fit(X, y)
    def path():  # warm-started Lasso over the grid (sklearn 1.2's lasso_path fails on this p > n input:
        # "ndarray is not Fortran contiguous"); returns (alphas, coefs p × 50) like lasso_path
        m = Lasso(alpha=grid[0], fit_intercept=False, tol=tol, max_iter=1000000, warm_start=True)
        coefs = []
        for a in grid:
            m.set_params(alpha=a)
            coefs.append(m.fit(X, y).coef_.copy())
        return grid, np.array(coefs).T, None
    t1, t2 = timed(one), timed(path)
    np.savetxt(os.path.join(out, f"sklearn_{name}_one_{tol:g}.csv"), np.hstack([[lam], one().coef_])[None, :], delimiter=",")
    alphas, coefs, _ = path()
    np.savetxt(os.path.join(out, f"sklearn_{name}_path_{tol:g}.csv"), np.column_stack([alphas, coefs.T]), delimiter=",")
    print(f"{tol:g} {t1:.6g} {t2:.6g}")
