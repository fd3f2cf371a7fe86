"""Print every benchmark's side-by-side ratio (medians), one process.

    python asv_benchmarks/ratios.py                 # information kernels
    python asv_benchmarks/ratios.py linear_model    # estimator fits
    python asv_benchmarks/ratios.py relatedness     # relatedness measures
    python asv_benchmarks/ratios.py distributed     # Dask batch scoring

The same numbers as asv's ``track_*`` benchmarks, without asv's environment
set-up; used for docs/performance.md.
"""
import pathlib
import platform
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from benchmarks import information as bench  # noqa: E402
from benchmarks import linear_model  # noqa: E402
from benchmarks import distributed  # noqa: E402
from benchmarks import relatedness  # noqa: E402
from benchmarks.common import median_time  # noqa: E402


def _header():
    import numba

    print(f"# {platform.processor() or platform.machine()}, numba {numba.__version__}, "
          f"{numba.config.NUMBA_NUM_THREADS} threads")


def linear_model_report():
    """Shared-latent fit (200000 x 100 x 20 tasks, 10 epochs) vs PyTorch and
    MultiTaskElasticNet."""
    _header()
    case = linear_model.SharedLatentFit()
    case.setup()
    ours = median_time(case.time_fastmtl, repeat=3)
    torch = median_time(case.time_torch, repeat=3)
    print("| benchmark | fastmtl (s) | baseline | baseline (s) | ratio |")
    print("|---|---|---|---|---|")
    print(f"| SharedLatentRegressor fit, 10 epochs | {ours:.3f} | PyTorch CPU, same model | "
          f"{torch:.3f} | {case.track_ratio_to_torch():.3f} |")
    print(f"\ntest R²: fastmtl {case.track_test_r2_fastmtl():.4f}, "
          f"PyTorch {case.track_test_r2_torch():.4f}")
    print(f"peak traced memory of fit / X.nbytes: {case.track_peak_memory_over_X():.2f}")
    codebook = linear_model.SharedCodebookFit()
    codebook.setup()
    print(f"SharedCodebookRegressor fit: {median_time(codebook.time_fastmtl, repeat=3):.3f} s, "
          f"ratio to SharedLatentRegressor {codebook.track_ratio_to_shared_latent():.3f}, "
          f"test R² {codebook.track_test_r2():.4f}")
    enet = linear_model.MultiTaskElasticNetRecord()
    enet.setup()
    seconds = median_time(enet.time_fit, repeat=1)
    print(f"MultiTaskElasticNet(alpha=1e-3): fit {seconds:.2f} s, "
          f"test R² {enet.track_test_r2():.4f}")


def relatedness_report():
    """task_correlation vs pandas; gradient_similarity vs PyTorch autograd."""
    _header()
    print("| benchmark | fastmtl (s) | baseline | baseline (s) | ratio |")
    print("|---|---|---|---|---|")
    case = relatedness.TaskCorrelation()
    case.setup()
    print(f"| task_correlation 200000x50, 30% missing | {median_time(case.time_fastmtl):.4f}"
          f" | DataFrame.corr(min_periods=3) | {median_time(case.time_pandas, repeat=3):.4f}"
          f" | {case.track_ratio_to_pandas():.3f} |")
    case = relatedness.GradientSimilarity()
    case.setup()
    print(f"| gradient_similarity 100000x100x20 | {median_time(case.time_fastmtl):.4f} | "
          f"PyTorch autograd per task | {median_time(case.time_torch, repeat=3):.4f} | "
          f"{case.track_ratio_to_torch():.3f} |")
    print(f"\nmax |difference| to PyTorch: {case.track_max_abs_difference_to_torch():.2e}")


def distributed_report():
    """Batch scoring on a LocalCluster vs in-memory predict; driver memory."""
    _header()
    case = distributed.BatchScoring()
    case.setup()
    try:
        ours = median_time(case.time_distributed_predict, repeat=3)
        base = median_time(case.time_in_memory_predict, repeat=3)
        print("| benchmark | fastmtl (s) | baseline | baseline (s) | ratio |")
        print("|---|---|---|---|---|")
        print(f"| distributed.predict 5000000x50, 20 tasks | {ours:.3f} | in-memory predict | "
              f"{base:.3f} | {case.track_ratio_distributed_to_in_memory():.3f} |")
        print(f"\nmax |difference| to in-memory: {case.track_max_abs_difference():.1e}")
    finally:
        case.teardown()
    memory = distributed.DriverMemory()
    for n_rows in memory.params:
        memory.setup(n_rows)
        try:
            print(f"driver peak traced memory, {n_rows} rows: "
                  f"{memory.track_driver_peak_traced_mb(n_rows):.1f} MiB")
        finally:
            memory.teardown(n_rows)


def main():
    if sys.argv[1:] == ["distributed"]:
        return distributed_report()
    if sys.argv[1:] == ["linear_model"]:
        return linear_model_report()
    if sys.argv[1:] == ["relatedness"]:
        return relatedness_report()
    _header()
    print("| benchmark | fastmtl (s) | baseline | baseline (s) | ratio |")
    print("|---|---|---|---|---|")
    for function in bench.Rowwise.params[0]:
        case = bench.Rowwise()
        case.setup(function)
        ours = median_time(lambda: case.ours(case.P, case.Q))
        scipy = median_time(lambda: case.scipy(case.P, case.Q), repeat=3)
        read = median_time(lambda: bench._read_both(case.P, case.Q))
        print(f"| row-wise {function} 200000x128 | {ours:.4f} | scipy.stats.entropy | "
              f"{scipy:.4f} | {case.track_ratio_to_scipy(function):.3f} |")
        print(f"| row-wise {function} 200000x128 | {ours:.4f} | (P + Q).sum() | "
              f"{read:.4f} | {case.track_ratio_to_numpy_read(function):.3f} |")
    case = bench.PairwiseKL()
    case.setup()
    print(f"| pairwise kl 4000x4000x128 | {median_time(case._ours):.4f} | "
          f"P @ np.log(Q).T | {median_time(case._blas):.4f} | "
          f"{case.track_ratio_to_blas():.3f} |")
    case = bench.PairwiseJS()
    case.setup()
    print(f"| pairwise js 1000x1000x128 | {median_time(case._ours):.4f} | "
          f"cdist jensenshannon**2 | {median_time(case._cdist, repeat=3):.4f} | "
          f"{case.track_ratio_to_cdist():.3f} |")
    case = bench.MutualInformation()
    case.setup()
    print(f"| mutual information 100000x8x8 | "
          f"{median_time(lambda: bench.fastmtl.mutual_information(case.J)):.4f} | "
          f"scipy entropies | {median_time(case._numpy):.4f} | "
          f"{case.track_ratio_to_scipy_entropies():.3f} |")


if __name__ == "__main__":
    main()
