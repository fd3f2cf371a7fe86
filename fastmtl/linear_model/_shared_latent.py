"""Shared-latent-space multi-task models: every task reads the same low-rank projection."""
import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin

from .._param_validation import Integer
from ._cv import MultiTaskCVMixin, cv_constraints, cv_doc
from ._docs import fill_doc, with_see_also
from ._base import (
    CLASSIFIER_PARAMETER_CONSTRAINTS,
    COMMON_PARAMETER_CONSTRAINTS,
    REGRESSOR_PARAMETER_CONSTRAINTS,
    MultiTaskClassifierMixin,
    MultiTaskEstimator,
    MultiTaskRegressorMixin,
)

_SHARED_DOC = """
    The weight vector of task ``t`` is ``w_t = w_0 + U v_t``: weights ``w_0``
    shared by all tasks, plus a deviation in a subspace shared by all tasks
    (a projection ``U``, ``n_features x n_components``, and a small head
    ``v_t`` per task); its intercept is ``b_t = b_0 + c_t``, a shared
    intercept plus a shrunken offset. With ``n_components=None`` the
    deviations are free (``U`` is the identity): the mean-regularised model
    of Evgeniou & Pontil (2004). With a large ``alpha`` the tasks share their
    slopes and differ by shrunken intercepts (a random-intercept model).

    Training minimises

    ``J = 1/T sum_t lambda_t L_t + alpha/2 (||U||^2 + ||V||^2)
    + shared_alpha/2 ||w_0||^2 + intercept_alpha/2 sum_t c_t^2
    + graph_penalty sum_st A_st ||w_s - w_t||^2``

    (no ``||U||^2`` term with ``n_components=None``), where ``L_t`` is task
    ``t``'s loss on its observed targets, weighted by ``sample_weight``:
    with ``loss_weighting="observation"``, ``T`` times its loss sum divided
    by the weight of all observed targets (so that ``J`` is the pooled mean
    loss: every observation counts alike); with ``"task"``, its mean loss
    (every task counts alike). ``lambda_t`` is its weight (``task_weights``)
    and ``A`` the ``task_graph``. The exact solver (the default for data
    that fit in memory) reaches the optimum: in closed form for the squared
    loss without a latent subspace, by L-BFGS otherwise. Minibatch SGD with
    Adam steps inside Numba kernels serves large data, ``partial_fit`` and
    GPUs; regression targets are standardised per task inside the solvers (a
    change of variables; the objective stays in the user's units). The same
    ``random_state`` gives bit-identical coefficients whatever the number of
    threads. Standardise ``X`` (a ``StandardScaler`` in a pipeline): the
    penalties treat every feature alike.

    Parameters
    ----------
    n_components : int or None, default=None
        Dimension of the subspace of the task deviations. None (the default)
        leaves them free: the mean-regularised model, convex, which the exact
        solver solves to its optimum, and which predicted best on real
        multi-level data with few features. An integer restricts them to a
        learned subspace (suits many features and tasks that differ along a
        few directions; not convex: the solvers reach a stationary point). 0
        gives every task the shared slopes.
    alpha : float, default=1e-4
        L2 penalty on the task deviations (on ``U`` and on the heads).
    task_weights : {"uniform", "dynamic", "uncertainty"} or array of shape (n_tasks,), \
default="uniform"
        Weight of each task's mean loss. An array gives fixed weights, which
        count relative to each other: they are rescaled to mean one, as the
        strategies' weights are, so that the penalties mean the same whatever
        their units. "dynamic" raises the weight of tasks whose loss stays high; "uncertainty"
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
        Maximum number of epochs (passes over the training data) of SGD; the
        exact solver runs at most ten times as many L-BFGS iterations.
    tol : float or None, default=1e-4
        SGD stops when the objective over all the training data, computed
        every ``n_iter_no_change`` epochs, has twice in a row not improved by
        more than ``tol`` times its best value (on a GPU: the
        epochs' minibatch losses; with ``early_stopping``: the validation
        score over ``n_iter_no_change`` epochs). ``None`` runs exactly
        ``max_iter`` epochs. Either way a fit that reaches ``max_iter`` first
        warns (``ConvergenceWarning``).
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the samples, stop on their mean task
        score, and keep the parameters of the best epoch. A classifier never
        holds out every training sample of a task's class.
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
    shared_alpha : float or None, default=1e-4
        L2 penalty on the shared weights ``w_0``; None leaves out ``w_0``
        (every task's weights shrink towards zero).
    intercept_alpha : float, default=1e-3
        L2 penalty on each task intercept's offset from the shared one; 0
        leaves every intercept free. Classifiers fit a task that saw a single
        class when it is positive (its probabilities stay off 0 and 1).
    loss_weighting : {"observation", "task"}, default="observation"
        Whether every observed target counts alike in the objective, or
        every task (its mean loss). Real evaluations weigh observations
        alike, and so fits on real multi-level data were better that way.
    solver : {"auto", "exact", "sgd"}, default="auto"
        "exact" minimises the objective to its optimum (deterministic,
        full-batch, CPU, fixed task weights, no ``early_stopping``); "sgd"
        runs minibatch Adam epochs. "auto" picks "exact" on the CPU when
        ``X`` has at most ``fastmtl._config.EXACT_MAX_ELEMENTS`` entries and
        the options allow it, "sgd" otherwise.
{extra_params}
    Attributes
    ----------
    coef_ : ndarray of shape (n_{outputs}, n_features)
        Effective weight vector ``w_t = w_0 + U v_t`` of each {output}.
    intercept_ : ndarray of shape (n_{outputs},)
        Intercept of each {output}.
    components_ : ndarray of shape (n_components, n_features)
        The shared projection ``U^T``; ``transform`` returns ``X @ components_.T``.
    task_coef_ : ndarray of shape (n_{outputs}, n_components)
        Head ``v_t`` of each {output} in the latent space.
    shared_coef_ : ndarray of shape (n_groups, n_features)
        The shared weights ``w_0`` (not with ``shared_alpha=None``): one row
        for regression and binary tasks, and one per class of multiclass
        tasks (rows ``1, 2, ...`` in the order the classes first appear).
    shared_intercept_ : ndarray of shape (n_groups,)
        Mean intercept of each group: with ``shared_coef_``, the prediction
        for a task never seen.
    task_weights_ : ndarray of shape (n_tasks,)
        Task weights used in the last epoch.
    task_graph_ : ndarray of shape (n_tasks, n_tasks)
        The task graph fitted with (zeros without ``task_graph``).
    loss_curve_ : list of float
        Objective after each SGD epoch (the minibatch losses of the epoch plus
        the penalties); with the exact solver, the final objective.
    best_loss_ : float
        Smallest value in ``loss_curve_``.
    n_iter_ : int
        Number of epochs run (``partial_fit`` calls count one each), or of
        L-BFGS iterations (1 for the closed form).
    n_tasks_ : int
        Number of tasks.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.
    task_names_ : ndarray of shape (`n_tasks_`,)
        Names of the tasks, when ``y`` is a DataFrame with string column names.
    validation_scores_ : ndarray
        Validation score after each epoch (only with ``early_stopping``).
    best_validation_score_ : float
        Best validation score (only with ``early_stopping``).
{extra_attributes}"""


