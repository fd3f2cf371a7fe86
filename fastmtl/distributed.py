"""Dask integration: score, divide and train on data larger than one machine.

Dask arrays in, Dask arrays out. Every function here builds a lazy graph with
one task per chunk (per pair of chunks for pairwise divergences), whose work
is the in-memory fastmtl function on that chunk; it runs on any Dask
scheduler, a ``dask.distributed`` cluster included.

- :func:`predict`, :func:`predict_proba`, :func:`decision_function`,
  :func:`transform`, :func:`score`: a fitted estimator on a Dask array or
  Dask DataFrame of any size. The model enters the graph once (one key that
  every chunk task depends on), so it is shipped to each worker once, not
  embedded in every task.
- :func:`pairwise_divergence` and the row-wise :func:`entropy`,
  :func:`cross_entropy`, :func:`kl_divergence`, :func:`js_divergence`:
  blocked graphs whose results can be stored lazily (``dask.array.to_zarr``,
  ``dask.array.store``).
- :func:`partial_fit`: streams the chunks of a Dask array through an
  estimator's ``partial_fit``, one pass per epoch, chunks in a seeded random
  order, for training sets larger than memory.

Model selection on a cluster needs nothing from here: scikit-learn's
``GridSearchCV(..., n_jobs=-1)`` inside ``joblib.parallel_backend("dask")``
fits the candidates on the cluster's workers.

A bad chunk raises the same ``ValueError`` as the in-memory call on the whole
array, indices included.
"""
import functools
import numbers
import operator
import textwrap

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from . import information
from ._threads import one_thread_at_a_time_if_unsafe
from ._validation import as_float_array, check_option, row_offsets


def _dask():
    try:
        import dask
        import dask.array as da
    except ImportError as error:  # pragma: no cover - dask is a declared extra
        raise ImportError(
            "fastmtl.distributed needs Dask: pip install 'fastmtl[dask]'."
        ) from error
    return dask, da


# --------------------------------------------------------------------------- #
# Inputs                                                                      #
# --------------------------------------------------------------------------- #
def _as_dask_array(X, name):
    """A Dask array (a Dask DataFrame's values, a NumPy array wrapped), 2-D."""
    _, da = _dask()
    if hasattr(X, "to_dask_array"):  # Dask DataFrame / Series
        X = X.to_dask_array(lengths=True)
    elif not isinstance(X, da.Array):
        X = da.from_array(np.asarray(X))
    if X.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D; got {X.ndim}-D.")
    return X


def _rows_chunked(X, name):
    """``X`` with all its columns in one chunk, so that each task sees whole rows."""
    X = _as_dask_array(X, name)
    if X.ndim == 2 and X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    return X


def _aligned_arrays(X, Y, sample_weight):
    """``X`` in whole rows; ``Y`` and ``sample_weight`` (or None) in its row chunks."""
    X = _rows_chunked(X, "X")
    Y = _as_dask_array(Y, "Y")
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"X and Y have inconsistent numbers of samples: {X.shape[0]} "
                         f"and {Y.shape[0]}.")
    Y = Y.rechunk((X.chunks[0],) + ((-1,) if Y.ndim == 2 else ()))
    if sample_weight is not None:
        sample_weight = _as_dask_array(sample_weight, "sample_weight").rechunk(
            (X.chunks[0],))
    return X, Y, sample_weight


def _feature_frame(block, names):
    """A chunk as a DataFrame with the fitted feature names (no sklearn warning)."""
    if names is None:
        return block
    import pandas as pd

    return pd.DataFrame(block, columns=names)


def _model_key(estimator):
    """The fitted model as one graph key that every chunk task depends on.

    A fresh key per call: a graph never reuses results a previous call left on
    the workers for a model since refitted."""
    dask, _ = _dask()
    check_is_fitted(estimator)
    return dask.delayed(estimator, pure=False, traverse=False)


