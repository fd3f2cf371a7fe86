"""Public information-theory functions: validate -> pick backend -> call kernel.

Distributions lie along the LAST axis by default (one distribution per row of
a matrix), unlike SciPy's ``axis=0``: a batch of distributions is a matrix
whose rows are the distributions.
"""
import textwrap

import numpy as np

from .. import _backend
from .._validation import (
    as_float_array,
    check_flags,
    check_option,
    log_base_factor,
    normalize_axis,
    result_dtype,
    sum_tolerance,
)
from . import _cpu, _pairwise
from ._status import RowSource, raise_for_status

_COMMON_PARAMS = """\
axis : int, default=-1
    Axis along which the distributions lie (after broadcasting).
base : float, optional
    Base of the logarithm; None (default) gives nats, 2 gives bits.
normalize : bool, default=False
    Rescale each distribution to sum to one. When False, a distribution
    that does not sum to one (within 1e-6, or 1e-4 for float32) is an error.
log_input : bool, default=False
    Inputs hold log-probabilities (``-inf`` for a zero probability).
device : {"auto", "cpu", "cuda"}, default="auto"
    Where to compute. "auto" uses the GPU for GPU arrays and for large
    inputs when one is usable, else the CPU; "cuda" without a usable GPU
    raises ``RuntimeError``.
check_input : bool, default=True
    Scan the input for NaN/inf, negative entries and bad sums. Pass False
    only for inputs validated already: invalid input then gives undefined
    results instead of an error."""


def _kernels(device):
    if device == "cuda":
        from . import _cuda

        return _cuda
    from . import _cpu

    return _cpu


def _fill(func, field, text):
    """Put ``text`` (shared parameter descriptions) where ``{field}`` stands in
    ``func``'s docstring, indented as a numpydoc section."""
    func.__doc__ = func.__doc__.replace("{" + field + "}",
                                        textwrap.indent(text, "    ").lstrip())
    return func


def _doc(func):
    return _fill(func, "common", _COMMON_PARAMS)


def _as_rows(arrays, names, axis, log_input):
    """Broadcast ``arrays``, move the distribution axis last, flatten the rest.

    Returns ``(rows, sources, batch_shape)``; ``rows`` are 2-D views (copies
    only where NumPy cannot express the reshape as a view).
    """
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        lengths = [f"{n} has {a.shape[axis]}" for a, n in zip(arrays, names)
                   if isinstance(axis, int) and -a.ndim <= axis < a.ndim]
        if len({text.split()[-1] for text in lengths}) > 1:
            raise ValueError(
                f"the distributions have different lengths along axis={axis}: "
                + ", ".join(lengths)) from None
        shapes = " and ".join(f"{n} {a.shape}" for a, n in zip(arrays, names))
        raise ValueError(f"cannot broadcast {shapes} together") from None
    if len(shape) == 0:
        raise ValueError(
            f"{names[0]} is a scalar; a distribution needs an axis of probabilities"
        )
    axis = normalize_axis(axis, len(shape))
    size = shape[axis]
    for a, name in zip(arrays, names):
        own_axis = axis - (len(shape) - a.ndim)
        own = a.shape[own_axis] if own_axis >= 0 else None
        if own != size:
            raise ValueError(
                f"{name} has {'no distribution axis' if own is None else f'length {own}'}"
                f" along the distribution axis (axis={axis} of the broadcast shape "
                f"{shape}), but the distributions have length {size}; the "
                "distribution axis is never broadcast"
            )
    if size == 0:
        raise ValueError(
            f"the distribution axis (axis={axis}) of {names[0]} has length 0; a "
            "distribution needs at least one entry"
        )
    rows = [np.moveaxis(np.broadcast_to(a, shape), axis, -1).reshape(-1, size)
            for a in arrays]
    sources = [RowSource(n, r, a.shape, shape, axis, log_input)
               for a, n, r in zip(arrays, names, rows)]
    return rows, sources, shape[:axis] + shape[axis + 1:]


