"""Shared-codebook (GO-MTL) multi-task models: task weights are sparse
combinations of a shared dictionary of atoms."""
import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin

from .._param_validation import Integer, NonNegative
from ._base import (
    CLASSIFIER_PARAMETER_CONSTRAINTS,
    COMMON_PARAMETER_CONSTRAINTS,
    REGRESSOR_PARAMETER_CONSTRAINTS,
    MultiTaskClassifierMixin,
    MultiTaskEstimator,
    MultiTaskRegressorMixin,
)
from ._cv import MultiTaskCVMixin, cv_constraints, cv_doc
from ._docs import fill_doc, with_see_also
from ._shared_latent import (
    _SHARED_DOC,
    CLASSIFIER_ATTRIBUTES,
    CLASSIFIER_PARAMS,
    REGRESSOR_ATTRIBUTES,
    REGRESSOR_PARAMS,
)

_CODEBOOK_MODEL = """
    Grouping and Overlap in Multi-Task Learning (GO-MTL; Kumar & Daumé,
    ICML 2012) around shared weights: the weight vector of task ``t`` is
    ``w_t = w_0 + L s_t``, weights ``w_0`` shared by all tasks plus a sparse
    combination of the ``n_atoms`` columns of a dictionary ``L``
    (``n_features x n_atoms``) shared by all tasks; its intercept is a
    shared intercept plus a shrunken offset. Tasks that use the same atoms
    form groups; a task may belong to several groups (overlap). The L1
    penalty ``sparsity`` on the codes ``s_t`` selects the atoms, the L2
    penalty ``alpha`` on ``L`` fixes the scale.

    Training minimises

    ``J = 1/T sum_t lambda_t L_t + alpha/2 ||L||^2 + sparsity sum_t |s_t|_1
    + shared_alpha/2 ||w_0||^2 + intercept_alpha/2 sum_t c_t^2
    + graph_penalty sum_st A_st ||w_s - w_t||^2``

    with the conventions of ``SharedLatentRegressor`` (same loss, loss and
    task weighting, task graph, missing targets, solvers, stopping rules and
    determinism). The exact solver handles the L1 penalty by splitting each
    code into its positive and negative parts (L-BFGS-B with bounds); SGD by
    proximal soft-thresholding steps in Adam's diagonal metric. Either way
    codes become exactly zero.

    Parameters
    ----------
    n_atoms : int, default=4
        Number of atoms of the shared dictionary (0: shared weights only).
    alpha : float, default=1e-4
        L2 penalty on the dictionary.
    sparsity : float, default=1e-2
        L1 penalty on the codes; larger values give fewer nonzero codes. The
        default suits standardised features: solved exactly, weaker penalties
        overfit real multi-level data (with 1e-3 instead, test RMSE on the
        Exam, Hsb82 and nlschools schools rose from 0.762, 6.87, 10.2 to
        0.812, 6.98, 22.9, and log loss on the Contraception districts from
        0.70 to 1.35). The ``*CV`` variant chooses it by cross-validation.
"""

_CODEBOOK_ATTRIBUTES = """    dictionary_ : ndarray of shape (n_atoms, n_features)
        The shared atoms (rows); ``transform`` returns the atom activations
        ``X @ dictionary_.T``.
    codes_ : ndarray of shape (n_{outputs}, n_atoms)
        Sparse code of each {output}, exact zeros where the L1 penalty cuts.
"""


def _codebook_doc(title, outputs, output, extra_params="", extra_attributes=""):
    shared = _SHARED_DOC
    # Keep the common parameters and attributes, swap the model description.
    common = shared[shared.index("    task_weights :"):]
    common = common.replace("""    components_ : ndarray of shape (n_components, n_features)
        The shared projection ``U^T``; ``transform`` returns ``X @ components_.T``.
    task_coef_ : ndarray of shape (n_{outputs}, n_components)
        Head ``v_t`` of each {output} in the latent space.
""", _CODEBOOK_ATTRIBUTES)
    common = common.replace("``w_t = w_0 + U v_t``", "``w_t = w_0 + L s_t``")
    return title + fill_doc(_CODEBOOK_MODEL + common, outputs=outputs, output=output,
                            extra_params=extra_params, extra_attributes=extra_attributes)


