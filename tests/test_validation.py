"""Every bad input of the information functions raises a clear error naming where it is."""
import numpy as np
import pytest

import fastmtl

ROWWISE = [fastmtl.entropy, fastmtl.cross_entropy, fastmtl.kl_divergence,
           fastmtl.js_divergence]
GOOD = np.full((3, 4), 0.25)


def call(func, P, **kwargs):
    if func is fastmtl.entropy:
        return func(P, **kwargs)
    return func(P, GOOD, **kwargs)


@pytest.mark.parametrize("func", ROWWISE)
@pytest.mark.parametrize("value, problem", [
    (np.nan, "NaN or infinite"), (np.inf, "NaN or infinite"),
    (-np.inf, "NaN or infinite"), (-0.25, "negative entry"),
])
def test_bad_entries_name_the_first_index(func, value, problem):
    P = GOOD.copy()
    P[1, 2] = value
    P[2, 3] = value  # a later bad entry: the first one is reported
    with pytest.raises(ValueError, match=rf"P has a {problem}.* at index \(1, 2\)"):
        call(func, P)


@pytest.mark.parametrize("func", ROWWISE[1:])
def test_second_input_is_named(func):
    Q = GOOD.copy()
    Q[2, 0] = -1.0
    with pytest.raises(ValueError, match=r"Q has a negative entry at index \(2, 0\)"):
        func(GOOD, Q)


def test_index_is_in_the_users_coordinates():
    # Q of shape (4,) broadcast against (3, 4): Q's own index is reported.
    q = np.array([0.5, 0.5, -0.5, 0.5])
    with pytest.raises(ValueError, match=r"Q has a negative entry at index \(2,\)"):
        fastmtl.kl_divergence(GOOD, q)
    # Distribution axis 0 of a (4, 3) array: the index keeps the user's order.
    P = GOOD.T.copy()
    P[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"index \(3, 1\)"):
        fastmtl.entropy(P, axis=0)


@pytest.mark.parametrize("func", ROWWISE)
def test_bad_sum_and_tolerances(func):
    P = GOOD.copy()
    P[2] = [0.3, 0.3, 0.3, 0.3]
    with pytest.raises(ValueError, match=r"does not sum to 1 .*sum=1.2.*P\[2, :\]"):
        call(func, P)
    # Within 1e-6 (float64) is accepted; float32 gets 1e-4.
    call(func, GOOD + 1e-7 / 4)
    with pytest.raises(ValueError, match="tolerance 1e-06"):
        call(func, GOOD + 1e-5 / 4)
    call(func, (GOOD + 1e-5 / 4).astype(np.float32))
    with pytest.raises(ValueError, match="tolerance 0.0001"):
        call(func, (GOOD + 1e-3 / 4).astype(np.float32))


@pytest.mark.parametrize("func", ROWWISE)
def test_zero_sum_row_with_normalize(func):
    P = GOOD.copy()
    P[1] = 0.0
    with pytest.raises(ValueError, match=r"sums to 0.*P\[1, :\]"):
        call(func, P, normalize=True)


def test_log_input_checks():
    logP = np.log(GOOD)
    logP[0, 1] = np.inf
    with pytest.raises(ValueError, match=r"NaN or \+inf log-probability at index \(0, 1\)"):
        fastmtl.entropy(logP, log_input=True)
    with pytest.raises(ValueError, match=r"exp\(x\) do not sum to 1"):
        fastmtl.entropy(np.log(GOOD) + 1, log_input=True)
    with pytest.raises(ValueError, match="all -inf"):
        fastmtl.entropy(np.full((2, 3), -np.inf), log_input=True, normalize=True)


@pytest.mark.parametrize("func", ROWWISE)
def test_shape_errors(func):
    with pytest.raises(ValueError, match="length 0"):
        call(func, np.empty((3, 0))) if func is fastmtl.entropy else func(
            np.empty((3, 0)), np.empty((3, 0)))
    if func is not fastmtl.entropy:
        with pytest.raises(ValueError, match="different lengths along axis=-1: P has 4, Q has 3"):
            func(GOOD, np.full((3, 3), 1 / 3))
        with pytest.raises(ValueError, match="never broadcast"):
            func(GOOD, np.ones((3, 1)))
        with pytest.raises(ValueError, match="cannot broadcast"):
            func(GOOD, np.full((2, 4), 0.25))
    with pytest.raises(ValueError, match="scalar"):
        call(func, 1.0) if func is fastmtl.entropy else func(1.0, 1.0)
    with pytest.raises(ValueError, match="out of bounds"):
        call(func, GOOD, axis=2)


