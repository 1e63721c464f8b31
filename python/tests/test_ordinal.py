"""convlab.ordinal.OrdinalRegressor: scikit-learn's estimator checks, proportional odds against an
independent maximum-likelihood fit (scipy), PRESTO's limits, and sample weights as repeated rows."""
import os
import warnings

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.utils.estimator_checks import parametrize_with_checks

from convlab.ordinal import OrdinalRegressor


@parametrize_with_checks([OrdinalRegressor(), OrdinalRegressor(model="proportional_odds")])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separable toy data in some checks: the warning is the point
        check(estimator)


def ordinal_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    latent = X @ np.array([1.0, -0.5, 0.25]) + rng.logistic(size=n)
    y = np.digitize(latent, [-1.0, 0.5, 2.0])  # classes 0..3, the top one rarer
    return X, y


def po_negative_log_likelihood(params, X, y, K):
    # P(y <= k) = σ(α_k + xᵀβ), written out independently of convlab.
    alpha, beta = np.cumsum(np.r_[params[0], np.exp(params[1:K - 1])]), params[K - 1:]
    eta = alpha[None, :] + (X @ beta)[:, None]
    cdf = np.c_[np.zeros(len(y)), 1 / (1 + np.exp(-eta)), np.ones(len(y))]
    return -np.mean(np.log(cdf[np.arange(len(y)), y + 1] - cdf[np.arange(len(y)), y]))


def test_proportional_odds_equals_an_independent_maximum_likelihood_fit():
    X, y = ordinal_data()
    model = OrdinalRegressor(model="proportional_odds").fit(X, y)
    assert model.converged_ and not model.separation_
    start = np.r_[-1.0, np.zeros(2), np.zeros(3)]
    ref = minimize(po_negative_log_likelihood, start, args=(X, y, 4), method="BFGS", options={"gtol": 1e-10})
    alpha_ref = np.cumsum(np.r_[ref.x[0], np.exp(ref.x[1:3])])
    np.testing.assert_allclose(model.intercepts_, alpha_ref, atol=1e-4)
    np.testing.assert_allclose(model.coef_, np.repeat(ref.x[3:, None], 3, axis=1), atol=1e-4)
    assert abs(po_negative_log_likelihood(ref.x, X, y, 4) - model.objective_) < 1e-8


def test_presto_spans_proportional_odds_and_the_nonparallel_fit():
    X, y = ordinal_data(seed=1)
    huge = OrdinalRegressor(alpha=1e6, penalize_first=False).fit(X, y)
    po = OrdinalRegressor(model="proportional_odds").fit(X, y)
    np.testing.assert_allclose(huge.predict_proba(X), po.predict_proba(X), atol=1e-8)
    free = OrdinalRegressor(alpha=0.0).fit(X, y)
    assert free.objective_ <= po.objective_ + 1e-12  # more freedom, no worse a likelihood
    assert np.ptp(free.coef_, axis=1).max() > 1e-3   # non-parallel


def test_integer_sample_weights_equal_repeated_rows_and_zeros_absent_rows():
    X, y = ordinal_data(n=150, seed=2)
    w = np.arange(150) % 3
    rows = np.repeat(np.arange(150), w)
    for est in (OrdinalRegressor(alpha=0.01), OrdinalRegressor(model="proportional_odds")):
        a = est.fit(X, y, sample_weight=w).predict_proba(X)
        b = est.fit(X[rows], y[rows]).predict_proba(X)
        np.testing.assert_allclose(a, b, atol=1e-7)


def test_labels_keep_their_order_and_names():
    X, y = ordinal_data(seed=3)
    names = np.array(["low", "mid", "high", "top"])[y]
    # np.unique sorts the names alphabetically: high < low < mid < top. The user maps to ordered codes.
    model = OrdinalRegressor(model="proportional_odds").fit(X, y + 10)
    assert list(model.classes_) == [10, 11, 12, 13]
    assert set(model.predict(X)) <= {10, 11, 12, 13}
    assert OrdinalRegressor().fit(X, names).classes_.tolist() == ["high", "low", "mid", "top"]
    with pytest.raises(ValueError, match="at least 2 classes"):
        OrdinalRegressor().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="model must be"):
        OrdinalRegressor(model="cumulative").fit(X, y)
