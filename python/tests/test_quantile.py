"""convlab.quantile: QuantileRegressor against scikit-learn's (same objective, certified vertex)
and its check_estimator battery; IsotonicRegression against scikit-learn's on ties, weights and
both directions."""
import os

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn import isotonic as sk_isotonic  # noqa: E402
from sklearn import linear_model as sk  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from convlab import quantile as cq  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data")


@parametrize_with_checks([cq.QuantileRegressor(), cq.QuantileRegressor(alpha=0.0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def engel():
    d = np.loadtxt(os.path.join(DATA, "engel.csv"), delimiter=",", skiprows=1)  # columns: y (food), income
    return d[:, 1:], d[:, 0]


def objective(X, y, coef, intercept, q, alpha):
    r = y - X @ coef - intercept
    return np.mean(np.maximum(q * r, (q - 1) * r)) + alpha * np.abs(coef).sum()


@pytest.mark.parametrize("q,alpha", [(0.5, 0.0), (0.1, 0.0), (0.9, 0.0), (0.5, 0.01)])
def test_quantile_regression_reaches_sklearns_objective_and_is_certified(q, alpha):
    X, y = engel()
    ours = cq.QuantileRegressor(quantile=q, alpha=alpha).fit(X, y)
    theirs = sk.QuantileRegressor(quantile=q, alpha=alpha, solver="highs").fit(X, y)
    mine = objective(X, y, ours.coef_, ours.intercept_, q, alpha)
    peer = objective(X, y, theirs.coef_, theirs.intercept_, q, alpha)
    assert ours.certified_
    assert mine == pytest.approx(ours.objective_, rel=1e-12)
    assert mine <= peer * (1 + 1e-9)
    assert abs(mine - peer) <= 1e-8 * peer


def test_isotonic_regression_equals_sklearns():
    rng = np.random.default_rng(7)
    x = rng.integers(0, 40, 300).astype(float)  # many ties
    y = np.sin(x / 8) + rng.standard_normal(300) * 0.3
    w = rng.uniform(0, 2, 300)
    grid = np.linspace(-5, 45, 101)
    for increasing in (True, False):
        for weights in (None, w):
            for bounds in ("nan", "clip"):
                ours = cq.IsotonicRegression(increasing=increasing, out_of_bounds=bounds).fit(x, y, sample_weight=weights)
                theirs = sk_isotonic.IsotonicRegression(increasing=increasing, out_of_bounds=bounds).fit(
                    x, y, sample_weight=weights)
                np.testing.assert_allclose(ours.predict(x), theirs.predict(x), rtol=1e-12, atol=1e-12)
                np.testing.assert_allclose(ours.predict(grid), theirs.predict(grid), rtol=1e-12, atol=1e-12)
    clipped = cq.IsotonicRegression(y_min=0.0, y_max=0.5).fit(x, y)
    assert clipped.predict(x).min() >= 0.0 and clipped.predict(x).max() <= 0.5
    with pytest.raises(ValueError, match="outside the fitted range"):
        cq.IsotonicRegression(out_of_bounds="raise").fit(x, y).predict([100.0])
    with pytest.raises(ValueError, match="one feature"):
        cq.IsotonicRegression().fit(np.ones((5, 2)), np.ones(5))


def test_mistakes_are_named():
    X, y = engel()
    with pytest.raises(ValueError, match="quantile = 1.5 violates 0 < quantile < 1"):
        cq.QuantileRegressor(quantile=1.5).fit(X, y)
    with pytest.raises(ValueError, match="solver = 'simplex' is not one of"):
        cq.QuantileRegressor(solver="simplex").fit(X, y)
    with pytest.raises(ValueError, match="weight 1 = -1 violates 0 <= w < inf"):
        cq.IsotonicRegression().fit([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], sample_weight=[1.0, -1.0, 1.0])
