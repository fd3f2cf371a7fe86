"""Generic input checks shared by every public entry point: array types,
options, axes, logarithm bases, and how an error names an index of a chunk of
a larger array (:func:`row_offsets`)."""
import contextlib
import contextvars
import math
import numbers

import numpy as np

from ._config import SUM_TOLERANCE


def as_float_array(x, name):
    """Return ``x`` as a float ndarray without copying when possible.

    float32 stays float32; every other real numeric type becomes float64.
    """
    if hasattr(x, "__cuda_array_interface__") and not isinstance(x, np.ndarray):
        raise TypeError(
            f"{name} is a GPU array; pass device='cuda' (or 'auto') to keep it "
            "on the GPU"
        )
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise ValueError(f"{name} could not be converted to an array: {exc}") from None
    if arr.dtype.kind == "f" and arr.dtype.itemsize in (4, 8):
        # Non-native byte order (e.g. big-endian '>f4') keeps its precision.
        return arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64)
    raise TypeError(
        f"{name} must hold real numbers, got an array of dtype {arr.dtype}"
    )


def result_dtype(*arrays):
    """float32 when every input is float32, else float64."""
    if all(a.dtype == np.float32 for a in arrays):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def sum_tolerance(*arrays):
    """Tolerance of the sums-to-one test: the loosest of the inputs' dtypes."""
    return max(SUM_TOLERANCE[a.dtype.name] for a in arrays)


def log_base_factor(base):
    """Multiplier that converts nats to ``base`` units (1.0 for base=None)."""
    if base is None:
        return 1.0
    if isinstance(base, bool) or not isinstance(base, numbers.Real):
        raise TypeError(f"base must be a positive real number or None, got {base!r}")
    base = float(base)
    if not (base > 0 and math.isfinite(base)) or base == 1.0:
        raise ValueError(
            f"base must be a positive finite number other than 1, got {base!r}"
        )
    return 1.0 / math.log(base)


def final_step(estimator):
    """The last step of a Pipeline, or the estimator itself."""
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def check_option(value, name, options):
    """Raise a ``ValueError`` unless ``value`` is one of ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}"
        )
    return value


def check_flags(**flags):
    """Raise a ``TypeError`` unless every keyword is True or False (a NumPy
    bool too): a string such as "no" would otherwise switch an option on."""
    for name, value in flags.items():
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {value!r}")


def normalize_axis(axis, ndim, name="axis"):
    """Return ``axis`` as a non-negative int for an array of ``ndim`` dims."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of bounds for an array of {ndim} dimension(s)")
    return int(axis) % ndim


# Offsets of the first index of named arrays: a chunk of a larger array
# (``fastmtl.distributed``) names its bad entries by their index in the whole.
_ROW_OFFSETS = contextvars.ContextVar("row_offsets", default=None)


@contextlib.contextmanager
def row_offsets(**offsets):
    """Within the block, errors about array ``name`` add ``offsets[name]`` to its first index."""
    token = _ROW_OFFSETS.set(offsets)
    try:
        yield
    finally:
        _ROW_OFFSETS.reset(token)


def row_offset(name):
    """Offset of array ``name``'s first index set by :func:`row_offsets` (0 if none)."""
    return (_ROW_OFFSETS.get() or {}).get(name, 0)
