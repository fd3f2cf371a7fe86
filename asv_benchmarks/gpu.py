"""fastmtl's CUDA paths against the GPU's own ceilings and baselines, one run.

    python asv_benchmarks/gpu.py [--only rowwise,pairwise,js,fit,predict] [--repeat 5]

Every figure is a ratio of medians taken side by side, interleaved, in this
one process (``--repeat`` rounds, one warm-up each), on inputs that already
live on the GPU (CuPy arrays), with the device synchronised around each call:

- rowwise: ``kl_divergence`` of 20 000 000 x 128 float32 rows, as a fraction
  of the device's copy bandwidth (a device-to-device copy, bytes read plus
  written) and against a bare read of P and Q (``P.sum() + Q.sum()``, which
  allocates nothing of P's size);
- pairwise: ``pairwise_divergence(metric="kl")`` of 20 000 x 20 000 x 256
  float32 against the bare cuBLAS product of the same shape (CuPy), in
  float32 and in float64 (the kernel's GEMM runs in float64);
- js: ``pairwise_divergence(metric="js")`` on the GPU against the same call
  on the CPU (all cores of the machine);
- fit: ``SharedLatentRegressor(device="cuda")`` on 2 000 000 x 256 x 50 tasks,
  5 components, 10 epochs, against the same model, objective and optimiser in
  PyTorch on the same GPU, with the test R^2 of both;
- predict: ``predict`` rows/s against the bare GEMM ``X @ coef_.T + b``.

Needs CuPy, PyTorch and a CUDA GPU that numba-cuda can use.
"""
import argparse
import statistics
import sys
import time

import numpy as np

SECTIONS = ("rowwise", "pairwise", "js", "fit", "predict")


def synchronize():
    from numba import cuda

    cuda.synchronize()


def interleaved(functions, repeat):
    """Median seconds of each function, called in turn ``repeat`` times after
    one warm-up call each; the GPU is synchronised around every call."""
    for f in functions.values():
        f()
    times = {name: [] for name in functions}
    for _ in range(repeat):
        for name, f in functions.items():
            synchronize()
            start = time.perf_counter()
            f()
            synchronize()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}, times


def report(title, medians, times):
    print(f"\n## {title}")
    for name, value in medians.items():
        spread = ", ".join(f"{t * 1e3:.2f}" for t in times[name])
        print(f"  {name:<28} {value * 1e3:10.3f} ms   (all: {spread})")


def random_rows(cp, n, k, dtype, seed):
    """``n`` random distributions of length ``k`` on the GPU."""
    rs = cp.random.RandomState(seed)
    X = rs.random_sample((n, k), dtype=np.float32).astype(dtype, copy=False)
    X += 1e-3
    X /= X.sum(axis=1, keepdims=True)
    return X


def copy_bandwidth(cp, repeat):
    """Bytes per second of a device-to-device copy (read + write)."""
    src = cp.random.random_sample(1 << 29, dtype=np.float32)  # 2 GiB
    dst = cp.empty_like(src)
    med, times = interleaved({"copy 2 GiB": lambda: cp.copyto(dst, src)}, repeat)
    report("device-to-device copy", med, times)
    bandwidth = 2 * src.nbytes / med["copy 2 GiB"]
    print(f"  copy bandwidth: {bandwidth / 1e12:.3f} TB/s (read + write)")
    del src, dst
    return bandwidth


def bench_rowwise(cp, fastmtl, repeat, bandwidth, n=20_000_000, k=128):
    P = random_rows(cp, n, k, np.float32, 1)
    Q = random_rows(cp, n, k, np.float32, 2)
    funcs = {
        "kl_divergence": lambda: fastmtl.kl_divergence(P, Q),
        "kl_divergence unchecked": lambda: fastmtl.kl_divergence(P, Q, check_input=False),
        "read P and Q (sum)": lambda: (P.sum(), Q.sum()),
    }
    med, times = interleaved(funcs, repeat)
    report(f"row-wise KL, {n} x {k} float32, on the GPU", med, times)
    moved = P.nbytes + Q.nbytes + n * 4 + n  # inputs, float32 result, status
    for name in ("kl_divergence", "kl_divergence unchecked"):
        achieved = moved / med[name]
        print(f"  {name}: {achieved / 1e12:.3f} TB/s = {achieved / bandwidth:.3f} of copy "
              f"bandwidth; {med[name] / med['read P and Q (sum)']:.2f} x the bare read")
    ref = fastmtl.kl_divergence(P[:2000].get().astype(np.float64),
                                Q[:2000].get().astype(np.float64), device="cpu")
    got = cp.asnumpy(fastmtl.kl_divergence(P, Q)[:2000]).astype(np.float64)
    print(f"  max relative error vs CPU float64 (2000 rows): "
          f"{np.max(np.abs(got - ref) / ref):.2e}")
    del P, Q
    cp.get_default_memory_pool().free_all_blocks()


