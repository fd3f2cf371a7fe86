"""Fuzzing the public API: every input gives a correct result or a clear error.

For every generated input the contract is:

- valid input: the result equals a 60-digit decimal oracle (``tests/naive.py``)
  to 1e-9 relative, or 1e-13 nats absolute for results near zero (float32
  input: to float32's accuracy);
- invalid input: a ``ValueError`` or ``TypeError`` whose message names an
  offending argument, never a silent result;
- the inputs come back unchanged, byte for byte.

Inputs mix well-formed distributions with counts of extreme magnitude (1e-310
to 1e307), large logits, NaN, +-inf, negative entries, bad sums, float32 and
big-endian arrays, and bad options. Cases that once read past a buffer run in
a child process (``test_crash_prone_cases_run_in_a_child_process``).
"""
import math
import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from sklearn.base import clone, is_classifier

import fastmtl
from fastmtl import (SharedCodebookClassifier, SharedCodebookRegressor,
                     SharedLatentClassifier, SharedLatentRegressor)
from fastmtl.datasets import make_multitask_classification, make_multitask_regression

from . import naive

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
TOLERANCE = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-4}  # of a row's sum
MAGNITUDES = [5e-324, 1e-310, 1e-200, 1e-20, 1.0, 1e20, 1e200, 1e307]
VALID_BASES = [None, 2, 10, 0.5, math.e]
INVALID_BASES = [1, 0, -2.0, float("nan"), float("inf"), "2"]


# --------------------------------------------------------------------------- #
# Inputs                                                                      #
# --------------------------------------------------------------------------- #
@st.composite
def row(draw, k, log_input):
    """One row of length ``k``: a distribution, counts of an extreme
    magnitude, or (rarely) a broken one."""
    kind = draw(st.sampled_from(["distribution"] * 4 + ["counts"] * 2 + ["broken"]))
    values = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=k, max_size=k)))
    if draw(st.booleans()):
        values[draw(st.integers(0, k - 1))] = 0.0
    if values.sum() == 0:
        values[0] = 1.0
    if kind == "distribution":
        values = values / values.sum()
    elif kind == "counts":
        values = values * draw(st.sampled_from(MAGNITUDES))
    if log_input:
        with np.errstate(divide="ignore"):
            values = np.log(values)
        if kind == "counts" and draw(st.booleans()):
            values = values + 1e16  # large logits
    if kind == "broken":
        spoil = draw(st.sampled_from(["nan", "inf", "-inf", "negative", "sum"]))
        j = draw(st.integers(0, k - 1))
        if spoil == "sum":
            values = values * 1.5 if not log_input else values + 0.5
        else:
            values[j] = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf,
                         "negative": -0.25}[spoil]
    return values


DTYPES = st.sampled_from([np.float64, np.float32, ">f4"])


@st.composite
def arrays(draw, n_rows, k, log_input, dtype):
    """A (n_rows, k) array of ``dtype``. Two inputs of one call share their
    dtype: mixed float32/float64 pairs compile kernels of their own (minutes
    on a cold cache), and their per-input tolerances have their own test."""
    A = np.array([draw(row(k, log_input)) for _ in range(n_rows)]).reshape(n_rows, k)
    with np.errstate(over="ignore"):
        return A.astype(dtype)


def row_is_valid(values, normalize, log_input, dtype):
    """The contract's verdict on one row (independent of the kernels)."""
    values = values.astype(np.float64)
    tol = TOLERANCE[np.dtype(dtype).newbyteorder("=")]
    if log_input:
        if np.isnan(values).any() or (values == np.inf).any():
            return False
        if normalize:
            return bool((values > -np.inf).any())
        with np.errstate(over="ignore"):
            total = math.fsum(np.exp(values))
    else:
        if not np.isfinite(values).all() or (values < 0).any():
            return False
        if normalize:
            return bool((values > 0).any())
        try:
            total = math.fsum(values)
        except OverflowError:
            return False
    # A sum right at the tolerance could go either way: not generated.
    assume(not tol / 10 < abs(total - 1.0) < tol * 10)
    return abs(total - 1.0) <= tol


