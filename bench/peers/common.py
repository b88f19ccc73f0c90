"""Shared by the peer benchmarks (bench/peers/*.py): the workloads, the inputs and the timing loop.

The estimator is the one bench/run.ts measures on this library (README.md, "The estimator"): Gaussian noise of
scale gamma, plain Monte Carlo, the leave-one-out covariate, forward (value and standard error of the mean
output) followed by a vector-Jacobian product. The noise comes from each package's own generator, so numbers
agree with the library's only statistically; what is compared is the time of the same amount of work.
"""
import json
import math
import statistics
import sys
import time

# The workloads of bench/workloads.ts that have a peer: (box, n, batch B, samples S).
WORKLOADS = {
    "ranks100": ("ranks", 100, 64, 4096),
    "perm5": ("permutation", 5, 64, 4096),
}
GAMMA = 0.5


def inputs(batch, n):
    """bench/workloads.ts inputs(): x[k] = sin(12.9898 k) (float32), v[k] = cos(k) over the B×m outputs."""
    x = [math.sin(12.9898 * k) for k in range(batch * n)]
    return x


def cotangent(batch, m):
    return [math.cos(k) for k in range(batch * m)]


def timed(fn, min_runs=5, min_seconds=3.0):
    """Median wall time in ms of fn() over at least min_runs runs (and min_seconds), after one warm-up run."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
        if len(times) >= 50:
            break
    return statistics.median(times), len(times)


def report(**fields):
    print(json.dumps(fields), flush=True)


def parse_args():
    """argv: workload id [threads]; prints a skip line and exits 0 for an unknown workload."""
    workload = sys.argv[1] if len(sys.argv) > 1 else "ranks100"
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    if workload not in WORKLOADS:
        report(skip=f"no peer for workload {workload}")
        sys.exit(0)
    return workload, threads