def _gpu_rows(inputs, names, axis, log_input):
    """2-D row views of inputs of which at least one is a GPU array.

    On the GPU the distributions must lie along the last axis of 1-D or 2-D
    arrays; a single row (1-D, or one row) broadcasts against the others.
    """
    rows, sources = [], []
    for x, name in zip(inputs, names):
        arr = x if _backend.is_gpu_array(x) else as_float_array(x, name)
        if arr.dtype not in (np.float32, np.float64):
            raise TypeError(f"{name} must be float32 or float64 on the GPU, got {arr.dtype}")
        if arr.ndim not in (1, 2):
            raise ValueError(f"{name} must be 1-D or 2-D for device='cuda', got "
                             f"shape {tuple(arr.shape)}")
        if normalize_axis(axis, arr.ndim) != arr.ndim - 1:
            raise ValueError("with GPU arrays the distributions must lie along the "
                             f"last axis; got axis={axis}")
        two_d = arr.reshape(1, arr.shape[0]) if arr.ndim == 1 else arr
        rows.append(two_d)
        sources.append(RowSource(name, two_d, arr.shape, two_d.shape, 1, log_input))
    n_rows = max(r.shape[0] for r in rows)
    for r, name in zip(rows, names):
        if r.shape[1] != rows[0].shape[1]:
            raise ValueError(
                f"the distributions have different lengths along axis={axis}: "
                + ", ".join(f"{n} has {x.shape[1]}" for x, n in zip(rows, names)))
        if r.shape[0] not in (1, n_rows):
            raise ValueError(f"cannot broadcast {name} with {r.shape[0]} rows against "
                             f"{n_rows} rows")
    if rows[0].shape[1] == 0:
        raise ValueError("the distributions have length 0; a distribution needs at "
                         "least one entry")
    batch_shape = (n_rows,) if any(len(s.original_shape) == 2 for s in sources) else ()
    return rows, sources, batch_shape


def _run_on_gpu(kernel, rows, sources, args, dtype, n_rows, batch_shape, check_input,
                tol):
    """Run a CUDA launcher with outputs left on the GPU."""
    from .. import _gpu

    # Allocated by the caller's GPU library (its memory pool) when it has one.
    template = next((r for r in rows if _backend.is_gpu_array(r)), None)
    out = _gpu.empty(n_rows, dtype, template)
    status = _gpu.empty(n_rows, np.uint8, template)
    if n_rows:
        # The launcher says whether any row was flagged: a clean result's
        # status never leaves the GPU.
        if kernel(*rows, *args, out, status) and check_input:
            raise_for_status(_gpu.to_host(status), sources, tol)
    return out.reshape(batch_shape) if batch_shape == () else out


def _tolerances(arrays):
    """(P's, Q's) sums-to-one tolerance, each by its own dtype: a float64 P is
    held to 1e-6 even next to a float32 Q (held to 1e-4)."""
    tols = [sum_tolerance(a) for a in arrays]
    return (tols[0], tols[-1])


def _rowwise(kernel_name, inputs, names, *, axis, base, normalize, log_input,
             device, check_input):
    check_flags(normalize=normalize, log_input=log_input, check_input=check_input)
    scale = log_base_factor(base)
    if any(_backend.is_gpu_array(x) for x in inputs):
        _backend.select_device(device, inputs, 0)  # raises unless CUDA is usable
        rows, sources, batch_shape = _gpu_rows(inputs, names, axis, log_input)
        tol = _tolerances(rows)
        kernel = getattr(_kernels("cuda"), kernel_name)
        args = (bool(log_input), bool(normalize), bool(check_input), tol, scale)
        return _run_on_gpu(kernel, rows, sources, args, result_dtype(*rows),
                           max(r.shape[0] for r in rows), batch_shape,
                           check_input, tol)
    arrays = [as_float_array(x, name) for x, name in zip(inputs, names)]
    dtype = result_dtype(*arrays)
    tol = _tolerances(arrays)
    rows, sources, batch_shape = _as_rows(arrays, names, axis, log_input)
    device = _backend.select_device(device, inputs, rows[0].size)
    out = np.empty(rows[0].shape[0], dtype=np.float64)
    status = np.zeros(rows[0].shape[0], dtype=np.uint8)
    if out.size:
        kernel = getattr(_kernels(device), kernel_name)
        # Mixed float32 / float64 inputs run the float64 kernel (the float32
        # side converted exactly; each keeps its own tolerance): one compiled
        # signature fewer per mixture.
        common = rows[0].dtype if len({r.dtype for r in rows}) == 1 else np.float64
        kernel(*(_cpu.contiguous_rows(r, common) for r in rows), bool(log_input),
               bool(normalize), bool(check_input), tol, scale, out, status)
        if check_input:
            raise_for_status(status, sources, tol)
    return out.astype(dtype, copy=False).reshape(batch_shape)[()]


