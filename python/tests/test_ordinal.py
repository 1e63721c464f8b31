"""convlab.ordinal: scikit-learn's estimator checks, proportional odds against an independent
maximum-likelihood fit (scipy), PRESTO's limits, sample weights as repeated rows, and the path and
cross-validation (OrdinalRegressorCV, presto_path)."""
import os
import warnings

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.utils.estimator_checks import parametrize_with_checks

from convlab.ordinal import OrdinalRegressor, OrdinalRegressorCV, presto_path


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


@parametrize_with_checks([OrdinalRegressorCV(n_alphas=8, cv=3)])
def test_sklearn_estimator_checks_cv(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


def test_cv_chooses_the_largest_alpha_of_least_mean_brier_and_refits_there():
    X, y = ordinal_data(n=300, seed=3)
    cv = OrdinalRegressorCV(n_alphas=12, cv=4, seed=7).fit(X, y)
    alphas, intercepts, coefs, classes = presto_path(X, y, n_alphas=12)
    np.testing.assert_array_equal(cv.alphas_, alphas)  # the full-data path's grid
    assert np.all(np.diff(alphas) < 0) and list(classes) == [0, 1, 2, 3]
    best = cv.mean_brier_.min()
    assert cv.alpha_ == max(a for a, b in zip(cv.alphas_, cv.mean_brier_) if b == best)
    # The refit at the chosen alpha is OrdinalRegressor's fit there, bit for bit.
    single = OrdinalRegressor(alpha=cv.alpha_).fit(X, y)
    np.testing.assert_array_equal(cv.coef_, single.coef_)
    np.testing.assert_array_equal(cv.intercepts_, single.intercepts_)
    # The path's points are the single fits at their alphas (warm starts reach the same optimum).
    for k in (0, 5, 11):
        at = OrdinalRegressor(alpha=alphas[k], tol=1e-10).fit(X, y)
        np.testing.assert_allclose(coefs[k], at.coef_, atol=1e-5)
        np.testing.assert_allclose(intercepts[k], at.intercepts_, atol=1e-5)
    assert np.ptp(coefs[0], axis=1).max() < 1e-9  # alpha_max: parallel (every difference 0)
    assert 0 < best < 1  # a Brier score of K classes lies in [0, 2]; these data are far from both ends


# The folds split observations, so counts are rows repeated: the same grid, the same out-of-fold
# scores and the same refit (an independent check of the scores, whose folds Python cannot redraw).
def test_cv_with_integer_weights_equals_cv_on_repeated_rows():
    X, y = ordinal_data(n=120, seed=4)
    w = np.arange(120) % 3  # 0, 1, 2 copies
    grouped = OrdinalRegressorCV(n_alphas=6, cv=3, seed=5).fit(X, y, sample_weight=w)
    repeated = OrdinalRegressorCV(n_alphas=6, cv=3, seed=5).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(grouped.alphas_, repeated.alphas_, rtol=1e-9)
    np.testing.assert_allclose(grouped.mean_brier_, repeated.mean_brier_, rtol=1e-7)
    np.testing.assert_allclose(grouped.coef_, repeated.coef_, atol=1e-6)
    with pytest.raises(ValueError, match="integer counts"):
        OrdinalRegressorCV(n_alphas=4, cv=3).fit(X, y, sample_weight=np.full(120, 0.5))
