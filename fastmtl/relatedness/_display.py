"""The heatmap of a task-relatedness matrix, in scikit-learn's Display style.

matplotlib is imported only when a display is drawn.
"""
import numpy as np

from .._validation import check_option
from ._measures import (
    DIVERGENCE_METRICS,
    GRAPH_KINDS,
    _check_mtl_estimator,
    _check_square,
    _unwrap_pipeline,
    gradient_similarity,
    task_correlation,
    task_divergence,
)
from ._predictive import PREDICTION_KINDS, prediction_divergence

DISPLAY_KINDS = (("gradient", "correlation") + DIVERGENCE_METRICS
                 + tuple(f"prediction_{kind}" for kind in PREDICTION_KINDS))


def cluster_order(M, kind):
    """Task order that puts related tasks next to each other (average linkage).

    Parameters
    ----------
    M : array-like of shape (n_tasks, n_tasks)
        A relatedness matrix.
    kind : {"correlation", "similarity", "divergence"}
        How to read ``M``: a divergence is a distance; a correlation or a
        cosine ``m`` becomes the distance ``1 - m``.

    Returns
    -------
    order : ndarray of shape (n_tasks,)
        The tasks' indices in the order of the dendrogram's leaves.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.relatedness import cluster_order
    >>> S = np.array([[1.0, 0.1, 0.9], [0.1, 1.0, 0.2], [0.9, 0.2, 1.0]])
    >>> [int(t) for t in cluster_order(S, "similarity")]  # tasks 0 and 2 side by side
    [1, 0, 2]
    """
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    M = _check_square(M)
    if M.shape[0] < 3:
        return np.arange(M.shape[0])
    if kind == "divergence":
        dist = 0.5 * (M + M.T)
    else:
        dist = 1.0 - 0.5 * (M + M.T)
    finite = np.isfinite(dist)
    dist[~finite] = dist[finite].max() if finite.any() else 1.0
    np.fill_diagonal(dist, 0.0)
    dist = np.maximum(dist, 0.0)
    return leaves_list(linkage(squareform(dist, checks=False), method="average"))


