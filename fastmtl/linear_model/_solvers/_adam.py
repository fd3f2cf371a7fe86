"""Adam (Kingma & Ba, 2015), one coordinate at a time: plain Python over
``math``, compiled by the CPU kernels with ``njit`` and by the CUDA kernels
with ``cuda.jit(device=True)``, so both update alike."""
import math

BETA1 = 0.9
BETA2 = 0.999
EPS = 1e-8


def step_size(learning_rate, t):
    """(``lr_t``, ``1 - beta1**t``) of step ``t``.

    ``lr_t / (sqrt(v) + eps)`` applied to the raw first moment ``m`` is
    Adam's bias-corrected step; the metric of a proximal step lacks the
    ``1 / (1 - beta1**t)`` of the first moment.
    """
    bias1 = 1.0 - BETA1 ** t
    return learning_rate * math.sqrt(1.0 - BETA2 ** t) / bias1, bias1


def update(p, g, m, v, lr_t):
    """One Adam update of a scalar; returns (new p, m, v, its per-coordinate step)."""
    m_new = BETA1 * m + (1.0 - BETA1) * g
    v_new = BETA2 * v + (1.0 - BETA2) * g * g
    step = lr_t / (math.sqrt(v_new) + EPS)
    return p - step * m_new, m_new, v_new, step


def proximal_update_with(update, soft_threshold):
    """The Adam step of an L1-penalised coordinate, built from one backend's
    compiled ``update`` and ``soft_threshold`` (so the CPU kernels and their
    CUDA twins take the same step): Adam, then the proximal cut of
    ``l1 * scale * |p|`` in the step's metric (``l1 = 0``: no cut)."""

    def proximal_update(p, g, m, v, lr_t, bias1, l1, scale):
        new, m, v, step = update(p, g, m, v, lr_t)
        if l1 != 0.0:
            new = soft_threshold(new, step * bias1 * l1 * scale)
        return new, m, v

    return proximal_update
