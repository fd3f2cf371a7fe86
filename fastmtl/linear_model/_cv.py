"""Cross-validated estimators: the task penalty and the intercept shrinkage
tuned in the style of ``RidgeCV`` / ``MultiTaskLassoCV``.

Where the exact solver's ridge structure applies (squared loss or binary
tasks; free or no task deviations; no task graph) and ``cv=None``, each
candidate is fitted once on all the data and scored by its leave-one-out
loss (exact for the squared loss, one Newton step for the logistic loss).
Otherwise each candidate is solved on each ``TaskKFold`` fold's training
rows, warm-started along the path (penalties from strong to weak, each fit
starting from the previous solution), and scored on the fold's held-out rows.
Scores are the pooled loss the model minimises (mean squared error over all
observed targets, or the log loss over all observed labels). The best
candidate (lowest mean loss; the stronger penalty on a tie) is refitted on
all the data, along the same path for the non-convex models.
"""
import numbers
import warnings
from typing import NamedTuple

import numpy as np
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state

from .._param_validation import Interval, fit_context
from ..model_selection import TaskKFold
from ._base import _user_parameters
from ._solvers import _exact
from ._weighting import initial_task_weights
from ._docs import fill_doc

# The candidates' fits stop at this relative objective tolerance (the refit at
# the exact solver's own): held-out losses do not change in their fourth digit.
CV_FTOL = 1e-10
_CLIP = 1e-15  # a held-out label a task never saw costs -log(_CLIP), as log_loss clips


class HeldOut:
    """A fold's held-out observed targets, for scoring many candidates: the
    decision values are computed on the observed entries only (stacked tasks
    observe one task per row, so a dense ``X @ coef.T`` would waste a factor
    of ``n_tasks``)."""

    def __init__(self, X, Y, sample_weight, layout, codes=None):
        values = Y.astype(np.float64) if codes is None else codes
        rows, task = np.nonzero(~np.isnan(values) & (sample_weight[:, None] > 0))
        self.X, self.rows, self.task = X, rows, task
        self.target = values[rows, task]
        self.weight = sample_weight[rows]
        self.classification = codes is not None

    def loss(self, state, layout):
        """Pooled mean squared error or log loss at ``state`` (NaN if none)."""
        if self.weight.sum() <= 0:
            return np.nan
        coef, intercept = _user_parameters(state, layout)
        if not self.classification:
            decision = (np.einsum("ij,ij->i", self.X[self.rows], coef[self.task])
                        + intercept[self.task])
            return float(self.weight @ (decision - self.target) ** 2 / self.weight.sum())
        total = 0.0
        for t in np.unique(self.task):
            mine = self.task == t
            start, n_out = layout.out_start[t], layout.n_out[t]
            scores = (self.X[self.rows[mine]] @ coef[start:start + n_out].T
                      + intercept[start:start + n_out])
            log_proba = layout.loss(t).predict_log_proba(scores)
            code = self.target[mine].astype(np.int64)
            known = code >= 0
            picked = np.full(code.size, np.log(_CLIP))
            picked[known] = np.maximum(log_proba[np.flatnonzero(known), code[known]],
                                       np.log(_CLIP))
            total -= self.weight[mine] @ picked
        return total / self.weight.sum()


def _entry_loss(decision, obs, layout, weight):
    """Pooled loss of decision values at the observed entries (user units):
    squared error, or the log loss of binary labels; NaN decisions (a
    leave-one-out that does not exist) count as infinite."""
    if layout.classes is None:
        target = layout.mean[obs.task] + layout.scale[obs.task] * obs.target
        loss = (decision - target) ** 2
    else:
        loss = np.logaddexp(0.0, decision) - obs.target * decision
        loss = np.minimum(loss, -np.log(_CLIP))
    loss = np.where(np.isnan(loss), np.inf, loss)
    return float(weight @ loss / weight.sum())


