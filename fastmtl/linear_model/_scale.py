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


def _largest_magnitude(values):
    """max |values| over the finite entries (NaN marks a missing target)."""
    finite = values[np.isfinite(values)]
    return max(float(finite.max()), -float(finite.min())) if finite.size else 0.0


def check_feature_scale(X, context):
    """Refuse features whose products overflow ``X``'s dtype; warn when they
    are so small that any penalty shrinks every coefficient to zero."""
    if X.size == 0:
        return
    top = _largest_magnitude(X)
    limit = _overflow_limit(X.shape[0], X.dtype)
    if top > limit:
        raise ValueError(
            f"{context}: X has entries as large as {top:.3g} in magnitude; sums of "
            f"products of {X.shape[0]} such features overflow {X.dtype} (the limit "
            f"here is about {limit:.3g}). Standardise X (e.g. with StandardScaler) "
            "or rescale it."
        )
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
    top = _largest_magnitude(Y)
    limit = _overflow_limit(Y.shape[0], np.float64)
    if top > limit:
        raise ValueError(
            f"{context}: Y has targets as large as {top:.3g} in magnitude; the "
            f"objective is in Y's units, and sums of {Y.shape[0]} squares of such "
            f"values overflow float64 (the limit here is about {limit:.3g}). Divide "
            "Y by a constant and multiply the predictions back."
        )
