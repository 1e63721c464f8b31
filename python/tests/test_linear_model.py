"""convlab.linear_model: scikit-learn's own estimator checks, the certified gap, agreement with
scikit-learn's solvers on the same objectives, and dense = sparse."""
import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")  # python3-sklearn; scripts/install-deps.sh installs it
from scipy import sparse  # noqa: E402
from sklearn import linear_model as sk  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from convlab import linear_model as cl  # noqa: E402


@parametrize_with_checks([cl.Lasso(), cl.ElasticNet(), cl.LogisticRegression(), cl.LogisticRegression(penalty="l1")])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def lasso_objective(X, y, w, b, alpha, l1_ratio=1.0):
    r = y - X @ w - b
    return r @ r / (2 * len(y)) + alpha * (l1_ratio * np.abs(w).sum() + (1 - l1_ratio) / 2 * w @ w)


def test_lasso_and_elastic_net_reach_sklearns_objective_with_a_certified_gap():
    X, y = load_diabetes(return_X_y=True)
    for l1_ratio, ours, theirs in [(1.0, cl.Lasso(alpha=0.05), sk.Lasso(alpha=0.05, tol=1e-12, max_iter=100000)),
                                   (0.5, cl.ElasticNet(alpha=0.01, l1_ratio=0.5),
                                    sk.ElasticNet(alpha=0.01, l1_ratio=0.5, tol=1e-12, max_iter=100000))]:
        ours.fit(X, y)
        theirs.fit(X, y)
        mine = lasso_objective(X, y, ours.coef_, ours.intercept_, ours.alpha, l1_ratio)
        peer = lasso_objective(X, y, theirs.coef_, theirs.intercept_, theirs.alpha, l1_ratio)
        assert ours.converged_ and ours.relative_gap_ <= 1e-8
        assert mine <= peer * (1 + 1e-8)
        assert abs(mine - peer) <= 1e-8 * peer
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-5, atol=1e-3)


def test_dense_and_sparse_give_the_same_fit_and_the_path_ends_at_the_single_fit():
    X, y = load_diabetes(return_X_y=True)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    dense = cl.Lasso(alpha=0.1, fit_intercept=False).fit(Xc, yc)
    csr = cl.Lasso(alpha=0.1, fit_intercept=False).fit(sparse.csr_matrix(Xc), yc)
    np.testing.assert_allclose(dense.coef_, csr.coef_, rtol=1e-7, atol=1e-9)
    alphas, coefs, gaps = cl.lasso_path(Xc, yc, n_alphas=20)
    assert coefs.shape == (10, 20) and np.all(np.diff(alphas) < 0) and np.all(gaps <= 1e-8)
    assert np.count_nonzero(coefs[:, 0]) == 0  # alpha_max: all zero
    last = cl.Lasso(alpha=alphas[-1], fit_intercept=False).fit(Xc, yc)
    np.testing.assert_allclose(coefs[:, -1], last.coef_, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="sparse"):
        cl.Lasso().fit(sparse.csr_matrix(Xc), yc)


def logistic_objective(X, y01, model, C, penalty, sample_weight=None):
    w = model.coef_[0]
    m = (2 * y01 - 1) * (X @ w + np.atleast_1d(model.intercept_)[0])  # liblinear's is a float without one
    reg = np.abs(w).sum() if penalty == "l1" else 0.5 * w @ w
    s = np.ones(len(y01)) if sample_weight is None else sample_weight
    return C * (s * np.logaddexp(0, -m)).sum() + reg


# scikit-learn's peers: liblinear penalizes its intercept, saga does not (as ours). saga crawls at
# tol=1e-12 (16 s for 100 000 epochs here): 3000 epochs give it a good objective at a tenth of that.
PEERS = {("l1", False): "liblinear", ("l1", True): "saga", ("l2", False): "lbfgs", ("l2", True): "lbfgs"}


def sklearn_logistic(penalty, fit_intercept):
    solver = PEERS[penalty, fit_intercept]
    return sk.LogisticRegression(penalty=penalty, C=0.5, solver=solver, fit_intercept=fit_intercept, tol=1e-12,
                                 max_iter=3000 if solver == "saga" else 100000)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("fit_intercept", [False, True], ids=["no_intercept", "intercept"])
@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_logistic_regression_reaches_sklearns_objective(penalty, fit_intercept):
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0) + 0.5  # uncentred columns: the intercept matters
    ours = cl.LogisticRegression(penalty=penalty, C=0.5, fit_intercept=fit_intercept).fit(X, y)
    theirs = sklearn_logistic(penalty, fit_intercept).fit(X, y)
    mine = logistic_objective(X, y, ours, 0.5, penalty)
    peer = logistic_objective(X, y, theirs, 0.5, penalty)
    assert ours.converged_ and ours.relative_gap_ <= 1e-8
    assert mine <= peer * (1 + 1e-8)
    assert ours.score(X, y) > (0.95 if fit_intercept else 0.9)
    np.testing.assert_allclose(ours.predict_proba(X).sum(axis=1), 1.0)


def test_mistakes_are_named():
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(ValueError, match="penalty = 'l3' is not one of: l1 | l2"):
        cl.LogisticRegression(penalty="l3").fit(X, y)
    with pytest.raises(ValueError, match="binary"):
        cl.LogisticRegression().fit(X[:30], np.arange(30) % 3)
    with pytest.raises(ValueError, match="alpha = 0 violates alpha > 0"):
        cl.Lasso(alpha=0).fit(X, y)