def _revive(state, start, penalties):
    """Warm starts along a path from strong to weak penalties: a low-rank
    model (``U`` times the heads, ridge on both) that a strong penalty
    collapsed to zero sits on a saddle (each factor's gradient vanishes with
    the other), where every weaker candidate would stay; give its factor back
    its random start. Not the codebook: its lasso path keeps exact zeros on
    purpose (codes enter one by one as the penalty weakens; restarting the
    dictionary at every candidate made its CV ten times slower for the same
    choice on real data)."""
    n_latent = penalties.n_latent
    if penalties.latent_frozen or penalties.l1_heads != 0.0:
        return
    if n_latent and (np.abs(state.V[:, :n_latent]).max(initial=0.0)
                     * np.abs(state.U[:n_latent]).max(initial=0.0)) < 1e-8:
        state.U[:n_latent] = start.U[:n_latent]


class _Prepared(NamedTuple):
    """A training set as the candidates' problems read it."""

    X: np.ndarray
    layout: object
    obs: object
    graph: np.ndarray
    weighting: tuple
    device: str

    def problem(self, estimator):
        """The problem of ``estimator``'s current candidate penalties."""
        return estimator._problem(self.X, self.obs, self.layout, self.graph, self.device)


class MultiTaskCVMixin:
    """``fit`` by K-fold over tasks (see the module docstring).

    A class sets ``_tuned_penalty`` (the family parameter the first grid
    tunes, e.g. "alpha") and ``_default_grid`` (its default values); the
    family reads the current candidate through a property of that name.
    """

    _tuned_penalty = "alpha"
    _grid_parameter = "alphas"
    _default_grid = np.logspace(-3, 2, 6)
    _default_intercept_grid = np.logspace(-4, 0, 5)
    # SGD-only options that the CV estimators do not offer.
    early_stopping = False
    validation_fraction = 0.1
    warm_start = False

    @property
    def intercept_alpha(self):
        return self.intercept_alpha_

    @property
    def partial_fit(self):
        """Not offered: tuning needs all the data at once (as ``RidgeCV``)."""
        raise AttributeError(
            f"{type(self).__name__} tunes its penalties on all the data at once and has "
            "no partial_fit; use the estimator without CV with the chosen penalties.")

    def _grids(self):
        grid = getattr(self, self._grid_parameter)
        grid = self._default_grid if grid is None else grid
        intercept_grid = (self._default_intercept_grid if self.intercept_alphas is None
                          else self.intercept_alphas)
        grid = np.sort(np.asarray(grid, dtype=np.float64).ravel())[::-1]
        intercept_grid = np.sort(np.asarray(intercept_grid, dtype=np.float64).ravel())[::-1]
        for name, values in ((self._grid_parameter, grid),
                             ("intercept_alphas", intercept_grid)):
            if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
                raise ValueError(f"{name} must hold finite non-negative values; got "
                                 f"{values[::-1].tolist()}.")
        return grid, intercept_grid

    def _splitter(self):
        if self.cv is None or isinstance(self.cv, numbers.Integral):
            return TaskKFold(3 if self.cv is None else self.cv, shuffle=True,
                             random_state=check_random_state(self.random_state).randint(2**31),
                             missing_label=getattr(self, "missing_label", None))
        return check_cv(self.cv)  # a splitter, or an iterable of (train, test)

    def _held_out_codes(self, Y, layout):
        observed = self._observed(Y)
        codes = np.full(Y.shape, np.nan)
        for t, classes in enumerate(layout.classes):
            labels = Y[observed[:, t], t]
            idx = np.minimum(np.searchsorted(classes, labels), len(classes) - 1)
            codes[observed[:, t], t] = np.where(classes[idx] == labels, idx, -1)
        return codes

    def _candidate(self, intercept_alpha, value):
        """Make (``intercept_alpha``, ``value``) the penalties the family reads."""
        self.intercept_alpha_ = intercept_alpha
        setattr(self, self._tuned_penalty + "_", value)

    def _prepare(self, X, Y, sample_weight, device):
        """A training set's layout, observations, graph and task weighting, and
        the problem of the current candidate (the layout's classes follow its
        ``intercept_alpha``)."""
        layout = self._layout(Y, sample_weight)
        obs = self._observations(Y, sample_weight, layout)
        graph = self._task_graph(Y, sample_weight, layout)
        weighting = initial_task_weights(self.task_weights, layout.n_tasks)
        return _Prepared(X, layout, obs, graph, weighting, device)

    def _step(self, prepared, state, start, rng, exact):
        """Solve the current candidate warm-started from ``state``; returns
        (state, problem)."""
        problem = prepared.problem(self)
        _revive(state, start, problem.penalties)
        state.reset_optimizer()
        state = self._solve(problem, state, prepared.weighting, rng, exact, record=False,
                            tol=CV_FTOL)[0]
        return state, problem

    def _fold_losses(self, X, Y, sample_weight, train, test, grid, intercept_grid, exact,
                     device):
        """Held-out loss of every candidate on one fold: (intercept, penalty) grid."""
        rng = check_random_state(self.random_state)
        self._candidate(intercept_grid.min(), grid[0])  # fixes the layout's classes
        prepared = self._prepare(X[train], Y[train], sample_weight[train], device)
        layout = prepared.layout
        start = self._initial_state(prepared.X, layout, prepared.obs, rng, exact)
        codes = None if layout.classes is None else self._held_out_codes(Y[test], layout)
        held_out = HeldOut(X[test], Y[test], sample_weight[test], layout, codes)
        losses = np.empty((intercept_grid.size, grid.size))
        for i, intercept_alpha in enumerate(intercept_grid):
            state = start.copy()
            for j, value in enumerate(grid):
                self._candidate(intercept_alpha, value)
                state = self._step(prepared, state, start, rng, exact)[0]
                losses[i, j] = held_out.loss(state, layout)
        return losses

    def _leave_one_out_losses(self, X, Y, sample_weight, grid, intercept_grid):
        """Leave-one-out loss of every candidate from one fit on all the data,
        where it applies (``_exact.leave_one_out_applies``: exact for the
        squared loss, a Newton step for the logistic loss); None elsewhere
        (K-fold then)."""
        self._candidate(intercept_grid.min(), grid[0])
        prepared = self._prepare(X, Y, sample_weight, "cpu")
        if not _exact.leave_one_out_applies(prepared.problem(self)):
            return None
        layout, obs = prepared.layout, prepared.obs
        task_factor = prepared.weighting[1] / layout.n_tasks
        start = self._initial_state(X, layout, obs, check_random_state(self.random_state),
                                    exact=True)
        losses = np.empty((1, intercept_grid.size, grid.size))
        for i, intercept_alpha in enumerate(intercept_grid):
            state = start.copy()
            for j, value in enumerate(grid):
                self._candidate(intercept_alpha, value)
                blocks = None
                if layout.classes is None:  # the closed form, whose blocks give h
                    problem = prepared.problem(self)
                    blocks = _exact.closed_form(problem, state, task_factor)
                else:
                    state, problem = self._step(prepared, state, start, None, True)
                decision, rows = _exact.leave_one_out_decisions(problem, state,
                                                                task_factor, blocks)
                losses[0, i, j] = _entry_loss(decision, obs, layout, sample_weight[rows])
        return losses

    @fit_context
    def fit(self, X, y, sample_weight=None):
        """Tune the penalties (leave-one-out or K-fold over tasks), then refit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, shared by all tasks.
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Targets; NaN (or ``missing_label`` for classifiers) marks a
            missing target.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample.

        Returns
        -------
        self : object
            The estimator refitted on all the data with the best penalties.
        """
        X_checked, Y, _, sw, _ = self._validate_training_data(X, y, sample_weight,
                                                            reset=True)
        if X_checked.shape[0] < 3:
            raise ValueError(f"{type(self).__name__} needs at least 3 samples to "
                             f"cross-validate; got n_samples={X_checked.shape[0]}.")
        grid, intercept_grid = self._grids()
        device = self._training_device(X_checked)
        exact = self._use_exact(X_checked, device)
        losses = None
        if self.cv is None and exact:
            losses = self._leave_one_out_losses(X_checked, Y, sw, grid, intercept_grid)
        leave_one_out = losses is not None
        if losses is None:
            folds = list(self._splitter().split(X_checked, Y))
            losses = np.empty((len(folds), intercept_grid.size, grid.size))
            with warnings.catch_warnings():
                # A fold's training rows may miss a task: expected, and
                # predicted by the shared part.
                warnings.filterwarnings("ignore", message=".*no observed training target")
                for f, (train, test) in enumerate(folds):
                    losses[f] = self._fold_losses(X_checked, Y, sw, train, test, grid,
                                                  intercept_grid, exact, device)
        mean = np.nanmean(losses, axis=0) if np.any(np.isfinite(losses)) else losses[0]
        if not np.any(np.isfinite(mean)):
            raise ValueError(f"{type(self).__name__}: no held-out target could be scored "
                             "in any fold; give more observations per task.")
        # Grids run strong to weak: the first minimum is the strongest penalty.
        best = np.unravel_index(np.nanargmin(mean), mean.shape)
        self._store_path(losses, mean, grid, intercept_grid, best, leave_one_out)
        self._candidate(float(intercept_grid[best[0]]), float(grid[best[1]]))
        # Leave-one-out ran: the problem is convex, the start does not matter.
        self._path_start = None if leave_one_out else self._path_state(
            X_checked, Y, sw, grid[:best[1] + 1], exact, device)
        try:
            return super().fit(X, y, sample_weight)
        finally:
            del self._path_start

    def _path_state(self, X, Y, sample_weight, path, exact, device):
        """Where the refit starts: on a problem with several optima (the
        low-rank or codebook factorisation), the end of the same warm-started
        path the folds ran (strong to weak penalties) on all the data, so that
        the refit lands where the folds' candidates did; None for the convex
        problems, whose optimum does not depend on the start."""
        rng = check_random_state(self.random_state)
        prepared = self._prepare(X, Y, sample_weight, device)
        if _exact.leave_one_out_applies(prepared.problem(self)):
            return None
        start = super()._initial_state(X, prepared.layout, prepared.obs, rng, exact)
        state = start.copy()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*no observed training target")
            for value in path:
                self._candidate(self.intercept_alpha_, float(value))
                state = self._step(prepared, state, start, rng, exact)[0]
        return state

    def _initial_state(self, X, layout, obs, rng, exact):
        start = getattr(self, "_path_start", None)
        if start is not None:
            return start.copy()
        return super()._initial_state(X, layout, obs, rng, exact)

    def _store_path(self, losses, mean, grid, intercept_grid, best, leave_one_out):
        name = self._tuned_penalty
        inter, values = np.meshgrid(intercept_grid, grid, indexing="ij")
        results = {
            f"param_{name}": values.ravel(),
            "param_intercept_alpha": inter.ravel(),
            "params": [{name: float(a), "intercept_alpha": float(b)}
                       for b, a in zip(inter.ravel(), values.ravel())],
            "mean_test_score": -mean.ravel(),
            # Leave-one-out: one score per candidate, no spread over folds.
            "std_test_score": np.nanstd(losses, axis=0).ravel(),
        }
        for f in range(0 if leave_one_out else losses.shape[0]):
            results[f"split{f}_test_score"] = -losses[f].ravel()
        order = np.argsort(np.where(np.isnan(mean.ravel()), np.inf, mean.ravel()),
                           kind="stable")
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(1, order.size + 1)
        results["rank_test_score"] = rank
        self.cv_results_ = results
        self.best_score_ = float(-mean[best])
        self.best_index_ = int(np.ravel_multi_index(best, mean.shape))
        setattr(self, name + "s_", grid[::-1].copy())
        self.intercept_alphas_ = intercept_grid[::-1].copy()