REGRESSOR_ATTRIBUTES = """    residual_variance_ : ndarray of shape (n_tasks,)
        Each task's weighted mean squared training residual (the pooled one
        for a task with fewer than two targets): the variance of its Gaussian
        predictive distribution in
        :func:`fastmtl.relatedness.prediction_divergence`.
"""


REGRESSOR_PARAMS = """    loss : {"squared_error", "huber"}, default="squared_error"
        Each task's loss. "huber" is squared for residuals up to 1.35 times
        the task's training standard deviation and linear beyond, so that a
        few gross outliers cannot pull a task's fit far.
"""


class _SharedLatent(MultiTaskEstimator):
    """Shared-latent model family: L2 on the projection and the heads."""

    _parameter_constraints = {"n_components": [Integer(0), None],
                              **COMMON_PARAMETER_CONSTRAINTS}
    _factor_attribute = "components_"
    _head_attribute = "task_coef_"

    def _latent(self, n_features):
        """(latent dimension, whether its projection is the fixed identity)."""
        if self.n_components is None:
            return n_features, True
        return self.n_components, False

    def _family_penalties(self):
        return dict(l2_factor=float(self.alpha), l2_heads=float(self.alpha), l1_heads=0.0)

    def __init__(self, n_components=None, *, alpha=1e-4, task_weights="uniform",
                 task_graph=None, graph_penalty=0.0, learning_rate=0.01,
                 batch_size=256, max_iter=200, tol=1e-4, n_iter_no_change=5,
                 early_stopping=False, validation_fraction=0.1, fit_intercept=True,
                 warm_start=False, random_state=None, verbose=0, device="auto",
                 shared_alpha=1e-4, intercept_alpha=1e-3, loss_weighting="observation",
                 solver="auto"):
        self.n_components = n_components
        self.alpha = alpha
        self.shared_alpha = shared_alpha
        self.intercept_alpha = intercept_alpha
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
        self.loss_weighting = loss_weighting
        self.solver = solver