class TaskRelatednessDisplay:
    """Heatmap of a task-relatedness matrix, in the style of scikit-learn's displays.

    Create it with :meth:`from_estimator` or :meth:`from_matrix`; the
    constructor only stores what to draw.

    Parameters
    ----------
    matrix : ndarray of shape (n_tasks, n_tasks)
    task_names : list of str, default=None
        Labels of the tasks ("task 0", ... when None).
    kind : {"similarity", "correlation", "divergence"}, default="similarity"
        How to read the values: similarities and correlations are drawn on a
        diverging scale from -1 to 1, divergences from 0 up.

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes
    im_ : matplotlib AxesImage
    colorbar_ : matplotlib Colorbar or None
    text_ : ndarray of matplotlib Text, or None
    order_ : ndarray of int
        The task order drawn (a permutation when ``order="cluster"``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from fastmtl.relatedness import TaskRelatednessDisplay, task_correlation
    >>> rng = np.random.default_rng(0)
    >>> Y = rng.normal(size=(50, 4))
    >>> display = TaskRelatednessDisplay.from_matrix(task_correlation(Y),
    ...                                            kind="correlation")
    >>> display.im_.get_array().shape  # the heatmap, one cell per pair of tasks
    (4, 4)
    """

    def __init__(self, matrix, *, task_names=None, kind="similarity"):
        check_option(kind, "kind", GRAPH_KINDS)
        self.matrix = _check_square(matrix, "matrix")
        n_tasks = self.matrix.shape[0]
        if task_names is None:
            task_names = [f"task {t}" for t in range(n_tasks)]
        task_names = [str(name) for name in task_names]
        if len(task_names) != n_tasks:
            raise ValueError(
                f"task_names has {len(task_names)} names but the matrix has "
                f"{n_tasks} tasks."
            )
        self.task_names = task_names
        self.kind = kind

    def plot(self, *, ax=None, cmap=None, annotate=True, colorbar=True, order=None,
             values_format=".2f"):
        """Draw the heatmap.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        cmap : str or Colormap, default=None
            "RdBu_r" for similarities and correlations, "viridis_r" for
            divergences. Undefined (NaN) cells are grey.
        annotate : bool, default=True
            Write each value in its cell.
        colorbar : bool, default=True
        order : None, "cluster" or array of int, default=None
            Task order: as given, grouped by hierarchical clustering, or an
            explicit permutation.
        values_format : str, default=".2f"

        Returns
        -------
        self : TaskRelatednessDisplay
        """
        from sklearn.utils._optional_dependencies import check_matplotlib_support

        check_matplotlib_support("TaskRelatednessDisplay.plot")
        import matplotlib.pyplot as plt

        n_tasks = self.matrix.shape[0]
        if order is None:
            order = np.arange(n_tasks)
        elif isinstance(order, str):
            check_option(order, "order", ("cluster",))
            order = cluster_order(self.matrix, self.kind)
        else:
            order = np.asarray(order)
            if order.dtype.kind not in "iu" or np.sort(order).tolist() != list(range(n_tasks)):
                raise ValueError(f"order must be a permutation of range({n_tasks}).")
        if ax is None:
            _, ax = plt.subplots(figsize=(1.5 + 0.45 * n_tasks, 1 + 0.4 * n_tasks))
        values = self.matrix[np.ix_(order, order)]
        if self.kind == "divergence":
            cmap = plt.get_cmap(cmap or "viridis_r")
            finite = values[np.isfinite(values)]
            vmin, vmax = 0.0, (float(finite.max()) if finite.size else 1.0) or 1.0
        else:
            cmap = plt.get_cmap(cmap or "RdBu_r")
            vmin, vmax = -1.0, 1.0
        self.im_ = ax.imshow(np.ma.masked_invalid(values),
                             cmap=cmap.with_extremes(bad="lightgrey"), vmin=vmin,
                             vmax=vmax, interpolation="nearest")
        names = [self.task_names[t] for t in order]
        ax.set_xticks(np.arange(n_tasks), labels=names, rotation=45, ha="right",
                      rotation_mode="anchor")
        ax.set_yticks(np.arange(n_tasks), labels=names)
        self.text_ = None
        if annotate:
            self.text_ = np.empty((n_tasks, n_tasks), dtype=object)
            middle = 0.5 * (vmin + vmax)
            for i in range(n_tasks):
                for j in range(n_tasks):
                    v = values[i, j]
                    dark = np.isfinite(v) and (
                        abs(v) > 0.5 if self.kind != "divergence" else v < middle)
                    self.text_[i, j] = ax.text(
                        j, i, format(v, values_format) if np.isfinite(v) else "",
                        ha="center", va="center", fontsize="small",
                        color="white" if dark else "black")
        self.colorbar_ = ax.figure.colorbar(self.im_, ax=ax) if colorbar else None
        self.order_ = order
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_matrix(cls, matrix, *, task_names=None, kind="similarity", ax=None,
                    cmap=None, annotate=True, colorbar=True, order=None):
        """Draw a relatedness matrix already computed.

        See :class:`TaskRelatednessDisplay` and :meth:`plot` for the parameters.

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from fastmtl.relatedness import TaskRelatednessDisplay, task_correlation
        >>> Y = np.random.default_rng(0).normal(size=(50, 3))
        >>> display = TaskRelatednessDisplay.from_matrix(
        ...     task_correlation(Y), kind="correlation", task_names=["a", "b", "c"])
        """
        display = cls(matrix, task_names=task_names, kind=kind)
        return display.plot(ax=ax, cmap=cmap, annotate=annotate, colorbar=colorbar,
                            order=order)

    @classmethod
    def from_estimator(cls, estimator, X, Y, *, kind="gradient", task_names=None,
                       sample_weight=None, ax=None, cmap=None, annotate=True,
                       colorbar=True, order=None):
        """Draw the relatedness of a fitted estimator's tasks on ``(X, Y)``.

        Parameters
        ----------
        estimator : fitted fastmtl multi-task estimator, or a Pipeline ending in one
        X : array-like of shape (n_samples, n_features)
        Y : array-like of shape (n_samples, n_tasks) or None
            Targets as for ``fit``; a DataFrame's column names become the task
            names. Not read by the "prediction_*" kinds (None is accepted).
        kind : {"gradient", "correlation", "js", "kl", "symmetric_kl", \
"prediction_kl", "prediction_js", "prediction_symmetric_kl"}, default="gradient"
            :func:`gradient_similarity`, :func:`task_correlation` of the
            targets (labels encoded as the estimator's class indices), a
            :func:`task_divergence` of that metric, or a
            :func:`prediction_divergence` of the model's predictive
            distributions on ``X``.
        task_names, sample_weight, ax, cmap, annotate, colorbar, order
            See :meth:`plot`.

        Returns
        -------
        display : TaskRelatednessDisplay
        """
        check_option(kind, "kind", DISPLAY_KINDS)
        if task_names is None and hasattr(Y, "columns"):
            task_names = list(Y.columns)
        final, X_final = _unwrap_pipeline(estimator, X)
        _check_mtl_estimator(final)
        if kind == "gradient":
            matrix = gradient_similarity(final, X_final, Y, sample_weight=sample_weight)
            graph_kind = "similarity"
        elif kind.startswith("prediction_"):
            matrix = prediction_divergence(final, X_final, kind=kind[len("prediction_"):])
            graph_kind = "divergence"
        else:
            targets, target_type = final._encoded_targets(Y)
            if kind == "correlation":
                matrix, graph_kind = task_correlation(targets), "correlation"
            else:
                matrix = task_divergence(targets, metric=kind, target_type=target_type)
                graph_kind = "divergence"
        return cls.from_matrix(matrix, task_names=task_names, kind=graph_kind, ax=ax,
                               cmap=cmap, annotate=annotate, colorbar=colorbar,
                               order=order)