CV_PARAMETER_CONSTRAINTS = {
    "intercept_alphas": ["array-like", None],
    "cv": [Interval(numbers.Integral, 2, None, closed="left"), "cv_object", None],
}


def cv_constraints(family_constraints, tuned, grid_parameter):
    """A CV estimator's declarations: its family's, with the tuned penalties'
    grids and ``cv`` instead of the penalties, without the SGD options it
    does not offer."""
    dropped = {tuned, "intercept_alpha", "early_stopping", "validation_fraction",
               "warm_start"}
    kept = {k: v for k, v in family_constraints.items() if k not in dropped}
    return {**kept, grid_parameter: ["array-like", None], **CV_PARAMETER_CONSTRAINTS}


def cv_doc(title, intro, family_doc, first, tuned, grid_parameter, grid_note, example,
           intercept_grid="np.logspace(-4, 0, 5)"):
    """The docstring of a CV estimator from its family's (``first``: the
    parameters before the grids)."""
    from ._docs import select_entries

    names = ["shared_alpha", "loss_weighting", "solver", "task_weights", "task_graph",
             "graph_penalty", "learning_rate", "batch_size", "max_iter", "tol",
             "n_iter_no_change", "fit_intercept", "random_state", "verbose", "device",
             "loss", "missing_label", "prediction_penalty"]
    params = (select_entries(family_doc, "Parameters", first)
              + fill_doc(CV_DOC, tuned=tuned, grid_parameter=grid_parameter,
                         grid_note=grid_note, intercept_grid=intercept_grid).lstrip("\n")
              + select_entries(family_doc, "Parameters", names))
    attributes = (fill_doc(CV_ATTRIBUTES, tuned=tuned)
                  + "".join(block for name, block in _attribute_entries(family_doc)
                            if name not in ("validation_scores_",
                                            "best_validation_score_")))
    return (f"{title}\n\n{intro}\n    Parameters\n    ----------\n{params}\n"
            f"    Attributes\n    ----------\n{attributes}\n"
            f"    Examples\n    --------\n{example}")


