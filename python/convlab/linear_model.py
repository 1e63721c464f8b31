"""scikit-learn estimators over convlab's certified solvers (docs/python.md).

``Lasso``, ``ElasticNet`` and ``LogisticRegression(penalty="l1" | "l2")`` solve scikit-learn's
objectives to a relative duality gap ``tol`` (1e-8 by default) and report it: ``dual_gap_`` is
the absolute gap P − D of the returned coefficients, ``relative_gap_`` the certified (P − D)/P.
``lasso_path`` is the warm-started path. X may be a NumPy array or a SciPy CSR matrix (float64;
other inputs are converted). ``fit(X, y, sample_weight=None)`` takes per-row weights ≥ 0, as
scikit-learn's: integer weights fit what repeated rows fit, and zeros what the data without
those rows fits.

Objectives (scikit-learn's scaling; with weights sᵢ, S = Σsᵢ, and without them sᵢ = 1, S = n):
  Lasso / ElasticNet   1/(2S)·Σ sᵢ(yᵢ − xᵢᵀw − b)² + alpha·(l1_ratio‖w‖₁ + (1 − l1_ratio)/2·‖w‖²)
  LogisticRegression   C·Σ sᵢ·log(1 + exp(−yᵢ(xᵢᵀw + b))) + ‖w‖₁ (l1) or ½‖w‖² (l2), binary, b unpenalized
                       (fit_intercept=True, scikit-learn's default; b = 0 without it)
The certificates (``dual_gap_``, ``relative_gap_``) are those of the solvers' scaling, the
objective divided by S·C for LogisticRegression.
"""
import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ._convlab import linear_model as _impl

__all__ = ["Lasso", "ElasticNet", "LogisticRegression", "lasso_path"]


def _validate_regression(estimator, X, y):
    """scikit-learn's ``_validate_data`` for a regressor's fit, with a fast path for what almost
    every call passes: contiguous float64 NumPy arrays X (n × p, n, p ≥ 1) and y (n), all finite.
    Those need no conversion, and their checks cost a few µs instead of scikit-learn's ~35 µs,
    half the whole fit on a small problem (bench/README.md). Anything else — lists, other dtypes,
    sparse matrices, other shapes, NaN or ±inf (or a sum that overflows) — goes through
    scikit-learn's own validation, with its conversions and its error messages."""
    if (type(X) is np.ndarray and type(y) is np.ndarray and X.dtype == np.float64 and y.dtype == np.float64
            and X.ndim == 2 and y.ndim == 1 and X.shape[0] == y.shape[0] and X.shape[0] >= 1 and X.shape[1] >= 1
            and (X.flags.c_contiguous or X.flags.f_contiguous) and np.isfinite(X.sum()) and np.isfinite(y.sum())):
        estimator._check_feature_names(X, reset=True)
        estimator._check_n_features(X, reset=True)
        return X, y
    return estimator._validate_data(X, y, accept_sparse="csr", dtype=np.float64, y_numeric=True)


def _design(X):
    return X.tocsr() if sparse.issparse(X) else np.asarray(X, dtype=np.float64)


def _sample_weight(sample_weight, X):
    """No weights (an empty array: the solvers' unweighted code), or one finite float64 weight
    >= 0 per row of X, checked as scikit-learn checks them; the solvers refuse all zeros."""
    if sample_weight is None:
        return np.empty(0)
    return _check_sample_weight(sample_weight, X, dtype=np.float64, only_non_negative=True)


