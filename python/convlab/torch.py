"""torch.optim.Optimizer subclasses stepping CPU tensors' own memory through convlab's C++ code.

    model = torch.nn.Linear(10, 1)
    opt = convlab.torch.Lion(model.parameters(), lr=1e-4, weight_decay=1.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=1000)   # torch schedulers work
    loss.backward(); opt.step(); opt.zero_grad(); sched.step()

Parameter groups, `lr` per group (what torch's schedulers change), and the convlab options per
group (`weight_decay`, `beta1`, `kappa`, ...; fixed once the optimizer is built). Tensors must
be contiguous CPU float32/float64 tensors; every parameter needs a gradient at each step (a
missing one is an error, not a skipped parameter: skipping would desynchronize the state).
`state_dict()` carries the C++ state (bytes checked on load: optimizer, options, shapes).
`lr_scheduler(opt, schedule)` drives the lr with a convlab schedule. `transforms=[...]` (see
convlab.optim) act within each parameter group, so ClipByGlobalNorm needs a single group (for a
norm over several groups, call torch.nn.utils.clip_grad_norm_ before step). `averaged_params()`
returns the ParamAverage's iterates as tensors, in the order of `model.parameters()`.
"""
import os
import tempfile

import torch

from . import optim as _optim

__all__ = ["SGD", "AdamW", "Lion", "lr_scheduler"]


class _ConvlabOptimizer(torch.optim.Optimizer):
    _impl_class = None

    def __init__(self, params, lr=1e-3, **options):
        super().__init__(params, dict(lr=lr, **options))
        if len(self.param_groups) > 1 and any(isinstance(t, _optim.ClipByGlobalNorm)
                                               for g in self.param_groups for t in g.get("transforms", ())):
            raise ValueError("ClipByGlobalNorm would clip each parameter group on its own here; use one group, or "
                             "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm) before step()")
        self._impls = [self._build(group) for group in self.param_groups]

    def _build(self, group):
        arrays = []
        for i, p in enumerate(group["params"]):
            if p.device.type != "cpu" or p.is_sparse:
                raise ValueError(f"parameter {i} is on {p.device}; convlab steps dense CPU tensors")
            if not p.data.is_contiguous():
                raise ValueError(f"parameter {i} is not contiguous; make it so (p.data = p.data.contiguous()) first")
            arrays.append(p.data.numpy())  # the tensor's own memory, no copy
        options = {k: v for k, v in group.items() if k not in ("params", "lr")}
        return self._impl_class(arrays, **options)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for g_index, (group, impl) in enumerate(zip(self.param_groups, self._impls)):
            grads = []
            for i, p in enumerate(group["params"]):
                if p.grad is None:
                    raise ValueError(f"parameter {i} of group {g_index} has no gradient")
                grads.append(p.grad.contiguous().numpy())
            impl.step(grads, float(group["lr"]))
        return loss

    def averaged_params(self):
        """The averaged parameters of a ParamAverage transform, as new tensors in the parameters' order."""
        return [torch.from_numpy(a) for impl in self._impls for a in impl.averaged_params()]

    def state_dict(self):
        state = super().state_dict()
        blobs = []
        with tempfile.TemporaryDirectory() as d:
            for k, impl in enumerate(self._impls):
                path = os.path.join(d, f"group{k}.state")
                impl.save(path)
                with open(path, "rb") as f:
                    blobs.append(f.read())
        state["convlab"] = blobs
        return state

    def load_state_dict(self, state_dict):
        blobs = state_dict.get("convlab")
        if blobs is None or len(blobs) != len(self._impls):
            raise ValueError("not a state_dict of this convlab optimizer (its 'convlab' entry is missing or has another group count)")
        with tempfile.TemporaryDirectory() as d:
            for k, (impl, blob) in enumerate(zip(self._impls, blobs)):
                path = os.path.join(d, f"group{k}.state")
                with open(path, "wb") as f:
                    f.write(blob)
                impl.load(path)
        rest = {k: v for k, v in state_dict.items() if k != "convlab"}
        super().load_state_dict(rest)


class SGD(_ConvlabOptimizer):
    """convlab.optim.SGD as a torch optimizer: SGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False)."""
    _impl_class = _optim.SGD


class AdamW(_ConvlabOptimizer):
    """convlab.optim.AdamW as a torch optimizer: AdamW(params, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2, amsgrad=False)."""
    _impl_class = _optim.AdamW


class Lion(_ConvlabOptimizer):
    """convlab.optim.Lion (Lion-κ) as a torch optimizer: Lion(params, lr, beta1=0.9, beta2=0.99, weight_decay=0, kappa='sign', ...)."""
    _impl_class = _optim.Lion


def lr_scheduler(optimizer, schedule):
    """A torch LambdaLR whose lr at step t is schedule(t) (a convlab schedule), whatever the groups' initial lr."""
    for group in optimizer.param_groups:
        group["lr"] = 1.0
        group["initial_lr"] = 1.0
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: schedule(t))
