"""convlab.optim on NumPy arrays: the documented formulas written in NumPy (an independent
reference), in-place stepping without copies, parameter groups, saved state, and clear errors."""
import os
import re
import tempfile

import numpy as np
import pytest

import convlab
from convlab import optim


def rng():
    return np.random.default_rng(20261203)


def adamw_reference(x, grads, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    """torch.optim.AdamW's step for step, in float64 (docs/optim.md)."""
    x = x.astype(np.float64).copy()
    m, v = np.zeros_like(x), np.zeros_like(x)
    for t, g in enumerate(grads, start=1):
        x *= 1 - lr * weight_decay
        m += (1 - beta1) * (g - m)
        v = beta2 * v + (1 - beta2) * g * g
        denom = np.sqrt(v) / np.sqrt(1 - beta2 ** t) + eps
        x -= (lr / (1 - beta1 ** t)) * (m / denom)
    return x


def lion_reference(x, grads, lr, beta1=0.9, beta2=0.99, weight_decay=0.0):
    """Lion (automl reference order), float64."""
    x = x.astype(np.float64).copy()
    m = np.zeros_like(x)
    for g in grads:
        c = beta1 * m + (1 - beta1) * g
        x = x * (1 - lr * weight_decay) - lr * np.sign(c)
        m = beta2 * m + (1 - beta2) * g
    return x


def sgd_reference(x, grads, lr, momentum, weight_decay, nesterov):
    x = x.astype(np.float64).copy()
    b = None
    for g in grads:
        g = g + weight_decay * x
        b = g.copy() if b is None else momentum * b + g
        x -= lr * (g + momentum * b if nesterov else b)
    return x


def test_version():
    assert convlab.__version__.count(".") == 2


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-13), (np.float32, 1e-5)])
def test_adamw_follows_the_formulas_in_place(dtype, tol):
    r = rng()
    x = r.standard_normal((4, 3)).astype(dtype)
    start, address = x.copy(), x.ctypes.data
    grads = [r.standard_normal((4, 3)).astype(dtype) for _ in range(5)]
    opt = optim.AdamW([x], weight_decay=0.1)
    for g in grads:
        opt.step([g], 1e-2)
    assert x.ctypes.data == address and opt.params[0] is x  # the caller's array, stepped in place
    want = adamw_reference(start, [g.astype(np.float64) for g in grads], 1e-2, weight_decay=0.1)
    np.testing.assert_allclose(x, want, rtol=tol, atol=tol)
    assert not np.allclose(x, start)


def test_lion_sign_and_sgd_follow_the_formulas():
    r = rng()
    x0 = r.standard_normal(50)
    grads = [r.standard_normal(50) for _ in range(6)]
    x = x0.copy()
    opt = optim.Lion([x], weight_decay=0.5)
    for g in grads:
        opt.step([g], 0.01)
    np.testing.assert_allclose(x, lion_reference(x0, grads, 0.01, weight_decay=0.5), rtol=0, atol=1e-15)
    y = x0.copy()
    sgd = optim.SGD([y], momentum=0.9, nesterov=True, weight_decay=0.01)
    for g in grads:
        sgd.step([g], 0.1)
    np.testing.assert_allclose(y, sgd_reference(x0, grads, 0.1, 0.9, 0.01, True), rtol=1e-14, atol=1e-14)


def test_every_kappa_steps_and_huber_is_a_clipped_direction():
    r = rng()
    for kappa, extra in [("sign", {}), ("huber", {"delta": 0.5}), ("l2", {}), ("linf", {}), ("lp", {"p": 3.0}),
                         ("relativistic", {"delta": 0.5}), ("dead_zone", {"delta": 0.05}), ("log_cosh", {"beta": 2.0}),
                         ("quadratic", {}), ("nuclear", {})]:
        w = r.standard_normal((6, 4))
        before = w.copy()
        optim.Lion([w], kappa=kappa, **extra).step([r.standard_normal((6, 4))], 0.01)
        assert np.all(np.isfinite(w)) and not np.array_equal(w, before), kappa
    # Huber's first step: x − lr·clip((1 − β₁)g/δ, −1, 1) (momentum starts at 0).
    x, g = np.zeros(5), np.array([-10.0, -1.0, 0.0, 1.0, 10.0])
    optim.Lion([x], kappa="huber", delta=0.5).step([g], 1.0)
    np.testing.assert_allclose(x, -np.clip(0.1 * g / 0.5, -1, 1), atol=1e-15)