@pytest.mark.parametrize("base", [0, -2, 1, 1.0, np.inf])
def test_bad_base(base):
    with pytest.raises(ValueError, match="base must be"):
        fastmtl.entropy(GOOD, base=base)


def test_bad_types_and_options():
    with pytest.raises(TypeError, match="base must be"):
        fastmtl.entropy(GOOD, base="2")
    with pytest.raises(TypeError, match="real numbers"):
        fastmtl.entropy(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="real numbers"):
        fastmtl.entropy(np.array([0.5 + 0j, 0.5]))
    with pytest.raises(ValueError, match="device must be one of"):
        fastmtl.entropy(GOOD, device="tpu")
    with pytest.raises(TypeError, match="axis must be an integer"):
        fastmtl.entropy(GOOD, axis=0.5)


def test_cuda_without_gpu_is_a_runtime_error(monkeypatch):
    from fastmtl import _backend

    monkeypatch.setattr(_backend, "cuda_available", lambda: False)
    with pytest.raises(RuntimeError, match="device='cuda' needs a CUDA GPU"):
        fastmtl.entropy(GOOD, device="cuda")
    with pytest.raises(RuntimeError, match="needs a CUDA GPU"):
        fastmtl.pairwise_divergence(GOOD, device="cuda")
    # "auto" silently uses the CPU.
    assert fastmtl.entropy(GOOD, device="auto").shape == (3,)


def test_joint_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        fastmtl.mutual_information([0.5, 0.5])
    with pytest.raises(ValueError, match="empty"):
        fastmtl.conditional_entropy(np.empty((2, 0)))
    J = np.full((2, 2, 2), 0.25)
    J[1, 0, 1] = -0.25
    with pytest.raises(ValueError, match=r"joint has a negative entry at index \(1, 0, 1\)"):
        fastmtl.mutual_information(J)
    with pytest.raises(ValueError, match=r"does not sum to 1.*joint\[0, :, :\]"):
        fastmtl.mutual_information(np.ones((2, 2, 2)))


def test_check_input_false_skips_the_scan():
    P = GOOD * 2  # sums to 2
    with pytest.raises(ValueError):
        fastmtl.entropy(P)
    assert np.isfinite(fastmtl.entropy(P, check_input=False)).all()


def test_inputs_are_never_modified():
    P = np.array([[0.2, 0.0, 0.8], [0.5, 0.25, 0.25]])
    Q = np.array([[0.1, 0.4, 0.5], [0.0, 0.5, 0.5]])
    P0, Q0 = P.copy(), Q.copy()
    for func in ROWWISE[1:]:
        func(P, Q)
        func(P * 3, Q * 2, normalize=True)
        with np.errstate(divide="ignore"):
            func(np.log(P), np.log(Q), log_input=True)
    fastmtl.entropy(P)
    fastmtl.mutual_information(P[:, None, :] * Q[:, :, None], normalize=True)
    assert np.array_equal(P, P0) and np.array_equal(Q, Q0)


def test_import_without_a_writable_numba_cache_compiles_instead_of_failing():
    """Where neither the install directory nor HOME is writable, Numba has no
    cache locator: ``import fastmtl`` warns once and runs uncached."""
    import subprocess
    import sys

    code = (
        "import warnings, numba.core.caching as caching\n"
        "caching.CacheImpl._locator_classes = []  # no writable place anywhere\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    import fastmtl\n"
        "    value = fastmtl.entropy([0.5, 0.5], base=2)\n"
        "messages = [str(w.message) for w in caught if 'NUMBA_CACHE_DIR' in str(w.message)]\n"
        "assert len(messages) == 1, messages\n"
        "assert abs(value - 1.0) < 1e-15, value\n"
        "assert not fastmtl._config.JIT_OPTIONS['cache']\n"
        "print('ok')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
