"""Logistic loss (binary classification): ``log(1 + exp(-y' f))``, ``y'`` in {-1, +1}."""
import math

import numpy as np
from scipy.special import expit, log_expit

KIND = 1


def value_and_derivative(s, target, scale2):
    """(loss, ``sigmoid(s) - label``) of one observed label (0 or 1) with score ``s``.

    Both are computed without overflow for any score. Plain Python over
    ``math``, compiled for the CPU and the GPU alike.
    """
    u = -s if target > 0.5 else s
    loss = u + math.log1p(math.exp(-u)) if u > 0.0 else math.log1p(math.exp(u))
    if s >= 0.0:
        p = 1.0 / (1.0 + math.exp(-s))
    else:
        e = math.exp(s)
        p = e / (1.0 + e)
    return loss, p - target


def curvature(s, target, scale2):
    """Second derivative of the loss in ``s``: ``p (1 - p)``, ``p = sigmoid(s)``
    (Newton's methods), without overflow for any score."""
    e = math.exp(-abs(s))
    return e / ((1.0 + e) * (1.0 + e))


def baseline_loss(n_outputs, scale2):
    """An upper bound of the intercept-only model's mean loss: ``log 2``
    (the entropy of the class frequencies, at most that of a fair coin)."""
    return math.log(2.0)


def n_outputs(n_classes):
    return 1


def predict(decision, classes):
    """``classes[1]`` where the score is positive, else ``classes[0]``."""
    return classes[(decision[:, 0] > 0).astype(np.intp)]


def predict_proba(decision):
    """``[1 - p, p]`` with ``p = sigmoid(score)``."""
    p = expit(decision[:, 0])
    return np.column_stack([expit(-decision[:, 0]), p])


def predict_log_proba(decision):
    """Log-probabilities, finite for any finite score."""
    return np.column_stack([log_expit(-decision[:, 0]), log_expit(decision[:, 0])])


def initial_intercept(class_weight):
    """The log-odds of the observed labels (weights per class, smoothed)."""
    logp = np.log(class_weight / class_weight.sum())
    return np.array([logp[1] - logp[0]])
