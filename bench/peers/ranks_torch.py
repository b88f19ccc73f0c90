"""The bench estimator in PyTorch-CPU (see common.py), two ways:
- "fused": one evaluation per sample gives the value, the standard error and the vjp (what a hand-written
  PyTorch loop would do when the cotangent is known in advance);
- "two-pass": the library's shape, forward then a vjp that regenerates the same noise from the seed and
  evaluates the box again (as an autograd.Function that does not keep the samples would).
ranks by argsort and an inverse scatter on the batch element's S×n samples, one batch element at a time.

    python3 bench/peers/ranks_torch.py ranks100|perm5 [threads]
"""
from common import GAMMA, WORKLOADS, cotangent, inputs, parse_args, report, timed

try:
    import torch
except ImportError:
    report(skip="python3 has no torch (python3 -m pip install torch==2.13.0+cpu)")
    raise SystemExit(0)

workload, threads = parse_args()
torch.set_num_threads(threads)
box, n, B, S = WORKLOADS[workload]
m = n * n if box == "permutation" else n
x = torch.tensor(inputs(B, n), dtype=torch.float32).reshape(B, n)
v = torch.tensor(cotangent(B, m), dtype=torch.float64).reshape(B, m)


def noise(seed, b):
    g = torch.Generator().manual_seed(seed * 1_000_003 + b)
    return torch.randn((S, n), generator=g, dtype=torch.float64)


rows = torch.arange(n).expand(S, n)


def outputs(z):
    # ascending positions: one argsort, then its inverse by a scatter (cheaper than a second argsort)
    r = torch.empty((S, n), dtype=torch.int64).scatter_(1, torch.argsort(z, dim=1), rows)
    if box == "ranks":
        return r.to(torch.float64)
    return torch.nn.functional.one_hot(r, n).to(torch.float64).reshape(S, m)


def moments(f):
    return f.mean(dim=0), f.std(dim=0) / S ** 0.5


def loo_vjp(f, eps, vb):
    g = f @ vb
    return (g @ eps - g.sum() * eps.sum(dim=0) / S) / (S - 1) / GAMMA


def fused(seed):
    grad = torch.empty((B, n), dtype=torch.float64)
    for b in range(B):
        eps = noise(seed, b)
        f = outputs((x[b] + GAMMA * eps).to(torch.float32))
        moments(f)
        grad[b] = loo_vjp(f, eps, v[b])
    return grad


def two_pass(seed):
    for b in range(B):
        moments(outputs((x[b] + GAMMA * noise(seed, b)).to(torch.float32)))
    grad = torch.empty((B, n), dtype=torch.float64)
    for b in range(B):
        eps = noise(seed, b)
        grad[b] = loo_vjp(outputs((x[b] + GAMMA * eps).to(torch.float32)), eps, v[b])
    return grad


with torch.no_grad():
    for name, fn in (("fused", fused), ("two-pass", two_pass)):
        ms, runs = timed(lambda: fn(7))
        report(impl=f"torch {name}", version=torch.__version__, workload=workload, threads=threads, shape=name, ms=ms, runs=runs,
               check=float(fn(7)[0, 0]))
