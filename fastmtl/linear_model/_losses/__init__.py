"""The losses of the multi-task estimators, one module each.

Every loss module has:

``KIND``
    The integer code the kernels dispatch on (``TaskLayout.kind``).
``value_and_derivative(s, target, scale2)`` (a task with one output)
    The loss of one observed target with score ``s`` and its derivative in
    ``s`` (``scale2`` converts a regression loss to the user's units).
``value_and_gradient(g, n, target)`` (a task with ``n`` outputs)
    The loss and its derivative in each score: ``g[:n]`` holds the scores on
    entry and the derivatives on exit.

    Both are plain Python over ``math``, so that the CPU kernels compile them
    with ``njit`` and the CUDA kernels with ``cuda.jit(device=True)``: both
    compute alike. A single-output loss works on scalars, which stay in
    registers; it is most of the work of an epoch.
``n_outputs(n_classes)``
    How many model outputs (scores) a task with this loss has.
``predict(decision, classes)``, and for classifiers ``predict_proba(decision)``
and ``predict_log_proba(decision)``
    The inverse link: from a task's decision values to predictions
    (numerically stable, with :mod:`scipy.special`).
``curvature(s, target, scale2)`` (squared and logistic)
    The second derivative in ``s``, for Newton's methods.
``initial_intercept(class_weight)``
    Where the task's intercepts start.
``baseline_loss(n_outputs, scale2)``
    The mean loss (or an upper bound of it) of the intercept-only model that
    a fit starts from: a fit ending far above it has failed.

The tests check each loss against ``tests/naive.py``. ``docs/design.md`` shows
how to add one.
"""
from . import constant, huber, logistic, softmax, squared

SQUARED = squared.KIND
HUBER = huber.KIND
LOGISTIC = logistic.KIND
SOFTMAX = softmax.KIND
CONSTANT = constant.KIND

LOSSES = {loss.KIND: loss for loss in (squared, logistic, softmax, constant, huber)}
REGRESSION_LOSSES = {"squared_error": SQUARED, "huber": HUBER}


def compile_losses(jit):
    """The per-observation losses of every kind, compiled by ``jit`` (a target's decorator).

    Returns ``(single_output_loss, multi_output_loss)``:
    ``single_output_loss(kind, s, target, scale2) -> (loss, derivative)`` for
    tasks with one output, ``multi_output_loss(kind, g, n, target) -> loss``
    for tasks with several (derivatives into ``g``). The CPU kernels build
    them with ``numba.njit`` and the CUDA kernels with
    ``numba.cuda.jit(device=True)``, from the same loss modules.
    """
    squared_loss = jit(squared.value_and_derivative)
    huber_loss = jit(huber.value_and_derivative)
    logistic_loss = jit(logistic.value_and_derivative)
    softmax_loss = jit(softmax.value_and_gradient)

    @jit
    def single_output_loss(kind, s, target, scale2):
        if kind == SQUARED:
            return squared_loss(s, target, scale2)
        if kind == HUBER:
            return huber_loss(s, target, scale2)
        return logistic_loss(s, target, scale2)

    @jit
    def multi_output_loss(kind, g, n, target):
        return softmax_loss(g, n, target)

    return single_output_loss, multi_output_loss