class _SharedCodebook(MultiTaskEstimator):
    """Shared-codebook model family: L2 on the dictionary, L1 on the codes."""

    _parameter_constraints = {"n_atoms": [Integer(0)], "sparsity": [NonNegative()],
                              **COMMON_PARAMETER_CONSTRAINTS}
    _factor_attribute = "dictionary_"
    _head_attribute = "codes_"

    def _latent(self, n_features):
        """(number of atoms, whether the dictionary is fixed): learned."""
        return self.n_atoms, False

    def _family_penalties(self):
        return dict(l2_factor=float(self.alpha), l2_heads=0.0,
                    l1_heads=float(self.sparsity))

    def __init__(self, n_atoms=4, *, alpha=1e-4, sparsity=1e-2, task_weights="uniform",
                 task_graph=None, graph_penalty=0.0, learning_rate=0.01,
                 batch_size=256, max_iter=200, tol=1e-4, n_iter_no_change=5,
                 early_stopping=False, validation_fraction=0.1, fit_intercept=True,
                 warm_start=False, random_state=None, verbose=0, device="auto",
                 shared_alpha=1e-4, intercept_alpha=1e-3, loss_weighting="observation",
                 solver="auto"):
        self.n_atoms = n_atoms
        self.alpha = alpha
        self.shared_alpha = shared_alpha
        self.intercept_alpha = intercept_alpha
        self.sparsity = sparsity
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


class SharedCodebookRegressor(MultiTaskRegressorMixin, RegressorMixin, _SharedCodebook):
    _parameter_constraints = {**_SharedCodebook._parameter_constraints,
                              **REGRESSOR_PARAMETER_CONSTRAINTS}

    def __init__(self, n_atoms=4, *, alpha=1e-4, sparsity=1e-2, task_weights="uniform",
                 task_graph=None, graph_penalty=0.0, learning_rate=0.01,
                 batch_size=256, max_iter=200, tol=1e-4, n_iter_no_change=5,
                 early_stopping=False, validation_fraction=0.1, fit_intercept=True,
                 warm_start=False, random_state=None, verbose=0, device="auto",
                 shared_alpha=1e-4, intercept_alpha=1e-3, loss_weighting="observation",
                 solver="auto",
                 loss="squared_error"):
        super().__init__(
            n_atoms, alpha=alpha, shared_alpha=shared_alpha,
            intercept_alpha=intercept_alpha, sparsity=sparsity, task_weights=task_weights,
            task_graph=task_graph, graph_penalty=graph_penalty,
            learning_rate=learning_rate, batch_size=batch_size, max_iter=max_iter,
            tol=tol, n_iter_no_change=n_iter_no_change, early_stopping=early_stopping,
            validation_fraction=validation_fraction, fit_intercept=fit_intercept,
            warm_start=warm_start, random_state=random_state, verbose=verbose,
            device=device, loss_weighting=loss_weighting, solver=solver)
        self.loss = loss


SharedCodebookRegressor.__doc__ = _codebook_doc(
    "Multi-task regression with a shared dictionary and sparse task codes (GO-MTL).\n",
    "tasks", "task", extra_params=REGRESSOR_PARAMS,
    extra_attributes=REGRESSOR_ATTRIBUTES) + """
    Examples
    --------
    >>> from fastmtl import SharedCodebookRegressor
    >>> from fastmtl.datasets import make_multitask_regression
    >>> X, Y = make_multitask_regression(30, 6, 10, rank=2, random_state=0)
    >>> model = SharedCodebookRegressor(n_atoms=3, random_state=0).fit(X, Y)
    >>> model.dictionary_.shape, model.codes_.shape  # shared atoms, sparse codes
    ((3, 10), (6, 3))
    """