@_doc
def entropy(P, *, axis=-1, base=None, normalize=False, log_input=False,
            device="auto", check_input=True):
    """Shannon entropy of every distribution in ``P``.

    ``H(p) = -sum_i p_i log p_i``, with ``0 log 0 = 0``.

    Parameters
    ----------
    P : array_like
        Probabilities, distributions along ``axis``.
    {common}

    Returns
    -------
    H : ndarray or scalar
        ``P``'s shape without ``axis``; float32 for float32 input, else float64.

    Raises
    ------
    ValueError
        For NaN/inf or negative entries, a distribution that does not sum to
        one (or sums to zero with ``normalize=True``), a distribution axis of
        length 0, or a bad ``base``. The message names the first bad index.

    Notes
    -----
    Unlike ``scipy.stats.entropy``, inputs are not silently renormalised and
    distributions lie along the last axis.

    Examples
    --------
    >>> import fastmtl
    >>> float(fastmtl.entropy([0.5, 0.5], base=2))
    1.0
    """
    return _rowwise("rowwise_entropy", (P,), ("P",), axis=axis, base=base,
                    normalize=normalize, log_input=log_input, device=device,
                    check_input=check_input)


@_doc
def cross_entropy(P, Q, *, axis=-1, base=None, normalize=False, log_input=False,
                  device="auto", check_input=True):
    """Cross-entropy ``H(P, Q) = -sum_i p_i log q_i`` row by row.

    ``P`` and ``Q`` broadcast against each other; ``p_i > 0`` where
    ``q_i = 0`` gives ``inf``.

    Parameters
    ----------
    P, Q : array_like
        Probabilities, distributions along ``axis``.
    {common}

    Returns
    -------
    H : ndarray or scalar
        The broadcast shape without ``axis``.

    Examples
    --------
    >>> import fastmtl
    >>> round(float(fastmtl.cross_entropy([0.5, 0.5], [0.25, 0.75], base=2)), 4)
    1.2075
    """
    return _rowwise("rowwise_cross_entropy", (P, Q), ("P", "Q"), axis=axis,
                    base=base, normalize=normalize, log_input=log_input,
                    device=device, check_input=check_input)


@_doc
def kl_divergence(P, Q, *, axis=-1, base=None, normalize=False, log_input=False,
                  device="auto", check_input=True):
    """Kullback-Leibler divergence ``KL(P || Q) = sum_i p_i log(p_i / q_i)``.

    Computed row by row with broadcasting; ``p_i > 0`` where ``q_i = 0``
    gives ``inf``; the result is never negative.

    Parameters
    ----------
    P, Q : array_like
        Probabilities, distributions along ``axis``.
    {common}

    Returns
    -------
    KL : ndarray or scalar
        The broadcast shape without ``axis``.

    See Also
    --------
    pairwise_divergence : every row of ``P`` against every row of ``Q``.

    Examples
    --------
    >>> import fastmtl
    >>> float(fastmtl.kl_divergence([0.5, 0.5], [0.5, 0.5]))
    0.0
    """
    return _rowwise("rowwise_kl", (P, Q), ("P", "Q"), axis=axis, base=base,
                    normalize=normalize, log_input=log_input, device=device,
                    check_input=check_input)


