"""The bench estimator in numpy (see common.py): ranks(n) or permutation(n) through argsort(argsort(z)),
one batch element at a time (memory stays O(S·n)), two ways: "fused" (one evaluation per sample for value,
standard error and vjp) and "two-pass", the library's shape (forward, then a vjp that regenerates the same
noise from the seed and evaluates the box again). numpy sorts on one thread.

    python3 bench/peers/ranks_numpy.py ranks100|perm5
"""
from common import GAMMA, WORKLOADS, cotangent, inputs, parse_args, report, timed

try:
    import numpy as np
except ImportError:
    report(skip="python3 has no numpy")
    raise SystemExit(0)

workload, _threads = parse_args()
box, n, B, S = WORKLOADS[workload]
m = n * n if box == "permutation" else n
x = np.asarray(inputs(B, n), dtype=np.float32).reshape(B, n)
v = np.asarray(cotangent(B, m), dtype=np.float32).reshape(B, m)
rows = np.arange(n)


def noise(seed, b):
    return np.random.default_rng([seed, b]).standard_normal((S, n))


def ranks(z):
    """Ascending positions: one argsort, then its inverse by a scatter (cheaper than a second argsort)."""
    order = np.argsort(z, axis=1)
    r = np.empty_like(order)
    np.put_along_axis(r, order, np.broadcast_to(rows, order.shape), axis=1)
    return r


def outputs(r):
    """The box's S×m outputs from the S×n ranks."""
    if box == "ranks":
        return r.astype(np.float64)
    f = np.zeros((S, n, n))
    f[np.arange(S)[:, None], rows[None, :], r] = 1.0
    return f.reshape(S, m)


def forward(seed):
    value = np.empty((B, m))
    stderr = np.empty((B, m))
    for b in range(B):
        z = (x[b] + GAMMA * noise(seed, b)).astype(np.float32)
        f = outputs(ranks(z))
        value[b] = f.mean(axis=0)
        stderr[b] = f.std(axis=0, ddof=1) / np.sqrt(S)
    return value, stderr


def vjp(seed):
    grad = np.empty((B, n))
    for b in range(B):
        eps = noise(seed, b)
        z = (x[b] + GAMMA * eps).astype(np.float32)
        g = outputs(ranks(z)) @ v[b].astype(np.float64)  # ⟨v, f⟩ per sample
        # leave-one-out: (Σ g s − Σg Σs / S) / (S − 1), score s = ε / γ for Gaussian noise
        grad[b] = (g @ eps - g.sum() * eps.sum(axis=0) / S) / (S - 1) / GAMMA
    return grad


def fused(seed):
    """One evaluation per sample for value, standard error and vjp (the cotangent known in advance)."""
    grad = np.empty((B, n))
    for b in range(B):
        eps = noise(seed, b)
        f = outputs(ranks((x[b] + GAMMA * eps).astype(np.float32)))
        f.mean(axis=0), f.std(axis=0, ddof=1)
        g = f @ v[b].astype(np.float64)
        grad[b] = (g @ eps - g.sum() * eps.sum(axis=0) / S) / (S - 1) / GAMMA
    return grad


def two_pass(seed):
    forward(seed)
    return vjp(seed)


for name, fn in (("fused", fused), ("two-pass", two_pass)):
    ms, runs = timed(lambda: fn(7))
    report(impl=f"numpy {name}", version=np.__version__, workload=workload, threads=1, shape=name, ms=ms, runs=runs,
           check=float(fn(7)[0, 0]))
