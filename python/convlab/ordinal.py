"""A scikit-learn estimator for ordinal outcomes (docs/python.md, docs/presto.md).

``OrdinalRegressor(model="presto")``: the cumulative-logit model with one weight vector per
threshold, whose differences between adjacent thresholds are L1-penalized with strength
``alpha`` (PRESTO, Faletto & Bien 2023): good for a rare top category. ``model =
"proportional_odds"``: one weight vector for every threshold (the ordinal logistic model of
MASS::polr). Both on convlab's proximal Newton solver, with ``sample_weight``.
"""
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ._convlab import ordinal as _impl

__all__ = ["OrdinalRegressor"]


class OrdinalRegressor(ClassifierMixin, BaseEstimator):
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
        X, y = self._validate_data(X, y, dtype=np.float64, y_numeric=False)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"OrdinalRegressor needs at least 2 classes in the data; got 1 class ({self.classes_[0]!r})")
        weights = None if sample_weight is None else _check_sample_weight(sample_weight, X, dtype=np.float64)
        presto = self.model == "presto"
        fit = _impl.presto_fit(X, codes.astype(np.float64) + 1.0, len(self.classes_),
                               float(self.alpha) if presto else np.inf, bool(self.penalize_first) if presto else False,
                               True, float(self.tol), int(self.max_iter), weights)
        self.intercepts_ = fit["alpha"]
        self.coef_ = fit["beta"]
        self.converged_ = fit["converged"]
        self.separation_ = fit["separation"]
        self.n_iter_ = fit["newton_steps"]
        self.objective_ = fit["objective"]
        if fit["separation"]:
            warnings.warn("the classes are separable: the maximum-likelihood weights do not exist (separation_); "
                          "use model='presto' with penalize_first=True and alpha > 0", ConvergenceWarning)
        elif not fit["converged"] and not fit["on_boundary"]:
            warnings.warn(f"no convergence in {self.max_iter} Newton steps (KKT residual {fit['kkt_residual']:.3g})",
                          ConvergenceWarning)
        return self

    def _more_tags(self):
        # check_classifiers_train asks for accuracy > 0.83 on three Gaussian blobs whose labels
        # have no order; one weight vector for all thresholds cannot separate three clusters that
        # do not lie along a line (measured: it fails there, PRESTO passes).
        return {"poor_score": self.model == "proportional_odds"}

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