def bench_pairwise(cp, fastmtl, repeat, n=20_000, k=256):
    P = random_rows(cp, n, k, np.float32, 3)
    Q = random_rows(cp, n, k, np.float32, 4)
    out32 = cp.empty((n, n), dtype=np.float32)
    P64, Q64 = P.astype(np.float64), Q.astype(np.float64)
    out64 = cp.empty((n, n), dtype=np.float64)
    funcs = {
        "pairwise KL (float32 out)": lambda: fastmtl.pairwise_divergence(P, Q, out=out32),
        "cuBLAS P @ Q.T float32": lambda: cp.matmul(P, Q.T, out=out32),
        "cuBLAS P @ Q.T float64": lambda: cp.matmul(P64, Q64.T, out=out64),
    }
    med, times = interleaved(funcs, repeat)
    report(f"pairwise KL, {n} x {n} x {k} float32, on the GPU", med, times)
    ours = med["pairwise KL (float32 out)"]
    print(f"  pairwise KL / GEMM float32: {ours / med['cuBLAS P @ Q.T float32']:.2f}")
    print(f"  pairwise KL / GEMM float64: {ours / med['cuBLAS P @ Q.T float64']:.2f}")
    pairwise_stages(fastmtl, P, Q, out32)
    fastmtl.pairwise_divergence(P, Q, out=out32)
    ref = fastmtl.pairwise_divergence(P[:300].get(), Q[:300].get(), device="cpu")
    got = out32[:300, :300].get()
    print(f"  max relative error vs CPU (300 x 300): {np.max(np.abs(got - ref) / ref):.2e}")
    del P, Q, P64, Q64, out32, out64
    cp.get_default_memory_pool().free_all_blocks()


def pairwise_stages(fastmtl, P, Q, out):
    """Where one pairwise KL call spends its time (median of 3), stage by stage."""
    from fastmtl import _config
    from fastmtl.information import _cpu, _cuda, _pairwise

    def one():
        t = {}

        def mark(name, start):
            synchronize()
            t[name] = t.get(name, 0.0) + time.perf_counter() - start

        start = time.perf_counter()
        sides = [_pairwise.prepare(_cuda, _cuda._on_device(X), False, False, True, 1e-4)
                 for X in (P, Q)]
        mark("prepare", start)
        start = time.perf_counter()
        left, right = _cuda.gemm_operands(_cpu.KL, *sides, 1.0)
        mark("operands", start)
        n, m = out.shape
        block = _pairwise.rows_per_block(n, m, 1, _config.CUDA_PAIRWISE_BLOCK_BYTES)
        start = time.perf_counter()
        buffer = _cuda.empty((block, m))
        mark("scratch", start)
        Pp, Qp = sides
        for first in range(0, n, block):
            stop = min(n, first + block)
            start = time.perf_counter()
            _cuda.matmul_nt(left[first:stop], right, buffer[:stop - first])
            mark("gemm", start)
            start = time.perf_counter()
            _cuda.finish_gemm_block(
                _cpu.KL, buffer[:stop - first], Pp.probs[first:stop], Qp.probs,
                Pp.negentropy[first:stop], Qp.negentropy, Pp.zero_ptr[first:stop + 1],
                Pp.zero_idx, Qp.zero_ptr, Qp.zero_idx, Qp.rows_with_zeros, 1e-4, 1.0, True,
                _cuda._on_device(out)[first:stop])
            mark("finish", start)
        return t

    runs = [one() for _ in range(4)][1:]
    print("  stages (ms): " + ", ".join(
        f"{name} {statistics.median(r[name] for r in runs) * 1e3:.2f}" for name in runs[0]))