# --------------------------------------------------------------------------- #
# Scoring a fitted estimator                                                  #
# --------------------------------------------------------------------------- #
@one_thread_at_a_time_if_unsafe
def _apply_block(block, model, method, names):
    out = getattr(model, method)(_feature_frame(block, names))
    if isinstance(out, list):  # per-task probabilities: side by side
        out = np.hstack(out)
    return out


def _output_width(estimator, method, n_features):
    """Columns of ``method``'s output (None for a 1-D output)."""
    probe = getattr(estimator, method)(
        _feature_frame(np.zeros((1, n_features)), getattr(estimator, "feature_names_in_",
                                                          None)))
    if isinstance(probe, list):
        return sum(p.shape[1] for p in probe), [p.shape[1] for p in probe], probe[0].dtype
    return (probe.shape[1] if probe.ndim == 2 else None), None, probe.dtype


def _map_method(estimator, X, method):
    _, da = _dask()
    if not hasattr(estimator, method):
        raise AttributeError(f"{type(estimator).__name__} has no method {method!r}.")
    X = _rows_chunked(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features); got {X.ndim}-D.")
    n_features = getattr(estimator, "n_features_in_", X.shape[1])
    if X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
            f"{n_features} features as input."
        )
    width, parts, dtype = _output_width(estimator, method, X.shape[1])
    names = getattr(estimator, "feature_names_in_", None)
    model = _model_key(estimator)
    if width is None:
        out = da.map_blocks(_apply_block, X, model, method, names, dtype=dtype,
                            drop_axis=1, chunks=(X.chunks[0],),
                            meta=np.empty((0,), dtype=dtype))
    else:
        out = da.map_blocks(_apply_block, X, model, method, names, dtype=dtype,
                            chunks=(X.chunks[0], (width,)),
                            meta=np.empty((0, 0), dtype=dtype))
    if parts is None:
        return out
    bounds = np.concatenate([[0], np.cumsum(parts)])
    return [out[:, a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def _examples_section(example):
    """A numpydoc Examples section for a docstring built from parts."""
    return "\n    Examples\n    --------\n" + textwrap.indent(example, "    ") + "\n    "


# The Examples sections of the functions whose docstrings are built from
# parts: a shared setup, then each function's own lines.
_FITTED_REGRESSOR = """\
>>> import dask.array as da
>>> from fastmtl import SharedLatentRegressor, distributed
>>> from fastmtl.datasets import make_multitask_regression
>>> X, Y = make_multitask_regression(200, 3, 5, shared_X=True, random_state=0)
>>> model = SharedLatentRegressor(random_state=0).fit(X, Y)
>>> X_big = da.from_array(X, chunks=(50, 5))
"""
_FITTED_CLASSIFIER = """\
>>> import dask.array as da
>>> from fastmtl import SharedLatentClassifier, distributed
>>> from fastmtl.datasets import make_multitask_classification
>>> X, Y = make_multitask_classification(100, 3, 5, shared_X=True, random_state=0)
>>> model = SharedLatentClassifier(random_state=0).fit(X, Y)
"""
_TWO_DASK_ARRAYS = """\
>>> import dask.array as da
>>> import numpy as np
>>> from fastmtl import distributed
>>> rng = np.random.default_rng(0)
>>> P = da.from_array(rng.dirichlet(np.ones(8), size=1000), chunks=(250, 8))
>>> Q = da.from_array(rng.dirichlet(np.ones(8), size=1000), chunks=(250, 8))
"""

_EXAMPLE_PREDICT = _FITTED_REGRESSOR + """\
>>> import numpy as np
>>> Y_hat = distributed.predict(model, X_big)  # lazy, the model shipped once
>>> Y_hat.shape, bool(np.allclose(Y_hat.compute(), model.predict(X)))
((200, 3), True)"""

_EXAMPLE_PREDICT_PROBA = _FITTED_CLASSIFIER + """\
>>> proba = distributed.predict_proba(model, da.from_array(X, chunks=(25, 5)))
>>> proba.shape  # multi-label data: the probability of label 1, per task
(100, 3)"""

_EXAMPLE_DECISION_FUNCTION = _FITTED_CLASSIFIER + """\
>>> distributed.decision_function(model, da.from_array(X, chunks=(25, 5))).shape
(100, 3)"""

_EXAMPLE_TRANSFORM = _FITTED_REGRESSOR + """\
>>> distributed.transform(model, X_big).shape  # the shared factors
(200, 5)"""

_EXAMPLE_ENTROPY = _TWO_DASK_ARRAYS + """\
>>> import fastmtl
>>> H = distributed.entropy(P)  # lazy, one task per chunk
>>> H.shape, bool(np.allclose(H.compute(), fastmtl.entropy(P.compute())))
((1000,), True)"""

_EXAMPLE_CROSS_ENTROPY = _TWO_DASK_ARRAYS + """\
>>> distributed.cross_entropy(P, Q).compute().shape
(1000,)"""

_EXAMPLE_KL_DIVERGENCE = _TWO_DASK_ARRAYS + """\
>>> bool((distributed.kl_divergence(P, Q).compute() >= 0).all())
True"""

_EXAMPLE_JS_DIVERGENCE = _TWO_DASK_ARRAYS + """\
>>> bool((distributed.js_divergence(P, Q).compute() <= np.log(2)).all())
True"""


def _chunkwise(method, returns, example):
    """A Dask version of ``estimator.<method>``, applied chunk by chunk, with
    its docstring (``returns``: the Returns entry; ``example``: its Examples)."""
    def dask_method(estimator, X):
        return _map_method(estimator, X, method)

    dask_method.__name__ = dask_method.__qualname__ = method
    dask_method.__doc__ = f"""``estimator.{method}`` on a Dask array or DataFrame, chunk by chunk.

    Parameters
    ----------
    estimator : fitted estimator
        A fitted fastmtl estimator (any scikit-learn estimator with this
        method works).
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n_samples, n_features)
        Samples, in row chunks.

    Returns
    -------
{textwrap.indent(returns, "    ")}
{_examples_section(example)}"""
    return dask_method


predict = _chunkwise("predict", """Y : dask.array.Array
    Lazy; its row chunks are those of ``X``.""", _EXAMPLE_PREDICT)
predict_proba = _chunkwise("predict_proba", """proba : dask.array.Array or list of dask.array.Array
    As the estimator returns it (an array, or one per task); row chunks
    those of ``X``.""", _EXAMPLE_PREDICT_PROBA)
decision_function = _chunkwise("decision_function", """scores : dask.array.Array
    Lazy; row chunks those of ``X``.""", _EXAMPLE_DECISION_FUNCTION)
transform = _chunkwise("transform", """Z : dask.array.Array
    Lazy; row chunks those of ``X``.""", _EXAMPLE_TRANSFORM)


@one_thread_at_a_time_if_unsafe
def _chunk_statistics(X_block, Y_block, w_block, model, names):
    """The estimator's per-task score statistics on one chunk (they add up)."""
    return model._score_statistics(_feature_frame(X_block, names), Y_block, w_block)


def score(estimator, X, Y, sample_weight=None):
    """``estimator.score`` of a fastmtl estimator on Dask arrays; computed, a float.

    Each chunk reduces to the estimator's per-task score statistics (weights,
    means, squared deviations, errors or hits; see :mod:`fastmtl.metrics`),
    merged exactly on the client, so the result equals the in-memory
    ``score`` up to rounding.

    Parameters
    ----------
    estimator : fitted fastmtl multi-task estimator
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n_samples, n_features)
    Y : dask.array.Array of shape (n_samples, n_tasks) or (n_samples,)
        Targets; NaN (or the classifier's ``missing_label``) marks a missing one.
    sample_weight : dask.array.Array of shape (n_samples,), default=None

    Returns
    -------
    score : float

    Examples
    --------
    >>> import dask.array as da
    >>> from fastmtl import SharedLatentRegressor, distributed
    >>> from fastmtl.datasets import make_multitask_regression
    >>> X, Y = make_multitask_regression(200, 3, 5, shared_X=True, random_state=0)
    >>> model = SharedLatentRegressor(random_state=0).fit(X, Y)
    >>> X_big = da.from_array(X, chunks=(50, 5))
    >>> round(distributed.score(model, X_big, da.from_array(Y, chunks=(50, 3))), 6) == round(
    ...     model.score(X, Y), 6)
    True
    """
    dask, _ = _dask()
    if not hasattr(estimator, "_score_statistics"):
        raise TypeError(f"{type(estimator).__name__} is not a fastmtl multi-task "
                        "estimator; use dask-ml's scorers for other estimators.")
    check_is_fitted(estimator)
    X, Y, w = _aligned_arrays(X, Y, sample_weight)
    model = _model_key(estimator)
    names = getattr(estimator, "feature_names_in_", None)
    chunk = dask.delayed(_chunk_statistics, pure=True)
    parts = [chunk(X.blocks[i], Y.blocks[i], None if w is None else w.blocks[i], model,
                   names) for i in range(X.numblocks[0])]
    statistics = functools.reduce(operator.add, dask.compute(*parts))
    return estimator._statistics_score(statistics)


# --------------------------------------------------------------------------- #
# Information kernels on Dask arrays                                          #
# --------------------------------------------------------------------------- #
def _first(row_numbers):
    return int(row_numbers[0]) if row_numbers.size else 0


def _row_numbers(X):
    """Lazy row numbers chunked like ``X``'s rows: a chunk's first is its offset."""
    _, da = _dask()
    return da.arange(X.shape[0], chunks=(X.chunks[0],))


def _check_chunk(block, name, start, normalize, log_input):
    """Raise the in-memory error for a bad row of a chunk, indexed in the whole."""
    with row_offsets(**{name: start}):
        information.check_distributions(block, normalize=normalize, log_input=log_input,
                                        name=name)


@one_thread_at_a_time_if_unsafe
def _pairwise_block(P_block, Q_block, p_start, q_start, metric, base, normalize,
                    log_input, same):
    # Q = P in memory names every bad row "P"; so do the chunks of Q here.
    P_block, Q_block = as_float_array(P_block, "P"), as_float_array(Q_block, "Q")
    _check_chunk(P_block, "P", _first(p_start), normalize, log_input)
    _check_chunk(Q_block, "P" if same else "Q", _first(q_start), normalize, log_input)
    return information.pairwise_divergence(
        P_block, Q_block, metric=metric, base=base, normalize=normalize,
        log_input=log_input, device="cpu", check_input=False)


def _distributions(X, name):
    X = _rows_chunked(X, name)
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (one distribution per row), got shape {X.shape}")
    return X


def pairwise_divergence(P, Q=None, *, metric="kl", base=None, normalize=False,
                        log_input=False):
    """:func:`fastmtl.pairwise_divergence` between the rows of Dask arrays.

    Block ``(i, j)`` of the result is the Numba kernel on row chunk ``i`` of
    ``P`` and row chunk ``j`` of ``Q``, so the graph has one task per pair of
    chunks and the ``(n, m)`` result never has to fit in one memory: store it
    with ``dask.array.to_zarr`` or ``dask.array.store``.

    Parameters
    ----------
    P : dask.array.Array of shape (n, k)
        Distributions, one per row.
    Q : dask.array.Array of shape (m, k), optional
        Distributions, one per row; None means ``Q = P``.
    metric : {"kl", "js", "cross_entropy", "symmetric_kl"}, default="kl"
        As for :func:`fastmtl.pairwise_divergence`.
    base : float, optional
        Base of the logarithm; None (default) gives nats.
    normalize : bool, default=False
        Rescale each row to sum to one.
    log_input : bool, default=False
        Rows hold log-probabilities.

    Returns
    -------
    D : dask.array.Array of shape (n, m)
        Chunks ``(P.chunks[0], Q.chunks[0])``.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from fastmtl import distributed
    >>> rng = np.random.default_rng(0)
    >>> P = da.from_array(rng.dirichlet(np.ones(8), size=1000), chunks=(250, 8))
    >>> Q = da.from_array(rng.dirichlet(np.ones(8), size=1000), chunks=(250, 8))
    >>> D = distributed.pairwise_divergence(P, Q[:300], metric="js")  # lazy blocks
    >>> D.shape, D.chunks[0]
    ((1000, 300), (250, 250, 250, 250))
    """
    _, da = _dask()
    check_option(metric, "metric", information.PAIRWISE_METRICS)
    P = _distributions(P, "P")
    Q_arr = P if Q is None else _distributions(Q, "Q")
    if P.shape[1] != Q_arr.shape[1]:
        raise ValueError(
            f"P and Q must have the same number of columns (distribution length), "
            f"got {P.shape[1]} and {Q_arr.shape[1]}"
        )
    dtype = np.result_type(P.dtype, Q_arr.dtype, np.float32)
    dtype = np.float32 if dtype == np.float32 else np.float64
    p_start, q_start = _row_numbers(P), _row_numbers(Q_arr)
    return da.blockwise(
        _pairwise_block, "ij", P, "ik", Q_arr, "jk", p_start, "i", q_start, "j",
        metric, None, base, None, normalize, None, log_input, None, Q is None, None,
        concatenate=True, dtype=dtype, meta=np.empty((0, 0), dtype=dtype),
    )


_ROWWISE_INPUTS = {
    False: """P : dask.array.Array of shape (n, k)
    Distributions, one per row.""",
    True: """P, Q : dask.array.Array of shape (n, k)
    Distributions, one per row; the same shape (Q is rechunked like P).""",
}
_ROWWISE_OPTIONS = """base : float, optional
    Base of the logarithm; None (default) gives nats.
normalize : bool, default=False
    Rescale each row to sum to one.
log_input : bool, default=False
    Rows hold log-probabilities."""


def _rowwise_doc(summary, two, example):
    """The docstring of a row-wise Dask function: ``summary``, the shared
    Parameters and Returns sections, and ``example``."""
    def decorate(func):
        body = textwrap.indent(_ROWWISE_INPUTS[two] + "\n" + _ROWWISE_OPTIONS, "    ")
        func.__doc__ = f"""{summary}

    Parameters
    ----------
{body}

    Returns
    -------
    values : dask.array.Array of shape (n,)
        Lazy, chunked like ``P``'s rows; a bad row raises the in-memory
        function's error, indexed in the whole array, when computed.
{_examples_section(example)}"""
        return func
    return decorate


@one_thread_at_a_time_if_unsafe
def _rowwise_block(P_block, Q_block, start, function, kwargs):
    blocks = (P_block,) if Q_block is None else (P_block, Q_block)
    with row_offsets(P=_first(start), Q=_first(start)):
        return function(*blocks, device="cpu", **kwargs)


def _rowwise(function, P, Q, kwargs):
    _, da = _dask()
    P = _distributions(P, "P")
    args = [P, "ik"]
    if Q is not None:
        Q = _distributions(Q, "Q")
        if Q.shape != P.shape:
            raise ValueError(f"P and Q must have the same shape on Dask arrays; got "
                             f"{P.shape} and {Q.shape}.")
        args += [Q.rechunk(P.chunks), "ik"]
    else:
        args += [None, None]
    start = _row_numbers(P)
    dtype = np.float32 if P.dtype == np.float32 and (Q is None or Q.dtype == np.float32) \
        else np.float64
    return da.blockwise(_rowwise_block, "i", *args, start, "i", function, None,
                        kwargs, None, concatenate=True, dtype=dtype,
                        meta=np.empty((0,), dtype=dtype))


@_rowwise_doc(":func:`fastmtl.entropy` of every row of a 2-D Dask array.", two=False, example=_EXAMPLE_ENTROPY)
def entropy(P, *, base=None, normalize=False, log_input=False):
    return _rowwise(information.entropy, P, None,
                    {"base": base, "normalize": normalize, "log_input": log_input})


@_rowwise_doc(":func:`fastmtl.cross_entropy` row by row of two Dask arrays.", two=True, example=_EXAMPLE_CROSS_ENTROPY)
def cross_entropy(P, Q, *, base=None, normalize=False, log_input=False):
    return _rowwise(information.cross_entropy, P, Q,
                    {"base": base, "normalize": normalize, "log_input": log_input})


@_rowwise_doc(":func:`fastmtl.kl_divergence` row by row of two Dask arrays.", two=True, example=_EXAMPLE_KL_DIVERGENCE)
def kl_divergence(P, Q, *, base=None, normalize=False, log_input=False):
    return _rowwise(information.kl_divergence, P, Q,
                    {"base": base, "normalize": normalize, "log_input": log_input})


@_rowwise_doc(":func:`fastmtl.js_divergence` row by row of two Dask arrays.", two=True, example=_EXAMPLE_JS_DIVERGENCE)
def js_divergence(P, Q, *, base=None, normalize=False, log_input=False):
    return _rowwise(information.js_divergence, P, Q,
                    {"base": base, "normalize": normalize, "log_input": log_input})


# --------------------------------------------------------------------------- #
# Training on more data than fits in memory                                   #
# --------------------------------------------------------------------------- #
def partial_fit(estimator, X, Y, *, n_epochs=1, sample_weight=None, classes=None,
                random_state=None):
    """Train ``estimator`` by streaming the chunks of Dask arrays through ``partial_fit``.

    Each epoch visits every row chunk once, in an order drawn from
    ``random_state``; only one chunk is in the client's memory at a time. Each chunk is one epoch of the
    estimator's minibatch SGD over its rows.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        Updated in place (and returned). A fastmtl estimator fixes its tasks
        and each regression task's standardisation on the first chunk it sees.
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n_samples, n_features)
    Y : dask.array.Array of shape (n_samples, n_tasks) or (n_samples,)
        NaN marks a missing target.
    n_epochs : int, default=1
    sample_weight : dask.array.Array of shape (n_samples,), default=None
    classes : list of arrays, default=None
        Every class of each task, for classifiers (see their ``partial_fit``).
    random_state : int, RandomState instance or None, default=None
        Seeds the order of the chunks.

    Returns
    -------
    estimator

    Examples
    --------
    >>> import dask.array as da
    >>> from fastmtl import SharedLatentRegressor, distributed
    >>> from fastmtl.datasets import make_multitask_regression
    >>> X, Y = make_multitask_regression(200, 3, 5, shared_X=True, random_state=0)
    >>> model = distributed.partial_fit(SharedLatentRegressor(random_state=0),
    ...                                 da.from_array(X, chunks=(100, 5)),
    ...                                 da.from_array(Y, chunks=(100, 3)),
    ...                                 n_epochs=2, random_state=0)
    >>> model.coef_.shape  # trained chunk by chunk, in a seeded random order
    (3, 5)
    """
    dask, _ = _dask()
    if not hasattr(estimator, "partial_fit"):
        raise TypeError(f"{type(estimator).__name__} has no partial_fit.")
    if not isinstance(n_epochs, numbers.Integral) or n_epochs < 1:
        raise ValueError(f"n_epochs must be a positive integer; got {n_epochs!r}.")
    X, Y, weights = _aligned_arrays(X, Y, sample_weight)
    rng = check_random_state(random_state)
    fit_kwargs = {} if classes is None else {"classes": classes}
    for _ in range(n_epochs):
        for i in rng.permutation(X.numblocks[0]):
            parts = (X.blocks[i], Y.blocks[i]) + (() if weights is None
                                                   else (weights.blocks[i],))
            X_i, Y_i, *w_i = dask.compute(*parts)
            if w_i:
                fit_kwargs["sample_weight"] = w_i[0]
            estimator.partial_fit(X_i, Y_i, **fit_kwargs)
    return estimator


__all__ = [
    "cross_entropy",
    "decision_function",
    "entropy",
    "js_divergence",
    "kl_divergence",
    "pairwise_divergence",
    "partial_fit",
    "predict",
    "predict_proba",
    "score",
    "transform",
]
