# convlab from Python, side by side with scikit-learn and PyTorch in one process (issue 23):
#  1. convlab.linear_model.Lasso (tol = 1e-8, certified relative duality gap) against
#     sklearn.linear_model.Lasso at the loosest tolerance of a ladder whose solution reaches the
#     same relative gap (computed here with one formula for both), Python call overhead included,
#     timed in alternating batches (the ratio is the median of the batches' ratios);
#  2. one optimizer step on a float32 tensor of n values: convlab.torch.Lion / AdamW against a
#     hand-written torch Lion (automl reference, in-place ops) and torch.optim.AdamW (default and
#     foreach), one intra-op thread.
# Prints markdown tables (bench/README.md). Usage: PYTHONPATH=build/python python3 python_peers.py
import warnings

import numpy as np
import torch
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso as SkLasso

import convlab.torch as ctorch
from convlab.linear_model import Lasso
from timing import timed, timed_pair

warnings.simplefilter("ignore", ConvergenceWarning)
torch.set_num_threads(1)


def relative_gap(X, y, w, lam):
    n = len(y)
    r = y - X @ w
    primal = r @ r / (2 * n) + lam * np.abs(w).sum()
    theta = r / max(n * lam, np.abs(X.T @ r).max())
    dual = y @ y / (2 * n) - n * lam ** 2 / 2 * np.sum((theta - y / (n * lam)) ** 2)
    return (primal - dual) / primal


def problems():
    X, y = load_diabetes(return_X_y=True)
    X, y = X - X.mean(axis=0), y - y.mean()
    yield "diabetes 442 × 10", X, y
    rng = np.random.default_rng(20261203)
    X = rng.standard_normal((500, 2000))
    w = np.zeros(2000)
    w[rng.choice(2000, 20, replace=False)] = rng.standard_normal(20)
    yield "seeded 500 × 2000", np.asfortranarray(X), X @ w + rng.standard_normal(500)


print("| problem | λ/λmax | convlab Lasso | gap | scikit-learn Lasso (tol) | gap | ours / sklearn |")
print("|---|---|---|---|---|---|---|")
for name, X, y in problems():
    lmax = np.abs(X.T @ y).max() / len(y)
    for frac in (0.1, 0.01):
        lam = frac * lmax
        ours = Lasso(alpha=lam, fit_intercept=False, tol=1e-8)
        ours.fit(X, y)
        g_ours = relative_gap(X, y, ours.coef_, lam)
        for tol in (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12):
            peer = SkLasso(alpha=lam, fit_intercept=False, tol=tol, max_iter=1000000)
            peer.fit(X, y)
            g_peer = relative_gap(X, y, peer.coef_, lam)
            if g_peer <= 1e-8:
                break
        t_ours, t_peer, ratio = timed_pair(lambda: ours.fit(X, y), lambda: peer.fit(X, y))
        print(f"| {name} | {frac:g} | {t_ours * 1e3:.3g} ms | {g_ours:.1e} | {t_peer * 1e3:.3g} ms ({tol:g}) | "
              f"{g_peer:.1e} | {ratio:.2f} |")


def hand_lion(x, g):
    m, c = torch.zeros_like(x), torch.empty_like(x)

    def step():
        torch.mul(m, 0.9, out=c).add_(g, alpha=0.1)
        x.add_(c.sign_(), alpha=-1e-4)
        m.mul_(0.99).add_(g, alpha=0.01)
    return step


def torch_step(make):
    def build(x, g):
        p = torch.nn.Parameter(x)
        p.grad = g
        opt = make([p])
        return opt.step
    return build


print()
print("| n (float32, 1 thread) | convlab.torch.Lion | hand torch Lion | ratio | convlab.torch.AdamW | torch AdamW | foreach | ratio (best torch) |")
print("|---|---|---|---|---|---|---|---|")
with torch.no_grad():
    for n in (1_000_000, 10_000_000):
        def t(build):
            torch.manual_seed(0)
            return timed(build(torch.randn(n), torch.randn(n)))
        lion = t(torch_step(lambda ps: ctorch.Lion(ps, lr=1e-4)))
        hand = t(hand_lion)
        adamw = t(torch_step(lambda ps: ctorch.AdamW(ps, lr=1e-4)))
        tadamw = t(torch_step(lambda ps: torch.optim.AdamW(ps, lr=1e-4, foreach=False)))
        fadamw = t(torch_step(lambda ps: torch.optim.AdamW(ps, lr=1e-4, foreach=True)))
        print(f"| {n:.0e} | {lion * 1e3:.3g} ms | {hand * 1e3:.3g} ms | {hand / lion:.2f} | {adamw * 1e3:.3g} ms | "
              f"{tadamw * 1e3:.3g} ms | {fadamw * 1e3:.3g} ms | {min(tadamw, fadamw) / adamw:.2f} |")
