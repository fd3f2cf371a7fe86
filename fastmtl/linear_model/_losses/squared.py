"""Squared loss (regression): ``1/2 (y - f)^2`` in the user's units."""
import numpy as np

KIND = 0


def value_and_derivative(s, target, scale2):
    """(loss, derivative in the internal score ``s``) of one observed target.

    Scores and targets are in internal units (``y' = (y - mu) / sigma``);
    ``scale2 = sigma**2`` converts the loss back to the user's units.

    Plain Python over ``math``: compiled for the CPU (``njit``) and the GPU
    (``cuda.jit(device=True)``) alike.
    """
    r = s - target
    return 0.5 * scale2 * r * r, scale2 * r


def curvature(s, target, scale2):
    """Second derivative of the loss in ``s`` (Newton's methods)."""
    return scale2


def baseline_loss(n_outputs, scale2):
    """Mean loss of the intercept-only model (predicting the task's mean):
    half the variance, ``scale2 / 2`` (the target is standardised inside)."""
    return 0.5 * scale2


def n_outputs(n_classes):
    return 1


def predict(decision, classes=None):
    """The prediction is the decision value itself."""
    return decision[:, 0]


def initial_intercept(class_weight):
    """Targets are centred inside the solver: the internal intercept starts at 0."""
    return np.zeros(1)
