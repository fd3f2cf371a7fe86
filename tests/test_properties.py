"""Property tests: the identities every divergence must satisfy."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

import fastmtl

LOG2 = np.log(2)


@st.composite
def distributions(draw, n_rows=None, k=None):
    n_rows = draw(st.integers(1, 6)) if n_rows is None else n_rows
    k = draw(st.integers(1, 8)) if k is None else k
    weights = draw(arrays(np.float64, (n_rows, k),
                          elements=st.one_of(st.just(0.0), st.floats(1e-12, 1e6))))
    weights[:, 0] += weights.sum(axis=1) == 0
    return weights / weights.sum(axis=1, keepdims=True)


@st.composite
def pairs(draw):
    P = draw(distributions())
    Q = draw(distributions(n_rows=P.shape[0], k=P.shape[1]))
    return P, Q


settings.register_profile("fastmtl", max_examples=60, deadline=None)
settings.load_profile("fastmtl")


@given(pairs())
def test_kl_is_non_negative(PQ):
    assert (fastmtl.kl_divergence(*PQ) >= 0).all()


@given(distributions())
def test_kl_of_a_distribution_with_itself_is_zero(P):
    assert (fastmtl.kl_divergence(P, P) == 0).all()
    assert (fastmtl.js_divergence(P, P) == 0).all()


@given(pairs())
def test_js_is_bounded_and_symmetric(PQ):
    P, Q = PQ
    js = fastmtl.js_divergence(P, Q)
    assert ((js >= 0) & (js <= LOG2)).all()
    assert_allclose(js, fastmtl.js_divergence(Q, P), rtol=1e-12, atol=1e-15)
    assert ((0 <= fastmtl.js_divergence(P, Q, base=2)) &
            (fastmtl.js_divergence(P, Q, base=2) <= 1)).all()


@given(pairs())
def test_cross_entropy_is_entropy_plus_kl(PQ):
    P, Q = PQ
    kl = fastmtl.kl_divergence(P, Q)
    finite = np.isfinite(kl)
    assert_allclose(fastmtl.cross_entropy(P, Q)[finite],
                    fastmtl.entropy(P)[finite] + kl[finite], rtol=1e-9, atol=1e-12)


@given(distributions(k=12))
def test_mutual_information_identities(rows):
    J = rows.reshape(-1, 3, 4)
    I = fastmtl.mutual_information(J)
    assert (I >= 0).all()
    H_X = fastmtl.entropy(J.sum(axis=-1))
    assert_allclose(I, H_X - fastmtl.conditional_entropy(J), rtol=1e-9, atol=1e-12)


@given(pairs(), st.sampled_from(["kl", "js", "cross_entropy", "symmetric_kl"]))
def test_pairwise_equals_rowwise(PQ, metric):
    P, Q = PQ
    D = fastmtl.pairwise_divergence(P, Q, metric=metric)
    rowwise = {
        "kl": fastmtl.kl_divergence(P, Q),
        "js": fastmtl.js_divergence(P, Q),
        "cross_entropy": fastmtl.cross_entropy(P, Q),
        "symmetric_kl": fastmtl.kl_divergence(P, Q) + fastmtl.kl_divergence(Q, P),
    }[metric]
    diag = np.diag(D)
    assert np.array_equal(np.isinf(diag), np.isinf(rowwise))
    finite = np.isfinite(rowwise)
    assert_allclose(diag[finite], rowwise[finite], rtol=1e-9, atol=1e-12)
