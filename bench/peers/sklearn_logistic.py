# scikit-learn LogisticRegression (penalty l1 or l2; solver liblinear, saga, lbfgs, newton-cg or
# newton-cholesky) on the logistic problems of lasso_tool, no intercept. L1: C = 1/(n·λ) so that C·Σ loss + ‖w‖₁ =
# n·C·((1/n)Σ loss + λ‖w‖₁); L2: C = 1/(n·λ) likewise for (λ/2)‖w‖². For each tolerance of a
# ladder: the median time and the coefficients (certified by lasso_tool lgap / rgap). The ladder
# stops after a tolerance whose fit took more than 20 s (tighter ones only take longer).
import os, sys, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.exceptions import ConvergenceWarning

from timing import timed

warnings.simplefilter("ignore", ConvergenceWarning)
d, name, out, solver = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
penalty = sys.argv[5] if len(sys.argv) > 5 else "l1"
shape = os.path.join(d, f"{name}_shape.txt")
if os.path.exists(shape):  # raw float64, column-major (lasso_tool write)
    n, p = (int(v) for v in open(shape).read().split())
    X = np.fromfile(os.path.join(d, f"{name}_X.f64"), dtype="<f8").reshape(p, n).T
else:
    X = np.loadtxt(os.path.join(d, f"{name}_X.csv"), delimiter=",", ndmin=2)
y = (np.loadtxt(os.path.join(d, f"{name}_y.csv"), delimiter=",") > 0).astype(int)
lam = float(np.loadtxt(os.path.join(d, f"{name}_{'l' if penalty == 'l1' else 'r'}lambda.txt")))
C = 1.0 / (X.shape[0] * lam)

for tol in [1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10]:
    fit = lambda: LogisticRegression(penalty=penalty, C=C, solver=solver, fit_intercept=False, tol=tol, max_iter=100000).fit(X, y)
    t1 = timed(fit)
    np.savetxt(os.path.join(out, f"sklearn-{solver}_{name}_{penalty}log_{tol:g}.csv"), np.hstack([[lam], fit().coef_.ravel()])[None, :], delimiter=",")
    print(f"{tol:g} {t1:.6g}", flush=True)
    if t1 > 20: break
