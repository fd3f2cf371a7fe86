"""The multi-task target convention, shared by every part of fastmtl.

A target matrix ``Y`` is ``(n_samples, n_tasks)``: one column per task, one row
per sample. A missing target is NaN (``None`` in an object array), or for
labels also a user-chosen ``missing_label``. A 1-D ``y`` is one task. Tasks
stacked one after another (each row observes one task) and multi-output data
(each row observes several) are the same convention.

The estimators, the metrics, the splitters and the relatedness measures all
read targets through this module.
"""
import numpy as np


def check_targets(Y, n_samples, *, numeric, name="Y", context="fastmtl"):
    """Validate ``Y`` (missing entries allowed); return it 2-D and whether it was 1-D.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_tasks) or (n_samples,)
    n_samples : int or None
        Rows ``Y`` must have (the rows of ``X``); None accepts any.
    numeric : bool
        Targets must be numbers (regression); labels may be any type.
    name : str
        How errors name the array.
    context : str
        Who asks (an estimator's name), for the error when ``Y`` is None.
    """
    from sklearn.utils import check_array

    if Y is None:
        raise ValueError(f"{context} requires y to be passed, but the target y is None.")
    Y = check_array(
        Y, ensure_2d=False, ensure_all_finite=False, dtype="numeric" if numeric else None,
        input_name=name, ensure_min_samples=0,
    )
    one_d = Y.ndim == 1
    if one_d:
        Y = Y[:, None]
    if Y.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D (n_samples, n_tasks); got {Y.ndim}-D.")
    if n_samples is not None and Y.shape[0] != n_samples:
        raise ValueError(
            f"X and {name} have inconsistent numbers of samples: {n_samples} and "
            f"{Y.shape[0]}."
        )
    if Y.shape[1] == 0:
        raise ValueError(f"{name} has no task (0 columns).")
    if numeric and Y.dtype.kind == "f" and np.isinf(Y).any():
        row, task = np.argwhere(np.isinf(Y))[0]
        raise ValueError(
            f"Input {name} contains infinity at sample {row}, task {task}; "
            "a missing target is NaN."
        )
    return Y, one_d


def missing_mask(Y, missing_label=None):
    """Boolean mask of the missing entries: NaN, None, or ``missing_label``."""
    Y = np.asarray(Y)
    if Y.dtype.kind == "f":
        mask = np.isnan(Y)
    elif Y.dtype.kind == "O":
        mask = np.frompyfunc(lambda v: v is None or (isinstance(v, float) and v != v),
                             1, 1)(Y).astype(bool)
    else:
        mask = np.zeros(Y.shape, dtype=bool)
    if missing_label is not None:
        with np.errstate(invalid="ignore"):
            try:
                mask |= np.asarray(Y == missing_label, dtype=bool)
            except TypeError:
                pass
    return mask


def observed_entries(Y, missing_label=None):
    """``(rows, tasks)`` of the observed entries of a 2-D ``Y``, row-major."""
    return np.nonzero(~missing_mask(Y, missing_label))
