"""scikit-learn estimators for quantile models (docs/python.md).

``QuantileRegressor``: scikit-learn's objective (1/n)Σ ρ_q(y − Xw − b) + alpha·‖w‖₁ solved as a
linear program by convlab's interior-point method, then moved to a vertex whose optimality is
certified (Koenker's subgradient condition): ``certified_`` says whether it was. ``certificate_``
is then that condition's residual (``certificate_kind_ == "kkt_residual"``), and otherwise the
interior-point LP's relative duality gap (``"duality_gap"``).
``IsotonicRegression``: PAVA with scikit-learn's semantics (ties in X pooled, sample weights,
``increasing``, ``y_min``/``y_max``, ``out_of_bounds``).
``QuantileAggregator``: Fakoor et al.'s aggregation of cross-fitted quantile models by a global
aggregator (exact LPs), a non-crossing operator and optional split-conformal calibration (CQR).
"""
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

from ._convlab import quantile as _impl

__all__ = ["QuantileRegressor", "IsotonicRegression", "QuantileAggregator"]

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
        self.certified_ = r["at_vertex"]
        self.certificate_kind_ = r["certificate_kind"]
        self.certificate_ = r["certificate"]
        self.converged_ = r["converged"]
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


class QuantileAggregator(RegressorMixin, BaseEstimator):
    """Quantiles at several levels from an aggregate of base quantile models (docs/python.md).

    ``fit(X, y)`` shuffles the rows (``random_state``), keeps ``calibration_fraction`` of them for
    conformal calibration, cross-fits the base ``models`` ("linear", "knn" with ``n_neighbors``,
    "fourier" with ``n_features``/``bandwidth``, "ls_residual") on the rest with ``cv`` contiguous
    folds, and fits the ``aggregator`` on their out-of-fold predictions: "average", "median", or
    the global weights "coarse" (one simplex vector), "medium" (one per level) or "fine" (over
    every model and level), each an exact LP. ``predict_quantiles(X)`` returns the aggregate with
    one column per level; with calibration rows each central interval (τ, 1 − τ) is widened by
    CQR so that it covers a new response with probability ≥ 1 − 2τ (exchangeable rows; needs a
    symmetric grid), then ``noncrossing`` ("sort", "isotonic", "mono", "cummax", "soft_sort",
    "none") makes each row non-decreasing ("mono" keeps the conformal guarantee, "sort" the
    WIS bound). ``predict(X)`` is the column of the level nearest 0.5.

    Pickling stores the training data and refits on load: the fit is deterministic, so the
    restored estimator predicts the same bits (the k-NN model holds that data anyway).
    """

    def __init__(self, levels=(0.05, 0.25, 0.5, 0.75, 0.95), models=("linear", "knn", "ls_residual"), aggregator="medium",
                 noncrossing="sort", calibration_fraction=0.0, cv=5, n_neighbors=30, n_features=20, bandwidth=1.0,
                 random_state=0):
        self.levels = levels
        self.models = models
        self.aggregator = aggregator
        self.noncrossing = noncrossing
        self.calibration_fraction = calibration_fraction
        self.cv = cv
        self.n_neighbors = n_neighbors
        self.n_features = n_features
        self.bandwidth = bandwidth
        self.random_state = random_state

    def fit(self, X, y):
        X, y = self._validate_data(X, y, dtype=np.float64, y_numeric=True)
        levels = np.asarray(self.levels, dtype=np.float64)
        if not 0 <= self.calibration_fraction < 1:
            raise ValueError(f"calibration_fraction = {self.calibration_fraction} violates 0 <= calibration_fraction < 1")
        models = [self.models] if isinstance(self.models, str) else list(self.models)
        if not models:
            raise ValueError("models is empty: give at least one of linear | knn | fourier | ls_residual")
        n_fit = len(y) - int(np.ceil(self.calibration_fraction * len(y) - 1e-9))
        if n_fit < 2 * self.cv:
            raise ValueError(f"n_samples = {len(y)} leaves {n_fit} rows to cross-fit with cv = {self.cv} folds; "
                             f"at least {2 * self.cv} are needed")
        smallest_fold_fit = n_fit - -(-n_fit // self.cv)
        if "linear" in models and smallest_fold_fit < X.shape[1] + 1:
            raise ValueError(f"n_samples = {len(y)} leaves {smallest_fold_fit} rows to fit a fold's linear quantile model "
                             f"with {X.shape[1]} features and an intercept; give more rows, fewer cv folds or other models")
        seed = 0 if self.random_state is None else int(self.random_state)
        self._fitted = _impl.Aggregation(X, y, levels, models, int(self.n_neighbors), int(self.n_features),
                                         float(self.bandwidth), self.aggregator, self.noncrossing,
                                         float(self.calibration_fraction), int(self.cv), seed)
        self._train = (X, y)
        self.levels_ = levels
        self.model_names_ = list(self._fitted.names)
        self.weights_ = np.asarray(self._fitted.weights)
        self.max_lp_gap_ = self._fitted.max_lp_gap
        self.fit_rows_ = np.asarray(self._fitted.fit_rows)
        self.calibration_rows_ = np.asarray(self._fitted.calibration_rows)
        self.oof_predictions_ = [np.asarray(z) for z in self._fitted.oof]
        return self

    def predict_quantiles(self, X):
        check_is_fitted(self)
        X = self._validate_data(X, dtype=np.float64, reset=False)
        return np.asarray(self._fitted.predict(X))

    def predict(self, X):
        return self.predict_quantiles(X)[:, int(np.argmin(np.abs(self.levels_ - 0.5)))]

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_fitted", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "_train" in state:
            fitted = clone(self).fit(*state["_train"])
            self._fitted = fitted._fitted