def test_nuclear_kappa_steps_by_msign_of_each_matrix_in_either_memory_order():
    r = rng()
    g = r.standard_normal((5, 3))
    u, _, vt = np.linalg.svd(0.1 * g, full_matrices=False)
    for order in ("C", "F"):
        w = np.zeros((5, 3), order=order)
        optim.Lion([w], kappa="nuclear").step([np.asarray(g, order=order)], 0.1)
        np.testing.assert_allclose(w, -0.1 * u @ vt, atol=1e-7)


def test_groups_apply_their_options_to_their_tensors_only():
    r = rng()
    w0, b0 = r.standard_normal((3, 2)), r.standard_normal(3)
    grads = [(r.standard_normal((3, 2)), r.standard_normal(3)) for _ in range(4)]
    w, b = w0.copy(), b0.copy()
    opt = optim.AdamW([{"params": [w]}, {"params": [b], "weight_decay": 0.0, "lr_scale": 0.5}], weight_decay=0.1)
    for gw, gb in grads:
        opt.step([gw, gb], 1e-2)
    np.testing.assert_allclose(w, adamw_reference(w0, [gw for gw, _ in grads], 1e-2, weight_decay=0.1), atol=1e-13)
    np.testing.assert_allclose(b, adamw_reference(b0, [gb for _, gb in grads], 5e-3, weight_decay=0.0), atol=1e-13)


def test_saved_state_resumes_to_the_same_bits():
    r = rng()
    x0 = r.standard_normal(20).astype(np.float32)
    grads = [r.standard_normal(20).astype(np.float32) for _ in range(6)]
    straight = x0.copy()
    opt = optim.Lion([straight], kappa="huber", delta=0.3)
    for g in grads:
        opt.step([g], 0.01)
    resumed = x0.copy()
    first = optim.Lion([resumed], kappa="huber", delta=0.3)
    for g in grads[:3]:
        first.step([g], 0.01)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "lion.state")
        first.save(path)
        second = optim.Lion([resumed], kappa="huber", delta=0.3)
        second.load(path)
        for g in grads[3:]:
            second.step([g], 0.01)
        assert np.array_equal(resumed, straight)
        with pytest.raises(ValueError, match="saved for another optimizer or model"):
            optim.Lion([resumed], kappa="huber", delta=0.4).load(path)
        with open(path, "r+b") as f:
            f.seek(40)
            f.write(b"\x00\xff")
        with pytest.raises(ValueError, match="checksum mismatch"):
            second.load(path)


def test_mistakes_are_named():
    x = np.zeros(4)
    with pytest.raises(TypeError, match="dtype int64; this optimizer steps float64"):
        optim.SGD([x, np.zeros(3, dtype=np.int64)])
    with pytest.raises(TypeError, match="float32"):
        optim.AdamW([np.zeros(3, dtype=np.float32), x])
    with pytest.raises(ValueError, match="not contiguous"):
        optim.Lion([np.zeros((4, 4))[:, 1]])
    ro = np.zeros(3)
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        optim.Lion([ro])
    with pytest.raises(TypeError, match="expected a numpy array, got list"):
        optim.Lion([[1.0, 2.0]])
    opt = optim.AdamW([x])
    with pytest.raises(ValueError, match=r"gradient 0 has shape \(3,\), its parameter \(4,\)"):
        opt.step([np.zeros(3)], 0.1)
    with pytest.raises(ValueError, match="1 gradients for 2 parameters"):
        optim.AdamW([x, np.zeros(2)]).step([np.zeros(4)], 0.1)
    with pytest.raises(ValueError, match=r"AdamWOptions::beta1 = 1 violates 0 <= beta1 < 1"):
        optim.AdamW([x], beta1=1.0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'betas'"):
        optim.AdamW([x], betas=(0.9, 0.99))
    with pytest.raises(ValueError, match=re.escape("kappa = 'sgn' is not one of: sign | huber | l2")):
        optim.Lion([x], kappa="sgn")
    with pytest.raises(TypeError, match="unexpected keyword argument 'delta'"):
        optim.Lion([x], delta=0.5)  # the sign κ has no delta
    with pytest.raises(ValueError, match=r"lr_scale \(group 0\) = -1 violates finite and > 0"):
        optim.SGD([{"params": [x], "lr_scale": -1.0}])
