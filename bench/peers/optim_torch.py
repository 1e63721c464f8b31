# Optimizer steps side by side with PyTorch (Debian's python3-torch 1.13, CPU): torch.optim.AdamW
# in its default (for-loop) and foreach forms, and a hand-written torch Lion (the automl
# reference, in-place ops, the fastest form we found), on one float32 tensor of n values with
# `threads` intra-op threads. Prints "name seconds_per_step". Usage: optim_torch.py N THREADS
import sys

import torch

from timing import timed

n, threads = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(0)


def adamw(foreach):
    p = torch.nn.Parameter(torch.randn(n))
    p.grad = torch.randn(n)
    opt = torch.optim.AdamW([p], lr=1e-4, foreach=foreach)
    return opt.step


def lion():
    x, g, m = torch.randn(n), torch.randn(n), torch.zeros(n)
    c = torch.empty(n)
    lr, wd, b1, b2 = 1e-4, 0.0, 0.9, 0.99

    def step():
        x.mul_(1 - lr * wd)
        torch.mul(m, b1, out=c).add_(g, alpha=1 - b1)
        x.add_(c.sign_(), alpha=-lr)
        m.mul_(b2).add_(g, alpha=1 - b2)
    return step


with torch.no_grad():
    print("torch_adamw", timed(adamw(False)))
    print("torch_adamw_foreach", timed(adamw(True)))
    print("torch_lion", timed(lion()))
