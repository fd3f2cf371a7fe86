"""Huber loss (robust regression): squared near the fit, linear beyond ``EPSILON``.

With ``r`` the residual in internal units (standardised by the task's
training standard deviation ``sigma``), the loss in the user's units is
``sigma**2 * h(r)``, where ``h(r) = r**2 / 2`` for ``|r| <= EPSILON`` and
``EPSILON * (|r| - EPSILON / 2)`` beyond: a residual larger than
``EPSILON * sigma`` pulls on the model with a constant force, so a few gross
outliers cannot dominate a task.
"""
# Same link, and never above the squared loss: the same baseline bound.
from .squared import baseline_loss, initial_intercept, n_outputs, predict  # noqa: F401

KIND = 4
# 1.35 standard deviations: 95% efficiency under Gaussian noise (Huber 1964),
# scikit-learn's HuberRegressor default.
EPSILON = 1.35


def value_and_derivative(s, target, scale2):
    """(loss, derivative in the internal score ``s``) of one observed target.

    Plain Python over ``math``: compiled for the CPU and the GPU alike.
    """
    r = s - target
    if r > EPSILON:
        return scale2 * EPSILON * (r - 0.5 * EPSILON), scale2 * EPSILON
    if r < -EPSILON:
        return scale2 * EPSILON * (-r - 0.5 * EPSILON), -scale2 * EPSILON
    return 0.5 * scale2 * r * r, scale2 * r
