"""Shared-codebook (GO-MTL) multi-task models: task weights are sparse
combinations of a shared dictionary of atoms."""
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
from ._penalties import PenaltyWeights
from ._shared_latent import (
    _SHARED_DOC,
    CLASSIFIER_ATTRIBUTES,
    CLASSIFIER_PARAMS,
    REGRESSOR_PARAMS,
    fill_doc,
)

_CODEBOOK_MODEL = """
    Grouping and Overlap in Multi-Task Learning (GO-MTL; Kumar & Daumé,
    ICML 2012): the weight vector of task ``t`` is ``w_t = L s_t``, a sparse
    combination of the ``n_atoms`` columns of a dictionary ``L``
    (``n_features x n_atoms``) shared by all tasks. Tasks that use the same
    atoms form groups; a task may belong to several groups (overlap). The L1
    penalty ``sparsity`` on the codes ``s_t`` selects the atoms, the L2
    penalty ``alpha`` on ``L`` fixes the scale.

    Training minimises, by minibatch SGD with Adam steps inside Numba kernels
    (proximal soft-thresholding steps for the codes, in Adam's diagonal
    metric, so that codes become exactly zero),

    ``J = 1/T sum_t lambda_t L_t + alpha/2 ||L||^2 + sparsity sum_t |s_t|_1
    + graph_penalty sum_st A_st ||w_s - w_t||^2``

    with the conventions of ``SharedLatentRegressor`` (same loss, weighting,
    task graph, missing targets, stopping rules and determinism).

    Parameters
    ----------
    n_atoms : int, default=4
        Number of atoms of the shared dictionary.
    alpha : float, default=1e-4
        L2 penalty on the dictionary.
    sparsity : float, default=1e-3
        L1 penalty on the codes; larger values give fewer nonzero codes.
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
    common = common.replace("``w_t = U v_t``", "``w_t = L s_t``")
    return title + fill_doc(_CODEBOOK_MODEL + common, outputs=outputs, output=output,
                            extra_params=extra_params, extra_attributes=extra_attributes)


class _SharedCodebook(MultiTaskEstimator):
    """Shared-codebook model family: L2 on the dictionary, L1 on the codes."""

    _parameter_constraints = {"n_atoms": [Integer(1)], "sparsity": [NonNegative()],
                              **COMMON_PARAMETER_CONSTRAINTS}
    _factor_attribute = "dictionary_"
    _head_attribute = "codes_"

    def _n_factors(self):
        return self.n_atoms

    def _penalty_weights(self, graph):
        return PenaltyWeights(l2_factor=float(self.alpha), l2_heads=0.0,
                              l1_heads=float(self.sparsity), graph=graph,
                              graph_weight=float(self.graph_penalty))

    def __init__(self, n_atoms=4, *, alpha=1e-4, sparsity=1e-3, task_weights="uniform",
                 task_graph=None, graph_penalty=0.0, learning_rate=0.01,
                 batch_size=256, max_iter=200, tol=1e-4, n_iter_no_change=5,
                 early_stopping=False, validation_fraction=0.1, fit_intercept=True,
                 warm_start=False, random_state=None, verbose=0, device="auto"):
        self.n_atoms = n_atoms
        self.alpha = alpha
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


class SharedCodebookRegressor(MultiTaskRegressorMixin, RegressorMixin, _SharedCodebook):
    _parameter_constraints = {**_SharedCodebook._parameter_constraints,
                              **REGRESSOR_PARAMETER_CONSTRAINTS}

    def __init__(self, n_atoms=4, *, alpha=1e-4, sparsity=1e-3, task_weights="uniform",
                 task_graph=None, graph_penalty=0.0, learning_rate=0.01,
                 batch_size=256, max_iter=200, tol=1e-4, n_iter_no_change=5,
                 early_stopping=False, validation_fraction=0.1, fit_intercept=True,
                 warm_start=False, random_state=None, verbose=0, device="auto",
                 loss="squared_error"):
        super().__init__(
            n_atoms, alpha=alpha, sparsity=sparsity, task_weights=task_weights,
            task_graph=task_graph, graph_penalty=graph_penalty,
            learning_rate=learning_rate, batch_size=batch_size, max_iter=max_iter,
            tol=tol, n_iter_no_change=n_iter_no_change, early_stopping=early_stopping,
            validation_fraction=validation_fraction, fit_intercept=fit_intercept,
            warm_start=warm_start, random_state=random_state, verbose=verbose,
            device=device)
        self.loss = loss


SharedCodebookRegressor.__doc__ = _codebook_doc(
    "Multi-task regression with a shared dictionary and sparse task codes (GO-MTL).\n",
    "tasks", "task", extra_params=REGRESSOR_PARAMS)


class SharedCodebookClassifier(MultiTaskClassifierMixin, ClassifierMixin, _SharedCodebook):
    _parameter_constraints = {**_SharedCodebook._parameter_constraints,
                              **CLASSIFIER_PARAMETER_CONSTRAINTS}

    def __init__(self, n_atoms=4, *, alpha=1e-4, sparsity=1e-3, task_weights="uniform",
                 task_graph=None, graph_penalty=0.0, learning_rate=0.01,
                 batch_size=256, max_iter=200, tol=1e-4, n_iter_no_change=5,
                 early_stopping=False, validation_fraction=0.1, fit_intercept=True,
                 warm_start=False, random_state=None, verbose=0, device="auto",
                 missing_label=None):
        super().__init__(
            n_atoms, alpha=alpha, sparsity=sparsity, task_weights=task_weights,
            task_graph=task_graph, graph_penalty=graph_penalty,
            learning_rate=learning_rate, batch_size=batch_size, max_iter=max_iter,
            tol=tol, n_iter_no_change=n_iter_no_change, early_stopping=early_stopping,
            validation_fraction=validation_fraction, fit_intercept=fit_intercept,
            warm_start=warm_start, random_state=random_state, verbose=verbose,
            device=device)
        self.missing_label = missing_label


SharedCodebookClassifier.__doc__ = _codebook_doc(
    "Multi-task classification with a shared dictionary and sparse task codes (GO-MTL).\n",
    "outputs", "output", CLASSIFIER_PARAMS, CLASSIFIER_ATTRIBUTES)