class SharedCodebookClassifier(MultiTaskClassifierMixin, ClassifierMixin, _SharedCodebook):
    _parameter_constraints = {**_SharedCodebook._parameter_constraints,
                              **CLASSIFIER_PARAMETER_CONSTRAINTS}

    def __init__(self, n_atoms=4, *, alpha=1e-4, sparsity=1e-2, task_weights="uniform",
                 task_graph=None, graph_penalty=0.0, learning_rate=0.01,
                 batch_size=256, max_iter=200, tol=1e-4, n_iter_no_change=5,
                 early_stopping=False, validation_fraction=0.1, fit_intercept=True,
                 warm_start=False, random_state=None, verbose=0, device="auto",
                 shared_alpha=1e-4, intercept_alpha=1e-3, loss_weighting="observation",
                 solver="auto",
                 missing_label=None, prediction_penalty=0.0):
        super().__init__(
            n_atoms, alpha=alpha, shared_alpha=shared_alpha,
            intercept_alpha=intercept_alpha, sparsity=sparsity, task_weights=task_weights,
            task_graph=task_graph, graph_penalty=graph_penalty,
            learning_rate=learning_rate, batch_size=batch_size, max_iter=max_iter,
            tol=tol, n_iter_no_change=n_iter_no_change, early_stopping=early_stopping,
            validation_fraction=validation_fraction, fit_intercept=fit_intercept,
            warm_start=warm_start, random_state=random_state, verbose=verbose,
            device=device, loss_weighting=loss_weighting, solver=solver)
        self.missing_label = missing_label
        self.prediction_penalty = prediction_penalty


SharedCodebookClassifier.__doc__ = _codebook_doc(
    "Multi-task classification with a shared dictionary and sparse task codes (GO-MTL).\n",
    "outputs", "output", CLASSIFIER_PARAMS, CLASSIFIER_ATTRIBUTES) + """
    Examples
    --------
    >>> from fastmtl import SharedCodebookClassifier
    >>> from fastmtl.datasets import make_multitask_classification
    >>> X, Y = make_multitask_classification(40, 3, 6, random_state=0)
    >>> model = SharedCodebookClassifier(n_atoms=2, random_state=0).fit(X, Y)
    >>> model.codes_.shape, model.predict(X).shape
    ((3, 2), (120, 3))
    """


# --------------------------------------------------------------------------- #
# Cross-validated estimators                                                  #
# --------------------------------------------------------------------------- #
_CODEBOOK_CV_INTRO = """    The model of :class:`SharedCodebookRegressor` (``w_t = w_0 + L s_t``,
    intercepts ``b_0 + c_t``) with ``sparsity`` (how many atoms a task may
    use) and ``intercept_alpha`` (how far its intercept may stray from the
    shared one) chosen by K-fold cross-validation over tasks: candidates
    solved exactly along the path (strong to weak penalties, each
    warm-started from the last), scored by the pooled held-out loss, the
    best refitted on all the data.
"""


class _SharedCodebookCV(MultiTaskCVMixin):
    _tuned_penalty = "sparsity"
    _grid_parameter = "sparsities"
    # Each candidate is an iterative fit of a non-convex model: a short grid.
    _default_grid = np.logspace(-3, 0, 4)

    @property
    def sparsity(self):
        return self.sparsity_

    def __init__(self, n_atoms=4, *, alpha=1e-4, sparsities=None, intercept_alphas=None,
                 cv=None, shared_alpha=1e-4, loss_weighting="observation", solver="auto",
                 task_weights="uniform", task_graph=None, graph_penalty=0.0,
                 learning_rate=0.01, batch_size=256, max_iter=200, tol=1e-4,
                 n_iter_no_change=5, fit_intercept=True, random_state=None, verbose=0,
                 device="auto"):
        self.n_atoms = n_atoms
        self.alpha = alpha
        self.sparsities = sparsities
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


class SharedCodebookRegressorCV(_SharedCodebookCV, SharedCodebookRegressor):
    _parameter_constraints = cv_constraints(SharedCodebookRegressor._parameter_constraints,
                                            "sparsity", "sparsities")

    def __init__(self, n_atoms=4, *, alpha=1e-4, sparsities=None, intercept_alphas=None,
                 cv=None, shared_alpha=1e-4, loss_weighting="observation", solver="auto",
                 task_weights="uniform", task_graph=None, graph_penalty=0.0,
                 learning_rate=0.01, batch_size=256, max_iter=200, tol=1e-4,
                 n_iter_no_change=5, fit_intercept=True, random_state=None, verbose=0,
                 device="auto", loss="squared_error"):
        super().__init__(
            n_atoms, alpha=alpha, sparsities=sparsities, intercept_alphas=intercept_alphas,
            cv=cv, shared_alpha=shared_alpha, loss_weighting=loss_weighting,
            solver=solver, task_weights=task_weights, task_graph=task_graph,
            graph_penalty=graph_penalty, learning_rate=learning_rate,
            batch_size=batch_size, max_iter=max_iter, tol=tol,
            n_iter_no_change=n_iter_no_change, fit_intercept=fit_intercept,
            random_state=random_state, verbose=verbose, device=device)
        self.loss = loss


