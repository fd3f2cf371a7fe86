"""Seconds from SIGINT to the exit of a process in the middle of a long SGD fit.

``python asv_benchmarks/interrupt_latency.py [--runs 3]``: a child fits
20 000 x 200 features, 20 components, warm-started for 10**6 epochs; the
parent sends SIGINT two seconds in and times the child's exit (Python's
shutdown included).
"""
import argparse
import signal
import subprocess
import sys
import textwrap
import time

CHILD = textwrap.dedent("""
    import numpy as np, signal
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from fastmtl import SharedLatentRegressor
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 200)); Y = X[:, :5] @ rng.normal(size=(5, 4))
    model = SharedLatentRegressor(20, max_iter=1, tol=None, solver="sgd",
                                  warm_start=True).fit(X, Y)
    print("started", flush=True)
    model.set_params(max_iter=10**6).fit(X, Y)
""")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    latencies = []
    for _ in range(args.runs):
        child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        try:
            child.stdout.readline()
            time.sleep(2.0)
            start = time.perf_counter()
            child.send_signal(signal.SIGINT)
            child.communicate(timeout=120)
            latencies.append(time.perf_counter() - start)
        finally:
            child.kill()
    print("SIGINT to exit (s):", ", ".join(f"{t:.3f}" for t in latencies))


if __name__ == "__main__":
    main()