class SharedLatentRegressor(MultiTaskRegressorMixin, RegressorMixin, _SharedLatent):
    _parameter_constraints = {**_SharedLatent._parameter_constraints,
                              **REGRESSOR_PARAMETER_CONSTRAINTS}

    def __init__(self, n_components=None, *, alpha=1e-4, task_weights="uniform",
                 task_graph=None, graph_penalty=0.0, learning_rate=0.01,
                 batch_size=256, max_iter=200, tol=1e-4, n_iter_no_change=5,
                 early_stopping=False, validation_fraction=0.1, fit_intercept=True,
                 warm_start=False, random_state=None, verbose=0, device="auto",
                 shared_alpha=1e-4, intercept_alpha=1e-3, loss_weighting="observation",
                 solver="auto",
                 loss="squared_error"):
        super().__init__(
            n_components, alpha=alpha, shared_alpha=shared_alpha,
            intercept_alpha=intercept_alpha, task_weights=task_weights, task_graph=task_graph,
            graph_penalty=graph_penalty, learning_rate=learning_rate,
            batch_size=batch_size, max_iter=max_iter, tol=tol,
            n_iter_no_change=n_iter_no_change, early_stopping=early_stopping,
            validation_fraction=validation_fraction, fit_intercept=fit_intercept,
            warm_start=warm_start, random_state=random_state, verbose=verbose,
            device=device, loss_weighting=loss_weighting, solver=solver)
        self.loss = loss


