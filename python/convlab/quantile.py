"""scikit-learn estimators for quantile models (docs/python.md).

``QuantileRegressor``: scikit-learn's objective (1/n)Σ ρ_q(y − Xw − b) + alpha·‖w‖₁ solved as a
linear program by convlab's interior-point method, then moved to a vertex whose optimality is
certified (Koenker's subgradient condition): ``certified_`` says whether it was.
``IsotonicRegression``: PAVA with scikit-learn's semantics (ties in X pooled, sample weights,
``increasing``, ``y_min``/``y_max``, ``out_of_bounds``).
"""
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ._convlab import quantile as _impl

__all__ = ["QuantileRegressor", "IsotonicRegression"]

_SKLEARN_SOLVERS = ("interior-point", "highs", "highs-ds", "highs-ipm", "revised simplex")


class QuantileRegressor(RegressorMixin, BaseEstimator):
    """Linear quantile regression with an L1 penalty on the coefficients (not the intercept).

    ``solver`` exists so that code written for scikit-learn runs unchanged: every accepted value
    means convlab's interior-point LP with a certified vertex crossover."""

    def __init__(self, quantile=0.5, alpha=1.0, fit_intercept=True, solver="interior-point"):
        self.quantile = quantile
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver

    def fit(self, X, y):
        X, y = self._validate_data(X, y, dtype=np.float64, y_numeric=True)
        if not 0 < self.quantile < 1:
            raise ValueError(f"quantile = {self.quantile} violates 0 < quantile < 1")
        if not self.alpha >= 0:
            raise ValueError(f"alpha = {self.alpha} violates alpha >= 0")
        if self.solver not in _SKLEARN_SOLVERS:
            raise ValueError(f"solver = '{self.solver}' is not one of: {' | '.join(_SKLEARN_SOLVERS)}")
        n, p = X.shape
        if self.alpha == 0 and n < p + bool(self.fit_intercept):
            raise ValueError(f"n_samples = {n} is fewer than the {p + bool(self.fit_intercept)} coefficients: "
                             "an unpenalized quantile fit is not unique (set alpha > 0)")
        # Exact reparametrizations that keep the LP well conditioned: with an intercept the
        # columns are centered (y − Xw − b = y − (X − μ)w − (b + μᵀw)); without a penalty they are
        # also scaled (w_j·s_j is then the coefficient of X_j/s_j). The penalty sees w unscaled.
        mean = X.mean(axis=0) if self.fit_intercept else np.zeros(p)
        scale = np.ones(p)
        if self.alpha == 0:
            scale = np.abs(X - mean).max(axis=0)
            scale[scale == 0] = 1.0
        Z = (X - mean) / scale
        design = np.column_stack([np.ones(n), Z]) if self.fit_intercept else Z
        r = _impl.quantile_regression(design, y, float(self.quantile), l1=float(self.alpha) * n,
                                      first_penalized=1 if self.fit_intercept else 0)
        beta = np.asarray(r["beta"])
        self.coef_ = (beta[1:] if self.fit_intercept else beta) / scale
        self.intercept_ = float(beta[0] - mean @ self.coef_) if self.fit_intercept else 0.0
        self.objective_ = r["objective"] / n  # scikit-learn's scale, penalty included
        self.certified_ = r["certified"]
        self.lp_gap_ = r["lp_gap"]
        self.n_iter_ = r["iterations"]
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = self._validate_data(X, dtype=np.float64, reset=False)
        return X @ self.coef_ + self.intercept_


class IsotonicRegression(RegressorMixin, BaseEstimator):
    """Isotonic (monotone least-squares) regression of y on one feature, by PAVA."""

    def __init__(self, y_min=None, y_max=None, increasing=True, out_of_bounds="nan"):
        self.y_min = y_min
        self.y_max = y_max
        self.increasing = increasing
        self.out_of_bounds = out_of_bounds

    @staticmethod
    def _one_feature(X):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        if X.ndim != 1:
            raise ValueError(f"IsotonicRegression takes one feature: X has shape {X.shape}")
        return X

    def fit(self, X, y, sample_weight=None):
        x, y = self._one_feature(X), np.asarray(y, dtype=np.float64)
        if self.increasing not in (True, False):
            raise ValueError(f"increasing = {self.increasing!r} is not one of: True | False")
        if self.out_of_bounds not in ("nan", "clip", "raise"):
            raise ValueError(f"out_of_bounds = '{self.out_of_bounds}' is not one of: nan | clip | raise")
        w = np.empty(0) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        fitted = np.asarray(_impl.isotonic_fit(x, y, w, bool(self.increasing)))
        if self.y_min is not None or self.y_max is not None:
            fitted = np.clip(fitted, self.y_min, self.y_max)
        self.X_thresholds_, first = np.unique(x, return_index=True)
        self.y_thresholds_ = fitted[first]
        self.X_min_, self.X_max_ = self.X_thresholds_[0], self.X_thresholds_[-1]
        return self

    def predict(self, T):
        check_is_fitted(self)
        t = self._one_feature(T)
        if self.out_of_bounds == "raise" and (np.any(t < self.X_min_) or np.any(t > self.X_max_)):
            raise ValueError("a value of T is outside the fitted range [X_min_, X_max_] (out_of_bounds='raise')")
        if self.out_of_bounds == "clip":
            t = np.clip(t, self.X_min_, self.X_max_)
        out = np.interp(t, self.X_thresholds_, self.y_thresholds_)
        if self.out_of_bounds == "nan":
            out[(t < self.X_min_) | (t > self.X_max_)] = np.nan
        return out

    def _more_tags(self):
        return {"X_types": ["1darray"]}
