"""Exceptions and warnings raised by fastmtl."""

__all__ = ["DivergenceError", "TrainingDivergedError"]


class TrainingDivergedError(FloatingPointError, ValueError):
    """Training went wrong: the loss or the parameters stopped being finite.

    Raised by ``fit`` and ``partial_fit`` with a message naming the cause and
    the remedy (usually a smaller ``learning_rate``, or standardised
    features); the estimator keeps the state it had before the failing epoch.
    A ``ValueError`` (and a ``FloatingPointError``) so that code catching
    either keeps working.
    """


# The name of earlier releases.
DivergenceError = TrainingDivergedError
