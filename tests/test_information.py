"""Row-wise functions and joint tables against SciPy and the naive oracles."""
import numpy as np
import pytest
import scipy.stats
from numpy.testing import assert_allclose
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr

import fastmtl
from tests import naive
from tests.conftest import random_distributions

TWO_INPUT = {
    "cross_entropy": (fastmtl.cross_entropy, naive.cross_entropy),
    "kl": (fastmtl.kl_divergence, naive.kl_divergence),
    "js": (fastmtl.js_divergence, naive.js_divergence),
}


def test_entropy_matches_scipy(rng):
    P = random_distributions(rng, (40, 9), zeros=0.2)
    assert_allclose(fastmtl.entropy(P), scipy.stats.entropy(P, axis=-1), rtol=1e-13)


def test_kl_matches_scipy_entropy_and_rel_entr(rng):
    P = random_distributions(rng, (40, 9), zeros=0.2)
    Q = random_distributions(rng, (40, 9))
    result = fastmtl.kl_divergence(P, Q)
    assert_allclose(result, scipy.stats.entropy(P, Q, axis=-1), rtol=1e-12)
    assert_allclose(result, rel_entr(P, Q).sum(axis=-1), rtol=1e-12)


def test_js_matches_scipy_distance_squared(rng):
    P = random_distributions(rng, (40, 9), zeros=0.3)
    Q = random_distributions(rng, (40, 9), zeros=0.3)
    assert_allclose(fastmtl.js_divergence(P, Q), jensenshannon(P, Q, axis=-1) ** 2,
                    rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("name", sorted(TWO_INPUT))
@pytest.mark.parametrize("base", [None, 2, 10])
def test_two_input_functions_match_oracle(rng, name, base):
    ours, oracle = TWO_INPUT[name]
    P = random_distributions(rng, (25, 6), zeros=0.2)
    Q = random_distributions(rng, (25, 6))
    expected = oracle(P, Q) / (np.log(base) if base else 1.0)
    assert_allclose(ours(P, Q, base=base), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("base", [2, 10])
def test_entropy_bases(rng, base):
    P = random_distributions(rng, (10, 5))
    assert_allclose(fastmtl.entropy(P, base=base),
                    scipy.stats.entropy(P, axis=-1, base=base), rtol=1e-13)


def test_zero_conventions():
    P = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    Q = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    # 0 log 0 = 0 and KL(P, P) = 0 with zeros on both sides.
    assert_allclose(fastmtl.kl_divergence(P[:1], Q[:1]), [0.0])
    # p > 0 where q = 0 gives +inf, for KL and cross-entropy, not NaN.
    assert np.array_equal(fastmtl.kl_divergence(P[1:], Q[1:]), [np.inf, np.inf])
    assert np.array_equal(fastmtl.cross_entropy(P[1:], Q[1:]), [np.inf, np.inf])
    # JS stays finite with disjoint supports: exactly log 2.
    assert_allclose(fastmtl.js_divergence(P[1], Q[1]), np.log(2))
    assert fastmtl.entropy([1.0, 0.0]) == 0.0


def test_one_element_distributions_and_single_row():
    assert fastmtl.entropy([1.0]) == 0.0
    assert fastmtl.kl_divergence([[1.0]], [[1.0]]).shape == (1,)
    assert fastmtl.js_divergence([1.0], [1.0]) == 0.0
    single = fastmtl.kl_divergence([[0.3, 0.7]], [[0.5, 0.5]])
    assert single.shape == (1,)
    assert_allclose(single, naive.kl_divergence([0.3, 0.7], [0.5, 0.5]))


def test_one_dimensional_input_gives_a_scalar():
    result = fastmtl.entropy([0.25, 0.75])
    assert np.ndim(result) == 0 and isinstance(result, np.floating)


@pytest.mark.parametrize("func", [fastmtl.entropy, fastmtl.kl_divergence,
                                  fastmtl.cross_entropy, fastmtl.js_divergence])
def test_empty_batch_returns_empty_result(func):
    args = [np.empty((0, 4))] * (1 if func is fastmtl.entropy else 2)
    result = func(*args)
    assert result.shape == (0,) and result.dtype == np.float64
    assert func(*[np.empty((3, 0, 4))] * len(args)).shape == (3, 0)


def test_float32_stays_float32_and_is_accurate(rng):
    P = random_distributions(rng, (30, 50), zeros=0.1, dtype=np.float32)
    Q = random_distributions(rng, (30, 50), dtype=np.float32)
    for name, (ours, oracle) in TWO_INPUT.items():
        result = ours(P, Q)
        assert result.dtype == np.float32, name
        # The oracle sees the same float32 numbers, widened.
        assert_allclose(result, oracle(P.astype(np.float64), Q.astype(np.float64)),
                        rtol=1e-5, err_msg=name)
    H = fastmtl.entropy(P)
    assert H.dtype == np.float32
    assert_allclose(H, naive.entropy(P.astype(np.float64)), rtol=1e-5)
    # Mixed precision promotes to float64.
    assert fastmtl.kl_divergence(P, Q.astype(np.float64)).dtype == np.float64


def test_integer_input_is_float64():
    assert fastmtl.entropy(np.array([1, 0])).dtype == np.float64


@pytest.mark.parametrize("name", sorted(TWO_INPUT))
def test_fortran_order_and_strided_views(rng, name):
    ours, oracle = TWO_INPUT[name]
    P = random_distributions(rng, (12, 8))
    Q = random_distributions(rng, (12, 8))
    expected = oracle(P, Q)
    assert_allclose(ours(np.asfortranarray(P), np.asfortranarray(Q)), expected,
                    rtol=1e-12)
    # Every other row of a larger array, and a reversed column order.
    big_P = np.zeros((24, 8))
    big_P[::2] = P
    assert_allclose(ours(big_P[::2], Q), expected, rtol=1e-12)
    assert_allclose(ours(P[:, ::-1], Q[:, ::-1]), expected, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(TWO_INPUT))
def test_broadcasting_rows_against_one_distribution(rng, name):
    ours, oracle = TWO_INPUT[name]
    P = random_distributions(rng, (10, 5))
    q = random_distributions(rng, (5,))
    assert_allclose(ours(P, q), oracle(P, np.tile(q, (10, 1))), rtol=1e-12)
    assert_allclose(ours(q, P), oracle(np.tile(q, (10, 1)), P), rtol=1e-12)
    # Higher-dimensional broadcasting: (3, 1, k) against (4, k).
    A = random_distributions(rng, (3, 1, 5))
    B = random_distributions(rng, (4, 5))
    result = ours(A, B)
    assert result.shape == (3, 4)
    assert_allclose(result, oracle(*np.broadcast_arrays(A, B)), rtol=1e-12)


def test_layouts_and_mixed_dtypes_share_one_compiled_kernel_per_dtype(rng):
    # Each compiled variant of a row-wise kernel costs seconds at first use
    # (18 s for KL before): strided, moved-axis and broadcast rows are handed
    # over C-contiguous (a broadcast row as one row), a float32/float64 mix as
    # float64, so only the rows' dtype picks the variant.
    from fastmtl.information import _cpu

    P = random_distributions(rng, (6, 4))
    Q = random_distributions(rng, (6, 4))
    fastmtl.kl_divergence(P, Q)
    fastmtl.kl_divergence(P.astype(np.float32), Q.astype(np.float32))
    before = len(_cpu.rowwise_kl.signatures)
    variants = [(np.asfortranarray(P), Q), (P[:, ::-1], Q[:, ::-1]), (P, Q[0]),
                (Q[0], P), (P[::2], Q[::2]), (P.T, Q.T, 0), (P.copy(), Q.copy()),
                (P.astype(np.float32), Q), (P, Q.astype(np.float32))]
    for args in variants:
        axis = args[2] if len(args) == 3 else -1
        a, b = args[:2]
        expected = naive.kl_divergence(*np.broadcast_arrays(
            *(np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1) for x in (a, b))))
        assert_allclose(fastmtl.kl_divergence(a, b, axis=axis), expected, rtol=1e-6)
    assert len(_cpu.rowwise_kl.signatures) == before


def test_axis_argument(rng):
    P = random_distributions(rng, (6, 4))
    Q = random_distributions(rng, (6, 4))
    assert_allclose(fastmtl.kl_divergence(P.T, Q.T, axis=0),
                    fastmtl.kl_divergence(P, Q), rtol=1e-14)
    assert_allclose(fastmtl.entropy(P.T, axis=0),
                    scipy.stats.entropy(P.T, axis=0), rtol=1e-13)
    cube = random_distributions(rng, (2, 3, 4))
    moved = np.moveaxis(cube, -1, 1)  # (2, 4, 3), distributions on axis 1
    assert_allclose(fastmtl.entropy(moved, axis=1), naive.entropy(cube), rtol=1e-13)


@pytest.mark.parametrize("name", sorted(TWO_INPUT))
def test_log_input_with_minus_inf(rng, name):
    ours, oracle = TWO_INPUT[name]
    P = random_distributions(rng, (15, 6), zeros=0.3)
    Q = random_distributions(rng, (15, 6), zeros=0.3)
    with np.errstate(divide="ignore"):
        logP, logQ = np.log(P), np.log(Q)
    assert np.isneginf(logP).any()
    expected = oracle(P, Q)
    result = ours(logP, logQ, log_input=True)
    assert np.array_equal(np.isinf(result), np.isinf(expected))
    finite = np.isfinite(expected)
    assert_allclose(result[finite], expected[finite], rtol=1e-12, atol=1e-15)


def test_log_input_entropy_and_normalize(rng):
    P = random_distributions(rng, (10, 7), zeros=0.2)
    with np.errstate(divide="ignore"):
        logP = np.log(P)
    assert_allclose(fastmtl.entropy(logP, log_input=True), naive.entropy(P),
                    rtol=1e-12, atol=1e-15)
    # Unnormalised log-weights, shifted by an arbitrary constant per row.
    shifted = logP + rng.normal(size=(10, 1)) * 50
    assert_allclose(fastmtl.entropy(shifted, log_input=True, normalize=True),
                    naive.entropy(P), rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("offset", [1e16, -1e16, 1e300, -1e300])
def test_log_input_normalize_keeps_the_log_sum_of_large_logits(rng, offset):
    # The normaliser is top + log(sum exp(x - top)); with logits near 1e16
    # that sum rounds log(...) away. The oracle: SciPy's softmax of the
    # floats' differences from their maximum, which are exact.
    from scipy.special import softmax

    logits = offset + np.array([[0.0, -2.0, -4.0, -6.0], [-4.0, 0.0, -2.0, -8.0]])
    if abs(offset) > 1e17:  # the differences vanish there: equal logits
        logits = np.full((2, 3), offset)
    P = softmax(logits - logits.max(axis=1, keepdims=True), axis=1)
    assert_allclose(fastmtl.entropy(logits, log_input=True, normalize=True),
                    naive.entropy(P), rtol=1e-13)
    for name, (ours, oracle) in TWO_INPUT.items():
        assert_allclose(ours(logits, logits[::-1], log_input=True, normalize=True),
                        oracle(P, P[::-1]), rtol=1e-12, atol=1e-15, err_msg=name)
    assert_allclose(fastmtl.pairwise_divergence(logits, log_input=True, normalize=True,
                                                metric="kl"),
                    naive.pairwise(P, P, "kl"), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("magnitude", [5e307, 1e-310, 5e-324])
def test_normalize_rows_whose_sum_overflows_or_is_subnormal(rng, magnitude):
    # Entries near 1e308 sum to inf; subnormal entries sum to a number whose
    # reciprocal overflows. Both must normalise as the same counts at a
    # moderate scale do (the oracle), not give 0 or inf.
    counts = np.array([[1.0, 1.0, 2.0, 0.0], [3.0, 1.0, 1.0, 1.0]])
    rows = counts * magnitude
    if magnitude == 5e-324:  # the smallest subnormal: multiples of it only
        rows = counts * np.float64(5e-324)
    assert np.all((rows > 0) == (counts > 0)) and np.all(np.isfinite(rows))
    with np.errstate(over="ignore", divide="ignore"):
        assert np.isinf(rows.sum(axis=1) if magnitude > 1 else 1.0 / rows.sum(axis=1)).all()
    P = counts / counts.sum(axis=1, keepdims=True)
    assert_allclose(fastmtl.entropy(rows, normalize=True), naive.entropy(P), rtol=1e-13)
    for name, (ours, oracle) in TWO_INPUT.items():
        expected = oracle(P, P[::-1])
        result = ours(rows, rows[::-1], normalize=True)
        assert np.array_equal(np.isinf(result), np.isinf(expected)), name
        finite = np.isfinite(expected)
        assert_allclose(result[finite], expected[finite], rtol=1e-12, err_msg=name)
    for metric in ("kl", "js", "cross_entropy"):
        expected = naive.pairwise(P, P, metric)
        result = fastmtl.pairwise_divergence(rows, normalize=True, metric=metric)
        finite = np.isfinite(expected)
        assert np.array_equal(np.isinf(result), np.isinf(expected)), metric
        assert_allclose(result[finite], expected[finite], rtol=1e-11, atol=1e-15,
                        err_msg=metric)
    tables = np.array([[[1.0, 3.0], [2.0, 1.0]]]) * magnitude
    J = np.array([[[1.0, 3.0], [2.0, 1.0]]]) / 7.0
    assert_allclose(fastmtl.mutual_information(tables, normalize=True),
                    naive.mutual_information(J), rtol=1e-12)
    assert_allclose(fastmtl.conditional_entropy(tables, normalize=True),
                    naive.conditional_entropy(J), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(TWO_INPUT))
def test_normalize_rescales_counts(rng, name):
    ours, oracle = TWO_INPUT[name]
    counts_P = rng.integers(0, 20, size=(8, 5)).astype(float) + np.eye(8, 5)
    counts_Q = rng.integers(1, 20, size=(8, 5)).astype(float)
    P = counts_P / counts_P.sum(axis=1, keepdims=True)
    Q = counts_Q / counts_Q.sum(axis=1, keepdims=True)
    assert_allclose(ours(counts_P, counts_Q, normalize=True), oracle(P, Q), rtol=1e-12)


def near_identical_pairs(rng, n, k, spread):
    """Rows P and Q = P (1 + spread noise), each normalised: divergences
    near spread^2 (down to 1e-17), made of per-entry terms near spread."""
    P = random_distributions(rng, (n, k))
    Q = P * (1 + spread * rng.standard_normal(P.shape))
    return P, Q / Q.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("log_input", [False, True])
@pytest.mark.parametrize("name", ["kl", "js"])
@pytest.mark.parametrize("spread", [1e-9, 1e-6, 1e-3, 3e-2])
def test_near_identical_rows_keep_full_relative_accuracy(rng, name, spread, log_input):
    # The plain sums of x log(x/y) are off by up to 100% at spread 1e-9
    # (their first-order terms cancel only across the row, leaving rounding).
    P, Q = near_identical_pairs(rng, 6, 40, spread)
    expected = [naive.exact_divergence(p, q, name) for p, q in zip(P, Q)]
    func = {"kl": fastmtl.kl_divergence, "js": fastmtl.js_divergence}[name]
    assert min(expected) > 0
    # Rows that are already probabilities: a few ulps of the exact value.
    assert_allclose(func(P, Q), expected, rtol=1e-12)
    # Rounding each entry once (normalising, or exp of a log input) moves
    # the entries' relative difference (~spread) by ~eps: the divergence,
    # ~spread^2, then moves by ~eps / spread relative. That is the inputs'
    # own conditioning, and the bound the kernels must meet.
    rtol = max(1e-12, 8 * np.finfo(float).eps / spread)
    args = (np.log(P), np.log(Q)) if log_input else (P, Q)
    assert_allclose(func(*args, log_input=log_input, normalize=True), expected, rtol=rtol)
    assert_allclose(func(*args, log_input=log_input), expected, rtol=rtol)


def test_mutual_information_of_nearly_independent_tables_keeps_full_accuracy(rng):
    px = random_distributions(rng, (5,))
    py = random_distributions(rng, (7,))
    for spread in (1e-9, 1e-6, 1e-3):
        J = np.outer(px, py) * (1 + spread * rng.standard_normal((5, 7)))
        J /= J.sum()
        expected = naive.exact_mutual_information(J)
        assert expected > 0
        # The marginals' rounding (a few eps) bounds the accuracy as in
        # the near-identical rows above: ~eps / spread relative.
        assert_allclose(fastmtl.mutual_information(J), expected,
                        rtol=max(1e-12, 32 * np.finfo(float).eps / spread))


def test_results_are_clamped_not_negative():
    # Identical rows: KL and JS must be exactly zero, never -1e-17.
    P = np.full((5, 3), 1 / 3)
    assert (fastmtl.kl_divergence(P, P) == 0).all()
    assert (fastmtl.js_divergence(P, P) == 0).all()


# --------------------------------------------------------------------------- #
# Joint tables                                                                #
# --------------------------------------------------------------------------- #
def test_conditional_entropy_is_joint_minus_marginal(rng):
    J = random_distributions(rng, (7, 4 * 5), zeros=0.2).reshape(7, 4, 5)
    assert_allclose(fastmtl.conditional_entropy(J), naive.conditional_entropy(J),
                    rtol=1e-12, atol=1e-15)


def test_mutual_information_identities(rng):
    J = random_distributions(rng, (7, 3 * 6), zeros=0.2).reshape(7, 3, 6)
    I = fastmtl.mutual_information(J)
    assert_allclose(I, naive.mutual_information(J), rtol=1e-11, atol=1e-14)
    assert_allclose(I, naive.mutual_information_as_kl(J), rtol=1e-12, atol=1e-15)
    # I(X;Y) = H(X) - H(X|Y), with the public functions alone.
    H_X = fastmtl.entropy(J.sum(axis=-1))
    assert_allclose(I, H_X - fastmtl.conditional_entropy(J), rtol=1e-11, atol=1e-14)


def test_joint_special_cases():
    independent = np.outer([0.2, 0.8], [0.5, 0.25, 0.25])
    assert fastmtl.mutual_information(independent) == pytest.approx(0.0, abs=1e-16)
    identity = np.eye(3) / 3
    assert_allclose(fastmtl.mutual_information(identity), np.log(3))
    assert fastmtl.conditional_entropy(identity) == 0.0
    assert fastmtl.mutual_information([[1.0]]) == 0.0
    # Batched over several leading axes, base 2, counts with normalize.
    counts = np.arange(1, 25, dtype=float).reshape(2, 3, 2, 2)
    result = fastmtl.mutual_information(counts, normalize=True, base=2)
    assert result.shape == (2, 3)
    tables = counts / counts.sum(axis=(-2, -1), keepdims=True)
    assert_allclose(result, naive.mutual_information(tables) / np.log(2),
                    rtol=1e-11, atol=1e-15)
    assert fastmtl.conditional_entropy(np.empty((0, 2, 2))).shape == (0,)


def test_joint_float32_and_strided(rng):
    J = random_distributions(rng, (5, 12)).reshape(5, 3, 4)
    result = fastmtl.mutual_information(J.astype(np.float32))
    assert result.dtype == np.float32
    assert_allclose(result, naive.mutual_information_as_kl(J), rtol=1e-4, atol=1e-7)
    swapped = np.swapaxes(J, -1, -2)  # a non-contiguous view: Y|X
    assert_allclose(fastmtl.conditional_entropy(swapped),
                    naive.conditional_entropy(np.ascontiguousarray(swapped)),
                    rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- #
# Extreme ratios                                                              #
# --------------------------------------------------------------------------- #
def test_kl_with_a_subnormal_q_next_to_a_large_p_does_not_overflow():
    # p / q = 1 / 5e-324 overflows; log p - log q does not.
    P, Q = np.array([[0.5, 0.5]]), np.array([[1.0, 5e-324]])
    exact = scipy.stats.entropy(P[0], Q[0])
    assert np.isfinite(exact)
    np.testing.assert_allclose(fastmtl.kl_divergence(P, Q), exact, rtol=1e-14)
    np.testing.assert_allclose(fastmtl.pairwise_divergence(P, Q), [[exact]], rtol=1e-14)


def test_mutual_information_of_cells_near_underflow_keeps_full_accuracy():
    # p(x) p(y) of the small cells is about 1e-400: it underflows.
    J = np.array([[1e-200, 1e-200], [1e-200, 1.0]])
    p = J / J.sum()
    px, py = p.sum(axis=1), p.sum(axis=0)
    exact = sum(p[i, j] * (np.log(p[i, j]) - np.log(px[i]) - np.log(py[j]))
                for i in range(2) for j in range(2))
    np.testing.assert_allclose(fastmtl.mutual_information(J), exact, rtol=1e-12)


@pytest.mark.parametrize("metric", ["kl", "symmetric_kl", "cross_entropy"])
def test_infinite_divergence_takes_the_sign_of_the_base_row_wise_and_pairwise(metric):
    P, Q = np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]])
    rowwise = {"kl": lambda: fastmtl.kl_divergence(P, Q, base=0.5),
               "cross_entropy": lambda: fastmtl.cross_entropy(P, Q, base=0.5),
               "symmetric_kl": lambda: fastmtl.kl_divergence(P, Q, base=0.5)
               + fastmtl.kl_divergence(Q, P, base=0.5)}[metric]()
    pairwise = fastmtl.pairwise_divergence(P, Q, metric=metric, base=0.5)
    # scipy.stats.entropy divides by log(base) < 0: -inf.
    assert scipy.stats.entropy(P[0], Q[0], base=0.5) == -np.inf
    assert rowwise[0] == -np.inf and pairwise[0, 0] == -np.inf
    assert fastmtl.pairwise_divergence(P, Q, metric=metric, base=2.0)[0, 0] == np.inf


def test_non_native_byte_order_keeps_the_dtype():
    P = np.array([[0.5, 0.5], [0.9, 0.1]])
    for dtype in (">f4", ">f8"):
        swapped = P.astype(dtype)
        native = np.dtype(dtype).newbyteorder("=")
        for result in (fastmtl.entropy(swapped), fastmtl.kl_divergence(swapped, swapped[::-1]),
                       fastmtl.pairwise_divergence(swapped)):
            assert result.dtype == native
        np.testing.assert_allclose(fastmtl.entropy(swapped), fastmtl.entropy(P),
                                   rtol=1e-6)


def test_each_input_is_held_to_its_own_dtype_tolerance():
    """A float64 P off by 5e-5 is an error even next to a float32 Q (whose
    own tolerance, 1e-4, would let it pass); the float32 Q keeps its 1e-4."""
    P = np.array([[0.5, 0.50005], [0.25, 0.75]])
    Q = np.array([[0.5, 0.5], [0.5, 0.5]], dtype=np.float32)
    for function in (fastmtl.kl_divergence, fastmtl.cross_entropy, fastmtl.js_divergence):
        with pytest.raises(ValueError, match=r"P\[0, :\]"):
            function(P, Q)
        function(P[1:], (Q[:1] + np.float32(4e-5)).astype(np.float32))  # Q within 1e-4
    with pytest.raises(ValueError, match=r"P\[0, :\]"):
        fastmtl.pairwise_divergence(P, Q)
    fastmtl.pairwise_divergence(P[1:], Q + np.float32(4e-5))
