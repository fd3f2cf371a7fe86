"""Small fits on Numba's threads or on one: what the default (by work per
minibatch) gives against forcing every minibatch into a parallel region.

    python asv_benchmarks/threads.py [--busy] [--samples 200 --features 5 --tasks 3]

Fits of SharedLatentRegressor(2, max_iter=200, tol=None), taken in turn in
one process: "parallel" forces a parallel region per minibatch
(``SGD_PARALLEL_MIN_FLOPS = 0``), "default" uses fastmtl's rule. ``--busy``
keeps one core busy with a Python loop in another process, as a shared
machine does. Run it also under NUMBA_NUM_THREADS=1 for the one-thread
reference. Medians and minima in ms.
"""
import argparse
import multiprocessing
import statistics
import time
import warnings


def _busy():
    while True:
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--features", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--busy", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    from fastmtl import SharedLatentRegressor, _config
    from fastmtl.datasets import make_multitask_regression
    from fastmtl.linear_model._solvers import _sgd

    X, Y = make_multitask_regression(args.samples, args.tasks, args.features,
                                     shared_X=True, random_state=0)[:2]
    model = SharedLatentRegressor(2, max_iter=200, tol=None, random_state=0, solver="sgd")
    modes = {"parallel": 0.0, "default": _config.SGD_PARALLEL_MIN_FLOPS}
    for threshold in modes.values():  # compile both paths
        _sgd.SGD_PARALLEL_MIN_FLOPS = threshold
        model.fit(X, Y)
    busy = multiprocessing.Process(target=_busy, daemon=True) if args.busy else None
    if busy:
        busy.start()
    times = {name: [] for name in modes}
    try:
        for _ in range(args.repeat):
            for name, threshold in modes.items():
                _sgd.SGD_PARALLEL_MIN_FLOPS = threshold
                start = time.perf_counter()
                model.fit(X, Y)
                times[name].append(time.perf_counter() - start)
    finally:
        if busy:
            busy.terminate()
    import numba

    state = "one core busy" if args.busy else "quiet"
    print(f"# {X.shape[0]} x {X.shape[1]}, {Y.shape[1]} tasks, {numba.get_num_threads()} "
          f"Numba threads, {state}")
    for name, values in times.items():
        print(f"{name:>9}: median {statistics.median(values) * 1e3:8.1f} ms, "
              f"min {min(values) * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
