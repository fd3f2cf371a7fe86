"""Shared-latent-space multi-task models: every task reads the same low-rank projection."""
from sklearn.base import ClassifierMixin, RegressorMixin

from .._param_validation import Integer
from ._base import (
    CLASSIFIER_PARAMETER_CONSTRAINTS,
    COMMON_PARAMETER_CONSTRAINTS,
    REGRESSOR_PARAMETER_CONSTRAINTS,
    MultiTaskClassifierMixin,
    MultiTaskEstimator,
    MultiTaskRegressorMixin,
)
from ._penalties import PenaltyWeights

_SHARED_DOC = """
    The model of task ``t`` is ``f_t(x) = <v_t, U^T x> + b_t``: a projection
    ``U`` (``n_features x n_components``) shared by all tasks, and a small head
    ``v_t`` per task, so the task weight vectors ``w_t = U v_t`` span a common
    ``n_components``-dimensional subspace. With the L2 penalty on both factors
    this is the factored form of trace-norm regularised multi-task learning.

    Training minimises, by minibatch SGD with Adam steps inside Numba kernels,

    ``J = 1/T sum_t lambda_t L_t + alpha/2 (||U||^2 + ||V||^2)
    + graph_penalty sum_st A_st ||w_s - w_t||^2``

    where ``L_t`` is task ``t``'s ``sample_weight``-weighted mean loss over
    its observed targets, ``lambda_t`` its weight (``task_weights``) and ``A``
    the ``task_graph``. Adam (``beta = (0.9, 0.999)``) makes the step size
    insensitive to the scale of the gradients, and regression targets are
    standardised per task inside the solver (a change of variables; the
    objective stays in the user's units), so the defaults converge without
    tuning on standardised ``X`` (use a ``StandardScaler`` in a pipeline for raw
    features). The same ``random_state`` gives bit-identical coefficients
    whatever the number of threads.

    Parameters
    ----------
    n_components : int, default=2
        Dimension of the shared latent space.
    alpha : float, default=1e-4
        L2 penalty on ``U`` and on the task heads.
    task_weights : {"uniform", "dynamic", "uncertainty"} or array of shape (n_tasks,), \
default="uniform"
        Weight of each task's mean loss.
        "dynamic" raises the weight of tasks whose loss stays high; "uncertainty"
        learns homoscedastic-uncertainty weights (Kendall et al., 2018), which
        estimate each task's inverse noise variance.
    task_graph : array of shape (n_tasks, n_tasks), {"correlation", "kl", "js"} \
            or None, default=None
        Non-negative relatedness between tasks; with ``graph_penalty > 0`` the
        weight vectors of linked tasks are pulled together (knowledge
        propagation). Only tasks with one output (regression, binary) may be
        linked. A string estimates the graph from the training targets (see
        :mod:`fastmtl.relatedness`): "correlation" links tasks whose targets
        are significantly positively correlated on shared samples
        (:func:`~fastmtl.relatedness.correlation_graph`); "kl" and "js" link
        tasks with alike target distributions, ``exp(-D / median D)``, a
        weaker sign of relatedness that suits a small ``graph_penalty``. The
        graph used is in ``task_graph_``.
    graph_penalty : float, default=0.0
        Strength of the task-graph penalty.
    learning_rate : float, default=0.01
        Adam's step size.
    batch_size : int, default=256
        Samples per minibatch.
    max_iter : int, default=200
        Maximum number of epochs (passes over the training data).
    tol : float or None, default=1e-4
        Training stops when the loss (or the validation score with
        ``early_stopping``) has not improved by more than ``tol`` times its best
        value for ``n_iter_no_change`` epochs. ``None`` runs exactly
        ``max_iter`` epochs.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the samples, stop on their mean task
        score, and keep the parameters of the best epoch.
    validation_fraction : float, default=0.1
        Fraction of samples held out for early stopping.
    fit_intercept : bool, default=True
        Learn an intercept per task (per output).
    warm_start : bool, default=False
        Start ``fit`` from the previous solution when the tasks are the same.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial projection, the minibatch order and the validation split.
    verbose : int, default=0
        Print the loss and time of every epoch.
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where to train and score. "cuda" runs the epochs on an NVIDIA GPU
        (numba-cuda; the same objective and updates, deterministic per seed)
        and scores in row batches; "auto" uses the GPU when one is usable and
        the work (``X.size`` times the outputs or factors) reaches
        ``fastmtl._config.CUDA_AUTO_MIN_ELEMENTS``. The fitted model holds
        NumPy arrays either way: it pickles and predicts without a GPU.
{extra_params}
    Attributes
    ----------
    coef_ : ndarray of shape (n_{outputs}, n_features)
        Effective weight vector ``w_t = U v_t`` of each {output}.
    intercept_ : ndarray of shape (n_{outputs},)
        Intercept of each {output}.
    components_ : ndarray of shape (n_components, n_features)
        The shared projection ``U^T``; ``transform`` returns ``X @ components_.T``.
    task_coef_ : ndarray of shape (n_{outputs}, n_components)
        Head ``v_t`` of each {output} in the latent space.
    task_weights_ : ndarray of shape (n_tasks,)
        Task weights used in the last epoch.
    task_graph_ : ndarray of shape (n_tasks, n_tasks)
        The task graph fitted with (zeros without ``task_graph``).
    loss_curve_ : list of float
        Objective after each epoch (the minibatch losses of the epoch plus the penalties).
    best_loss_ : float
        Smallest value in ``loss_curve_``.
    n_iter_ : int
        Number of epochs run (``partial_fit`` calls count one each).
    n_tasks_ : int
        Number of tasks.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.
    task_names_ : ndarray of shape (n_tasks_,)
        Names of the tasks, when ``y`` is a DataFrame with string column names.
    validation_scores_ : ndarray
        Validation score after each epoch (only with ``early_stopping``).
    best_validation_score_ : float
        Best validation score (only with ``early_stopping``).
{extra_attributes}"""


