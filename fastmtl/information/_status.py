"""The information kernels' status protocol: how a kernel reports bad input.

The checks that need a pass over the data (finite, non-negative, sums to one)
run inside the kernels, fused with the computation, so validated calls read
their input once. The kernels write a per-row status word made of the flags
below; :func:`raise_for_status` turns the first bad row into a ``ValueError``
that names the array, the problem and the index, in the user's coordinates
(through broadcasting, moved axes, and a chunk's offset in a larger array).
"""
import numpy as np

from .._validation import row_offset

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
        offset = row_offset(self.name)
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
        with np.errstate(over="ignore"):  # a sum of 1e308s reads "inf" in the message
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
    (first input in the low bits); ``tol`` is their sums-to-one tolerance,
    one for all or one per source.
    """
    tols = tuple(tol) if isinstance(tol, (tuple, list)) else (tol,) * len(sources)
    bad_rows = np.flatnonzero(status)
    if bad_rows.size == 0:
        return
    row = int(bad_rows[0])
    word = int(status[row])
    for position, source in enumerate(sources):
        flags = (word >> (SECOND_INPUT_SHIFT * position)) & 0xF
        if flags:
            raise ValueError(source.describe(row, flags, tols[position]))
