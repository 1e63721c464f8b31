"""convlab.torch: torch.optim.Optimizer subclasses over CPU tensors, against torch's own AdamW and
a hand-written torch Lion, with torch's schedulers, groups and state_dict."""
import pytest

torch = pytest.importorskip("torch")  # python3-torch; scripts/install-deps.sh installs it

import convlab.torch as ctorch  # noqa: E402
from convlab import schedules  # noqa: E402


def model_and_data(dtype=torch.float64):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).to(dtype)
    X, y = torch.randn(64, 8, dtype=dtype), torch.randn(64, 1, dtype=dtype)
    return model, X, y


def train(model, opt, X, y, steps, sched=None):
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(X), y).backward()
        opt.step()
        if sched is not None:
            sched.step()


def clone(model):
    import copy
    return copy.deepcopy(model)


def test_adamw_matches_torch_adamw_with_a_scheduler():
    model, X, y = model_and_data()
    twin = clone(model)
    ours = ctorch.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    theirs = torch.optim.AdamW(twin.parameters(), lr=1e-2, weight_decay=0.1)
    train(model, ours, X, y, 20, torch.optim.lr_scheduler.CosineAnnealingLR(ours, T_max=20))
    train(twin, theirs, X, y, 20, torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=20))
    for a, b in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def torch_lion_step(params, state, lr, beta1=0.9, beta2=0.99, wd=0.0):
    for p in params:
        m = state.setdefault(p, torch.zeros_like(p))
        c = beta1 * m + (1 - beta1) * p.grad
        p.data.mul_(1 - lr * wd).add_(torch.sign(c), alpha=-lr)
        m.mul_(beta2).add_(p.grad, alpha=1 - beta2)


def test_lion_matches_a_torch_lion_and_groups_apply_their_options():
    model, X, y = model_and_data()
    twin = clone(model)
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    ours = ctorch.Lion([{"params": weights}, {"params": biases, "weight_decay": 0.0, "lr": 5e-4}], lr=1e-3, weight_decay=0.5)
    state = {}
    tw = [p for n, p in twin.named_parameters() if n.endswith("weight")]
    tb = [p for n, p in twin.named_parameters() if n.endswith("bias")]
    for _ in range(15):
        ours.zero_grad()
        twin.zero_grad()
        torch.nn.functional.mse_loss(model(X), y).backward()
        torch.nn.functional.mse_loss(twin(X), y).backward()
        ours.step()
        with torch.no_grad():
            torch_lion_step(tw, state, 1e-3, wd=0.5)
            torch_lion_step(tb, state, 5e-4, wd=0.0)
    for a, b in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-15)


def test_state_dict_resumes_to_the_same_bits_and_a_convlab_schedule_drives_the_lr():
    model, X, y = model_and_data(torch.float32)
    twin = clone(model)
    schedule = schedules.warmup_cosine(0.0, 1e-2, 5, 30)
    straight = ctorch.Lion(model.parameters(), kappa="huber", delta=0.5)
    train(model, straight, X, y, 30, ctorch.lr_scheduler(straight, schedule))
    first = ctorch.Lion(twin.parameters(), kappa="huber", delta=0.5)
    sched = ctorch.lr_scheduler(first, schedule)
    train(twin, first, X, y, 12, sched)
    saved, saved_sched = first.state_dict(), sched.state_dict()
    second = ctorch.Lion(twin.parameters(), kappa="huber", delta=0.5)  # torch's order: build both, then load
    sched2 = ctorch.lr_scheduler(second, schedule)
    second.load_state_dict(saved)
    sched2.load_state_dict(saved_sched)
    assert second.param_groups[0]["lr"] == pytest.approx(schedule(12))
    train(twin, second, X, y, 18, sched2)
    for a, b in zip(model.parameters(), twin.parameters()):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="saved for another optimizer or model"):
        ctorch.Lion(twin.parameters(), kappa="huber", delta=0.6).load_state_dict(saved)


def test_mistakes_are_named():
    model, X, y = model_and_data()
    opt = ctorch.AdamW(model.parameters(), lr=1e-3)
    with pytest.raises(ValueError, match="parameter 0 of group 0 has no gradient"):
        opt.step()
    with pytest.raises(ValueError, match="not contiguous"):
        ctorch.AdamW([torch.nn.Parameter(torch.zeros(4, 4).t())])
    with pytest.raises(TypeError, match="dtype"):
        ctorch.AdamW([torch.nn.Parameter(torch.zeros(3, dtype=torch.float64)),
                      torch.nn.Parameter(torch.zeros(3, dtype=torch.float32))])


def test_transforms_clip_like_torch_and_the_state_dict_with_transforms_survives_torch_save():
    import io
    from convlab import optim
    model, X, y = model_and_data()
    twin = clone(model)
    ours = ctorch.AdamW(model.parameters(), lr=1e-2, transforms=[optim.ClipByGlobalNorm(0.1), optim.ParamAverage("ema", 0.9)])
    ref = torch.optim.AdamW(twin.parameters(), lr=1e-2, weight_decay=1e-2)
    ema = [p.detach().clone() for p in twin.parameters()]
    for _ in range(20):
        for m, opt in ((model, ours), (twin, ref)):
            opt.zero_grad()
            torch.nn.functional.mse_loss(m(X), y).backward()
        with torch.no_grad():  # clip_grad_norm_ without its 1e-6 in the denominator
            norm = torch.sqrt(sum((p.grad ** 2).sum() for p in twin.parameters()))
            for p in twin.parameters():
                p.grad.mul_(min(1.0, 0.1 / float(norm)))
        ours.step()
        ref.step()
        with torch.no_grad():
            for a, p in zip(ema, twin.parameters()):
                a.mul_(0.9).add_(0.1 * p)
    for a, b in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    for a, b in zip(ours.averaged_params(), ema):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    buffer = io.BytesIO()
    torch.save(ours.state_dict(), buffer)  # the groups' transforms pickle
    buffer.seek(0)
    again = ctorch.AdamW(model.parameters(), lr=1e-2, transforms=[optim.ClipByGlobalNorm(0.1), optim.ParamAverage("ema", 0.9)])
    again.load_state_dict(torch.load(buffer))
    for a, b in zip(again.averaged_params(), ours.averaged_params()):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="clip_grad_norm_"):
        ctorch.AdamW([{"params": [model[0].weight]}, {"params": [model[0].bias]}], transforms=[optim.ClipByGlobalNorm(1.0)])