SharedLatentRegressor.__doc__ = (
    "Multi-task regression in a shared low-rank latent space.\n"
    + fill_doc(_SHARED_DOC, outputs="tasks", output="task", extra_params=REGRESSOR_PARAMS,
                         extra_attributes=REGRESSOR_ATTRIBUTES)
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

    def __init__(self, n_components=None, *, alpha=1e-4, task_weights="uniform",
                 task_graph=None, graph_penalty=0.0, learning_rate=0.01,
                 batch_size=256, max_iter=200, tol=1e-4, n_iter_no_change=5,
                 early_stopping=False, validation_fraction=0.1, fit_intercept=True,
                 warm_start=False, random_state=None, verbose=0, device="auto",
                 shared_alpha=1e-4, intercept_alpha=1e-3, loss_weighting="observation",
                 solver="auto",
                 missing_label=None, prediction_penalty=0.0):
        super().__init__(
            n_components, alpha=alpha, shared_alpha=shared_alpha,
            intercept_alpha=intercept_alpha, task_weights=task_weights, task_graph=task_graph,
            graph_penalty=graph_penalty, learning_rate=learning_rate,
            batch_size=batch_size, max_iter=max_iter, tol=tol,
            n_iter_no_change=n_iter_no_change, early_stopping=early_stopping,
            validation_fraction=validation_fraction, fit_intercept=fit_intercept,
            warm_start=warm_start, random_state=random_state, verbose=verbose,
            device=device, loss_weighting=loss_weighting, solver=solver)
        self.missing_label = missing_label
        self.prediction_penalty = prediction_penalty


CLASSIFIER_PARAMS = """    missing_label : scalar or None, default=None
        Label value that also marks a missing target, e.g. -1 for integer label
        matrices (NaN, and None in object arrays, always do). The default keeps
        every value a label, so that -1/+1 binary labels work as they do in
        scikit-learn.
    prediction_penalty : float, default=0.0
        Strength ``lambda`` of the prediction-divergence penalty ``lambda
        sum_st A_st mean_x KL(p_s(. | x) || p_t(. | x))`` over the training
        samples, for the tasks ``task_graph`` links (which must have the same
        classes): it pulls linked tasks' predicted probabilities together,
        where ``graph_penalty`` pulls their weights. Trained by the exact
        solver (``solver="exact"``, or "auto" on the CPU).
"""
CLASSIFIER_ATTRIBUTES = """    classes_ : ndarray or list of ndarray
        As scikit-learn lays it out: the classes of a 1-D ``y``; for
        multi-label data (two or more tasks, each with the classes 0 and 1; a
        label indicator matrix, NaN for missing labels) the labels
        ``arange(n_tasks)``, as ``MLPClassifier``'s, with ``predict_proba`` one
        column per task; otherwise a list with one array per task, as
        ``KNeighborsClassifier``'s, with ``predict_proba`` one array per task.
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
    + """
    Examples
    --------
    >>> from fastmtl import SharedLatentClassifier
    >>> from fastmtl.datasets import make_multitask_classification
    >>> X, Y = make_multitask_classification(40, 3, 6, random_state=0)
    >>> model = SharedLatentClassifier(random_state=0).fit(X, Y)
    >>> model.predict(X).shape  # 3 tasks stacked: NaN marks the others' labels
    (120, 3)
    >>> model.predict_proba(X).shape  # multi-label: the probability of label 1
    (120, 3)
    """
)


# --------------------------------------------------------------------------- #
# Cross-validated estimators                                                  #
# --------------------------------------------------------------------------- #
_LATENT_CV_INTRO = """    The model of :class:`SharedLatentRegressor` (``w_t = w_0 + U v_t``,
    intercepts ``b_0 + c_t``) with its two penalties chosen by K-fold
    cross-validation over tasks: ``alpha``, which sets how far each task's
    weights may stray from the shared ones, and ``intercept_alpha``, how far
    its intercept may. Candidates are solved exactly along the path (strong
    to weak penalties, each warm-started from the last) and scored by the
    pooled held-out loss; the best is refitted on all the data. With the
    defaults the grid spans pooled slopes with shrunken intercepts (a
    random-intercept model) to nearly independent tasks.
"""

_LATENT_CV_N_COMPONENTS = """    n_components : int or None, default=None
        Dimension of the subspace of the task deviations; None (the default)
        leaves them free, the mean-regularised model, which predicted best
        on real multi-level data with few features; an integer suits many
        features and tasks that differ along a few directions.
"""


class _SharedLatentCV(MultiTaskCVMixin):
    _tuned_penalty = "alpha"
    _grid_parameter = "alphas"
    # Regressors score a candidate in milliseconds (closed form, exact
    # leave-one-out): a fine grid, which chose better on real data.
    _default_grid = np.logspace(-3, 2, 11)
    _default_intercept_grid = np.logspace(-5, 0, 11)

    @property
    def alpha(self):
        return self.alpha_

    def __init__(self, n_components=None, *, alphas=None, intercept_alphas=None, cv=None,
                 shared_alpha=1e-4, loss_weighting="observation", solver="auto",
                 task_weights="uniform", task_graph=None, graph_penalty=0.0,
                 learning_rate=0.01, batch_size=256, max_iter=200, tol=1e-4,
                 n_iter_no_change=5, fit_intercept=True, random_state=None, verbose=0,
                 device="auto"):
        self.n_components = n_components
        self.alphas = alphas
        self.intercept_alphas = intercept_alphas
        self.cv = cv
        self.shared_alpha = shared_alpha
        self.loss_weighting = loss_weighting
        self.solver = solver
        self.task_weights = task_weights
        self.task_graph = task_graph
        self.graph_penalty = graph_penalty
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.fit_intercept = fit_intercept
        self.random_state = random_state
        self.verbose = verbose
        self.device = device


class SharedLatentRegressorCV(_SharedLatentCV, SharedLatentRegressor):
    _parameter_constraints = cv_constraints(SharedLatentRegressor._parameter_constraints,
                                            "alpha", "alphas")

    def __init__(self, n_components=None, *, alphas=None, intercept_alphas=None, cv=None,
                 shared_alpha=1e-4, loss_weighting="observation", solver="auto",
                 task_weights="uniform", task_graph=None, graph_penalty=0.0,
                 learning_rate=0.01, batch_size=256, max_iter=200, tol=1e-4,
                 n_iter_no_change=5, fit_intercept=True, random_state=None, verbose=0,
                 device="auto", loss="squared_error"):
        super().__init__(
            n_components, alphas=alphas, intercept_alphas=intercept_alphas, cv=cv,
            shared_alpha=shared_alpha, loss_weighting=loss_weighting, solver=solver,
            task_weights=task_weights, task_graph=task_graph, graph_penalty=graph_penalty,
            learning_rate=learning_rate, batch_size=batch_size, max_iter=max_iter,
            tol=tol, n_iter_no_change=n_iter_no_change, fit_intercept=fit_intercept,
            random_state=random_state, verbose=verbose, device=device)
        self.loss = loss


class SharedLatentClassifierCV(_SharedLatentCV, SharedLatentClassifier):
    _parameter_constraints = cv_constraints(SharedLatentClassifier._parameter_constraints,
                                            "alpha", "alphas")
    _default_grid = np.logspace(-3, 2, 6)  # each candidate an iterative fit
    _default_intercept_grid = np.logspace(-4, 0, 5)

    def __init__(self, n_components=None, *, alphas=None, intercept_alphas=None, cv=None,
                 shared_alpha=1e-4, loss_weighting="observation", solver="auto",
                 task_weights="uniform", task_graph=None, graph_penalty=0.0,
                 learning_rate=0.01, batch_size=256, max_iter=200, tol=1e-4,
                 n_iter_no_change=5, fit_intercept=True, random_state=None, verbose=0,
                 device="auto", missing_label=None, prediction_penalty=0.0):
        super().__init__(
            n_components, alphas=alphas, intercept_alphas=intercept_alphas, cv=cv,
            shared_alpha=shared_alpha, loss_weighting=loss_weighting, solver=solver,
            task_weights=task_weights, task_graph=task_graph, graph_penalty=graph_penalty,
            learning_rate=learning_rate, batch_size=batch_size, max_iter=max_iter,
            tol=tol, n_iter_no_change=n_iter_no_change, fit_intercept=fit_intercept,
            random_state=random_state, verbose=verbose, device=device)
        self.missing_label = missing_label
        self.prediction_penalty = prediction_penalty


_ALPHA_GRID_NOTE = "; None means ``np.logspace(-3, 2, {n})``"

SharedLatentRegressorCV.__doc__ = cv_doc(
    "Multi-task regression around shared weights, penalties tuned by cross-validation.",
    _LATENT_CV_INTRO, SharedLatentRegressor.__doc__, [], "alpha", "alphas",
    _ALPHA_GRID_NOTE.format(n=11), """    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from fastmtl import SharedLatentRegressorCV
    >>> from fastmtl.datasets import make_multitask_regression
    >>> X, Y = make_multitask_regression(40, 5, 4, rank=1, random_state=0)
    >>> model = make_pipeline(StandardScaler(), SharedLatentRegressorCV()).fit(X, Y)
    >>> model.predict(X).shape
    (200, 5)
    >>> sorted(model[-1].cv_results_["params"][0])
    ['alpha', 'intercept_alpha']
""", intercept_grid="np.logspace(-5, 0, 11)").replace("    Parameters\n    ----------\n",
             "    Parameters\n    ----------\n" + _LATENT_CV_N_COMPONENTS, 1)

SharedLatentClassifierCV.__doc__ = cv_doc(
    "Multi-task classification around shared weights, penalties tuned by "
    "cross-validation.",
    _LATENT_CV_INTRO.replace(":class:`SharedLatentRegressor`",
                             ":class:`SharedLatentClassifier`"),
    SharedLatentClassifier.__doc__, [], "alpha", "alphas", _ALPHA_GRID_NOTE.format(n=6),
    """    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from fastmtl import SharedLatentClassifierCV
    >>> from fastmtl.datasets import make_multitask_classification
    >>> X, Y = make_multitask_classification(40, 4, 5, random_state=0)
    >>> model = make_pipeline(StandardScaler(), SharedLatentClassifierCV())
    >>> model.fit(X, Y).predict(X).shape
    (160, 4)
""").replace("    Parameters\n    ----------\n",
             "    Parameters\n    ----------\n" + _LATENT_CV_N_COMPONENTS, 1)


SharedLatentRegressor.__doc__ = with_see_also(SharedLatentRegressor.__doc__, [
    ("SharedLatentRegressorCV", "The same model with ``alpha`` and ``intercept_alpha`` tuned by cross-validation (exact leave-one-out where it applies)."),
    ("fastmtl.relatedness.prediction_divergence", "How differently the fitted tasks predict."),
])


SharedLatentClassifier.__doc__ = with_see_also(SharedLatentClassifier.__doc__, [
    ("SharedLatentClassifierCV", "The same model with ``alpha`` and ``intercept_alpha`` tuned by cross-validation (exact leave-one-out where it applies)."),
    ("fastmtl.relatedness.prediction_divergence", "How differently the fitted tasks predict."),
])