@_doc
def js_divergence(P, Q, *, axis=-1, base=None, normalize=False, log_input=False,
                  device="auto", check_input=True):
    """Jensen-Shannon divergence ``(KL(P||M) + KL(Q||M)) / 2``, ``M = (P+Q)/2``.

    This is the divergence, the square of SciPy's ``jensenshannon`` distance;
    it lies in ``[0, log 2]`` (``[0, 1]`` in bits).

    Parameters
    ----------
    P, Q : array_like
        Probabilities, distributions along ``axis``.
    {common}

    Returns
    -------
    JS : ndarray or scalar
        The broadcast shape without ``axis``.

    Examples
    --------
    >>> import fastmtl
    >>> float(fastmtl.js_divergence([1.0, 0.0], [0.0, 1.0], base=2))
    1.0
    """
    return _rowwise("rowwise_js", (P, Q), ("P", "Q"), axis=axis, base=base,
                    normalize=normalize, log_input=log_input, device=device,
                    check_input=check_input)


def check_distributions(P, *, axis=-1, normalize=False, log_input=False, name="P"):
    """Check that ``P`` holds valid distributions; raise ``ValueError`` if not.

    The same checks, and the same messages, as every function of
    :mod:`fastmtl.information` runs on its inputs: no NaN or infinite entry, no
    negative probability, and each distribution sums to one (or, with
    ``normalize=True``, to something positive).

    Parameters
    ----------
    P : array_like
        Probabilities (or log-probabilities), distributions along ``axis``.
    axis : int, default=-1
        Axis along which the distributions lie.
    normalize : bool, default=False
        Accept distributions of any positive sum.
    log_input : bool, default=False
        ``P`` holds log-probabilities.
    name : str, default="P"
        How the error message names the array.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        Naming the first bad entry (or distribution) by its index.

    Examples
    --------
    >>> from fastmtl.information import check_distributions
    >>> check_distributions([[0.5, 0.5], [0.2, 0.8]])
    >>> check_distributions([[0.5, 0.5], [0.2, 0.7]], name="Q")
    Traceback (most recent call last):
        ...
    ValueError: Q has a distribution that does not sum to 1 (sum=0.8999999999999999, \
tolerance 1e-06; pass normalize=True to rescale) at Q[1, :]
    """
    _rowwise("rowwise_entropy", (P,), (name,), axis=axis, base=None, normalize=normalize,
             log_input=log_input, device="cpu", check_input=True)


def _joint(kernel_name, joint, *, base, normalize, device, check_input):
    check_flags(normalize=normalize, check_input=check_input)
    scale = log_base_factor(base)
    on_gpu = _backend.is_gpu_array(joint)
    table = joint if on_gpu else as_float_array(joint, "joint")
    if table.ndim < 2:
        raise ValueError(
            f"joint must have at least 2 dimensions (..., kx, ky), got shape {table.shape}"
        )
    kx, ky = table.shape[-2:]
    if kx == 0 or ky == 0:
        raise ValueError(f"joint tables of shape ({kx}, {ky}) are empty; each "
                         "variable needs at least one outcome")
    rows = table.reshape(-1, kx * ky)
    source = RowSource("joint", rows, table.shape, table.shape, table.ndim - 2,
                       n_dist_axes=2)
    tol = sum_tolerance(table)
    device = _backend.select_device(device, (joint,), rows.size)
    if on_gpu:
        args = (kx, ky, bool(normalize), bool(check_input), tol, scale)
        out = _run_on_gpu(getattr(_kernels("cuda"), kernel_name), (rows,), [source],
                          args, result_dtype(table), rows.shape[0], (rows.shape[0],),
                          check_input, tol)
        return out.reshape(tuple(table.shape[:-2]))
    out = np.empty(rows.shape[0], dtype=np.float64)
    status = np.zeros(rows.shape[0], dtype=np.uint8)
    if out.size:
        kernel = getattr(_kernels(device), kernel_name)
        kernel(rows, kx, ky, bool(normalize), bool(check_input), tol, scale, out,
               status)
        if check_input:
            raise_for_status(status, [source], tol)
    return out.astype(result_dtype(table), copy=False).reshape(table.shape[:-2])[()]


