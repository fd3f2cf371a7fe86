"""How related are the tasks? Measures, a graph built from them, and a heatmap.

Four views of relatedness, each a ``(n_tasks, n_tasks)`` matrix:

- :func:`task_correlation`: Pearson correlation of the targets, on the samples
  where both tasks are observed;
- :func:`task_divergence`: a divergence between the tasks' target
  distributions (histograms on shared bins, or label frequencies), computed by
  :func:`fastmtl.pairwise_divergence`;
- :func:`gradient_similarity`: the cosine of the tasks' loss gradients with
  respect to the parameters they share, at a fitted model's solution;
- :func:`prediction_divergence`: a divergence between a fitted model's
  predictive distributions of the tasks, averaged over samples.

:func:`relatedness_to_graph` turns any of them into the non-negative task
graph that the estimators' ``graph_penalty`` uses, and
:class:`TaskRelatednessDisplay` draws them (matplotlib is only needed there).
"""
from ._display import TaskRelatednessDisplay, cluster_order
from ._measures import (
    MIN_CORRELATION_OVERLAP,
    correlation_graph,
    cosine_matrix,
    gradient_similarity,
    relatedness_to_graph,
    task_correlation,
    task_divergence,
    task_histograms,
)
from ._predictive import prediction_divergence

__all__ = [
    "TaskRelatednessDisplay",
    "cluster_order",
    "correlation_graph",
    "cosine_matrix",
    "gradient_similarity",
    "prediction_divergence",
    "relatedness_to_graph",
    "task_correlation",
    "task_divergence",
    "task_histograms",
]
