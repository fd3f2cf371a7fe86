"""The task graph of knowledge propagation: ``graph_penalty sum_st A_st ||w_s - w_t||^2``."""
import warnings

import numpy as np

from ..relatedness import (MIN_CORRELATION_OVERLAP, correlation_graph,
                           relatedness_to_graph, task_divergence)

# Names of graphs estimated from the training targets (``fastmtl.relatedness``).
ESTIMATED_GRAPHS = ("correlation", "kl", "js")
# Pseudo-count per bin for task_graph="kl": KL is infinite across empty bins.
KL_SMOOTHING = 0.5


def _warn_if_no_overlap(Y):
    """Correlations need shared samples; stacked tasks have none."""
    observed = (~np.isnan(Y)).astype(np.float64)
    shared = observed.T @ observed
    np.fill_diagonal(shared, 0.0)
    if Y.shape[1] > 1 and shared.max() < MIN_CORRELATION_OVERLAP:
        warnings.warn(
            "task_graph='correlation' needs tasks observed on the same samples (at "
            f"least {MIN_CORRELATION_OVERLAP} in common), and no two tasks are: the "
            "graph has no edge and graph_penalty does nothing. Use task_graph='js' or "
            "'kl' (similar target distributions), or pass a graph.",
            UserWarning, stacklevel=5)


def estimate_task_graph(name, Y, target_type, sample_weight):
    """The task graph ``name`` estimated from training targets ``Y`` (NaN = missing).

    "correlation": :func:`correlation_graph` (significant positive correlations); "kl" and
    "js": ``exp(-D / median D)`` of :func:`task_divergence` between the tasks'
    target distributions. Samples of zero weight are left out.
    """
    Y = np.where(sample_weight[:, None] > 0, Y, np.nan)
    if name == "correlation":
        _warn_if_no_overlap(Y)
        return correlation_graph(Y)
    D = task_divergence(Y, metric=name, target_type=target_type,
                        smoothing=KL_SMOOTHING if name == "kl" else 0.0)
    return relatedness_to_graph(D, "divergence")


def check_task_graph(graph, n_tasks, n_out=None):
    """Validate a relatedness matrix; return it as float64 with a zero diagonal.

    ``n_out`` (outputs per task) guards that linked tasks have one weight
    vector each: multiclass tasks have one per class, with no common meaning.
    """
    A = np.array(graph, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"task_graph must be a square matrix; got shape {A.shape}.")
    if A.shape[0] != n_tasks:
        raise ValueError(
            f"task_graph is {A.shape[0]} x {A.shape[1]} but Y has {n_tasks} tasks."
        )
    bad = np.argwhere(~np.isfinite(A) | (A < 0))
    if bad.size:
        s, t = bad[0]
        raise ValueError(
            f"task_graph must be finite and non-negative; entry ({s}, {t}) is {A[s, t]!r}."
        )
    np.fill_diagonal(A, 0.0)
    if n_out is not None:
        linked = np.flatnonzero((A.sum(axis=0) + A.sum(axis=1) > 0) & (n_out != 1))
        if linked.size:
            t = linked[0]
            raise ValueError(
                f"task_graph links task {t}, which has {n_out[t]} outputs; the graph "
                "penalty needs one weight vector per task (regression or binary)."
            )
    return A