_JOINT_PARAMS = """\
joint : array_like of shape (..., kx, ky)
    Joint probability tables p(x, y), batched over the leading axes; X is
    axis -2 and Y axis -1.
base : float, optional
    Base of the logarithm; None (default) gives nats, 2 gives bits.
normalize : bool, default=False
    Rescale each table to sum to one (e.g. a table of counts).
device : {"auto", "cpu", "cuda"}, default="auto"
    Where to compute (see :func:`entropy`).
check_input : bool, default=True
    Scan the tables for NaN/inf, negative entries and bad sums."""


def conditional_entropy(joint, *, base=None, normalize=False, device="auto",
                        check_input=True):
    """Conditional entropy ``H(X | Y)`` of joint tables.

    Computed directly as ``-sum p(x,y) log(p(x,y) / p(y))``, whose terms are
    all non-negative, rather than as ``H(X,Y) - H(Y)``, which cancels.

    Parameters
    ----------
    {joint}

    Returns
    -------
    H : ndarray or scalar
        ``joint.shape[:-2]``.

    Examples
    --------
    >>> import fastmtl
    >>> float(fastmtl.conditional_entropy([[0.5, 0.0], [0.0, 0.5]]))
    0.0
    """
    return _joint("joint_conditional_entropy", joint, base=base,
                  normalize=normalize, device=device, check_input=check_input)


def mutual_information(joint, *, base=None, normalize=False, device="auto",
                       check_input=True):
    """Mutual information ``I(X; Y)`` of joint tables.

    Computed directly as ``KL(p(x,y) || p(x) p(y))``, which stays accurate
    for nearly independent variables where ``H(X) + H(Y) - H(X,Y)`` cancels.

    Parameters
    ----------
    {joint}

    Returns
    -------
    I : ndarray or scalar
        ``joint.shape[:-2]``; never negative.

    Examples
    --------
    >>> import fastmtl
    >>> float(fastmtl.mutual_information([[0.5, 0.0], [0.0, 0.5]], base=2))
    1.0
    """
    return _joint("joint_mutual_information", joint, base=base,
                  normalize=normalize, device=device, check_input=check_input)


_fill(conditional_entropy, "joint", _JOINT_PARAMS)
_fill(mutual_information, "joint", _JOINT_PARAMS)

# Metrics of :func:`pairwise_divergence`.
PAIRWISE_METRICS = ("kl", "js", "cross_entropy", "symmetric_kl")


def _pairwise_operand(x, name):
    """``x`` as a float array: a GPU array as a view that stays there."""
    if not _backend.is_gpu_array(x):
        return as_float_array(x, name)
    from .. import _gpu

    return _gpu.float_view(x, name)


def prepare_rows(X, name, *, log_input, normalize, check_input, tol, device="cpu"):
    """Rows of a 2-D float array ready for the pairwise kernels; with
    ``check_input``, a ``ValueError`` naming ``name`` for the first bad row."""
    prepared = _pairwise.prepare(_kernels(device), X, log_input, normalize,
                                 check_input, tol)
    if check_input:
        source = RowSource(name, X, X.shape, X.shape, 1, log_input)
        raise_for_status(prepared.status, [source], tol)
    return prepared