def fill_doc(template, **fields):
    """Fill ``{name}`` fields of a docstring template (it has other braces)."""
    for name, value in fields.items():
        template = template.replace("{" + name + "}", value)
    return template


REGRESSOR_PARAMS = """    loss : {"squared_error", "huber"}, default="squared_error"
        Each task's loss. "huber" is squared for residuals up to 1.35 times
        the task's training standard deviation and linear beyond, so that a
        few gross outliers cannot pull a task's fit far.
"""


class _SharedLatent(MultiTaskEstimator):
    """Shared-latent model family: L2 on the projection and the heads."""

    _parameter_constraints = {"n_components": [Integer(1)], **COMMON_PARAMETER_CONSTRAINTS}
    _factor_attribute = "components_"
    _head_attribute = "task_coef_"

    def _n_factors(self):
        return self.n_components

    def _penalty_weights(self, graph):
        return PenaltyWeights(l2_factor=float(self.alpha), l2_heads=float(self.alpha),
                              l1_heads=0.0, graph=graph,
                              graph_weight=float(self.graph_penalty))

    def __init__(self, n_components=2, *, alpha=1e-4, task_weights="uniform",
                 task_graph=None, graph_penalty=0.0, learning_rate=0.01,
                 batch_size=256, max_iter=200, tol=1e-4, n_iter_no_change=5,
                 early_stopping=False, validation_fraction=0.1, fit_intercept=True,
                 warm_start=False, random_state=None, verbose=0, device="auto"):
        self.n_components = n_components
        self.alpha = alpha
        self.task_weights = task_weights
        self.task_graph = task_graph
        self.graph_penalty = graph_penalty
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.fit_intercept = fit_intercept
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.device = device