def named(error, names):
    """Whether ``error``'s message names one of ``names`` (as a word)."""
    return any(re.search(rf"\b{re.escape(name)}\b", str(error)) for name in names)


def call_and_check(func, inputs, bad_names, oracle, rtol, atol):
    """Run ``func``; assert the contract (see the module docstring)."""
    before = [(a.dtype, a.shape, a.tobytes()) for a in inputs]
    try:
        result = func()
    except (ValueError, TypeError) as error:
        event(f"error naming {sorted(bad_names)}")
        assert bad_names, f"valid input rejected: {error}"
        assert named(error, bad_names), (
            f"the error does not name {sorted(bad_names)}: {error}")
    else:
        event("result")
        assert not bad_names, f"invalid {sorted(bad_names)} accepted, gave {result!r}"
        expected = oracle()
        result = np.asarray(result, dtype=np.float64)
        infinite = np.isinf(expected)
        np.testing.assert_array_equal(result[infinite], expected[infinite])
        np.testing.assert_allclose(result[~infinite], expected[~infinite], rtol=rtol,
                                   atol=atol)
    after = [(a.dtype, a.shape, a.tobytes()) for a in inputs]
    assert after == before, "an input was modified"


def _options(draw):
    base = draw(st.sampled_from(VALID_BASES * 4 + INVALID_BASES))
    normalize = draw(st.booleans())
    return base, normalize, {"base"} if base not in VALID_BASES else set()


def _accuracy(*arrays):
    single = any(np.dtype(a.dtype).newbyteorder("=") == np.float32 for a in arrays)
    return (1e-6, 1e-7) if single else (1e-9, 1e-13)


def _in_base(nats, base):
    nats = np.asarray(nats, dtype=np.float64)
    return nats if base is None else nats / math.log(base)


# --------------------------------------------------------------------------- #
# Information kernels                                                         #
# --------------------------------------------------------------------------- #
ROWWISE = {
    "entropy": lambda P, Q, **kw: fastmtl.entropy(P, **kw),
    "cross_entropy": fastmtl.cross_entropy,
    "kl": fastmtl.kl_divergence,
    "js": fastmtl.js_divergence,
}


@FUZZ
@given(st.data())
def test_rowwise_functions_keep_the_contract(data):
    metric = data.draw(st.sampled_from(sorted(ROWWISE)))
    log_input = data.draw(st.booleans())
    n, k = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 5))
    dtype = data.draw(DTYPES)
    P = data.draw(arrays(n, k, log_input, dtype))
    Q = data.draw(arrays(n, k, log_input, dtype))
    base, normalize, bad = _options(data.draw)
    for name, A in (("P", P), ("Q", Q)) if metric != "entropy" else (("P", P),):
        if not all(row_is_valid(r, normalize, log_input, A.dtype) for r in A):
            bad.add(name)

    def oracle():
        return _in_base([naive.exact_divergence(p, q, metric, normalise=normalize,
                                                log_input=log_input)
                         for p, q in zip(P, Q)], base)

    call_and_check(lambda: ROWWISE[metric](P, Q, base=base, normalize=normalize,
                                           log_input=log_input),
                   [P, Q], bad, oracle, *_accuracy(P, Q))


@FUZZ
@given(st.data())
def test_pairwise_divergence_keeps_the_contract(data):
    metric = data.draw(st.sampled_from(["kl", "js", "cross_entropy", "symmetric_kl"]))
    log_input = data.draw(st.booleans())
    k = data.draw(st.integers(1, 4))
    dtype = data.draw(DTYPES)
    P = data.draw(arrays(data.draw(st.integers(0, 3)), k, log_input, dtype))
    Q = data.draw(arrays(data.draw(st.integers(1, 3)), k, log_input, dtype))
    base, normalize, bad = _options(data.draw)
    for name, A in (("P", P), ("Q", Q)):
        if not all(row_is_valid(r, normalize, log_input, A.dtype) for r in A):
            bad.add(name)

    def oracle():
        return _in_base([[naive.exact_divergence(p, q, metric, normalise=normalize,
                                                 log_input=log_input) for q in Q]
                         for p in P], base).reshape(len(P), len(Q))

    call_and_check(lambda: fastmtl.pairwise_divergence(
        P, Q, metric=metric, base=base, normalize=normalize, log_input=log_input),
        [P, Q], bad, oracle, *_accuracy(P, Q))


