"""The scale of the training data that the fits' float64 arithmetic can hold.

Sample weights and fixed task weights count only relative to each other, so
they are rescaled (sample weights by a power of two, exact; task weights to
mean one). Features and regression targets are not (the penalties, in the
user's units, give them a scale): features or targets whose products
overflow are refused, and features too small for any penalty are warned
about.
"""
import warnings

import numpy as np
from sklearn.utils.validation import _check_sample_weight

from ..exceptions import DataScaleWarning

# Below this largest |X| entry, a feature's squares (< 1e-200) are outweighed
# by any penalty a float64 can express next to a loss of order one: every
# coefficient comes out zero.
TINY_FEATURES = 1e-100


def relative_sample_weight(sample_weight, X, exponent=None):
    """``sample_weight`` checked (non-negative, finite, one per row of ``X``)
    and scaled by ``2 ** -exponent``; returns ``(weights, exponent)``.

    By default ``exponent`` brings the largest weight into [1, 2) (unit
    weights stay 1): the objective and the scores divide every weight by a
    sum of weights, so the scale changes nothing but keeps that sum finite
    (weights near 1e308 overflowed it and made the fit "diverge"). Weights
    that must be in the units of earlier ones (new tasks against a fit's
    observation unit) pass that fit's ``exponent``.
    """
    sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                         ensure_non_negative=True)
    if exponent is None:
        top = sample_weight.max(initial=0.0)
        exponent = int(np.frexp(top)[1]) - 1 if top > 0.0 else 0
    return np.ldexp(sample_weight, -exponent), exponent


def _overflow_limit(n_samples, dtype):
    """Largest magnitude whose products, summed over ``n_samples`` rows (X'X,
    the SGD gradients, the loss in the user's units), stay finite in
    ``dtype``; a margin of 16 leaves room for the residuals' scale."""
    return np.sqrt(np.finfo(dtype).max / (16.0 * max(n_samples, 1)))


def _refuse_overflow(top, n_samples, dtype, context, what, remedy):
    """Raise unless ``n_samples`` products of values of magnitude ``top``
    stay finite in ``dtype``."""
    limit = _overflow_limit(n_samples, dtype)
    if top > limit:
        raise ValueError(
            f"{context}: {what} as large as {top:.3g} in magnitude; sums of "
            f"{n_samples} products of such values overflow {np.dtype(dtype)} (the limit "
            f"here is about {limit:.3g}). {remedy}"
        )


def check_feature_scale(X, context):
    """Refuse features whose products overflow ``X``'s dtype; warn when they
    are so small that any penalty shrinks every coefficient to zero."""
    if X.size == 0:
        return
    top = max(float(X.max()), -float(X.min()))  # X is finite here; no copy of it
    _refuse_overflow(top, X.shape[0], X.dtype, context, "X has entries",
                     "Standardise X (e.g. with StandardScaler) or rescale it.")
    if 0.0 < top < TINY_FEATURES:
        warnings.warn(
            f"{context}: the largest entry of X is {top:.3g} in magnitude; any "
            "penalty outweighs features this small and shrinks every coefficient to "
            "zero (the model predicts each task's mean). Standardise X (e.g. with "
            "StandardScaler).",
            DataScaleWarning, stacklevel=4,
        )


def check_target_scale(Y, context):
    """Refuse regression targets whose squares overflow float64: the loss and
    the intercepts' penalty are in the user's units."""
    top = float(np.nanmax(np.abs(Y), initial=0.0))  # NaN marks a missing target
    _refuse_overflow(top, Y.shape[0], np.float64, context, "Y has targets",
                     "The objective is in Y's units: divide Y by a constant and "
                     "multiply the predictions back.")