def _attribute_entries(doc):
    from ._docs import _entries

    return _entries(doc, "Attributes").items()


CV_DOC = """
    {grid_parameter} : array-like of float, default=None
        Candidate values of ``{tuned}``{grid_note}.
    intercept_alphas : array-like of float, default=None
        Candidate values of ``intercept_alpha``, the shrinkage of the task
        intercepts towards the shared one; None means
        ``{intercept_grid}``.
    cv : int, cross-validation splitter or None, default=None
        None: the exact leave-one-out error of each candidate, from one fit
        on all the data (as ``RidgeCV`` computes it), where the exact
        solver's closed form applies (squared loss, ``n_components`` None or
        0, no task graph), and 3 folds otherwise. An integer ``k``:
        :class:`~fastmtl.model_selection.TaskKFold` with ``k`` folds,
        shuffled (seeded by ``random_state``), which keeps every task in
        every training fold. Or any splitter whose ``split(X, Y)`` yields
        (train, test) row indices.
"""

CV_ATTRIBUTES = """    {tuned}_ : float
        The chosen ``{tuned}``.
    intercept_alpha_ : float
        The chosen ``intercept_alpha``.
    {tuned}s_ : ndarray
        The candidate values of ``{tuned}`` (ascending).
    intercept_alphas_ : ndarray
        The candidate values of ``intercept_alpha`` (ascending).
    cv_results_ : dict of ndarray
        The path, as ``GridSearchCV`` reports it: ``params``,
        ``param_{tuned}``, ``param_intercept_alpha``, ``split<k>_test_score``,
        ``mean_test_score``, ``std_test_score`` and ``rank_test_score``; a
        score is minus the pooled held-out loss.
    best_score_ : float
        Mean held-out score of the chosen candidate.
    best_index_ : int
        Index of the chosen candidate in ``cv_results_``.
"""