def _grouped(X, y, seed):
    """Integer weights 0…3 per row, and the data with each row repeated that many times."""
    w = np.random.default_rng(seed).integers(0, 4, size=len(y)).astype(np.float64)
    repeat = w.astype(int)
    return w, np.repeat(X, repeat, axis=0), np.repeat(y, repeat)


@pytest.mark.parametrize("make", [lambda: cl.Lasso(alpha=0.05), lambda: cl.ElasticNet(alpha=0.02, l1_ratio=0.5),
                                  lambda: cl.Lasso(alpha=0.05, fit_intercept=False)],
                         ids=["lasso", "elastic_net", "lasso_no_intercept"])
def test_lasso_integer_weights_fit_repeated_rows_and_match_sklearns_weighted_objective(make):
    X, y = load_diabetes(return_X_y=True)
    w, Xr, yr = _grouped(X, y, 3)
    weighted, repeated = make().fit(X, y, sample_weight=w), make().fit(Xr, yr)
    assert weighted.converged_ and repeated.converged_
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-6, atol=1e-6 * np.abs(repeated.coef_).max())
    assert abs(weighted.intercept_ - repeated.intercept_) <= 1e-6 * (1 + abs(repeated.intercept_))
    # scikit-learn's own weighted fit reaches no lower weighted objective.
    est = make()
    l1_ratio = getattr(est, "l1_ratio", 1.0)
    theirs = sk.ElasticNet(alpha=est.alpha, l1_ratio=l1_ratio, fit_intercept=est.fit_intercept, tol=1e-12,
                           max_iter=100000).fit(X, y, sample_weight=w)

    def objective(m):
        r = y - X @ m.coef_ - m.intercept_
        return (w * r * r).sum() / (2 * w.sum()) + est.alpha * (l1_ratio * np.abs(m.coef_).sum()
                                                                 + (1 - l1_ratio) / 2 * m.coef_ @ m.coef_)
    assert objective(weighted) <= objective(theirs) * (1 + 1e-8)
    assert weighted.dual_gap_ <= 1e-8 * objective(weighted) * (1 + 1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("fit_intercept", [False, True], ids=["no_intercept", "intercept"])
@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_logistic_integer_weights_fit_repeated_rows_and_match_sklearns_weighted_objective(penalty, fit_intercept):
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0) + 0.5
    w, Xr, yr = _grouped(X, y, 4)

    def fit(X, y, sample_weight=None):
        return cl.LogisticRegression(penalty=penalty, C=0.5, fit_intercept=fit_intercept, tol=1e-12).fit(X, y, sample_weight)

    def coefs(model):
        return np.append(model.coef_[0], model.intercept_)
    weighted, repeated = fit(X, y, w), fit(Xr, yr)
    assert weighted.converged_ and weighted.relative_gap_ <= 1e-12
    scale = np.abs(coefs(repeated)).max()
    np.testing.assert_allclose(coefs(weighted), coefs(repeated), rtol=1e-6, atol=1e-6 * scale)
    # Zero weights: what the data without those rows fits (scikit-learn's convention).
    kept = w > 0
    np.testing.assert_allclose(coefs(weighted), coefs(fit(X[kept], y[kept], w[kept])), rtol=1e-6, atol=1e-6 * scale)
    theirs = sklearn_logistic(penalty, fit_intercept).fit(X, y, sample_weight=w)
    assert (logistic_objective(X, y, weighted, 0.5, penalty, w)
            <= logistic_objective(X, y, theirs, 0.5, penalty, w) * (1 + 1e-10))


def test_bad_sample_weights_are_named():
    X, y = load_breast_cancer(return_X_y=True)
    w = np.ones(len(y))
    w[5] = -1.0
    for est in (cl.Lasso(), cl.LogisticRegression(), cl.LogisticRegression(penalty="l1")):
        with pytest.raises(ValueError, match="[Nn]egative"):
            est.fit(X, y, sample_weight=w)
        with pytest.raises(ValueError, match="sample_weight.shape"):
            est.fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="every sample weight is 0"):
        cl.LogisticRegression().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="lasso_cd: every sample weight is 0"):
        cl.Lasso().fit(X, y, sample_weight=np.zeros(len(y)))


def test_fit_validation_fast_path_gives_scikit_learns_results_and_messages(monkeypatch):
    X, y = load_diabetes(return_X_y=True)
    fast = cl.Lasso(alpha=0.05).fit(X, y)
    slow = cl.Lasso(alpha=0.05).fit(X.tolist(), y.tolist())  # lists: scikit-learn's validation converts them
    assert np.array_equal(fast.coef_, slow.coef_) and fast.intercept_ == slow.intercept_
    assert fast.n_features_in_ == slow.n_features_in_ == X.shape[1]
    assert np.array_equal(cl.Lasso(alpha=0.05).fit(np.asfortranarray(X), y).coef_, fast.coef_)
    # NaN and inf are found by the fast path's check and reported by scikit-learn's validation.
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        cl.Lasso().fit(bad, y)
    with pytest.raises(ValueError, match="Input y contains infinity"):
        cl.Lasso().fit(X, np.where(np.arange(len(y)) == 7, np.inf, y))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        cl.Lasso().fit(X, y[:-1])

    # Contiguous finite float64 arrays skip scikit-learn's validation; anything else takes it.
    def refuse(*args, **kwargs):
        raise AssertionError("scikit-learn's validation ran")
    monkeypatch.setattr(cl.Lasso, "_validate_data", refuse)
    assert np.array_equal(cl.Lasso(alpha=0.05).fit(X, y).coef_, fast.coef_)
    with pytest.raises(AssertionError, match="validation ran"):
        cl.Lasso(alpha=0.05).fit(X[:, ::2], y)  # not contiguous
