"""Divergence between the tasks' predictive distributions, averaged over samples.

``D[s, t] = mean_x div(p_s(. | x), p_t(. | x))``: how differently two tasks
of a fitted model would answer the same questions.

Classifiers: ``p_t(. | x)`` are task ``t``'s class probabilities; tasks are
compared where they have the same classes. Averaging over ``x`` is one
pairwise divergence of flattened rows: with ``F_t`` task ``t``'s ``(n,
n_classes)`` probabilities flattened and divided by ``n`` (a distribution
over (sample, class) pairs), ``KL(F_s || F_t) = mean_x KL(p_s(x) || p_t(x))``,
and likewise for JS, whose midpoint is taken entry by entry. So the
information kernels (:func:`fastmtl.pairwise_divergence`, on the CPU or the
GPU) compute it directly, in blocks of samples, from log-probabilities (which
stay finite where probabilities underflow).

Regressors: ``p_t(y | x) = N(f_t(x), sigma_t^2)`` with ``sigma_t^2`` the
task's residual variance (``residual_variance_``). KL has the closed form
``(log(v_t / v_s) + v_s / v_t + mean_x (f_s - f_t)^2 / v_t - 1) / 2``; JS has
none, and is computed by the JS kernel on the Gaussians' probabilities over
bins of each sample's range (at most a third of the smallest standard
deviation wide), with one Richardson step over bins twice as wide, which
keeps it within about 3e-4 (relative) of its value. It costs
``O(n_tasks^2 n_samples n_bins)`` logarithms: on many tasks, average over a
subsample of the samples, or run it on the GPU.
"""
import numpy as np
from scipy.special import ndtr

from .._validation import check_option, log_base_factor
from ..information import pairwise_divergence
from ._measures import _check_mtl_estimator, _unwrap_pipeline

PREDICTION_KINDS = ("kl", "js", "symmetric_kl")
# Entries of one block of flattened (task, sample, class or bin) values.
_BLOCK_ENTRIES = 1 << 22
# The Gaussians' bins: the range covers every task's mean +- _TAIL standard
# deviations (the outermost bins reach to infinity), each bin at most
# 1 / _BINS_PER_SIGMA of the smallest one, and at most _MAX_BINS bins.
_TAIL = 7.0
_BINS_PER_SIGMA = 3.0
_MAX_BINS = 4096


def prediction_divergence(estimator, X, *, kind="kl", base=None, device="auto"):
    """Divergence between the tasks' predictive distributions on ``X``.

    ``D[s, t] = mean_x div(p_s(. | x), p_t(. | x))`` over the rows of ``X``:
    for classifiers the tasks' class probabilities, for regressors Gaussian
    predictive distributions centred on each task's prediction with its
    residual variance (``residual_variance_``). Small divergences mark tasks
    that a fitted model treats alike; ``relatedness_to_graph(D,
    "divergence")`` turns them into a ``task_graph``.

    Parameters
    ----------
    estimator : fitted fastmtl multi-task estimator, or a Pipeline ending in one
        The model whose tasks are compared.
    X : array-like of shape (n_samples, n_features)
        Samples to average over (for example the training samples).
    kind : {"kl", "js", "symmetric_kl"}, default="kl"
        ``KL(p_s || p_t)`` (not symmetric), Jensen-Shannon, or ``KL(p_s ||
        p_t) + KL(p_t || p_s)``.
    base : float, default=None
        Logarithm base (None: natural).
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where the information kernels run (see :func:`fastmtl.entropy`).

    Returns
    -------
    D : ndarray of shape (n_tasks, n_tasks)
        Non-negative, zero on the diagonal; NaN between classification tasks
        with different classes.

    Notes
    -----
    Classification divergences are exact (one pairwise divergence of the
    flattened probabilities per block of samples). Regression KL and
    symmetric KL are exact (closed form); regression JS is computed on bins
    of width at most a third of the smallest predictive standard deviation
    (with a Richardson correction), within about 3e-4 of the exact value;
    it costs ``n_tasks^2 n_samples n_bins`` logarithms, so on many tasks
    average over a subsample of the samples.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl import SharedLatentRegressor
    >>> from fastmtl.relatedness import prediction_divergence
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 3))
    >>> Y = np.column_stack([X[:, 0], X[:, 0], -X[:, 0]])
    >>> Y = Y + 0.1 * rng.standard_normal(Y.shape)
    >>> model = SharedLatentRegressor().fit(X, Y)
    >>> D = prediction_divergence(model, X, kind="js")
    >>> bool(D[0, 1] < D[0, 2])
    True
    """
    check_option(kind, "kind", PREDICTION_KINDS)
    scale = log_base_factor(base)
    estimator, X = _unwrap_pipeline(estimator, X)
    _check_mtl_estimator(estimator)
    family, first, second = estimator._predictive_distributions(X)
    if family == "gaussian":
        D = scale * _gaussian(first, np.asarray(second, dtype=np.float64), kind, device)
    else:
        D = _categorical(first, second, kind, base, device)
    np.fill_diagonal(D, 0.0)
    return D


