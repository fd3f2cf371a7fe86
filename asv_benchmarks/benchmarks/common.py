"""Shared pieces of the benchmarks: cached data and side-by-side ratios.

Machines here are shared and noisy, so every speed claim is a ratio of two
medians measured alternately in one process (``median_ratio``), reported by
``track_*`` benchmarks next to the absolute ``time_*`` ones.
"""
import functools
import time

import numpy as np


@functools.lru_cache(maxsize=None)
def distributions(n, k, seed=0, dtype="float64"):
    """``n`` random distributions of length ``k``, one per row (read-only)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, k))
    X /= X.sum(axis=1, keepdims=True)
    X = X.astype(dtype)
    X.flags.writeable = False
    return X


def median_time(func, repeat=7):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def median_ratio(func, baseline, repeat=7):
    """Median over interleaved runs of time(func) / time(baseline)."""
    ours, theirs = [], []
    for _ in range(repeat):
        for timings, f in ((ours, func), (theirs, baseline)):
            start = time.perf_counter()
            f()
            timings.append(time.perf_counter() - start)
    return float(np.median(ours) / np.median(theirs))
