"""convlab.schedules: closed forms, the C++ validation messages, refine and the bound."""
import math
import re

import numpy as np
import pytest

from convlab import schedules


def test_warmup_cosine_is_the_closed_form():
    s = schedules.warmup_cosine(0.0, 1.0, 10, 110)
    assert s(0) == 0.0 and s(5) == pytest.approx(0.5) and s(10) == pytest.approx(1.0)
    for t in (10, 35, 60, 109):
        assert s(t) == pytest.approx(0.5 * (1 + math.cos(math.pi * (t - 10) / 100)), abs=1e-15)
    assert s.values(3) == [s(0), s(1), s(2)]


def test_linear_decay_wsd_and_step():
    lin = schedules.linear_decay(2.0, 100)
    assert lin(0) == 2.0 and lin(50) == pytest.approx(1.0) and lin(100) == 0.0
    assert schedules.step(1.0, 10, 0.5)(25) == pytest.approx(0.25)
    w = schedules.wsd(1.0, 100, 10)
    assert w(5) == pytest.approx(0.5) and w(50) == 1.0 and w(99) < 0.1


def test_validation_messages_are_the_cpp_ones():
    with pytest.raises(ValueError, match="cosine: steps = 0 violates steps >= 1"):
        schedules.cosine(1.0, 0)
    with pytest.raises(ValueError, match=re.escape("wsd: shape = 'cubic' is not one of: linear | sqrt")):
        schedules.wsd(1.0, 100, 10, shape="cubic")
    with pytest.raises(TypeError, match="unexpected keyword argument 'window'"):
        schedules.refine([1.0] * 10, window=3)


def test_refine_gives_a_normalized_shape_and_the_refined_schedule_follows_it():
    norms = list(np.linspace(2.0, 1.0, 200))
    shape = schedules.refine(norms, tau=0.1, resample=101)
    assert len(shape) == 101 and max(shape) == pytest.approx(1.0) and shape[-1] == 0.0
    s = schedules.refined(shape, 0.5, 1001)
    assert s(0) == pytest.approx(0.5 * shape[0]) and s(1000) == 0.0


def test_last_iterate_bound_of_a_constant_step_on_constant_norms():
    # One step: the bound is D²/(2η) + η G²/2 with η = lr (the paper's T = 1 case).
    assert schedules.last_iterate_bound([0.5], [2.0], 1.0) == pytest.approx(1.0 / (2 * 0.5) + 0.5 * 4.0 / 2)
    with pytest.raises(ValueError, match="one norm per step"):
        schedules.last_iterate_bound([0.1, 0.1], [1.0], 1.0)


def test_final_iterate_bound_holds_after_the_last_gradient_step():
    # Gradient descent on f(x) = ½‖x‖² (f* = 0, ∇f = x) under linear decay: the bound covers the
    # returned iterate, and it is last_iterate_bound with its free last step appended.
    x = np.array([3.0, -4.0])
    D, lrs, norms = 5.0, schedules.linear_decay(0.5, 30).values(30), []
    for lr in lrs:
        norms.append(float(np.linalg.norm(x)))
        x = x - lr * x
    b = schedules.final_iterate_bound(lrs, norms, float(np.linalg.norm(x)), D)
    assert 0.5 * float(x @ x) <= b["value"]
    assert b["value"] == pytest.approx(b["at_zero_distance"] + b["per_squared_distance"] * D * D, rel=1e-14)
    assert b["value"] == pytest.approx(
        schedules.last_iterate_bound(lrs + [b["extra_step"]], norms + [float(np.linalg.norm(x))], D), rel=1e-12)
    with pytest.raises(ValueError, match="final_norm"):
        schedules.final_iterate_bound(lrs, norms, -1.0, D)
