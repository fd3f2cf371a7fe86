"""Parameter declarations in scikit-learn's own terms, behind one small adapter.

Estimators declare ``_parameter_constraints`` with these constraint objects and
decorate ``fit`` / ``partial_fit`` with :func:`fit_context`; scikit-learn
checks every parameter before fitting and raises its ``InvalidParameterError``
(a ``ValueError`` and a ``TypeError``) naming the parameter, the allowed values
and the value given. scikit-learn keeps this machinery private
(``sklearn.utils._param_validation``), so fastmtl imports it here only.
"""
import numbers

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)

__all__ = ["HasMethods", "Integer", "Interval", "InvalidParameterError", "NonNegative",
           "Options", "Positive", "StrOptions", "fit_context"]


class Integer(Interval):
    """An interval of integers that, unlike ``Interval(Integral, ...)``, rejects
    ``True`` and ``False``: ``batch_size=True`` is a mistake, not 1."""

    def __init__(self, left, right=None, *, closed="left"):
        super().__init__(numbers.Integral, left, right, closed=closed)

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


def NonNegative():
    """Finite reals >= 0 (NaN and infinity are rejected)."""
    return Interval(numbers.Real, 0.0, None, closed="left")


def Positive():
    """Finite reals > 0."""
    return Interval(numbers.Real, 0.0, None, closed="neither")


def fit_context(method):
    """Validate the parameters before ``method`` (``fit``, or the first ``partial_fit``)."""
    return _fit_context(prefer_skip_nested_validation=True)(method)
