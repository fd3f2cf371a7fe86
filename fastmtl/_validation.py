"""Input checks shared by every public entry point.

The checks that need a pass over the data (finite, non-negative, sums to one)
run inside the kernels, fused with the computation, so validated calls read
their input once. The kernels report a per-row status word made of the flags
below; :func:`raise_for_status` turns the first bad row into a ``ValueError``
that names the array, the problem and the index.
"""
import contextlib
import contextvars
import math
import numbers

import numpy as np

from ._config import SUM_TOLERANCE

# Per-row status flags written by the kernels. A second input's flags are the
# same shifted left by ``SECOND_INPUT_SHIFT`` bits.
NONFINITE = 1  # NaN or +/-inf (log input: NaN or +inf)
NEGATIVE = 2  # a negative probability
BAD_SUM = 4  # does not sum to one (normalize=False)
ZERO_SUM = 8  # sums to zero (normalize=True)
SECOND_INPUT_SHIFT = 4

_PROBLEMS = {
    NONFINITE: "a NaN or infinite entry",
    NEGATIVE: "a negative entry",
    BAD_SUM: "a distribution that does not sum to 1 (sum={total!r}, tolerance "
    "{tol:g}; pass normalize=True to rescale)",
    ZERO_SUM: "a distribution that sums to 0, which normalize=True cannot rescale",
}
_LOG_PROBLEMS = {
    NONFINITE: "a NaN or +inf log-probability",
    BAD_SUM: "a distribution whose probabilities exp(x) do not sum to 1 "
    "(sum={total!r}, tolerance {tol:g}; pass normalize=True to rescale)",
    ZERO_SUM: "a distribution whose log-probabilities are all -inf, which "
    "normalize=True cannot rescale",
}


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
    if arr.dtype == np.float32 or arr.dtype == np.float64:
        return arr
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


def check_option(value, name, options):
    """Raise a ``ValueError`` unless ``value`` is one of ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}"
        )
    return value


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


class RowSource:
    """Where the rows a kernel saw came from, to name a bad entry in the user's terms.

    The kernels see a 2-D view ``rows`` of shape ``(n_rows, size)``: the input
    was broadcast to ``shape``, its distribution axes (``n_dist_axes`` of them,
    starting at ``axis``) moved last and flattened into one, and the other axes
    flattened into rows. ``original_shape`` is the shape the user passed.
    """

    def __init__(self, name, rows, original_shape, shape, axis, log_input=False,
                 n_dist_axes=1):
        self.name = name
        self.rows = rows
        self.original_shape = tuple(original_shape)
        self.shape = tuple(shape)
        self.axis = axis
        self.log_input = log_input
        stop = axis + n_dist_axes
        self.dist_shape = self.shape[axis:stop]
        self.batch_shape = self.shape[:axis] + self.shape[stop:]

    def user_index(self, row, position):
        """Index into the user's array of entry ``position`` of row ``row``."""
        batch = np.unravel_index(row, self.batch_shape) if self.batch_shape else ()
        within = np.unravel_index(position, self.dist_shape)
        full = [int(i) for i in batch]
        full[self.axis:self.axis] = [int(i) for i in within]
        # Undo broadcasting: leading axes the user's array lacked are dropped,
        # and an axis of length 1 stretched by broadcasting maps to index 0.
        full = full[len(full) - len(self.original_shape):]
        index = [0 if size == 1 else i for i, size in zip(full, self.original_shape)]
        offset = (_ROW_OFFSETS.get() or {}).get(self.name, 0)
        if offset and index:
            index[0] += offset
        return tuple(index)

    def describe(self, row, flags, tol):
        """The error message for row ``row`` whose status flags are ``flags``."""
        values = self.rows[row]
        if hasattr(values, "copy_to_host"):  # a GPU array's row
            values = values.copy_to_host()
        values = np.asarray(values, dtype=np.float64)
        problems = _LOG_PROBLEMS if self.log_input else _PROBLEMS
        if flags & NONFINITE:
            bad = np.isnan(values) | (values == np.inf)
            if not self.log_input:
                bad |= np.isinf(values)
            return self._at_entry(problems[NONFINITE], row, np.flatnonzero(bad))
        if flags & NEGATIVE:
            return self._at_entry(problems[NEGATIVE], row, np.flatnonzero(values < 0))
        total = float(np.exp(values).sum() if self.log_input else values.sum())
        flag = BAD_SUM if flags & BAD_SUM else ZERO_SUM
        text = problems[flag].format(total=total, tol=tol)
        where = list(self.user_index(row, 0))
        n_lead = len(self.shape) - len(self.original_shape)
        for d in range(len(self.dist_shape)):
            where[self.axis - n_lead + d] = slice(None)
        return f"{self.name} has {text} at {self.name}{_format_index(where)}"

    def _at_entry(self, problem, row, positions):
        position = positions[0] if positions.size else 0
        index = self.user_index(row, position)
        return f"{self.name} has {problem} at index {index}"


def _format_index(index):
    parts = [":" if isinstance(i, slice) else str(i) for i in index]
    return "[" + ", ".join(parts) + "]"


def raise_for_status(status, sources, tol):
    """Raise ``ValueError`` for the first row whose status word is non-zero.

    ``sources`` lists the kernel inputs in the order of their flag groups
    (first input in the low bits).
    """
    bad_rows = np.flatnonzero(status)
    if bad_rows.size == 0:
        return
    row = int(bad_rows[0])
    word = int(status[row])
    for position, source in enumerate(sources):
        flags = (word >> (SECOND_INPUT_SHIFT * position)) & 0xF
        if flags:
            raise ValueError(source.describe(row, flags, tol))
