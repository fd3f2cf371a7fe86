"""Median times of the row-wise kernels with ``normalize=True`` (linear and
log input), the paths that rescale rows whose sums overflow or are subnormal
and that keep the log-sum of large logits, and of KL and JS on rows that
need no normalising (whose sums watch for near-identical rows).

Run it alternately in two checkouts (e.g. this one and ``git worktree add``
of an older commit, with ``PYTHONPATH`` pointing at it) to compare them:
``python asv_benchmarks/normalize_timings.py [--repeat 15]``.
"""
import argparse
import time

import numpy as np

import fastmtl


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    P, Q = rng.random((200_000, 128)), rng.random((200_000, 128))
    Pn, Qn = P / P.sum(axis=1, keepdims=True), Q / Q.sum(axis=1, keepdims=True)
    cases = {
        "entropy, normalize": lambda: fastmtl.entropy(P, normalize=True),
        "kl, normalize": lambda: fastmtl.kl_divergence(P, Q, normalize=True),
        "entropy, log_input + normalize": lambda: fastmtl.entropy(
            P, log_input=True, normalize=True),
        "kl, log_input + normalize": lambda: fastmtl.kl_divergence(
            P, Q, log_input=True, normalize=True),
        "kl": lambda: fastmtl.kl_divergence(Pn, Qn),
        "js": lambda: fastmtl.js_divergence(Pn, Qn),
        "js, log_input + normalize": lambda: fastmtl.js_divergence(
            P, Q, log_input=True, normalize=True),
    }
    for run in cases.values():
        run()  # compile
    times = {name: [] for name in cases}
    for _ in range(args.repeat):  # interleaved
        for name, run in cases.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    print(f"fastmtl at {fastmtl.__file__}; 200 000 x 128 rows, medians of {args.repeat}")
    for name, values in times.items():
        print(f"  {name:32s} {np.median(values) * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
