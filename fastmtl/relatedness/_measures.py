"""The relatedness measures and the task graph built from them (the package
docstring, ``fastmtl.relatedness``, describes the three views)."""
import numbers
import warnings

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from .._targets import check_targets, missing_mask
from .._validation import check_option
from ..information import pairwise_divergence

DIVERGENCE_METRICS = ("js", "kl", "symmetric_kl")
TARGET_TYPES = ("auto", "continuous", "categorical")
GRAPH_KINDS = ("correlation", "similarity", "divergence")
# Fewest shared samples behind a correlation that a graph may use (the Fisher
# z-test needs n - 3 > 0).
MIN_CORRELATION_OVERLAP = 4


# --------------------------------------------------------------------------- #
# Input checks                                                                #
# --------------------------------------------------------------------------- #
def _check_task_targets(Y, *, numeric, name="Y"):
    """``Y`` as a 2-D array and its observed mask; every task observed at least once."""
    Y, _ = check_targets(Y, np.shape(Y)[0] if np.ndim(Y) else 0,
                         context="fastmtl.relatedness", numeric=numeric)
    if numeric:
        Y = Y.astype(np.float64, copy=False)
    observed = ~missing_mask(Y, None)
    empty = np.flatnonzero(~observed.any(axis=0))
    if empty.size:
        raise ValueError(
            f"Task {empty[0]} of {name} has no observed target (every entry is "
            "missing); relatedness to it is undefined. Drop that column first."
        )
    return Y, observed


def _check_square(M, name="M"):
    M = np.asarray(M)
    if M.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a numeric matrix; got dtype {M.dtype}.")
    M = M.astype(np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"{name} must be a square (n_tasks, n_tasks) matrix; "
                         f"got shape {M.shape}.")
    return M


# --------------------------------------------------------------------------- #
# Measures                                                                    #
# --------------------------------------------------------------------------- #
def task_correlation(Y, *, min_overlap=3, return_counts=False):
    """Pearson correlation between tasks, on the samples where both are observed.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_tasks)
        Numeric targets; NaN marks a missing one.
    min_overlap : int, default=3
        Fewest samples observed in both tasks for a correlation to be reported.
    return_counts : bool, default=False
        Also return the number of samples behind each entry.

    Returns
    -------
    R : ndarray of shape (n_tasks, n_tasks)
        ``R[s, t]``: correlation of tasks ``s`` and ``t`` over their common
        samples; NaN where fewer than ``min_overlap`` samples overlap or one
        task is constant on them (as :meth:`pandas.DataFrame.corr` does).
        The diagonal is 1 for every task that varies.
    counts : ndarray of shape (n_tasks, n_tasks), int
        Samples observed in both tasks (only if ``return_counts``).

    Notes
    -----
    All pairs at once from five matrix products over the pairwise masks, on
    targets first scaled by their largest magnitude and centred by their
    observed means (to keep the sums small and finite).

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.relatedness import task_correlation
    >>> Y = np.array([[1., 2.], [2., 4.1], [3., 5.9], [4., np.nan]])
    >>> task_correlation(Y).round(3)
    array([[1.   , 0.999],
           [0.999, 1.   ]])
    """
    if not isinstance(min_overlap, numbers.Integral) or min_overlap < 2:
        raise ValueError(f"min_overlap must be an integer >= 2; got {min_overlap!r}.")
    Y, observed = _check_task_targets(Y, numeric=True)
    mask = observed.astype(np.float64)
    # Correlation does not change with each task's scale: dividing by the
    # largest |value| first keeps the mean, the squares and the products
    # finite for targets near 1e160 or 1e300.
    largest = np.max(np.abs(np.where(observed, Y, 0.0)), axis=0)
    Y = Y / np.where(largest > 0, largest, 1.0)
    centred = np.where(observed, Y - np.nanmean(Y, axis=0), 0.0)
    counts = mask.T @ mask
    sums = centred.T @ mask  # sums[s, t]: sum of task s over rows where t is observed
    squares = (centred * centred).T @ mask
    cross = centred.T @ centred
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.maximum(counts, 1.0)
        cov = cross - sums * sums.T / n
        var = squares - sums * sums / n  # var[s, t]: of task s on the rows shared with t
        denom = np.sqrt(np.maximum(var, 0.0) * np.maximum(var.T, 0.0))
        R = cov / denom
    tiny = denom <= 1e-12 * np.sqrt(squares * squares.T)
    R[(counts < min_overlap) | tiny | ~np.isfinite(R)] = np.nan
    R = np.clip(R, -1.0, 1.0)
    return (R, counts.astype(np.int64)) if return_counts else R