def bench_js(cp, fastmtl, repeat, n=4000, k=128):
    P = random_rows(cp, n, k, np.float64, 5)
    Q = random_rows(cp, n, k, np.float64, 6)
    P_host, Q_host = P.get(), Q.get()
    out = cp.empty((n, n))
    funcs = {
        "pairwise JS GPU": lambda: fastmtl.pairwise_divergence(P, Q, metric="js", out=out),
        "pairwise JS CPU": lambda: fastmtl.pairwise_divergence(P_host, Q_host, metric="js",
                                                               device="cpu"),
    }
    from fastmtl import _config

    default_tile = _config.CUDA_TILE

    def with_tile(tile):
        def run():
            _config.CUDA_TILE = tile
            try:
                fastmtl.pairwise_divergence(P, Q, metric="js", out=out)
            finally:
                _config.CUDA_TILE = default_tile
        return run

    for tile in (8, 32):
        funcs[f"pairwise JS GPU tile {tile}"] = with_tile(tile)
    med, times = interleaved(funcs, max(3, repeat // 2))
    report(f"pairwise JS, {n} x {n} x {k} float64", med, times)
    print(f"  GPU speed-up over the CPU kernel: "
          f"{med['pairwise JS CPU'] / med['pairwise JS GPU']:.1f} x")
    ref = fastmtl.pairwise_divergence(P_host, Q_host, metric="js", device="cpu")
    print(f"  max relative error vs CPU: {np.max(np.abs(out.get() - ref) / ref):.2e}")


def fit_data(n_rows, n_features, n_tasks, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_features))
    W = rng.standard_normal((n_tasks, 5)) @ rng.standard_normal((5, n_features))
    Y = X @ W.T / np.sqrt(n_features) + 0.5 * rng.standard_normal((n_rows, n_tasks))
    return X, Y


def torch_fit(X, Y, components, epochs, batch, alpha, learning_rate, seed=0):
    """The model, objective and optimiser of SharedLatentRegressor in PyTorch on
    the GPU (X and Y already there); returns coef and intercept as NumPy."""
    import torch

    torch.manual_seed(seed)
    n, d = X.shape
    T = Y.shape[1]
    mean, scale = Y.mean(dim=0), Y.std(dim=0, correction=0)
    Yt = (Y - mean) / scale
    weight = scale ** 2 / (T * n)
    U = (torch.randn(components, d, dtype=X.dtype, device=X.device) / d ** 0.5)
    U.requires_grad_()
    V = torch.zeros(T, components, dtype=X.dtype, device=X.device, requires_grad=True)
    b = torch.zeros(T, dtype=X.dtype, device=X.device, requires_grad=True)
    optimiser = torch.optim.Adam([U, V, b], lr=learning_rate)
    for _ in range(epochs):
        order = torch.randperm(n, device=X.device)
        for start in range(0, n, batch):
            rows = order[start:start + batch]
            residual = (X[rows] @ U.T) @ V.T + b - Yt[rows]
            loss = (n / rows.shape[0]) * 0.5 * (residual.square() * weight).sum()
            loss = loss + 0.5 * alpha * (U.square().sum()
                                         + (V.square() * (scale ** 2)[:, None]).sum())
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    coef = (V.detach() * scale[:, None]) @ U.detach()
    return coef.cpu().numpy(), (b.detach() * scale + mean).cpu().numpy()


def r2(Y, prediction):
    ss_res = ((Y - prediction) ** 2).sum(axis=0)
    ss_tot = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    return float(np.mean(1 - ss_res / ss_tot))


def bench_fit(cp, fastmtl, repeat, epochs, batch, n=2_000_000, d=256, tasks=50):
    import torch

    X, Y = fit_data(n + 20_000, d, tasks)
    X_train, Y_train, X_test, Y_test = X[:n], Y[:n], X[n:], Y[n:]
    X_gpu = torch.from_numpy(X_train).cuda()
    Y_gpu = torch.from_numpy(Y_train).cuda()
    options = dict(alpha=1e-4, learning_rate=0.01, batch_size=batch, max_iter=epochs,
                   tol=None, random_state=0, device="cuda")
    model = fastmtl.SharedLatentRegressor(5, **options)
    model.set_params(max_iter=1).fit(X_train[:5000], Y_train[:5000])  # compile
    model.set_params(max_iter=epochs)
    results = {}

    def ours():
        results["fastmtl"] = model.fit(X_train, Y_train)

    def ours_gpu_input():
        results["fastmtl gpu input"] = model.fit(X_gpu, Y_train)

    def baseline():
        results["torch"] = torch_fit(X_gpu, Y_gpu, 5, epochs, batch, 1e-4, 0.01)

    funcs = {"fastmtl fit (host X)": ours, "torch fit (X on GPU)": baseline}
    if getattr(fastmtl, "_GPU_INPUT_FIT", True):
        funcs["fastmtl fit (X on GPU)"] = ours_gpu_input
    try:
        med, times = interleaved(funcs, repeat)
    except Exception as exc:  # GPU input not supported yet: measure the rest
        print(f"  (GPU-input fit failed: {type(exc).__name__}: {exc})")
        funcs.pop("fastmtl fit (X on GPU)")
        med, times = interleaved(funcs, repeat)
    report(f"fit {n} x {d} x {tasks} tasks, 5 components, {epochs} epochs, batch {batch}",
           med, times)
    for name in funcs:
        if name.startswith("fastmtl"):
            print(f"  torch / {name}: {med['torch fit (X on GPU)'] / med[name]:.2f} x")
    coef, intercept = results["torch"]
    print(f"  test R^2: fastmtl {results['fastmtl'].score(X_test, Y_test):.4f}, "
          f"torch {r2(Y_test, X_test @ coef.T + intercept):.4f}")
    return results["fastmtl"]


def bench_predict(cp, fastmtl, repeat, model=None, n=2_000_000, d=256, tasks=50):
    X, Y = fit_data(n, d, tasks, seed=1)
    if model is None:
        model = fastmtl.SharedLatentRegressor(5, max_iter=1, tol=None, device="cuda")
        model.fit(X[:20_000], Y[:20_000])
    X_gpu = cp.asarray(X)
    W = cp.asarray(model.coef_)
    b = cp.asarray(model.intercept_)
    funcs = {
        "predict (X on GPU)": lambda: model.predict(X_gpu),
        "bare GEMM X @ W.T + b": lambda: X_gpu @ W.T + b,
        "predict (host X)": lambda: model.predict(X),
    }
    try:
        med, times = interleaved(funcs, repeat)
    except Exception as exc:
        print(f"  (GPU-input predict failed: {type(exc).__name__}: {exc})")
        funcs.pop("predict (X on GPU)")
        med, times = interleaved(funcs, repeat)
    report(f"predict {n} x {d} -> {tasks} tasks", med, times)
    gemm = med["bare GEMM X @ W.T + b"]
    for name in funcs:
        print(f"  {name}: {n / med[name] / 1e6:.1f} M rows/s = {gemm / med[name]:.3f} "
              "of the bare GEMM")


def probe(cp, fastmtl, repeat):
    """Diagnostics: the row-wise kernel's resources and its time by group
    width (1 = a thread per row); where a GPU fit's time goes (cProfile)."""
    import cProfile
    import pstats

    from numba import cuda

    from fastmtl.information import _cpu, _cuda

    n, k = 20_000_000, 128
    P = _cuda._on_device(random_rows(cp, n, k, np.float32, 1))
    Q = _cuda._on_device(random_rows(cp, n, k, np.float32, 2))
    out = cuda.device_array(n, np.float32)
    status = cuda.device_array(n, np.uint8)
    flagged = cuda.to_device(np.zeros(1, np.int32))
    funcs = {}
    for width in (1, 4, 8, 16, 32):
        for check in (False, True):
            def run(width=width, check=check):
                _cuda._rowwise_kernel[_cuda._grid_groups(n, width)](
                    _cpu.KL, P, Q, width, False, False, check, 1e-4, 1.0, out, status,
                    flagged)
            funcs[f"KL kernel width {width:>2} check {check}"] = run
    med, times = interleaved(funcs, repeat)
    report("row-wise KL kernel alone, 20000000 x 128 float32", med, times)
    kernel = _cuda._rowwise_kernel
    print(f"  registers per thread: {kernel.get_regs_per_thread()}; local memory per "
          f"thread: {kernel.get_local_mem_per_thread()}; shared: "
          f"{kernel.get_shared_mem_per_block()}")
    del P, Q
    cp.get_default_memory_pool().free_all_blocks()

    X, Y = fit_data(1_000_000, 256, 50)
    import torch
    X_gpu = torch.from_numpy(X).cuda()
    model = fastmtl.SharedLatentRegressor(5, batch_size=4096, max_iter=1, tol=None,
                                          random_state=0, device="cuda")
    model.fit(X_gpu, Y)
    profile = cProfile.Profile()
    profile.enable()
    model.fit(X_gpu, Y)
    profile.disable()
    print("\n## cProfile of one GPU epoch, 1 000 000 x 256 x 50, batch 4096 (244 steps)")
    pstats.Stats(profile).sort_stats("tottime").print_stats(14)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--fit-repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sections = args.only.split(",")
    import cupy as cp
    import numba
    import torch
    from numba import cuda

    import fastmtl

    device = cuda.get_current_device()
    print(f"# {device.name.decode() if isinstance(device.name, bytes) else device.name}, "
          f"compute capability {device.compute_capability}; numba {numba.__version__}, "
          f"cupy {cp.__version__}, torch {torch.__version__}, fastmtl "
          f"{fastmtl.__version__}; python {sys.version.split()[0]}")
    if "probe" in sections:
        probe(cp, fastmtl, args.repeat)
        return
    bandwidth = copy_bandwidth(cp, args.repeat)
    if "rowwise" in sections:
        bench_rowwise(cp, fastmtl, args.repeat, bandwidth)
    if "pairwise" in sections:
        bench_pairwise(cp, fastmtl, args.repeat)
    if "js" in sections:
        bench_js(cp, fastmtl, args.repeat)
    model = None
    if "fit" in sections:
        model = bench_fit(cp, fastmtl, args.fit_repeat, args.epochs, args.batch)
    if "predict" in sections:
        bench_predict(cp, fastmtl, args.repeat, model)


if __name__ == "__main__":
    main()
