# scikit-learn LogisticRegression (L1; liblinear and saga) on the L1-logistic problems of
# lasso_tool: C = 1/(n·λ) so that C·Σ loss + ‖w‖₁ = n·C·((1/n)Σ loss + λ‖w‖₁); no intercept. For
# each tolerance of a ladder: the median time and the coefficients (certified by lasso_tool lgap).
import os, sys, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.exceptions import ConvergenceWarning

from timing import timed

warnings.simplefilter("ignore", ConvergenceWarning)
d, name, out, solver = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
X = np.loadtxt(os.path.join(d, f"{name}_X.csv"), delimiter=",", ndmin=2)
y = (np.loadtxt(os.path.join(d, f"{name}_y.csv"), delimiter=",") > 0).astype(int)
lam = float(np.loadtxt(os.path.join(d, f"{name}_llambda.txt")))
C = 1.0 / (X.shape[0] * lam)

for tol in [1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10]:
    fit = lambda: LogisticRegression(penalty="l1", C=C, solver=solver, fit_intercept=False, tol=tol, max_iter=100000).fit(X, y)
    t1 = timed(fit)
    np.savetxt(os.path.join(out, f"sklearn-{solver}_{name}_l1log_{tol:g}.csv"), np.hstack([[lam], fit().coef_.ravel()])[None, :], delimiter=",")
    print(f"{tol:g} {t1:.6g}")