def correlation_graph(Y, *, confidence=0.99):
    """Task graph linking tasks whose targets are significantly positively correlated.

    ``A[s, t] = R[s, t]`` where a one-sided Fisher z-test on the samples both
    tasks observe rejects ``R[s, t] <= 0`` at level ``1 - confidence``, else 0.
    Dropping weak, chance correlations matters: the graph penalty pulls linked
    tasks' weights together in proportion to ``A``, so even a small spurious
    link between unrelated tasks costs accuracy.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_tasks)
        Numeric targets; NaN marks a missing one.
    confidence : float in (0, 1), default=0.99

    Returns
    -------
    A : ndarray of shape (n_tasks, n_tasks)
        Non-negative, symmetric, zero diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.relatedness import correlation_graph
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=200)
    >>> Y = np.column_stack([z, z + 0.1 * rng.normal(size=200), rng.normal(size=200)])
    >>> A = correlation_graph(Y)  # links only the significantly correlated pair
    >>> bool(A[0, 1] > 0.9), float(A[0, 2]), float(A[1, 2])
    (True, 0.0, 0.0)
    """
    from scipy.stats import norm

    if not isinstance(confidence, numbers.Real) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}.")
    R, counts = task_correlation(Y, min_overlap=MIN_CORRELATION_OVERLAP,
                                 return_counts=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.arctanh(R) * np.sqrt(np.maximum(counts - 3, 0))
    significant = np.nan_to_num(z, nan=-np.inf) > norm.ppf(confidence)
    return relatedness_to_graph(np.where(significant, R, 0.0), "correlation")


def _resolve_target_type(Y, observed, target_type):
    check_option(target_type, "target_type", TARGET_TYPES)
    if target_type != "auto":
        return target_type
    if Y.dtype.kind not in "fc":
        return "categorical"
    # scikit-learn tests integrality by a cast to int, which warns for floats
    # beyond the int range (targets near 1e308): those are continuous anyway.
    with np.errstate(invalid="ignore"):
        kind = type_of_target(Y[observed])
    return "categorical" if kind in ("binary", "multiclass") else "continuous"


def task_histograms(Y, *, bins="auto", target_type="auto", smoothing=0.0):
    """Each task's target distribution on shared support, one row per task.

    Continuous targets get histograms on bin edges shared by all tasks
    (:func:`numpy.histogram_bin_edges` of all observed targets); categorical
    ones the frequency of each label seen in any task.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_tasks)
        Targets; NaN (or None in an object array) marks a missing one.
    bins : int, sequence or str, default="auto"
        Bins of the continuous targets, as :func:`numpy.histogram_bin_edges`
        takes them; the edges are shared by all tasks.
    target_type : {"auto", "continuous", "categorical"}, default="auto"
        How to read the targets (see :func:`task_divergence`).
    smoothing : float, default=0.0
        Pseudo-count added to every bin of every task.

    Returns
    -------
    H : ndarray of shape (n_tasks, n_bins)
        Rows sum to one.
    support : ndarray
        The bin edges (``n_bins + 1``) or the labels (``n_bins``).

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.relatedness import task_histograms
    >>> Y = np.array([[0, np.nan], [1, 1], [1, 0], [np.nan, 1]])
    >>> H, labels = task_histograms(Y, target_type="categorical")
    >>> labels.tolist()
    [0.0, 1.0]
    >>> H.round(3).tolist()  # each task: class 0 once, class 1 twice
    [[0.333, 0.667], [0.333, 0.667]]
    """
    if not isinstance(smoothing, numbers.Real) or not smoothing >= 0:
        raise ValueError(f"smoothing must be a non-negative number; got {smoothing!r}.")
    numeric = not (np.asarray(Y).dtype.kind in "OUS")
    Y, observed = _check_task_targets(Y, numeric=numeric)
    kind = _resolve_target_type(Y, observed, target_type)
    task_of = np.broadcast_to(np.arange(Y.shape[1]), Y.shape)[observed]
    values = Y[observed]
    if kind == "continuous":
        if not numeric:
            raise TypeError("target_type='continuous' needs numeric targets.")
        # Edges of values scaled by a power of two (exact): the span of targets
        # near +-1.7e308 overflows, and NumPy's bin count became NaN.
        # (Given edges are used as they are.)
        top = float(np.max(np.abs(values))) if values.size else 0.0
        scale = 2.0 ** np.floor(np.log2(top)) if 0.0 < top < np.inf else 1.0
        if not isinstance(bins, (numbers.Integral, str)):
            scale = 1.0
        support = np.histogram_bin_edges(values / scale, bins=bins) * scale
        n_bins = support.size - 1
        cell = np.clip(np.searchsorted(support, values, side="right") - 1, 0, n_bins - 1)
    else:
        support, cell = np.unique(values, return_inverse=True)
        n_bins = support.size
    counts = np.bincount(task_of * n_bins + cell, minlength=Y.shape[1] * n_bins)
    counts = counts.reshape(Y.shape[1], n_bins).astype(np.float64) + smoothing
    return counts / counts.sum(axis=1, keepdims=True), support


def task_divergence(Y, *, metric="js", bins="auto", target_type="auto", smoothing=0.0,
                    base=None):
    """Divergence between the tasks' target distributions.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_tasks)
        Targets; NaN (or None in an object array) marks a missing one. Tasks
        need not share samples.
    metric : {"js", "kl", "symmetric_kl"}, default="js"
        ``D[s, t] = metric(p_s, p_t)``, see :func:`fastmtl.pairwise_divergence`.
    bins : int, sequence or str, default="auto"
        Bins of the continuous targets, as :func:`numpy.histogram_bin_edges`
        takes them; the edges are shared by all tasks.
    target_type : {"auto", "continuous", "categorical"}, default="auto"
        "auto" reads labels (non-float, or what
        :func:`sklearn.utils.multiclass.type_of_target` calls binary or
        multiclass) as categorical, and anything else as continuous.
    smoothing : float, default=0.0
        Pseudo-count added to every bin of every task. KL is infinite where a
        task has mass in a bin another task leaves empty; a positive
        ``smoothing`` keeps it finite.
    base : float, default=None
        Logarithm base (None: natural).

    Returns
    -------
    D : ndarray of shape (n_tasks, n_tasks)
        Non-negative, zero on the diagonal; for "js" at most ``log 2``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.relatedness import task_divergence
    >>> rng = np.random.default_rng(0)
    >>> Y = np.column_stack([rng.normal(0, 1, 500), rng.normal(0, 1, 500),
    ...                      rng.normal(3, 1, 500)])
    >>> D = task_divergence(Y, metric="js")  # between the target histograms
    >>> bool(D[0, 1] < 0.05 < D[0, 2])
    True
    """
    check_option(metric, "metric", DIVERGENCE_METRICS)
    H, _ = task_histograms(Y, bins=bins, target_type=target_type, smoothing=smoothing)
    D = pairwise_divergence(H, metric=metric, base=base, device="cpu")
    np.fill_diagonal(D, 0.0)
    return D


def _unwrap_pipeline(estimator, X):
    """The final step of a Pipeline, with ``X`` passed through the others."""
    steps = getattr(estimator, "steps", None)
    if steps is not None:
        check_is_fitted(estimator)
        return steps[-1][1], estimator[:-1].transform(X)
    return estimator, X


def _check_mtl_estimator(estimator):
    if not hasattr(estimator, "_task_gradients"):
        raise TypeError(
            f"{type(estimator).__name__} is not a fastmtl multi-task estimator "
            "(or a Pipeline ending in one)."
        )
    check_is_fitted(estimator)


def gradient_similarity(estimator, X, Y, *, sample_weight=None):
    """Cosine similarity of the tasks' loss gradients w.r.t. the shared factor.

    At the fitted solution, each task's mean loss on ``(X, Y)`` has a gradient
    with respect to the parameters all tasks share (``components_`` of a
    shared-latent model, ``dictionary_`` of a codebook model). Tasks whose
    gradients point the same way want the same change of the shared space;
    opposite gradients mark a conflict.

    Parameters
    ----------
    estimator : fitted fastmtl multi-task estimator, or a Pipeline ending in one
    X : array-like of shape (n_samples, n_features)
    Y : array-like of shape (n_samples, n_tasks)
        Targets as for ``fit``; missing ones are left out.
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    S : ndarray of shape (n_tasks, n_tasks)
        Cosines in [-1, 1]; NaN in the row and column of a task whose gradient
        is zero (no observed target, or a single-class task).

    Notes
    -----
    The gradients are exact: a Numba kernel computes each output's loss
    derivative on every sample, and one matrix product gives all the tasks'
    gradients.

    Examples
    --------
    >>> from fastmtl import SharedLatentRegressor
    >>> from fastmtl.datasets import make_multitask_regression
    >>> from fastmtl.relatedness import gradient_similarity
    >>> X, Y = make_multitask_regression(50, 4, 6, rank=2, shared_X=True, random_state=0)
    >>> model = SharedLatentRegressor(2, random_state=0).fit(X, Y)
    >>> S = gradient_similarity(model, X, Y)  # cosine of the tasks' gradients
    >>> S.shape
    (4, 4)
    """
    estimator, X = _unwrap_pipeline(estimator, X)
    _check_mtl_estimator(estimator)
    G = estimator._task_gradients(X, Y, sample_weight)
    G = G.reshape(G.shape[0], -1)
    flat = np.flatnonzero(~np.any(G, axis=1))
    if flat.size:
        warnings.warn(
            f"Task(s) {flat.tolist()} have a zero gradient (no observed target in Y, "
            "or a single class): their similarities are NaN.", UserWarning,
            stacklevel=2)
    return cosine_matrix(G)


def cosine_matrix(G):
    """Cosines between the rows of ``G``; NaN for zero rows.

    Parameters
    ----------
    G : ndarray of shape (n_tasks, n_parameters)
        One vector per task (e.g. its loss gradient).

    Returns
    -------
    S : ndarray of shape (n_tasks, n_tasks)
        Cosines clipped to [-1, 1]; NaN in the row and column of a zero row.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.relatedness import cosine_matrix
    >>> G = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])  # one vector per task
    >>> cosine_matrix(G)
    array([[1., 1., 0.],
           [1., 1., 0.],
           [0., 0., 1.]])
    """
    norms = np.linalg.norm(G, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = G / norms[:, None]
    S = np.clip(unit @ unit.T, -1.0, 1.0)
    zero = norms == 0
    S[zero, :] = np.nan
    S[:, zero] = np.nan
    return S


def relatedness_to_graph(M, kind, *, scale=None):
    """A task graph for ``graph_penalty`` from a relatedness matrix.

    Parameters
    ----------
    M : array-like of shape (n_tasks, n_tasks)
    kind : {"correlation", "similarity", "divergence"}
        "correlation" and "similarity" (cosines) keep the positive part,
        ``max(M, 0)``; "divergence" maps ``D`` to ``exp(-D / scale)``.
    scale : float, default=None
        Length scale of a divergence; None takes the median of the finite,
        positive off-diagonal divergences.

    Returns
    -------
    A : ndarray of shape (n_tasks, n_tasks)
        Non-negative and finite, zero on the diagonal; NaN entries (undefined
        relatedness) become 0, no link.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.relatedness import relatedness_to_graph, task_correlation
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=100)
    >>> Y = np.column_stack([z, -z, rng.normal(size=100)])
    >>> A = relatedness_to_graph(task_correlation(Y), "correlation")
    >>> A.shape, bool(np.all(np.diag(A) == 0)), bool(np.all(A >= 0))
    ((3, 3), True, True)
    """
    check_option(kind, "kind", GRAPH_KINDS)
    M = _check_square(M)
    off = ~np.eye(M.shape[0], dtype=bool)
    if kind == "divergence":
        if np.any(M[off & ~np.isnan(M)] < 0):
            raise ValueError("A divergence matrix has no negative entries.")
        if scale is None:
            positive = M[off & np.isfinite(M) & (M > 0)]
            scale = float(np.median(positive)) if positive.size else 1.0
        elif not isinstance(scale, numbers.Real) or not scale > 0:
            raise ValueError(f"scale must be a positive number; got {scale!r}.")
        A = np.exp(-M / scale)
    else:
        A = np.maximum(M, 0.0)
    A[~np.isfinite(A)] = 0.0
    np.fill_diagonal(A, 0.0)
    return A