@FUZZ
@given(st.data())
def test_joint_table_functions_keep_the_contract(data):
    mutual = data.draw(st.booleans())
    kx, ky = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    flat = data.draw(arrays(data.draw(st.integers(1, 2)), kx * ky, False, data.draw(DTYPES)))
    joint = flat.reshape(-1, kx, ky)
    base, normalize, bad = _options(data.draw)
    if not all(row_is_valid(r, normalize, False, flat.dtype) for r in flat):
        bad.add("joint")
    exact = naive.exact_mutual_information if mutual else naive.exact_conditional_entropy
    func = fastmtl.mutual_information if mutual else fastmtl.conditional_entropy

    def oracle():
        return _in_base([exact(table, normalise=normalize) for table in joint], base)

    call_and_check(lambda: func(joint, base=base, normalize=normalize), [joint], bad,
                   oracle, *_accuracy(joint))


@pytest.mark.parametrize("option", ["normalize", "log_input", "check_input"])
@pytest.mark.parametrize("value", ["no", 1, None])
def test_flags_take_true_or_false_only(option, value):
    # A truthy string switched the option on.
    P = np.array([0.5, 0.5])
    for func in (lambda: fastmtl.entropy(P, **{option: value}),
                 lambda: fastmtl.pairwise_divergence(P[None], **{option: value})):
        with pytest.raises(TypeError, match=rf"{option} must be True or False"):
            func()
    if option != "log_input":
        with pytest.raises(TypeError, match=rf"{option} must be True or False"):
            fastmtl.mutual_information(np.full((2, 2), 0.25), **{option: value})


# --------------------------------------------------------------------------- #
# Estimators                                                                  #
# --------------------------------------------------------------------------- #
ODD_VALUES = [0, 1, -1, 0.5, 2.0, 1e6, 1e-300, 1e300, float("nan"), float("inf"),
              -float("inf"), True, "auto", "loud", None, [1.0], np.float32(0.1)]
FUZZED_PARAMETERS = ["n_components", "alpha", "learning_rate", "batch_size", "max_iter",
                     "tol", "n_iter_no_change", "validation_fraction", "graph_penalty",
                     "shared_alpha", "intercept_alpha", "verbose", "random_state",
                     "early_stopping", "solver", "loss_weighting", "device"]


def _regression_data():
    X, Y = make_multitask_regression(25, 3, 4, shared_X=True, missing_rate=0.2,
                                     random_state=0)
    return X, Y


ESTIMATORS = [SharedLatentRegressor, SharedCodebookRegressor, SharedLatentClassifier,
              SharedCodebookClassifier]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.sampled_from(FUZZED_PARAMETERS + ["sparsity"]), st.sampled_from(ODD_VALUES))
@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda E: E.__name__)
def test_estimator_parameters_keep_the_contract(Estimator, parameter, value):
    # Any value: a fit whose predictions are finite, or a ValueError /
    # TypeError naming the parameter (a diverging learning rate is a
    # TrainingDivergedError, which is a ValueError naming learning_rate).
    assume(parameter in Estimator().get_params())
    X, Y = _regression_data()
    if is_classifier(Estimator()):
        Y = np.where(np.isnan(Y), np.nan, (Y > 0).astype(float))
    X_before, Y_before = X.copy(), Y.copy()
    model = Estimator(max_iter=5, random_state=0).set_params(**{parameter: value})
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            model.fit(X, Y)
    except (ValueError, TypeError) as error:
        event("error")
        assert named(error, [parameter]), f"{parameter}={value!r}: {error}"
    else:
        event("fit")
        assert np.isfinite(model.decision_function(X) if is_classifier(model)
                           else model.predict(X)).all(), f"{parameter}={value!r}"
        assert np.isfinite(model.coef_).all()
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(Y, Y_before)


