# scikit-learn LogisticRegression (penalty l1 or l2; solver liblinear, saga, lbfgs, newton-cg or
# newton-cholesky) on the logistic problems of lasso_tool, no intercept. L1: C = 1/(n·λ) so that C·Σ loss + ‖w‖₁ =
# n·C·((1/n)Σ loss + λ‖w‖₁); L2: C = 1/(n·λ) likewise for (λ/2)‖w‖². For each tolerance of a
# ladder: the median time and the coefficients (certified by lasso_tool lgap / rgap). The ladder
# stops after a tolerance whose fit took more than 20 s (tighter ones only take longer).
# With WHAT = path: the λs of _lpath.txt, each fit warm-started from the last where the solver
# can (saga, lbfgs, newton-cg; liblinear always starts from 0).
import os, sys, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.exceptions import ConvergenceWarning

from problem_io import read_design
from timing import timed

warnings.simplefilter("ignore", ConvergenceWarning)
# DIR NAME OUT SOLVER [PENALTY l1|l2] [LADDER: comma-separated tolerances] [WHAT one|path]
d, name, out, solver = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
penalty = sys.argv[5] if len(sys.argv) > 5 else "l1"
ladder = [float(t) for t in sys.argv[6].split(",")] if len(sys.argv) > 6 else [1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10]
what = sys.argv[7] if len(sys.argv) > 7 else "one"
X = read_design(d, name)
y = (np.loadtxt(os.path.join(d, f"{name}_y.csv"), delimiter=",") > 0).astype(int)
lams = np.atleast_1d(np.loadtxt(os.path.join(d, f"{name}_{'lpath' if what == 'path' else 'llambda' if penalty == 'l1' else 'rlambda'}.txt")))


def fit(tol):
    m = LogisticRegression(penalty=penalty, solver=solver, fit_intercept=False, tol=tol, max_iter=100000, warm_start=True)
    coefs = []
    for lam in lams:
        m.set_params(C=1.0 / (X.shape[0] * lam))
        coefs.append(m.fit(X, y).coef_.ravel().copy())
    return np.array(coefs)


for tol in ladder:
    t1 = timed(lambda: fit(tol))
    suffix = "_path" if what == "path" else ""
    np.savetxt(os.path.join(out, f"sklearn-{solver}_{name}_{penalty}log{suffix}_{tol:g}.csv"), np.column_stack([lams, fit(tol)]), delimiter=",")
    print(f"{tol:g} {t1:.6g}", flush=True)
    if t1 > 20: break
