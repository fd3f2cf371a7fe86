"""Scalar pieces of the SGD kernels shared by the CPU and CUDA targets: plain
Python over ``math``, compiled by ``_sgd_cpu`` with ``njit`` and by
``_sgd_cuda`` with ``cuda.jit(device=True)``, so both compute alike."""
import math

# Loss of a task, by code.
SQUARED = 0
LOGISTIC = 1
SOFTMAX = 2
CONSTANT = 3  # a classification task with a single class: no output to learn


def single_output_loss(kind, s, target, scale2):
    """(loss, derivative in the internal score) of a regression or binary target.

    Self-contained (no calls to other plain functions): each target compiles it
    on its own.
    """
    if kind == SQUARED:
        r = s - target
        return 0.5 * scale2 * r * r, scale2 * r
    # log(1 + exp(+-s)) and the sigmoid, without overflow.
    u = -s if target > 0.5 else s
    loss = u + math.log1p(math.exp(-u)) if u > 0.0 else math.log1p(math.exp(u))
    if s >= 0.0:
        p = 1.0 / (1.0 + math.exp(-s))
    else:
        e = math.exp(s)
        p = e / (1.0 + e)
    return loss, p - target


def adam(p, g, m, v, lr_t, beta1, beta2, eps):
    """One Adam update of a scalar; returns (new p, m, v, its per-coordinate step)."""
    m_new = beta1 * m + (1.0 - beta1) * g
    v_new = beta2 * v + (1.0 - beta2) * g * g
    step = lr_t / (math.sqrt(v_new) + eps)
    return p - step * m_new, m_new, v_new, step


def soft_threshold(p, cut):
    if p > cut:
        return p - cut
    if p < -cut:
        return p + cut
    return 0.0