class ElasticNet(RegressorMixin, BaseEstimator):
    """Elastic net by convlab's coordinate descent (working sets, gap-safe screening, Anderson
    extrapolation), stopped at a certified relative duality gap ``tol``."""

    def __init__(self, alpha=1.0, l1_ratio=0.5, fit_intercept=True, tol=1e-8, max_iter=100000):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X, y, sample_weight=None):
        X, y = _validate_regression(self, X, y)
        if not self.alpha > 0:
            raise ValueError(f"alpha = {self.alpha} violates alpha > 0 (use sklearn's LinearRegression for alpha = 0)")
        if self.fit_intercept and sparse.issparse(X):
            raise ValueError("fit_intercept=True needs a dense X (centering a sparse matrix would fill it); "
                             "pass fit_intercept=False with centered data")
        # Weighted centering and row scaling: the C++ reduction (lasso_cd_fit, docs/solvers.md).
        r = _impl.lasso(_design(X), y, float(self.alpha), alpha=float(self._l1_ratio()), tol=float(self.tol),
                        max_epochs=int(self.max_iter), sample_weight=_sample_weight(sample_weight, X),
                        intercept=bool(self.fit_intercept))
        self.coef_ = np.asarray(r["w"])
        self.intercept_ = r["intercept"]
        self.dual_gap_ = r["primal"] - r["dual"]
        self.relative_gap_ = r["certificate"]
        self.converged_ = r["converged"]
        self.n_iter_ = r["iterations"]
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = self._validate_data(X, accept_sparse="csr", dtype=np.float64, reset=False)
        return np.asarray(X @ self.coef_).ravel() + self.intercept_

    def _l1_ratio(self):
        return self.l1_ratio


class Lasso(ElasticNet):
    """The lasso (ElasticNet with l1_ratio = 1)."""

    def __init__(self, alpha=1.0, fit_intercept=True, tol=1e-8, max_iter=100000):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter

    def _l1_ratio(self):
        return 1.0


def lasso_path(X, y, n_alphas=50, eps=0.0, l1_ratio=1.0, tol=1e-8, max_iter=100000):
    """The warm-started path from alpha_max down a geometric grid to eps·alpha_max (0: glmnet's
    default ratio). Returns (alphas, coefs of shape (n_features, n_alphas), relative gaps)."""
    path = _impl.lasso_path(_design(X), np.asarray(y, dtype=np.float64), n_lambdas=int(n_alphas), ratio=float(eps),
                            alpha=float(l1_ratio), tol=float(tol), max_epochs=int(max_iter))
    return (np.array([r["lambda"] for r in path]), np.column_stack([r["w"] for r in path]),
            np.array([r["certificate"] for r in path]))


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary logistic regression with an L1 (proximal Newton) or L2 (Newton or L-BFGS, by shape)
    penalty and an unpenalized intercept (``fit_intercept``), solved to a certified relative duality
    gap ``tol``, dense or sparse X (the intercept is a coordinate of the solvers: nothing is
    centered)."""

    def __init__(self, penalty="l2", C=1.0, fit_intercept=True, tol=1e-8, max_iter=1000):
        self.penalty = penalty
        self.C = C
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X, y, sample_weight=None):
        X, y = self._validate_data(X, y, accept_sparse="csr", dtype=np.float64)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"LogisticRegression is binary: y has {len(self.classes_)} classes")
        if self.penalty not in ("l1", "l2"):
            raise ValueError(f"penalty = '{self.penalty}' is not one of: l1 | l2")
        if not self.C > 0:
            raise ValueError(f"C = {self.C} violates C > 0")
        labels = (y == self.classes_[1]).astype(np.float64)
        weights = _sample_weight(sample_weight, X)
        total = weights.sum() if sample_weight is not None else X.shape[0]
        if not total > 0:
            raise ValueError("every sample weight is 0")
        lam = 1.0 / (self.C * total)  # C·Σ sᵢ·loss + R(w) = S·C·[(1/S)Σ sᵢ·loss + λR(w)]
        solve = _impl.logistic_l1 if self.penalty == "l1" else _impl.logistic_ridge
        r = solve(_design(X), labels, lam, tol=float(self.tol), max_iter=int(self.max_iter), sample_weight=weights,
                  intercept=bool(self.fit_intercept))
        self.coef_ = np.asarray(r["w"]).reshape(1, -1)
        self.intercept_ = np.array([r["intercept"]])
        self.dual_gap_ = r["primal"] - r["dual"]
        self.relative_gap_ = r["certificate"]
        self.converged_ = r["converged"]
        self.n_iter_ = np.array([r["iterations"]])
        return self

    def decision_function(self, X):
        check_is_fitted(self)
        X = self._validate_data(X, accept_sparse="csr", dtype=np.float64, reset=False)
        return np.asarray(X @ self.coef_[0]).ravel() + self.intercept_[0]

    def predict(self, X):
        d = self.decision_function(X)  # checks fitted before classes_ is read
        return self.classes_[(d > 0).astype(int)]

    def predict_proba(self, X):
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1 - p, p])

    def _more_tags(self):
        return {"binary_only": True}