def _blocks(n_rows, entries_per_row):
    """Row slices of at most ``_BLOCK_ENTRIES`` entries."""
    step = max(1, _BLOCK_ENTRIES // max(entries_per_row, 1))
    return [slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]


def _mean_over_blocks(block_values, n_tasks, n_rows, width, kind, base, device,
                      log_input):
    """``mean_x div`` over ``n_rows`` samples: ``block_values(rows)`` gives
    the (n_tasks, n_rows_in_block, n_bins) distributions (or their
    logarithms) of a block of samples, flattened into one per task."""
    D = np.zeros((n_tasks, n_tasks))
    for rows in _blocks(n_rows, n_tasks * width):
        size = rows.stop - rows.start
        block = block_values(rows).reshape(n_tasks, -1)
        block = block - np.log(size) if log_input else block / size
        D += size / n_rows * pairwise_divergence(block, metric=kind, base=base,
                                                 log_input=log_input, device=device)
    return D


def _categorical(log_proba, classes, kind, base, device):
    """Tasks with the same classes, compared by their class probabilities."""
    n_tasks = len(log_proba)
    D = np.full((n_tasks, n_tasks), np.nan)
    groups = {}
    for t, c in enumerate(classes):
        groups.setdefault((c.dtype.str, tuple(c.tolist())), []).append(t)
    for members in groups.values():
        n_rows, width = log_proba[members[0]].shape
        D[np.ix_(members, members)] = _mean_over_blocks(
            lambda rows: np.stack([log_proba[t][rows] for t in members]),
            len(members), n_rows, width, kind, base, device, log_input=True)
    return D


def _gaussian(mean, variance, kind, device):
    """Gaussian predictive distributions ``N(mean[:, t], variance[t])``."""
    # Only differences of means matter: centring each sample's means keeps
    # the Gram matrix below free of the cancellation of large means.
    centred = mean - mean.mean(axis=1, keepdims=True)
    if kind != "js":
        second = np.einsum("xt,xt->t", centred, centred) / mean.shape[0]
        squared = np.maximum(second[:, None] + second[None, :]
                             - 2.0 * (centred.T @ centred) / mean.shape[0], 0.0)
        ratio = variance[:, None] / variance[None, :]
        KL = 0.5 * (ratio - np.log(ratio) - 1.0 + squared / variance[None, :])
        return KL + KL.T if kind == "symmetric_kl" else KL
    # Binning underestimates JS by O(h^2) for bins of width h; one Richardson
    # step (bins of h and 2h, the latter summed from pairs of the former)
    # cancels that term: within 3e-4 of quadrature at 3 bins per sd, where
    # plain bins needed 8 per sd for 1.3e-3.
    n_bins = _bin_count(mean, variance)

    def binned(rows, pairs):
        P = _binned_gaussians(mean[rows], variance, n_bins)
        return P[..., 0::2] + P[..., 1::2] if pairs else P

    fine, coarse = (_mean_over_blocks(lambda rows: binned(rows, pairs), mean.shape[1],
                                      mean.shape[0], n_bins, "js", None, device,
                                      log_input=False) for pairs in (False, True))
    return np.clip((4.0 * fine - coarse) / 3.0, 0.0, np.log(2.0))


def _range(mean, variance):
    """Each sample's range of the bins: every task's mean +- ``_TAIL`` sds."""
    sd = np.sqrt(variance)
    return mean.min(axis=1) - _TAIL * sd.max(), mean.max(axis=1) + _TAIL * sd.max()


def _bin_count(mean, variance):
    """Bins per sample: at most ``1 / _BINS_PER_SIGMA`` of the smallest sd wide
    on the widest sample's range (at most ``_MAX_BINS``)."""
    low, high = _range(mean, variance)
    n_bins = min(_MAX_BINS, max(16, np.ceil(
        np.max(high - low) / np.sqrt(variance.min()) * _BINS_PER_SIGMA)))
    return int(n_bins) + int(n_bins) % 2  # even: pairs of bins make the coarse ones


def _binned_gaussians(mean, variance, n_bins):
    """(n_tasks, n_samples, n_bins) probabilities of each task's Gaussian on
    bins of each sample's range (see the module docstring)."""
    sd = np.sqrt(variance)
    low, high = _range(mean, variance)
    edges = low[:, None] + (high - low)[:, None] * np.linspace(0.0, 1.0, n_bins + 1)
    edges[:, 0], edges[:, -1] = -np.inf, np.inf
    z = (edges[None, :, :] - mean.T[:, :, None]) / sd[:, None, None]
    # Upper tails from the upper side: 1 - ndtr(z) would cancel.
    upper = z[:, :, :-1] > 0
    return np.where(upper, ndtr(-z[:, :, :-1]) - ndtr(-z[:, :, 1:]),
                    ndtr(z[:, :, 1:]) - ndtr(z[:, :, :-1]))
