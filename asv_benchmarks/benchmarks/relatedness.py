"""Task relatedness against what users would otherwise write.

- ``task_correlation`` on 200 000 samples x 50 tasks with 30 % missing targets,
  against ``pandas.DataFrame.corr(min_periods=3)`` (pairwise-complete Pearson).
- ``gradient_similarity`` of a fitted SharedLatentRegressor (100 000 x 100 x 20
  tasks, 5 components), against per-task gradients by PyTorch autograd (one
  backward pass per task) and their cosines.
"""
import functools

import numpy as np

from fastmtl import SharedLatentRegressor
from fastmtl.datasets import make_multitask_regression
from fastmtl.relatedness import gradient_similarity, task_correlation

from .common import median_ratio

CORR_SAMPLES, CORR_TASKS, MISSING = 200_000, 50, 0.3
GRAD_SAMPLES, GRAD_FEATURES, GRAD_TASKS, COMPONENTS = 100_000, 100, 20, 5


@functools.lru_cache(maxsize=None)
def targets_with_gaps(seed=0):
    rng = np.random.default_rng(seed)
    Y = rng.standard_normal((CORR_SAMPLES, 5)) @ rng.standard_normal((5, CORR_TASKS))
    Y[rng.random(Y.shape) < MISSING] = np.nan
    Y.flags.writeable = False
    return Y


@functools.lru_cache(maxsize=None)
def fitted_model():
    X, Y = make_multitask_regression(GRAD_SAMPLES, GRAD_TASKS, GRAD_FEATURES, rank=5,
                                     shared_X=True, random_state=0)[:2]
    model = SharedLatentRegressor(COMPONENTS, max_iter=2, tol=None, random_state=0,
                                  solver="sgd")
    return model.fit(X, Y), X, Y


def torch_gradient_similarity(model, X, Y):
    """Per-task gradients of the mean squared loss w.r.t. U by autograd, then cosines."""
    import torch

    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    U = torch.from_numpy(model.components_.copy()).requires_grad_()
    V = torch.from_numpy(model.task_coef_)
    b = torch.from_numpy(model.intercept_)
    residual = (Xt @ U.T) @ V.T + b - Yt
    grads = []
    for t in range(Y.shape[1]):
        (g,) = torch.autograd.grad(0.5 * residual[:, t].square().mean(), U,
                                   retain_graph=True)
        grads.append(g.reshape(-1))
    G = torch.stack(grads)
    G = G / G.norm(dim=1, keepdim=True)
    return (G @ G.T).numpy()


class TaskCorrelation:
    """NaN-aware Pearson correlation between tasks vs pandas."""

    def setup(self):
        import pandas as pd

        self.Y = targets_with_gaps()
        self.frame = pd.DataFrame(self.Y)
        task_correlation(self.Y[:100])

    def time_fastmtl(self):
        task_correlation(self.Y)

    def time_pandas(self):
        self.frame.corr(min_periods=3)

    def track_ratio_to_pandas(self):
        return median_ratio(lambda: task_correlation(self.Y),
                            lambda: self.frame.corr(min_periods=3), repeat=5)


class GradientSimilarity:
    """Exact per-task gradient cosines vs PyTorch autograd."""

    timeout = 600

    def setup(self):
        self.model, self.X, self.Y = fitted_model()
        gradient_similarity(self.model, self.X[:100], self.Y[:100])

    def time_fastmtl(self):
        gradient_similarity(self.model, self.X, self.Y)

    def time_torch(self):
        torch_gradient_similarity(self.model, self.X, self.Y)

    def track_ratio_to_torch(self):
        return median_ratio(lambda: gradient_similarity(self.model, self.X, self.Y),
                            lambda: torch_gradient_similarity(self.model, self.X, self.Y),
                            repeat=5)

    def track_max_abs_difference_to_torch(self):
        return float(np.max(np.abs(
            gradient_similarity(self.model, self.X, self.Y)
            - torch_gradient_similarity(self.model, self.X, self.Y))))
