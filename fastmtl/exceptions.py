"""Exceptions and warnings raised by fastmtl."""

__all__ = ["DataScaleWarning", "DivergenceError", "TrainingDivergedError"]


class TrainingDivergedError(FloatingPointError, ValueError):
    """Training went wrong: the loss or the parameters stopped being finite.

    Raised by ``fit`` and ``partial_fit`` with a message naming the cause and
    the remedy (usually a smaller ``learning_rate``, or standardised
    features); the estimator keeps the state it had before the failing epoch.
    A ``ValueError`` (and a ``FloatingPointError``) so that code catching
    either keeps working.
    """


class DataScaleWarning(UserWarning):
    """The training features are so small that any penalty outweighs them.

    Issued by ``fit`` when the largest entry of ``X`` is below 1e-100 in
    magnitude: every coefficient is then shrunk to zero and the model
    predicts each task's mean. Standardise ``X`` (e.g. with
    ``sklearn.preprocessing.StandardScaler``).
    """


# The name of earlier releases.
DivergenceError = TrainingDivergedError
