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


def test_transforms_clip_accumulate_and_average_as_their_closed_forms():
    r = rng()
    x0 = r.standard_normal(50)
    grads = [3 * r.standard_normal(50) for _ in range(6)]
    # Clipping by the global norm over two tensors: Lion's sign is scale-free, so use SGD, whose
    # step is then -lr * g * min(1, c / ||g||) with ||g|| over both tensors together.
    a, b = x0[:20].copy(), x0[20:].copy()
    opt = optim.SGD([a, b], transforms=[optim.ClipByGlobalNorm(1.5)])
    g = grads[0]
    assert opt.step([g[:20], g[20:]], lr=0.1) is True
    want = x0 - 0.1 * g * min(1.0, 1.5 / np.linalg.norm(g))
    np.testing.assert_allclose(np.concatenate([a, b]), want, rtol=1e-13, atol=1e-15)
    # Clipping by value, then accumulating two gradients: one AdamW step on their mean, equal
    # bit for bit to a plain AdamW given that mean (the sum of two floats halved is exact).
    x, y = x0.copy(), x0.copy()
    acc = optim.AdamW([x], transforms=[optim.ClipByValue(2.0), optim.Accumulate(2)])
    plain = optim.AdamW([y])
    for t in range(0, 6, 2):
        g0, g1 = np.clip(grads[t], -2, 2), np.clip(grads[t + 1], -2, 2)
        assert acc.step([grads[t]], lr=0.01) is False
        np.testing.assert_array_equal(x, y)  # collecting only
        assert acc.step([grads[t + 1]], lr=0.01) is True
        plain.step([(g0 + g1) / 2], lr=0.01)
        np.testing.assert_array_equal(x, y)
    # The EMA and the Polyak mean of the iterates, recomputed from the iterates themselves.
    for kind in ("ema", "polyak"):
        x = x0.copy()
        opt = optim.Lion([x], weight_decay=0.1, transforms=[optim.ParamAverage(kind, decay=0.8)])
        avg, iterates = x0.copy(), []
        for g in grads:
            opt.step([g], lr=0.05)
            iterates.append(x.copy())
            avg = 0.8 * avg + 0.2 * x
        want = avg if kind == "ema" else np.mean(iterates, axis=0)
        np.testing.assert_allclose(opt.averaged_params()[0], want, rtol=1e-12, atol=1e-14)


def test_transforms_keep_the_callers_gradients_and_resume_from_a_saved_state():
    r = rng()
    W0 = r.standard_normal((4, 3)).astype(np.float32)
    grads = [r.standard_normal((4, 3)).astype(np.float32) for _ in range(7)]
    make = lambda W: optim.AdamW([W], weight_decay=0.1,
                                 transforms=[optim.Accumulate(3), optim.ClipByGlobalNorm(0.5), optim.ParamAverage("ema", 0.9)])
    straight = W0.copy()
    opt = make(straight)
    for g in grads:
        before = g.copy()
        opt.step([g], lr=0.01)
        np.testing.assert_array_equal(g, before)
    resumed = W0.copy()
    first = make(resumed)
    for g in grads[:4]:  # one gradient waits in the accumulator
        first.step([g], lr=0.01)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "opt.state")
        first.save(path)
        second = make(resumed)
        second.load(path)
        for g in grads[4:]:
            second.step([g], lr=0.01)
        np.testing.assert_array_equal(resumed, straight)
        np.testing.assert_array_equal(second.averaged_params()[0], opt.averaged_params()[0])
        other = optim.AdamW([resumed], weight_decay=0.1,
                            transforms=[optim.Accumulate(3), optim.ClipByGlobalNorm(0.5), optim.ParamAverage("polyak")])
        with pytest.raises(ValueError, match="kind=ema"):
            other.load(path)


def test_transform_mistakes_are_named():
    x = np.zeros(3)
    with pytest.raises(ValueError, match="max_norm > 0"):
        optim.ClipByGlobalNorm(0)
    with pytest.raises(ValueError, match="every >= 1"):
        optim.Accumulate(0)
    with pytest.raises(ValueError, match="ema | polyak"):
        optim.ParamAverage("mean")
    with pytest.raises(TypeError, match="not str"):
        optim.SGD([x], transforms=["clip"])
    with pytest.raises(ValueError, match="all groups together"):
        optim.SGD([{"params": [x], "transforms": [optim.ClipByValue(1.0)]}])
    with pytest.raises(ValueError, match="no ParamAverage"):
        optim.SGD([x], transforms=[optim.ClipByValue(1.0)]).averaged_params()
    assert repr(optim.ParamAverage("polyak")) == "ParamAverage: decay=0.999 kind=polyak"
