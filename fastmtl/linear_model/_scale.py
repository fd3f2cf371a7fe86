"""The scale of the training data that the fits' float64 arithmetic can hold.

Sample weights and fixed task weights count only relative to each other, so
they are rescaled (sample weights by a power of two, exact; task weights to
mean one). Features and regression targets are not (the penalties, in the
user's units, give them a scale): features or targets whose products
overflow are refused, and features too small for any penalty are warned
about. The exact solver steps in units that follow the data's scale
(:func:`parameter_units`): the objective's optimum does not change, only how
quickly and how surely the solver reaches it.
"""
import warnings
from typing import NamedTuple

import numpy as np
from sklearn.utils.validation import _check_sample_weight

from .._backend import is_gpu_array
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


class ParameterUnits(NamedTuple):
    """Powers of two near the size each kind of parameter takes at a solution
    (see :func:`parameter_units`)."""

    factor: float  # a latent row of U
    shared: float  # a shared row of U (user-unit weights)
    head: float  # a head entry in internal units (sigma_o V_o is user units)


_SAMPLED_ROWS = 4096


def _feature_scale(X):
    """Root mean square of ``X``'s entries over at most ``_SAMPLED_ROWS``
    evenly spaced rows (a GPU array's rows are copied to the host); 1 for
    all-zero features."""
    step = max(1, X.shape[0] // _SAMPLED_ROWS)
    if is_gpu_array(X):
        from .. import _gpu

        sample = _gpu.take_rows(X, np.arange(0, X.shape[0], step))
    else:
        sample = X[::step]
    sample = np.asarray(sample, dtype=np.float64)
    top = float(np.abs(sample).max(initial=0.0))
    if top == 0.0:
        return 1.0
    # Scaled by the largest entry first: squares of features near 1e-160 underflow.
    return top * float(np.sqrt(np.mean((sample / top) ** 2)))


def parameter_units(X, output_scale, latent_frozen):
    """The units of the solver's parameters for features ``X`` and outputs of
    scale ``output_scale`` (``sigma_o``; 1 for classes).

    The objective is in the user's units, so the size of a solution follows
    the data: a user-unit weight is about ``s = sigma / c`` (``c`` the
    features' root mean square, ``sigma`` the outputs' geometric mean scale).
    Split evenly between the latent factor and the heads (the two ridges
    balance at a solution), a latent row of ``U`` is about ``sqrt(s)`` and a
    head entry (internal units) ``1 / sqrt(sigma c)``; a shared row is ``s``;
    with ``latent_frozen`` the heads are the task weights, ``1 / c``. The
    exact solver steps in these units and fits start there: unscaled, the
    solver's curvature model and a random start of norm one are off by the
    data's scale (features near 1e3 took L-BFGS 2 000 iterations; near 1e10
    it stopped far from the optimum). Powers of two (exact), and one within
    a factor of about 3 of one.
    """
    c = _feature_scale(X)
    sigma = float(np.exp(np.mean(np.log(output_scale)))) if len(output_scale) else 1.0
    ratio = np.log2(sigma) - np.log2(c)

    def power(exponent):
        # Within a factor of about 3 of one, the unit is one: data near unit
        # scale run as they always did.
        return 1.0 if abs(exponent) < 1.5 else float(np.ldexp(1.0, int(np.round(exponent))))

    head = power(-np.log2(c)) if latent_frozen else power(-(np.log2(sigma) + np.log2(c)) / 2)
    return ParameterUnits(factor=power(ratio / 2), shared=power(ratio), head=head)
