"""Fit speed of two fastmtl source trees against PyTorch, interleaved, one run.

    git worktree add ../fastmtl-before <revision>
    python asv_benchmarks/compare_revisions.py ../fastmtl-before . [--busy] [--repeat 5]

Each tree is imported in a worker process of its own (two versions of one
package cannot share a process); a third worker fits the same model in
PyTorch. The driver asks them in turn (before, after, PyTorch, before, ...)
for one fit of the benchmark of ``asv_benchmarks/benchmarks/linear_model.py``
(200 000 x 100 x 20 tasks, 10 epochs; ``--samples`` changes the rows) and prints each side's median and the
ratios of medians. ``--busy`` keeps one core busy with a Python loop in
another process while measuring, as a shared machine does; ``--cpu-time``
reads each worker's CPU time instead of the wall clock. ``--classic``
fits the model that revisions before the shared component fitted (no shared
component, free intercepts, each task's mean loss) in every tree that has
those parameters, so that two revisions time the same model.
"""
import argparse
import multiprocessing
import pathlib
import statistics
import subprocess
import sys
import textwrap

HERE = pathlib.Path(__file__).resolve().parent

WORKER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[1])
    sys.path.insert(0, sys.argv[2])
    from benchmarks import linear_model as bench
    X, Y, _, _ = bench.multitask_data(int(sys.argv[5]))
    if sys.argv[3] == "torch":
        import torch
        torch.set_num_threads(int(sys.argv[4]))
        fit = lambda: bench.torch_fit(X, Y)
    else:
        import fastmtl
        assert fastmtl.__file__.startswith(sys.argv[1]), fastmtl.__file__
        classic = dict(shared_alpha=None, intercept_alpha=0.0, loss_weighting="task")

        def model():
            est = bench.fastmtl_model()
            if sys.argv[6] == "classic":
                est.set_params(**{k: v for k, v in classic.items() if k in est.get_params()})
            return est

        model().set_params(max_iter=1).fit(X[:1000], Y[:1000])  # compile
        fit = lambda: model().fit(X, Y)
    print("ready", flush=True)
    for line in sys.stdin:
        clock = time.process_time if line.strip() == "cpu" else time.perf_counter
        start = clock()
        fit()
        print(clock() - start, flush=True)
""")


def _busy():
    while True:
        pass


def _start(tree, kind, threads, n_samples, classic=False):
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(tree), str(HERE), kind, str(threads),
         str(n_samples), "classic" if classic else "default"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=pathlib.Path)
    parser.add_argument("after", type=pathlib.Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--samples", type=int, default=200_000,
                        help="training rows of the benchmark data")
    parser.add_argument("--busy", action="store_true",
                        help="keep one core busy in another process")
    parser.add_argument("--torch-threads", type=int, default=2,
                        help="threads of the PyTorch baseline; 0 leaves it out")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time the fits by the worker's CPU time (its threads "
                             "summed), which another process's load disturbs less "
                             "than the wall clock")
    parser.add_argument("--classic", action="store_true",
                        help="time the model without the shared component in both trees")
    args = parser.parse_args(argv)
    workers = {name: _start(tree.resolve(), "fastmtl", 0, args.samples, args.classic)
               for name, tree in (("before", args.before), ("after", args.after))}
    if args.torch_threads:
        workers["torch"] = _start(args.after.resolve(), "torch", args.torch_threads,
                                  args.samples)
    for worker in workers.values():
        assert worker.stdout.readline().strip() == "ready"
    busy = multiprocessing.Process(target=_busy, daemon=True) if args.busy else None
    if busy:
        busy.start()
    times = {name: [] for name in workers}
    try:
        for _ in range(args.repeat):
            for name, worker in workers.items():
                worker.stdin.write("cpu\n" if args.cpu_time else "fit\n")
                worker.stdin.flush()
                times[name].append(float(worker.stdout.readline()))
    finally:
        if busy:
            busy.terminate()
        for worker in workers.values():
            worker.stdin.close()
            worker.wait()
    medians = {name: statistics.median(values) for name, values in times.items()}
    state = "one core busy" if args.busy else "quiet"
    clock = "CPU" if args.cpu_time else "wall-clock"
    print(f"# {args.repeat} interleaved rounds, {state}; medians in {clock} seconds")
    for name, value in medians.items():
        print(f"{name:>7}: {value:.3f}  (all: {', '.join(f'{t:.3f}' for t in times[name])})")
    if "torch" in medians:
        print(f"before / torch: {medians['before'] / medians['torch']:.3f}")
        print(f" after / torch: {medians['after'] / medians['torch']:.3f}")
    print(f"after / before: {medians['after'] / medians['before']:.3f}")


if __name__ == "__main__":
    main()
