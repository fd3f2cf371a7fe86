"""A classification task that saw a single class: nothing to learn.

It has no output; its prediction is its one class, with probability one.
"""
import numpy as np

KIND = 3


def baseline_loss(n_outputs, scale2):
    """A single-class task has no loss."""
    return 0.0


def n_outputs(n_classes):
    return 0


def predict(decision, classes):
    return np.full(decision.shape[0], classes[0], dtype=classes.dtype)


def predict_proba(decision):
    return np.ones((decision.shape[0], 1))


def predict_log_proba(decision):
    return np.zeros((decision.shape[0], 1))


def initial_intercept(class_weight):
    return np.zeros(0)