def pairwise_divergence(P, Q=None, *, metric="kl", base=None, normalize=False,
                        log_input=False, device="auto", out=None, check_input=True):
    """Divergence between every row of ``P`` and every row of ``Q``.

    Parameters
    ----------
    P : array_like of shape (n, k)
        Distributions, one per row.
    Q : array_like of shape (m, k), optional
        Distributions, one per row; None means ``Q = P``.
    metric : {"kl", "js", "cross_entropy", "symmetric_kl"}, default="kl"
        ``D[i, j] = metric(P[i], Q[j])``; "symmetric_kl" is
        ``KL(P||Q) + KL(Q||P)``.
    base : float, optional
        Base of the logarithm; None (default) gives nats.
    normalize : bool, default=False
        Rescale each row to sum to one.
    log_input : bool, default=False
        Rows hold log-probabilities.
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where to compute (see :func:`entropy`).
    out : ndarray of shape (n, m), optional
        Where to write the result, e.g. a ``numpy.memmap`` for results larger
        than memory. Must not overlap the inputs.
    check_input : bool, default=True
        Scan the rows for NaN/inf, negative entries and bad sums.

    Returns
    -------
    D : ndarray of shape (n, m)
        ``out`` when given; else float32 for float32 inputs, float64 otherwise.

    Notes
    -----
    "kl", "cross_entropy" and "symmetric_kl" use the matrix-product form
    ``KL(P_i || Q_j) = sum p log p - P_i . log(Q_j)``: one BLAS product in
    float64, with ``0 log 0`` masked and ``p > 0, q = 0`` turned into ``inf``
    exactly. Pairs where the two terms nearly cancel (near-identical rows)
    are recomputed by the direct sum, so every entry keeps full relative
    accuracy. "js" has no matrix-product form and uses a direct kernel.
    The result is produced in row blocks of bounded size
    (``fastmtl._config.PAIRWISE_BLOCK_BYTES``), so memory beyond ``out``
    stays small.

    Examples
    --------
    >>> import numpy as np, fastmtl
    >>> P = np.array([[0.5, 0.5], [0.9, 0.1]])
    >>> fastmtl.pairwise_divergence(P, metric="js", base=2).round(3)
    array([[0.   , 0.147],
           [0.147, 0.   ]])
    """
    check_option(metric, "metric", PAIRWISE_METRICS)
    check_flags(normalize=normalize, log_input=log_input, check_input=check_input)
    scale = log_base_factor(base)
    gpu_inputs = any(_backend.is_gpu_array(x) for x in (P, Q))
    if gpu_inputs:
        _backend.select_device(device, (P, Q), 0)  # raises unless CUDA is usable
    # GPU inputs stay on the GPU, and so does the result.
    P_arr = _pairwise_operand(P, "P")
    Q_arr = P_arr if Q is None else _pairwise_operand(Q, "Q")
    for arr, name in ((P_arr, "P"), (Q_arr, "Q")):
        if arr.ndim != 2:
            raise ValueError(
                f"{name} must be 2-D (one distribution per row), got shape {arr.shape}"
            )
    if P_arr.shape[1] != Q_arr.shape[1]:
        raise ValueError(
            f"P and Q must have the same number of columns (distribution length), "
            f"got {P_arr.shape[1]} and {Q_arr.shape[1]}"
        )
    if P_arr.shape[1] == 0:
        raise ValueError("the distributions have length 0; a distribution needs "
                         "at least one entry")
    n, m = P_arr.shape[0], Q_arr.shape[0]
    device = _backend.select_device(device, (P, Q, out), n * m * P_arr.shape[1])
    if out is None and gpu_inputs:
        from .. import _gpu

        out = _gpu.empty((n, m), result_dtype(P_arr, Q_arr),
                         P if _backend.is_gpu_array(P) else Q)
    out = _pairwise.check_out(out, (n, m), result_dtype(P_arr, Q_arr),
                              [a for a in (P_arr, Q_arr) if not _backend.is_gpu_array(a)])
    sides = []
    for arr, name in ((P_arr, "P"), (Q_arr, "Q")) if Q is not None else ((P_arr, "P"),):
        # Validated even when the other side is empty: bad rows are an error.
        sides.append(prepare_rows(arr, name, log_input=log_input, normalize=normalize,
                                  check_input=check_input, tol=sum_tolerance(arr),
                                  device=device))
    if out.size == 0:
        return out
    if len(sides) == 1:
        sides.append(sides[0])
    _pairwise.compute(_kernels(device), metric, sides[0], sides[1], scale, out)
    return out
