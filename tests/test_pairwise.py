"""pairwise_divergence against cdist and the naive double loop."""
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.spatial.distance import cdist

import fastmtl
from fastmtl import _config
from tests import naive
from tests.conftest import random_distributions

METRICS = ["kl", "js", "cross_entropy", "symmetric_kl"]


def assert_same_divergences(result, expected, rtol=1e-11):
    """Equal infinities in the same places, finite entries close."""
    assert result.shape == expected.shape
    assert np.array_equal(np.isposinf(result), np.isposinf(expected))
    finite = np.isfinite(expected)
    assert np.isfinite(result[finite]).all()
    assert_allclose(result[finite], expected[finite], rtol=rtol, atol=1e-14)


@pytest.mark.parametrize("metric", METRICS)
def test_matches_naive_double_loop_with_zeros(rng, metric):
    P = random_distributions(rng, (13, 7), zeros=0.25)
    Q = random_distributions(rng, (9, 7), zeros=0.25)
    expected = naive.pairwise(P, Q, metric)
    assert np.isinf(expected).any() or metric == "js"
    assert_same_divergences(fastmtl.pairwise_divergence(P, Q, metric=metric), expected)


def test_js_matches_cdist(rng):
    P = random_distributions(rng, (11, 6), zeros=0.2)
    Q = random_distributions(rng, (8, 6))
    assert_allclose(fastmtl.pairwise_divergence(P, Q, metric="js"),
                    cdist(P, Q, "jensenshannon") ** 2, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("metric", METRICS)
def test_q_none_means_p_against_itself(rng, metric):
    P = random_distributions(rng, (10, 5))
    D = fastmtl.pairwise_divergence(P, metric=metric)
    assert_same_divergences(D, naive.pairwise(P, P, metric))
    if metric != "cross_entropy":
        assert (np.diag(D) == 0).all()


@pytest.mark.parametrize("metric", METRICS)
def test_pairwise_equals_rowwise(rng, metric):
    P = random_distributions(rng, (6, 5), zeros=0.2)
    Q = random_distributions(rng, (4, 5), zeros=0.2)
    rowwise = {
        "kl": fastmtl.kl_divergence,
        "js": fastmtl.js_divergence,
        "cross_entropy": fastmtl.cross_entropy,
        "symmetric_kl": lambda a, b: fastmtl.kl_divergence(a, b) + fastmtl.kl_divergence(b, a),
    }[metric]
    expected = rowwise(P[:, None, :], Q[None, :, :])
    assert_same_divergences(fastmtl.pairwise_divergence(P, Q, metric=metric), expected)


@pytest.mark.parametrize("metric", ["kl", "symmetric_kl", "js"])
@pytest.mark.parametrize("spread", [1e-9, 1e-6, 1e-3])
def test_near_identical_rows_keep_full_relative_accuracy(rng, metric, spread):
    # Diagonal divergences from ~1e-17 to ~1e-6: the GEMM form (error ~k eps H)
    # and the plain direct sum (first-order terms cancelling across the row)
    # are both useless at the low end; the pairs are recomputed entry by entry.
    P = random_distributions(rng, (6, 64))
    Q = P * (1 + spread * rng.standard_normal(P.shape))
    Q /= Q.sum(axis=1, keepdims=True)
    result = fastmtl.pairwise_divergence(P, Q, metric=metric)
    diagonal = [naive.exact_divergence(p, q, metric) for p, q in zip(P, Q)]
    assert min(diagonal) > 0
    assert_allclose(np.diag(result), diagonal, rtol=1e-12)
    assert_same_divergences(result, naive.pairwise(P, Q, metric), rtol=1e-9)


@pytest.mark.parametrize("metric", METRICS)
def test_float32_result_and_accuracy(rng, metric):
    P = random_distributions(rng, (9, 40), dtype=np.float32)
    Q = random_distributions(rng, (7, 40), dtype=np.float32)
    result = fastmtl.pairwise_divergence(P, Q, metric=metric)
    assert result.dtype == np.float32
    expected = naive.pairwise(P.astype(float), Q.astype(float), metric)
    assert_allclose(result, expected, rtol=1e-5)


@pytest.mark.parametrize("metric", METRICS)
def test_base_log_input_normalize(rng, metric):
    P = random_distributions(rng, (5, 4), zeros=0.2)
    Q = random_distributions(rng, (6, 4), zeros=0.2)
    expected = naive.pairwise(P, Q, metric) / np.log(2)
    assert_same_divergences(fastmtl.pairwise_divergence(P, Q, metric=metric, base=2),
                            expected)
    with np.errstate(divide="ignore"):
        logs = np.log(P) + 3.0, np.log(Q) - 2.0  # unnormalised log weights
    assert_same_divergences(
        fastmtl.pairwise_divergence(*logs, metric=metric, base=2, log_input=True,
                                    normalize=True), expected)
    assert_same_divergences(
        fastmtl.pairwise_divergence(P * 7, Q * 3, metric=metric, base=2,
                                    normalize=True), expected)


@pytest.mark.parametrize("metric", METRICS)
def test_blocks_and_out(rng, metric, monkeypatch):
    P = random_distributions(rng, (23, 6), zeros=0.2)
    Q = random_distributions(rng, (17, 6), zeros=0.2)
    expected = naive.pairwise(P, Q, metric)
    # A budget of three result rows per block: blocks of uneven size.
    monkeypatch.setattr(_config, "PAIRWISE_BLOCK_BYTES", 3 * 17 * 8 * 2)
    for out in (np.empty((23, 17)), np.empty((23, 17), dtype=np.float32),
                np.empty((17, 23)).T):
        result = fastmtl.pairwise_divergence(P, Q, metric=metric, out=out)
        assert result is out
        assert_same_divergences(np.asarray(result, float), expected,
                                rtol=1e-11 if out.dtype == np.float64 else 1e-5)


def test_memmap_out_memory_stays_bounded(rng, tmp_path, monkeypatch):
    n, m, k = 600, 500, 16
    P = random_distributions(rng, (n, k))
    Q = random_distributions(rng, (m, k))
    expected = fastmtl.pairwise_divergence(P, Q)
    budget = 64 * m * 8  # 64 rows of the result per block
    monkeypatch.setattr(_config, "PAIRWISE_BLOCK_BYTES", budget)
    out = np.lib.format.open_memmap(tmp_path / "kl.npy", mode="w+",
                                    dtype=np.float64, shape=(n, m))
    tracemalloc.start()
    fastmtl.pairwise_divergence(P, Q, out=out)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out.flush()
    assert_allclose(np.load(tmp_path / "kl.npy"), expected, rtol=1e-13)
    # Scratch is the prepared rows (probs + logs of P and Q) plus one block,
    # far below the n * m * 8 bytes a full intermediate would take.
    prepared = 2 * 8 * k * (n + m)
    assert peak < prepared + 2 * budget + 2**20
    assert peak < n * m * 8


def test_empty_inputs():
    assert fastmtl.pairwise_divergence(np.empty((0, 3)), np.full((2, 3), 1 / 3)).shape == (0, 2)
    assert fastmtl.pairwise_divergence(np.full((2, 3), 1 / 3), np.empty((0, 3))).shape == (2, 0)


def test_does_not_modify_inputs(rng):
    P = random_distributions(rng, (5, 4), zeros=0.3)
    Q = random_distributions(rng, (6, 4), zeros=0.3)
    P0, Q0 = P.copy(), Q.copy()
    for metric in METRICS:
        fastmtl.pairwise_divergence(P, Q, metric=metric)
        fastmtl.pairwise_divergence(P * 2, Q * 2, metric=metric, normalize=True)
    assert np.array_equal(P, P0) and np.array_equal(Q, Q0)


def test_bad_inputs():
    P = np.full((3, 4), 0.25)
    with pytest.raises(ValueError, match="metric must be one of"):
        fastmtl.pairwise_divergence(P, metric="hellinger")
    with pytest.raises(ValueError, match="P must be 2-D"):
        fastmtl.pairwise_divergence(P[0])
    with pytest.raises(ValueError, match="same number of columns"):
        fastmtl.pairwise_divergence(P, np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="length 0"):
        fastmtl.pairwise_divergence(np.empty((3, 0)))
    with pytest.raises(ValueError, match="out has shape"):
        fastmtl.pairwise_divergence(P, out=np.empty((3, 2)))
    with pytest.raises(TypeError, match="dtype float32 or float64"):
        fastmtl.pairwise_divergence(P, out=np.empty((3, 3), dtype=int))
    with pytest.raises(ValueError, match="share memory"):
        square = np.full((4, 4), 0.25)
        fastmtl.pairwise_divergence(square, out=square)
    bad = P.copy()
    bad[2, 1] = -0.1
    with pytest.raises(ValueError, match=r"Q has a negative entry at index \(2, 1\)"):
        fastmtl.pairwise_divergence(P, bad)
    with pytest.raises(ValueError, match=r"P has a distribution that does not sum to 1.*P\[1, :\]"):
        fastmtl.pairwise_divergence(np.array([[1.0, 0.0], [0.5, 0.6]]))