class SharedCodebookClassifierCV(_SharedCodebookCV, SharedCodebookClassifier):
    _parameter_constraints = cv_constraints(SharedCodebookClassifier._parameter_constraints,
                                            "sparsity", "sparsities")

    def __init__(self, n_atoms=4, *, alpha=1e-4, sparsities=None, intercept_alphas=None,
                 cv=None, shared_alpha=1e-4, loss_weighting="observation", solver="auto",
                 task_weights="uniform", task_graph=None, graph_penalty=0.0,
                 learning_rate=0.01, batch_size=256, max_iter=200, tol=1e-4,
                 n_iter_no_change=5, fit_intercept=True, random_state=None, verbose=0,
                 device="auto", missing_label=None, prediction_penalty=0.0):
        super().__init__(
            n_atoms, alpha=alpha, sparsities=sparsities, intercept_alphas=intercept_alphas,
            cv=cv, shared_alpha=shared_alpha, loss_weighting=loss_weighting,
            solver=solver, task_weights=task_weights, task_graph=task_graph,
            graph_penalty=graph_penalty, learning_rate=learning_rate,
            batch_size=batch_size, max_iter=max_iter, tol=tol,
            n_iter_no_change=n_iter_no_change, fit_intercept=fit_intercept,
            random_state=random_state, verbose=verbose, device=device)
        self.missing_label = missing_label
        self.prediction_penalty = prediction_penalty


_SPARSITY_GRID_NOTE = "; None means ``np.logspace(-3, 0, 4)``"

SharedCodebookRegressorCV.__doc__ = cv_doc(
    "Multi-task regression with a shared dictionary, penalties tuned by "
    "cross-validation.",
    _CODEBOOK_CV_INTRO, SharedCodebookRegressor.__doc__, ["n_atoms", "alpha"],
    "sparsity", "sparsities", _SPARSITY_GRID_NOTE,
    """    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from fastmtl import SharedCodebookRegressorCV
    >>> from fastmtl.datasets import make_multitask_regression
    >>> X, Y = make_multitask_regression(40, 5, 4, rank=1, random_state=0)
    >>> model = make_pipeline(StandardScaler(), SharedCodebookRegressorCV(n_atoms=2))
    >>> model.fit(X, Y).predict(X).shape
    (200, 5)
""")

SharedCodebookClassifierCV.__doc__ = cv_doc(
    "Multi-task classification with a shared dictionary, penalties tuned by "
    "cross-validation.",
    _CODEBOOK_CV_INTRO.replace(":class:`SharedCodebookRegressor`",
                               ":class:`SharedCodebookClassifier`"),
    SharedCodebookClassifier.__doc__, ["n_atoms", "alpha"], "sparsity", "sparsities",
    _SPARSITY_GRID_NOTE,
    """    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from fastmtl import SharedCodebookClassifierCV
    >>> from fastmtl.datasets import make_multitask_classification
    >>> X, Y = make_multitask_classification(40, 4, 5, random_state=0)
    >>> model = make_pipeline(StandardScaler(), SharedCodebookClassifierCV(n_atoms=2))
    >>> model.fit(X, Y).predict(X).shape
    (160, 4)
""")


SharedCodebookRegressor.__doc__ = with_see_also(SharedCodebookRegressor.__doc__, [
    ("SharedCodebookRegressorCV", "The same model with ``sparsity`` and ``intercept_alpha`` tuned by cross-validation (exact leave-one-out where it applies)."),
    ("fastmtl.relatedness.prediction_divergence", "How differently the fitted tasks predict."),
])


SharedCodebookClassifier.__doc__ = with_see_also(SharedCodebookClassifier.__doc__, [
    ("SharedCodebookClassifierCV", "The same model with ``sparsity`` and ``intercept_alpha`` tuned by cross-validation (exact leave-one-out where it applies)."),
    ("fastmtl.relatedness.prediction_divergence", "How differently the fitted tasks predict."),
])