BAD_DATA = {
    "X with NaN": (lambda X, Y: (np.where(np.eye(*X.shape, dtype=bool), np.nan, X), Y), "X"),
    "X with inf": (lambda X, Y: (np.where(np.eye(*X.shape, dtype=bool), np.inf, X), Y), "X"),
    "X huge": (lambda X, Y: (X * 1e200, Y), "X"),
    "Y with inf": (lambda X, Y: (X, np.where(np.eye(*Y.shape, dtype=bool), np.inf, Y)), "Y"),
    "Y huge": (lambda X, Y: (X, Y * 1e200), "Y"),
    "Y all missing": (lambda X, Y: (X, np.full_like(Y, np.nan)), "Y"),
    "Y too few rows": (lambda X, Y: (X, Y[:-1]), "samples"),
    "X text": (lambda X, Y: (np.where(np.eye(*X.shape, dtype=bool), "a", X.astype(str)),
                             Y), "X|convert"),
    "X complex": (lambda X, Y: (X + 1j, Y), "X"),
}


@pytest.mark.parametrize("case", sorted(BAD_DATA))
def test_bad_training_data_is_refused_naming_it(case):
    spoil, name = BAD_DATA[case]
    X, Y = spoil(*_regression_data())
    before = (X.copy(), Y.copy())
    with pytest.raises((ValueError, TypeError), match=rf"\b({name})\b"):
        SharedLatentRegressor(random_state=0).fit(X, Y)
    np.testing.assert_array_equal(X, before[0])
    np.testing.assert_array_equal(Y, before[1])


@pytest.mark.parametrize("method", ["predict", "score", "objective", "fit_new_tasks"])
def test_fitted_estimators_refuse_the_wrong_number_of_features_or_tasks(method):
    X, Y = _regression_data()
    model = SharedLatentRegressor(random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match="features"):
        getattr(model, method)(*((X[:, :-1],) if method == "predict" else (X[:, :-1], Y)))
    if method in ("score", "objective"):
        for wrong in (Y[:, :-1], np.hstack([Y, Y[:, :1]])):
            with pytest.raises(ValueError, match="tasks"):
                getattr(model, method)(X, wrong)


CRASH_PRONE = """
import numpy as np, warnings
from fastmtl import SharedLatentClassifier, SharedCodebookClassifier
from fastmtl.datasets import make_multitask_classification
warnings.simplefilter("ignore")
X, Y = make_multitask_classification(40, 2, 30, shared_X=True, random_state=0)
for Estimator in (SharedLatentClassifier, SharedCodebookClassifier):
    # A warm start on fewer features read past X's buffer (a segfault next
    # to a guard page): it must refit from scratch instead.
    model = Estimator(warm_start=True, solver="sgd", max_iter=3, random_state=0)
    model.fit(X, Y).fit(X[:, :3].copy(), Y)
    assert model.coef_.shape[-1] == 3, model.coef_.shape
    # Minibatches far larger than the data are full batches, not 233 GiB.
    Estimator(batch_size=10**11, solver="sgd", max_iter=2, random_state=0).fit(X, Y)
print("ok")
"""


def test_crash_prone_cases_run_in_a_child_process():
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(CRASH_PRONE)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.strip() == "ok"


def test_classifier_fuzz_of_labels_keeps_the_contract():
    # Labels of mixed types, NaN for missing, a task with one class, a task
    # with no label: a fit or an error naming the task.
    X, Y = make_multitask_classification(30, 3, 4, shared_X=True, random_state=0)
    cases = {
        "mixed": np.array([[1, "a", 0]] * 30, dtype=object),
        "one class": np.column_stack([Y[:, 0], np.zeros(30), Y[:, 2]]),
        "no label": np.column_stack([Y[:, 0], np.full(30, np.nan), Y[:, 2]]),
        "floats": Y + 0.5,
    }
    for name, labels in cases.items():
        model = clone(SharedCodebookClassifier(random_state=0))
        try:
            model.fit(X, labels)
        except (ValueError, TypeError) as error:
            assert named(error, ["Task", "task", "Y", "labels"]), f"{name}: {error}"
        else:
            proba = model.predict_proba(X)
            proba = proba if isinstance(proba, list) else [proba]
            assert all(np.isfinite(p).all() for p in proba), name
