"""convlab.quantile: QuantileRegressor against scikit-learn's (same objective, certified vertex)
and its check_estimator battery; IsotonicRegression against scikit-learn's on ties, weights and
both directions; QuantileAggregator's LP optimality over its base models, non-crossing rows and
conformal coverage over random splits."""
import os

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn import isotonic as sk_isotonic  # noqa: E402
from sklearn import linear_model as sk  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from convlab import quantile as cq  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data")


@parametrize_with_checks([cq.QuantileRegressor(), cq.QuantileRegressor(alpha=0.0), cq.QuantileAggregator(),
                          cq.QuantileAggregator(models=("knn", "ls_residual"), aggregator="fine", calibration_fraction=0.3, cv=3,
                                                noncrossing="mono")])
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
    assert ours.certified_ and ours.converged_
    assert ours.certificate_kind_ == "kkt_residual" and 0 <= ours.certificate_ <= 1e-9
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


def pinball(q, y, tau):
    r = y - q
    return np.mean(np.maximum(tau * r, (tau - 1) * r))


def heteroscedastic(n, seed):
    r = np.random.default_rng(seed)
    X = r.uniform(-2, 2, size=(n, 2))
    y = np.sin(2 * X[:, 0]) + X[:, 1] + (0.2 + 0.5 * np.abs(X[:, 0])) * r.standard_normal(n)
    return X, y


@pytest.mark.parametrize("aggregator", ["coarse", "medium", "fine"])
def test_aggregate_weights_are_on_the_simplex_and_beat_every_base_model_out_of_fold(aggregator):
    X, y = heteroscedastic(300, 1)
    est = cq.QuantileAggregator(aggregator=aggregator, noncrossing="none").fit(X, y)
    levels, Z, W = est.levels_, est.oof_predictions_, est.weights_
    y_fit = y[est.fit_rows_]
    assert sorted(est.fit_rows_) == list(range(300))
    assert np.all(W >= -1e-12)
    np.testing.assert_allclose(W.sum(axis=0), 1, atol=1e-9)
    p, m = len(Z), len(levels)
    for k, tau in enumerate(levels):
        if aggregator == "coarse":
            agg = sum(W[j, 0] * Z[j][:, k] for j in range(p))
        elif aggregator == "medium":
            agg = sum(W[j, k] * Z[j][:, k] for j in range(p))
        else:  # row j*m + l: model j at level l
            agg = sum(W[j * m + l, k] * Z[j][:, l] for j in range(p) for l in range(m))
        best_base = min(pinball(Z[j][:, k], y_fit, tau) for j in range(p))
        if aggregator != "coarse":  # coarse shares one weight vector over the levels
            assert pinball(agg, y_fit, tau) <= best_base + 1e-9
    if aggregator == "coarse":  # over all levels together it beats every single model
        total = lambda q_of_k: sum(pinball(q_of_k(k), y_fit, t) for k, t in enumerate(levels))
        agg_total = total(lambda k: sum(W[j, 0] * Z[j][:, k] for j in range(p)))
        assert agg_total <= min(total(lambda k, j=j: Z[j][:, k]) for j in range(p)) + 1e-9


def test_conformal_intervals_cover_at_their_level_over_random_splits_and_rows_do_not_cross():
    coverage = []
    for seed in range(40):
        X, y = heteroscedastic(400, 100 + seed)
        Xt, yt = heteroscedastic(2000, 200 + seed)
        est = cq.QuantileAggregator(levels=(0.1, 0.5, 0.9), models=("linear",), calibration_fraction=0.5,
                                    noncrossing="mono", random_state=seed).fit(X, y)
        Q = est.predict_quantiles(Xt)
        assert np.all(np.diff(Q, axis=1) >= 0)
        np.testing.assert_array_equal(est.predict(Xt), Q[:, 1])
        coverage.append(np.mean((Q[:, 0] <= yt) & (yt <= Q[:, 2])))
    # CQR: each interval covers with probability >= 0.8 (and <= 0.8 + 1/201); 40 splits × 2000 test rows.
    mean = np.mean(coverage)
    se = np.std(coverage) / np.sqrt(40)
    assert 0.8 - 3 * se <= mean <= 0.805 + 3 * se


def test_aggregator_mistakes_are_named():
    X, y = heteroscedastic(60, 3)
    with pytest.raises(ValueError, match="aggregator = 'best' is not one of"):
        cq.QuantileAggregator(aggregator="best").fit(X, y)
    with pytest.raises(ValueError, match="unknown monotonization 'up'"):
        cq.QuantileAggregator(noncrossing="up").fit(X, y)
    with pytest.raises(ValueError, match="unknown quantile model 'forest'"):
        cq.QuantileAggregator(models=("forest",)).fit(X, y)
    with pytest.raises(ValueError, match="symmetric"):
        cq.QuantileAggregator(levels=(0.1, 0.5, 0.8), calibration_fraction=0.5).fit(X, y)
    with pytest.raises(ValueError, match="leaves 6 rows to cross-fit"):
        cq.QuantileAggregator(calibration_fraction=0.9).fit(X, y)
