"""CUDA kernels against the CPU kernels and the oracles (simulator or real GPU)."""
import numpy as np
import pytest
from numba import cuda
from numpy.testing import assert_allclose

import fastmtl
from fastmtl import _config
from tests import naive
from tests.conftest import random_distributions
from tests.test_pairwise import METRICS, assert_same_divergences

ROWWISE = {
    "cross_entropy": (fastmtl.cross_entropy, naive.cross_entropy),
    "kl": (fastmtl.kl_divergence, naive.kl_divergence),
    "js": (fastmtl.js_divergence, naive.js_divergence),
}


def _same(result, expected, rtol=1e-12):
    result = np.asarray(result, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert np.array_equal(np.isinf(result), np.isinf(expected))
    finite = np.isfinite(expected)
    assert_allclose(result[finite], expected[finite], rtol=rtol, atol=1e-14)


@pytest.mark.parametrize("name", sorted(ROWWISE))
def test_rowwise_matches_cpu_and_oracle(rng, name):
    ours, oracle = ROWWISE[name]
    P = random_distributions(rng, (10, 5), zeros=0.3)
    Q = random_distributions(rng, (10, 5), zeros=0.3)
    gpu = ours(P, Q, device="cuda")
    assert isinstance(gpu, np.ndarray)  # NumPy in, NumPy out
    _same(gpu, ours(P, Q, device="cpu"))
    _same(gpu, oracle(P, Q))


def test_entropy_and_edge_cases(rng):
    P = random_distributions(rng, (9, 4), zeros=0.3)
    _same(fastmtl.entropy(P, device="cuda"), naive.entropy(P))
    assert fastmtl.entropy([1.0], device="cuda") == 0.0
    assert fastmtl.kl_divergence(np.empty((0, 3)), np.empty((0, 3)), device="cuda").shape == (0,)
    assert np.isinf(fastmtl.kl_divergence([0.0, 1.0], [1.0, 0.0], device="cuda"))
    assert_allclose(fastmtl.js_divergence([1.0, 0.0], [0.0, 1.0], device="cuda"), np.log(2))


@pytest.mark.parametrize("name", sorted(ROWWISE))
def test_options_broadcasting_dtypes_layouts(rng, name):
    ours, oracle = ROWWISE[name]
    P = random_distributions(rng, (7, 4), zeros=0.2)
    q = random_distributions(rng, (4,))
    _same(ours(P, q, device="cuda"), oracle(P, q))  # (n, k) against (k,)
    _same(ours(P, q, device="cuda", base=2), oracle(P, q) / np.log(2))
    _same(ours(np.asfortranarray(P), q, device="cuda"), oracle(P, q))
    _same(ours(P[::2], q, device="cuda"), oracle(P[::2], q))
    _same(ours(P * 3, q * 2, normalize=True, device="cuda"), oracle(P, q))
    with np.errstate(divide="ignore"):
        _same(ours(np.log(P), np.log(q), log_input=True, device="cuda"), oracle(P, q))
    single = ours(P.astype(np.float32), q.astype(np.float32), device="cuda")
    assert single.dtype == np.float32
    _same(single, oracle(P.astype(np.float32).astype(float), q.astype(np.float32)),
          rtol=1e-5)


def test_gpu_arrays_in_give_gpu_arrays_out(rng):
    P = random_distributions(rng, (6, 5), zeros=0.2)
    Q = random_distributions(rng, (6, 5))
    d_P, d_Q = cuda.to_device(P), cuda.to_device(Q)
    result = fastmtl.kl_divergence(d_P, d_Q)  # device="auto" follows the data
    assert not isinstance(result, np.ndarray)
    _same(result.copy_to_host(), naive.kl_divergence(P, Q))
    H = fastmtl.entropy(d_P, device="cuda")
    _same(H.copy_to_host(), naive.entropy(P))
    D = fastmtl.pairwise_divergence(d_P, d_Q, metric="js")
    assert not isinstance(D, np.ndarray)
    _same(D.copy_to_host(), naive.pairwise(P, Q, "js"))
    J = cuda.to_device(random_distributions(rng, (3, 6)).reshape(3, 2, 3))
    I = fastmtl.mutual_information(J)
    _same(I.copy_to_host(), naive.mutual_information_as_kl(J.copy_to_host()))


def test_gpu_input_errors(rng):
    P = random_distributions(rng, (4, 3))
    P[2, 1] = -0.5
    with pytest.raises(ValueError, match=r"P has a negative entry at index \(2, 1\)"):
        fastmtl.entropy(cuda.to_device(P))
    with pytest.raises(ValueError, match="device='cpu' was requested but an input is a GPU array"):
        fastmtl.entropy(cuda.to_device(P), device="cpu")
    with pytest.raises(ValueError, match="last axis"):
        fastmtl.entropy(cuda.to_device(np.full((3, 3), 1 / 3)), axis=0)
    with pytest.raises(ValueError, match=r"does not sum to 1.*P\[1, :\]"):
        fastmtl.kl_divergence(np.array([[0.5, 0.5], [0.5, 0.6]]), [0.5, 0.5], device="cuda")


def test_joint_tables(rng):
    J = random_distributions(rng, (5, 12), zeros=0.2).reshape(5, 3, 4)
    _same(fastmtl.conditional_entropy(J, device="cuda"), naive.conditional_entropy(J),
          rtol=1e-11)
    _same(fastmtl.mutual_information(J, device="cuda"),
          naive.mutual_information_as_kl(J), rtol=1e-11)


@pytest.mark.parametrize("metric", METRICS)
def test_pairwise_matches_oracle_across_blocks(rng, metric, monkeypatch):
    P = random_distributions(rng, (9, 6), zeros=0.25)
    Q = random_distributions(rng, (7, 6), zeros=0.25)
    expected = naive.pairwise(P, Q, metric)
    monkeypatch.setattr(_config, "PAIRWISE_BLOCK_BYTES", 4 * 7 * 8)  # 4-row blocks
    assert_same_divergences(fastmtl.pairwise_divergence(P, Q, metric=metric, device="cuda"),
                            expected)
    out = np.empty((9, 7), dtype=np.float32)
    fastmtl.pairwise_divergence(P, Q, metric=metric, device="cuda", out=out)
    assert_same_divergences(out.astype(float), expected, rtol=1e-5)


@pytest.mark.parametrize("spread", [1e-9, 1e-5])
@pytest.mark.parametrize("metric", ["kl", "symmetric_kl", "js"])
def test_near_identical_rows_keep_full_relative_accuracy(rng, metric, spread):
    P = random_distributions(rng, (3, 16))
    Q = P * (1 + spread * rng.standard_normal(P.shape))
    Q /= Q.sum(axis=1, keepdims=True)
    exact = [naive.exact_divergence(p, q, metric) for p, q in zip(P, Q)]
    result = fastmtl.pairwise_divergence(P, Q, metric=metric, device="cuda")
    assert_allclose(np.diag(result), exact, rtol=1e-12)
    if metric != "symmetric_kl":
        rowwise = {"kl": fastmtl.kl_divergence, "js": fastmtl.js_divergence}[metric]
        assert_allclose(rowwise(P, Q, device="cuda"), exact, rtol=1e-12)
        # One rounding per entry (exp of a log): the inputs' conditioning,
        # eps / spread relative, as on the CPU.
        assert_allclose(rowwise(np.log(P), np.log(Q), log_input=True, device="cuda"),
                        rowwise(np.log(P), np.log(Q), log_input=True, device="cpu"),
                        rtol=max(1e-12, 8 * np.finfo(float).eps / spread))


def test_mutual_information_of_a_nearly_independent_table(rng):
    px, py = random_distributions(rng, (4,)), random_distributions(rng, (5,))
    J = np.outer(px, py) * (1 + 1e-6 * rng.standard_normal((4, 5)))
    J /= J.sum()
    exact = naive.exact_mutual_information(J)
    assert_allclose(fastmtl.mutual_information(J, device="cuda"), exact,
                    rtol=32 * np.finfo(float).eps / 1e-6)
    assert_allclose(fastmtl.mutual_information(J, device="cuda"),
                    fastmtl.mutual_information(J, device="cpu"), rtol=1e-12)


def test_tiled_matmul_kernel(rng):
    from fastmtl.information import _cuda

    A = rng.standard_normal((6, 9))
    B = rng.standard_normal((5, 9))
    out = np.empty((6, 5))
    _cuda.matmul_nt(A, B, out)
    assert_allclose(out, A @ B.T, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(ROWWISE))
def test_long_rows_are_summed_by_groups_of_threads(rng, name):
    """Rows long enough to be shared by several threads (whose partial sums
    meet in a tree) give the CPU's results, checked, normalised and as logs."""
    from fastmtl.information import _cuda

    k = 130
    assert _cuda._group_width(k, _config.CUDA_THREADS_PER_BLOCK) > 1
    ours, _ = ROWWISE[name]
    P = random_distributions(rng, (5, k), zeros=0.2)
    Q = random_distributions(rng, (5, k), zeros=0.2)
    _same(ours(P, Q, device="cuda"), ours(P, Q, device="cpu"))
    _same(ours(3 * P, 2 * Q, normalize=True, device="cuda"),
          ours(3 * P, 2 * Q, normalize=True, device="cpu"))
    with np.errstate(divide="ignore"):
        logs = np.log(P), np.log(Q)
    _same(ours(*logs, log_input=True, device="cuda"), ours(*logs, log_input=True,
                                                           device="cpu"))
    _same(fastmtl.entropy(P, device="cuda"), fastmtl.entropy(P, device="cpu"))
    bad = P.copy()
    bad[3, 100] = -0.1
    with pytest.raises(ValueError, match=r"P has a negative entry at index \(3, 100\)"):
        ours(bad, Q, device="cuda")


@pytest.mark.parametrize("kind", ["kl", "js", "symmetric_kl"])
def test_prediction_divergence_on_the_gpu_matches_the_cpu(rng, kind):
    from fastmtl import SharedLatentClassifier, SharedLatentRegressor
    from fastmtl.relatedness import prediction_divergence

    X = rng.standard_normal((12, 3))
    Y = np.column_stack([X[:, 0], X[:, 0] + X[:, 1], -X[:, 0]]) \
        + 0.5 * rng.standard_normal((12, 3))
    labels = (Y > 0).astype(int)
    for model in (SharedLatentRegressor(alpha=0.1, device="cpu").fit(X, Y),
                  SharedLatentClassifier(alpha=0.1, device="cpu").fit(X, labels)):
        np.testing.assert_allclose(prediction_divergence(model, X, kind=kind, device="cuda"),
                                   prediction_divergence(model, X, kind=kind, device="cpu"),
                                   rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("offset", [1e16, -1e300])
def test_large_logits_keep_their_log_sum_on_the_gpu(offset):
    logits = offset + np.array([[0.0, -2.0, -4.0, -6.0], [-4.0, 0.0, -2.0, -8.0]])
    if abs(offset) > 1e17:
        logits = np.full((2, 3), offset)
    options = dict(log_input=True, normalize=True)
    _same(fastmtl.entropy(logits, device="cuda", **options),
          fastmtl.entropy(logits, device="cpu", **options))
    for ours, _ in ROWWISE.values():
        _same(ours(logits, logits[::-1], device="cuda", **options),
              ours(logits, logits[::-1], device="cpu", **options))
    _same(fastmtl.pairwise_divergence(logits, metric="kl", device="cuda", **options),
          fastmtl.pairwise_divergence(logits, metric="kl", device="cpu", **options))
    if offset == 1e16:  # not a plain log(n): the CPU result is checked in test_information
        assert not np.isclose(fastmtl.entropy(logits, device="cuda", **options)[0],
                              np.log(4))


# The simulator runs the kernels on NumPy scalars, which warn where the first
# sum overflows; the kernel then sums the row again, scaled.
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize("magnitude", [5e307, 1e-310])
def test_rows_whose_sum_overflows_or_is_subnormal_on_the_gpu(magnitude):
    counts = np.array([[1.0, 1.0, 2.0, 0.0], [3.0, 1.0, 1.0, 1.0]])
    rows = counts * magnitude
    P = counts / counts.sum(axis=1, keepdims=True)
    _same(fastmtl.entropy(rows, normalize=True, device="cuda"), naive.entropy(P))
    for ours, oracle in ROWWISE.values():
        _same(ours(rows, rows[::-1], normalize=True, device="cuda"), oracle(P, P[::-1]))
    _same(fastmtl.pairwise_divergence(rows, normalize=True, metric="js", device="cuda"),
          naive.pairwise(P, P, "js"), rtol=1e-11)
    tables = np.array([[[1.0, 3.0], [2.0, 1.0]]]) * magnitude
    _same(fastmtl.mutual_information(tables, normalize=True, device="cuda"),
          naive.mutual_information(np.array([[[1.0, 3.0], [2.0, 1.0]]]) / 7.0))
