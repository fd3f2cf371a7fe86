"""Softmax cross-entropy (multiclass): ``-log softmax(f)_y``, one output per class."""
import math

import numpy as np
from scipy.special import log_softmax, softmax

KIND = 2


def value_and_gradient(g, n, target):
    """Cross-entropy of class ``target`` and its derivative in every class score.

    ``g[:n]`` holds the task's ``n`` class scores on entry and
    ``softmax - onehot`` on exit. The scores are shifted by their maximum, so no ``exp`` overflows.
    Plain Python over ``math``, compiled for the CPU and the GPU alike.
    """
    label = int(target)
    top = -math.inf
    for q in range(n):
        top = max(top, g[q])
    total = 0.0
    for q in range(n):
        g[q] = math.exp(g[q] - top)
        total += g[q]
    loss = math.log(total) - math.log(g[label])
    for q in range(n):
        g[q] /= total
    g[label] -= 1.0
    return loss


def baseline_loss(n_outputs, scale2):
    """An upper bound of the intercept-only model's mean loss: ``log K``."""
    return math.log(n_outputs)


def n_outputs(n_classes):
    return n_classes


def predict(decision, classes):
    """The class of the largest score."""
    return classes[np.argmax(decision, axis=1)]


def predict_proba(decision):
    return softmax(decision, axis=1)


def predict_log_proba(decision):
    return log_softmax(decision, axis=1)


def initial_intercept(class_weight):
    """Centred log class frequencies (smoothed)."""
    logp = np.log(class_weight / class_weight.sum())
    return logp - logp.mean()