class SharedLatentRegressor(MultiTaskRegressorMixin, RegressorMixin, _SharedLatent):
    _parameter_constraints = {**_SharedLatent._parameter_constraints,
                              **REGRESSOR_PARAMETER_CONSTRAINTS}

    def __init__(self, n_components=2, *, alpha=1e-4, task_weights="uniform",
                 task_graph=None, graph_penalty=0.0, learning_rate=0.01,
                 batch_size=256, max_iter=200, tol=1e-4, n_iter_no_change=5,
                 early_stopping=False, validation_fraction=0.1, fit_intercept=True,
                 warm_start=False, random_state=None, verbose=0, device="auto",
                 loss="squared_error"):
        super().__init__(
            n_components, alpha=alpha, task_weights=task_weights, task_graph=task_graph,
            graph_penalty=graph_penalty, learning_rate=learning_rate,
            batch_size=batch_size, max_iter=max_iter, tol=tol,
            n_iter_no_change=n_iter_no_change, early_stopping=early_stopping,
            validation_fraction=validation_fraction, fit_intercept=fit_intercept,
            warm_start=warm_start, random_state=random_state, verbose=verbose,
            device=device)
        self.loss = loss


SharedLatentRegressor.__doc__ = (
    "Multi-task regression in a shared low-rank latent space.\n"
    + fill_doc(_SHARED_DOC, outputs="tasks", output="task", extra_params=REGRESSOR_PARAMS,
                         extra_attributes="")
    + """
    Examples
    --------
    >>> from fastmtl import SharedLatentRegressor
    >>> from fastmtl.datasets import make_multitask_regression
    >>> X, Y = make_multitask_regression(30, 5, 20, rank=2, shared_X=True,
    ...                                  random_state=0)
    >>> model = SharedLatentRegressor(n_components=2, random_state=0).fit(X, Y)
    >>> model.predict(X).shape
    (30, 5)
    """
)


class SharedLatentClassifier(MultiTaskClassifierMixin, ClassifierMixin, _SharedLatent):
    _parameter_constraints = {**_SharedLatent._parameter_constraints,
                              **CLASSIFIER_PARAMETER_CONSTRAINTS}

    def __init__(self, n_components=2, *, alpha=1e-4, task_weights="uniform",
                 task_graph=None, graph_penalty=0.0, learning_rate=0.01,
                 batch_size=256, max_iter=200, tol=1e-4, n_iter_no_change=5,
                 early_stopping=False, validation_fraction=0.1, fit_intercept=True,
                 warm_start=False, random_state=None, verbose=0, device="auto",
                 missing_label=None):
        super().__init__(
            n_components, alpha=alpha, task_weights=task_weights, task_graph=task_graph,
            graph_penalty=graph_penalty, learning_rate=learning_rate,
            batch_size=batch_size, max_iter=max_iter, tol=tol,
            n_iter_no_change=n_iter_no_change, early_stopping=early_stopping,
            validation_fraction=validation_fraction, fit_intercept=fit_intercept,
            warm_start=warm_start, random_state=random_state, verbose=verbose,
            device=device)
        self.missing_label = missing_label


CLASSIFIER_PARAMS = """    missing_label : scalar or None, default=None
        Label value that also marks a missing target, e.g. -1 for integer label
        matrices (NaN, and None in object arrays, always do). The default keeps
        every value a label, so that -1/+1 binary labels work as they do in
        scikit-learn.
"""
CLASSIFIER_ATTRIBUTES = """    classes_ : ndarray or list of ndarray
        Classes of each task: a list with one array per task, or a single
        array when every task has the same classes (multi-label data, a 1-D
        ``y``), so that ``classes_[decision_function(X) > 0]`` predicts.
    output_task_ : ndarray of shape (n_outputs,)
        Task of each output: a binary task has one output (the score of
        ``classes_[t][1]``), a multiclass task one per class (softmax).
"""

SharedLatentClassifier.__doc__ = (
    "Multi-task classification in a shared low-rank latent space.\n\n"
    "    Each task has its own classes: a binary task is fitted with the logistic\n"
    "    loss, a multiclass task with the softmax cross-entropy.\n"
    + fill_doc(_SHARED_DOC, outputs="outputs", output="output",
                         extra_params=CLASSIFIER_PARAMS,
                         extra_attributes=CLASSIFIER_ATTRIBUTES)
)
