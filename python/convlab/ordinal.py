"""A scikit-learn estimator for ordinal outcomes (docs/python.md, docs/presto.md).

``OrdinalRegressor(model="presto")``: the cumulative-logit model with one weight vector per
threshold, whose differences between adjacent thresholds are L1-penalized with strength
``alpha`` (PRESTO, Faletto & Bien 2023): good for a rare top category. ``model =
"proportional_odds"``: one weight vector for every threshold (the ordinal logistic model of
MASS::polr). Both on convlab's proximal Newton solver, with ``sample_weight``.
``OrdinalRegressorCV`` chooses PRESTO's ``alpha`` by K-fold cross-validation of the out-of-fold
Brier score over the warm-started path (the paper's procedure), and ``presto_path`` returns the
path itself.
"""
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ._convlab import ordinal as _impl

__all__ = ["OrdinalRegressor", "OrdinalRegressorCV", "presto_path"]


def _ordinal_data(estimator, X, y, sample_weight):
    """X, y checked; the classes (sorted: their order) into `estimator.classes_`; labels 1..K for
    the C++ solvers; the weights, or None."""
    X, y = estimator._validate_data(X, y, dtype=np.float64, y_numeric=False)
    check_classification_targets(y)
    estimator.classes_, codes = np.unique(y, return_inverse=True)
    if len(estimator.classes_) < 2:
        raise ValueError(f"{type(estimator).__name__} needs at least 2 classes in the data; got 1 class ({estimator.classes_[0]!r})")
    weights = None if sample_weight is None else _check_sample_weight(sample_weight, X, dtype=np.float64)
    return X, codes.astype(np.float64) + 1.0, weights


class _FittedOrdinal(ClassifierMixin, BaseEstimator):
    """What OrdinalRegressor and OrdinalRegressorCV share: the fitted attributes and prediction."""

    def _store(self, fit):
        self.intercepts_ = fit["alpha"]
        self.coef_ = fit["beta"]
        self.converged_ = fit["converged"]
        self.separation_ = fit["separation"]
        self.n_iter_ = fit["iterations"]
        self.objective_ = fit["objective"]
        if fit["separation"]:
            warnings.warn("the classes are separable: the maximum-likelihood weights do not exist (separation_); "
                          "use model='presto' with penalize_first=True and alpha > 0", ConvergenceWarning)
        elif not fit["converged"] and not fit["on_boundary"]:
            warnings.warn(f"no convergence in {self.max_iter} Newton steps (KKT residual {fit['certificate']:.3g})",
                          ConvergenceWarning)
        return self

    def predict_proba(self, X):
        """Class probabilities; where the fitted cumulative curves cross at a new row (possible
        away from the training rows), negative entries are set to 0 and the row renormalized."""
        check_is_fitted(self)
        X = self._validate_data(X, dtype=np.float64, reset=False)
        P = np.clip(_impl.probabilities(X, self.intercepts_, self.coef_), 0.0, None)
        return P / P.sum(axis=1, keepdims=True)

    def predict(self, X):
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class OrdinalRegressor(_FittedOrdinal):
    """Ordinal classification; the classes are ordered as ``np.unique(y)`` sorts them.

    Fitted: ``classes_``, ``intercepts_`` (K − 1 thresholds α_k), ``coef_`` (features × (K − 1):
    β_k of P(y ≤ class k) = σ(α_k + xᵀβ_k); equal columns for proportional odds), ``converged_``,
    ``separation_`` (the maximum-likelihood fit does not exist: the data are separable and the
    unpenalized weights grow without end — penalize or drop the separating feature), ``n_iter_``,
    ``objective_``."""

    def __init__(self, model="presto", alpha=0.01, penalize_first=True, tol=1e-8, max_iter=100):
        self.model = model
        self.alpha = alpha
        self.penalize_first = penalize_first
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X, y, sample_weight=None):
        if self.model not in ("presto", "proportional_odds"):
            raise ValueError(f'model must be "presto" or "proportional_odds", got {self.model!r}')
        if self.model == "presto" and not (self.alpha >= 0):
            raise ValueError(f"alpha must be >= 0, got {self.alpha!r}")
        X, labels, weights = _ordinal_data(self, X, y, sample_weight)
        presto = self.model == "presto"
        fit = _impl.presto_fit(X, labels, len(self.classes_),
                               float(self.alpha) if presto else np.inf, bool(self.penalize_first) if presto else False,
                               True, float(self.tol), int(self.max_iter), weights)
        return self._store(fit)

    def _more_tags(self):
        # check_classifiers_train asks for accuracy > 0.83 on three Gaussian blobs whose labels
        # have no order; one weight vector for all thresholds cannot separate three clusters that
        # do not lie along a line (measured: it fails there, PRESTO passes).
        return {"poor_score": self.model == "proportional_odds"}


class OrdinalRegressorCV(_FittedOrdinal):
    """PRESTO with ``alpha`` chosen by ``cv``-fold cross-validation: the path of ``n_alphas``
    values from alpha_max (where every difference is 0) down to ``eps``·alpha_max is fitted on all
    rows, each fold is refitted along it, the out-of-fold Brier score is averaged over the folds,
    and the largest alpha with the least mean score is refitted on all rows (docs/presto.md). The
    folds are a random permutation drawn from ``seed`` (convlab's generator: the same folds on
    every platform). With ``sample_weight`` (integer counts: grouped data) the folds split the
    counted observations, as if each row were repeated its count of times.

    Fitted: OrdinalRegressor's attributes and ``alpha_``, ``alphas_`` (decreasing),
    ``mean_brier_`` (one per alpha)."""

    def __init__(self, n_alphas=50, eps=1e-2, cv=5, seed=1, penalize_first=True, tol=1e-8, max_iter=100):
        self.n_alphas = n_alphas
        self.eps = eps
        self.cv = cv
        self.seed = seed
        self.penalize_first = penalize_first
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X, y, sample_weight=None):
        X, labels, weights = _ordinal_data(self, X, y, sample_weight)
        fit = _impl.presto_cv(X, labels, len(self.classes_), int(self.cv), int(self.seed), int(self.n_alphas), float(self.eps),
                              bool(self.penalize_first), float(self.tol), int(self.max_iter), weights)
        self.alphas_ = np.asarray(fit["lambdas"])
        self.mean_brier_ = np.asarray(fit["mean_brier"])
        self.alpha_ = fit["lambda"]
        return self._store(fit)


def presto_path(X, y, n_alphas=50, eps=1e-2, alphas=None, penalize_first=True, sample_weight=None, tol=1e-8, max_iter=100):
    """PRESTO's warm-started path over ``alphas`` (decreasing), or over the geometric grid from
    alpha_max down to ``eps``·alpha_max. Returns (alphas, intercepts of shape (n_alphas, K − 1),
    coefs of shape (n_alphas, n_features, K − 1), classes); the classes ordered as np.unique
    sorts them."""
    X = np.asarray(X, dtype=np.float64)
    classes, codes = np.unique(np.asarray(y), return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"presto_path needs at least 2 classes; got {len(classes)}")
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    path = _impl.presto_path(X, codes.astype(np.float64) + 1.0, len(classes), int(n_alphas), float(eps),
                             [] if alphas is None else [float(a) for a in alphas], bool(penalize_first), float(tol),
                             int(max_iter), weights)
    return (np.array([f["lambda"] for f in path]), np.array([f["alpha"] for f in path]),
            np.array([f["beta"] for f in path]), classes)
