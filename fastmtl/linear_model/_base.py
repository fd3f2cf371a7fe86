"""``MultiTaskEstimator``: the scikit-learn shell every fastmtl estimator shares.

The target convention (``Y`` of shape ``(n_samples, n_tasks)``, NaN or
``missing_label`` for a missing target, a 1-D ``y`` as one task), sample and
task weights, the task graph, parameter declarations, and the fit /
partial_fit / predict plumbing around the solvers. A model family (shared
latent space, shared codebook) says which penalties apply and how its factors
are named; the regression and classification mixins say how targets are
encoded and scored. The model, its losses, penalties and solvers live in
``_model``, ``_losses``, ``_penalties`` and ``_solvers``.

Methods that other parts of fastmtl rely on (a contract, see docs/design.md):
``_task_gradients``, ``_encoded_targets`` and ``_predictive_distributions``
(relatedness measures),
``_score_statistics`` and ``_statistics_score`` (``fastmtl.distributed.score``).
"""
import copy
import functools
import numbers
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._config import EXACT_FTOL, EXACT_ITERATIONS_PER_EPOCH, EXACT_MAX_ELEMENTS
from .._backend import DEVICES, cuda_available, is_gpu_array, select_device
from .._param_validation import (
    Integer,
    Interval,
    NonNegative,
    Positive,
    StrOptions,
    fit_context,
)
from .._targets import check_targets, missing_mask
from ..exceptions import TrainingDivergedError
from ..metrics import ClassificationStatistics, RegressionStatistics
from . import _objective
from ._graph import ESTIMATED_GRAPHS, check_task_graph, estimate_task_graph
from ._layout import (
    build_observations,
    classification_layout,
    encode_labels,
    group_count,
    merge_layouts,
    new_task_classes,
    no_observations,
    observed_classes,
    observed_weight_per_task,
    output_groups,
    regression_layout,
    regression_observations,
    tasks_without_targets,
    unobserved_regression_layout,
)
from ._losses import REGRESSION_LOSSES, SQUARED
from ._model import FactorState, Problem
from ._penalties import PenaltyWeights
from ._solvers import _exact, _new_tasks, _sgd
from ._scale import (check_feature_scale, check_target_scale, parameter_units,
                     relative_sample_weight)
from ._weighting import STRATEGIES, initial_task_weights

# Constraints of the parameters every estimator has (a family adds its own).
COMMON_PARAMETER_CONSTRAINTS = {
    "alpha": [NonNegative()],
    "task_weights": [StrOptions(set(STRATEGIES)), "array-like"],
    "task_graph": [StrOptions(set(ESTIMATED_GRAPHS)), "array-like", None],
    "graph_penalty": [NonNegative()],
    "learning_rate": [Positive()],
    "batch_size": [Integer(1)],
    "max_iter": [Integer(1)],
    "tol": [NonNegative(), None],
    "n_iter_no_change": [Integer(1)],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(numbers.Real, 0.0, 1.0, closed="neither")],
    "fit_intercept": ["boolean"],
    "warm_start": ["boolean"],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "device": [StrOptions(set(DEVICES))],
    "shared_alpha": [NonNegative(), None],
    "intercept_alpha": [NonNegative()],
    "loss_weighting": [StrOptions({"observation", "task"})],
    "solver": [StrOptions({"auto", "exact", "sgd"})],
}
CLASSIFIER_PARAMETER_CONSTRAINTS = {
    "missing_label": [numbers.Real, str, None],
    "prediction_penalty": [NonNegative()],
}
REGRESSOR_PARAMETER_CONSTRAINTS = {
    "loss": [StrOptions(set(REGRESSION_LOSSES))],
}


def _unchanged_on_interrupt(method):
    """Ctrl-C during ``method`` leaves the estimator as it was before the
    call, and the ``KeyboardInterrupt`` goes on. The attributes are set back;
    the solver state and the random generator, which training advances in
    place, from copies (one copy of the parameters per call: small next to a
    pass over the data)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        saved = dict(vars(self))
        state = saved.get("_state")
        state_copy = state.copy() if state is not None else None
        rng_copy = copy.deepcopy(saved.get("_rng"))
        try:
            return method(self, *args, **kwargs)
        except KeyboardInterrupt:
            vars(self).clear()
            vars(self).update(saved)
            if state is not None:
                state.restore(state_copy)
            if rng_copy is not None:
                self._rng = rng_copy
            raise

    return wrapper


class MultiTaskEstimator(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class of the fastmtl multi-task estimators (not for direct use).

    Subclasses set ``_factor_attribute`` / ``_head_attribute`` (names of the
    fitted shared factor and task heads) and implement ``_family_penalties``
    and ``_latent``; a target mixin implements ``_layout``,
    ``_observations``, ``_encode``, ``_statistics`` and ``_statistics_score``.
    """

    _factor_attribute = "components_"
    _head_attribute = "task_coef_"

    # ------------------------------------------------------------------ #
    # scikit-learn plumbing                                              #
    # ------------------------------------------------------------------ #
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.required = True
        tags.input_tags.sparse = False
        return tags

    @property
    def _n_features_out(self):
        """Columns of ``transform`` (the shared factors): ``get_feature_names_out``
        names them ``<estimator>0``, ``<estimator>1``, ... and ``set_output``
        can then return DataFrames."""
        return getattr(self, self._factor_attribute).shape[0]

    def _set_task_names(self, y):
        """``task_names_`` from a DataFrame ``y``'s string column names, as
        scikit-learn keeps ``feature_names_in_`` from X's."""
        columns = getattr(y, "columns", None)
        if columns is not None and all(isinstance(c, str) for c in columns):
            self.task_names_ = np.asarray(columns, dtype=object)
        elif hasattr(self, "task_names_"):
            del self.task_names_

    def _training_device(self, X):
        """"cpu" or "cuda" for training on ``X`` (see ``fastmtl._backend``);
        always "cuda" for a GPU array ``X``."""
        return select_device(self.device, (X,), X.size * (self._latent(X.shape[1])[0] + 1))

    def _n_factors(self, n_features):
        """Rows of the solver's ``U``: the latent ones, then one per group of
        the shared component (see ``_penalties``)."""
        return self._latent(n_features)[0]

    def _use_exact(self, X, device):
        """Whether ``fit`` runs the exact solver (``solver="auto"``: on the CPU,
        for data up to ``_config.EXACT_MAX_ELEMENTS`` and the options it
        supports)."""
        options = (isinstance(self.task_weights, str) and self.task_weights != "uniform",
                   self.early_stopping)
        auto = (self.solver == "auto" and device == "cpu" and not any(options)
                and X.size <= EXACT_MAX_ELEMENTS)
        if getattr(self, "prediction_penalty", 0.0) > 0 and self.solver != "exact":
            if not auto:
                raise ValueError(
                    "prediction_penalty is trained by the exact solver, on the CPU, with "
                    "fixed task weights and without early_stopping, on X of at most "
                    f"{EXACT_MAX_ELEMENTS:.0e} entries; use solver='exact' (or "
                    "prediction_penalty=0 with solver='sgd').")
        if self.solver == "exact":
            if options[0]:
                raise ValueError(
                    f"solver='exact' fits fixed task weights; task_weights="
                    f"{self.task_weights!r} adapts them between SGD epochs: use "
                    "solver='sgd' (or 'auto').")
            if options[1]:
                raise ValueError("early_stopping=True stops SGD epochs; solver='exact' "
                                 "has none: use solver='sgd' (or 'auto').")
            if device == "cuda":
                raise ValueError("solver='exact' runs on the CPU; use device='cpu' "
                                 "(or solver='sgd' to train on the GPU).")
            return True
        return auto

    # ------------------------------------------------------------------ #
    # Fitting                                                            #
    # ------------------------------------------------------------------ #
    def _validate_features(self, X, reset, order=None):
        """``validate_data`` of host features, float64 or float32; complex
        features are named as X (scikit-learn's message shows only values)."""
        if getattr(getattr(X, "dtype", None), "kind", None) == "c":
            raise ValueError(f"Complex data not supported: X of {type(self).__name__} "
                             "holds complex numbers; pass real features.")
        return validate_data(self, X, reset=reset, dtype=[np.float64, np.float32],
                             order=order)

    def _validate_training_data(self, X, Y, sample_weight, reset):
        if is_gpu_array(X):  # read in place on the GPU; the targets are small
            from .. import _gpu

            X, Y = _gpu.checked_features(self, X, reset), _gpu.to_host(Y)
        else:
            X = self._validate_features(X, reset=reset, order="C")
            check_feature_scale(X, type(self).__name__)
        Y, one_d = check_targets(Y, X.shape[0], context=type(self).__name__,
                                 numeric=self._numeric_targets)
        if self._numeric_targets:
            check_target_scale(Y, type(self).__name__)
        sample_weight, exponent = relative_sample_weight(sample_weight, X)
        return X, Y, one_d, sample_weight, exponent

    def _task_graph(self, Y, sample_weight, layout):
        """The task graph to fit with: given, estimated from ``Y``, or none."""
        if self.task_graph is None:
            graph = np.zeros((layout.n_tasks, layout.n_tasks))
        elif isinstance(self.task_graph, str):
            # A task without a target has no relatedness to estimate: no edge.
            values, kind = self._encode(Y, layout)
            # Nor to a single-class task: it has no weights to pull together.
            seen = np.flatnonzero(np.any(~np.isnan(values) & (sample_weight[:, None] > 0),
                                         axis=0) & (layout.n_out > 0))
            graph = np.zeros((layout.n_tasks, layout.n_tasks))
            graph[np.ix_(seen, seen)] = estimate_task_graph(
                self.task_graph, values[:, seen], kind, sample_weight)
        else:
            graph = self.task_graph
        n_out = layout.n_out if self.graph_penalty > 0 else None
        graph = check_task_graph(graph, layout.n_tasks, n_out)
        if getattr(self, "prediction_penalty", 0.0) > 0:
            _check_prediction_graph(graph, layout)
        return graph

    def _problem(self, X, obs, layout, graph, device="cpu"):
        return Problem(X, obs, layout, self._penalty_weights(graph, layout, X.shape[1]),
                       self.fit_intercept, device)

    def _penalty_weights(self, graph, layout, n_features):
        """The objective's penalties and the model's structure (see ``_penalties``)."""
        n_latent, frozen = self._latent(n_features)
        group = output_groups(layout)
        return PenaltyWeights(
            **self._family_penalties(), graph=graph,
            graph_weight=float(self.graph_penalty), n_latent=int(n_latent),
            latent_frozen=bool(frozen),
            l2_shared=0.0 if self.shared_alpha is None else float(self.shared_alpha),
            l2_intercepts=float(self.intercept_alpha) if self.fit_intercept else 0.0,
            intercept_group=group, intercept_offset=layout.mean,
            n_groups=group_count(group),
            prediction_kl=float(getattr(self, "prediction_penalty", 0.0)))

    @fit_context
    @_unchanged_on_interrupt
    def fit(self, X, y, sample_weight=None):
        """Fit the model to all tasks at once (exact solver or minibatch SGD).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, shared by all tasks.
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Targets; NaN (or ``missing_label`` for classifiers) marks a
            missing target. A 1-D ``Y`` is a single task.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in every task's mean loss.

        Returns
        -------
        self : object
            The fitted estimator.

        Notes
        -----
        A task without an observed training target is not an error: ``fit``
        warns once, naming such tasks, and predicts them by the *shared part*
        of the model, the prediction the model makes for a task it has never
        seen: the shared weights ``shared_coef_`` and intercept
        ``shared_intercept_`` (its own part gets no data and stays at its
        prior, zero, or is pulled towards linked tasks by ``task_graph``).
        Without a shared component (``shared_alpha=None``) its intercept is
        the pooled mean of all observed targets (regression) or starts from
        the pooled class frequencies (classification, where such a task takes
        the classes that all other tasks share).
        """
        self._set_task_names(y)
        X, Y, one_d, sample_weight, weight_exponent = self._validate_training_data(
            X, y, sample_weight, reset=True)
        device = self._training_device(X)
        rng = check_random_state(self.random_state)
        n_samples = X.shape[0]
        train_weight = sample_weight
        validation = None
        if self.early_stopping:
            n_val = int(np.ceil(self.validation_fraction * n_samples))
            if n_val >= n_samples:
                raise ValueError(
                    f"early_stopping needs more than {n_samples} samples with "
                    f"validation_fraction={self.validation_fraction}."
                )
            val_rows = self._validation_rows(Y, sample_weight,
                                             np.sort(rng.permutation(n_samples)[:n_val]))
            train_weight = sample_weight.copy()
            train_weight[val_rows] = 0.0
        layout = self._layout(Y, train_weight)
        obs = self._observations(Y, train_weight, layout)
        # The unit of an observation's weight, and the power of two that the
        # weights were scaled by: ``fit_new_tasks`` weighs new tasks alike.
        self._observation_unit = observed_weight_per_task(obs, layout.n_tasks)
        self._weight_exponent = weight_exponent
        _warn_tasks_without_targets(obs, layout, type(self).__name__)
        if self.early_stopping:
            X_val = X[val_rows] if not is_gpu_array(X) else _gpu_rows(X, val_rows)
            validation = self._validation_scorer(X_val, Y[val_rows],
                                                 sample_weight[val_rows], layout)
        exact = self._use_exact(X, device)
        if self.warm_start and hasattr(self, "_state") and self._compatible(layout, X):
            state = _rescale_state(self._state, self._layout_, layout)
            state.reset_optimizer()
        else:
            state = self._initial_state(X, layout, obs, rng, exact)
        weighting = initial_task_weights(self.task_weights, layout.n_tasks)
        graph = self._task_graph(Y, train_weight, layout)
        problem = self._problem(X, obs, layout, graph, device)
        state, weights, log, n_iter = self._solve(problem, state, weighting, rng, exact,
                                                  validation)
        self._store(state, layout, one_d, (weighting[0], weights), log, rng)
        self._store_residuals(X, obs, layout, task_loss=log.task_loss)
        self.task_graph_ = graph
        self.n_iter_ = n_iter
        if validation is not None:
            self.validation_scores_ = np.array(log.validation_scores)
            self.best_validation_score_ = float(np.max(log.validation_scores))
        return self

    def _validation_rows(self, Y, sample_weight, rows):
        """The early-stopping validation ``rows`` less, for classifiers, the
        first of them with each (task, class) that the training rows would
        otherwise never see: that class could not be learnt (and its label
        was reported against ``partial_fit``'s classes)."""
        if self._numeric_targets:
            return rows
        observed = self._observed(Y) & (sample_weight[:, None] > 0)
        training = np.ones(Y.shape[0], dtype=bool)
        training[rows] = False
        back = []
        for t in range(Y.shape[1]):
            seen = np.flatnonzero(observed[:, t])
            labels = Y[seen, t]
            trained = set(labels[training[seen]].tolist())
            for label in dict.fromkeys(labels.tolist()):  # first-seen order
                if label not in trained:
                    back.append(seen[labels == label][0])
                    trained.add(label)
        rows = np.setdiff1d(rows, back)
        if rows.size == 0:
            raise ValueError(
                f"early_stopping left no validation sample (validation_fraction="
                f"{self.validation_fraction}): every one held a class that the "
                "training samples need. Give more samples or set early_stopping=False.")
        return rows

    def _solve(self, problem, state, weighting, rng, exact, validation=None, record=True,
               tol=EXACT_FTOL):
        """Run the chosen solver; returns ``(state, task weights, log, n_iter)``.
        ``record=False`` spares the exact solver its final objective pass;
        ``tol`` is its relative objective tolerance."""
        if exact:
            log = self._solve_exactly(problem, state, weighting[1], record, tol)
            return state, weighting[1], log, log.n_iter
        state, weights, log = _sgd.train(
            problem, state, weighting, rows=np.flatnonzero(np.diff(problem.obs.ptr) > 0),
            n_epochs=self.max_iter, batch_size=self.batch_size,
            learning_rate=self.learning_rate, rng=rng, tol=self.tol,
            n_iter_no_change=self.n_iter_no_change, validation=validation,
            verbose=self.verbose, estimator_name=type(self).__name__,
        )
        return state, weights, log, log.n_epochs

    def _solve_exactly(self, problem, state, weights, record=True, tol=EXACT_FTOL):
        """The exact solver on ``problem`` from ``state`` (updated in place)."""
        n_rows = problem.X.shape[0]
        tic = time.perf_counter()
        log = _exact.solve(
            problem, state, weights / problem.layout.n_tasks,
            max_iter=EXACT_ITERATIONS_PER_EPOCH * self.max_iter, tol=tol,
            parallel=_sgd.use_threads(problem, state.U.shape[0], n_rows), record=record)
        if self.verbose and record:
            print(f"-- exact solver ({log.message}): objective {log.loss_curve[-1]:.10g} "
                  f"after {log.n_iter} iterations, {time.perf_counter() - tic:.3f} s")
        if not state.parameters_finite():
            raise TrainingDivergedError(
                f"{type(self).__name__}: the exact solver left non-finite parameters; "
                "standardise X (e.g. with StandardScaler) or raise the penalties.")
        if not log.converged:
            max_iter = EXACT_ITERATIONS_PER_EPOCH * self.max_iter
            remedy = ("Consider increasing max_iter." if log.n_iter >= max_iter else
                      "The objective is nearly flat there (e.g. separable classes "
                      "that the penalties barely hold): raise the penalties or "
                      "standardise X (e.g. with StandardScaler).")
            warnings.warn(
                f"{type(self).__name__}: the exact solver stopped before convergence "
                f"after {log.n_iter} iterations ({log.message}). {remedy}",
                ConvergenceWarning)
        return log

    @_unchanged_on_interrupt
    def _partial_fit(self, X, Y, sample_weight, classes):
        if getattr(self, "prediction_penalty", 0.0) > 0:
            raise ValueError("prediction_penalty is trained by the exact solver of fit; "
                             "partial_fit runs SGD epochs: set prediction_penalty=0.")
        first = not hasattr(self, "_state")
        if first:
            self._set_task_names(Y)
        X, Y, one_d, sample_weight, weight_exponent = self._validate_training_data(
            X, Y, sample_weight, reset=first)
        device = self._training_device(X)
        if first:
            rng = check_random_state(self.random_state)
            layout = self._layout(Y, sample_weight, classes=classes)
            obs = self._observations(Y, sample_weight, layout)
            state = self._initial_state(X, layout, obs, rng, exact=False)
            weighting = initial_task_weights(self.task_weights, layout.n_tasks)
            graph = self._task_graph(Y, sample_weight, layout)
            self.n_iter_ = 0
        else:
            if Y.shape[1] != self.n_tasks_:
                raise ValueError(
                    f"Y has {Y.shape[1]} tasks but {type(self).__name__} was fitted "
                    f"on {self.n_tasks_}; partial_fit needs the same tasks on every call."
                )
            rng, layout, state = self._rng, self._layout_, self._state
            obs = self._observations(Y, sample_weight, layout)
            weighting, graph = self._weighting, self.task_graph_
        self._observation_unit = observed_weight_per_task(obs, layout.n_tasks)
        self._weight_exponent = weight_exponent
        absent = tasks_without_targets(obs, layout.n_tasks)
        before = state.copy() if absent.size else None
        problem = self._problem(X, obs, layout, graph, device)
        state, weights, log = _sgd.train(
            problem, state, weighting, rows=np.flatnonzero(np.diff(obs.ptr) > 0),
            n_epochs=1, batch_size=self.batch_size, learning_rate=self.learning_rate,
            rng=rng, tol=None, verbose=self.verbose, estimator_name=type(self).__name__,
        )
        if absent.size and not first:
            # Only the tasks in this minibatch learn: the others keep their
            # heads, intercepts and optimiser moments.
            state.keep_outputs(before, np.isin(layout.output_task, absent))
        previous = getattr(self, "loss_curve_", []) if not first else []
        self._store(state, layout, one_d, (weighting[0], weights), log, rng)
        self._store_residuals(X, obs, layout, task_loss=log.task_loss)
        self.loss_curve_ = list(previous) + self.loss_curve_
        self.task_graph_ = graph
        self.n_iter_ += 1
        return self

    def _initial_state(self, X, layout, obs, rng, exact):
        """Where a fit starts; for the exact solver, a latent factor in the
        data's units (``_scale.parameter_units``). SGD starts from unit rows:
        Adam's steps have a fixed size, and measured, a factor scaled to
        the targets fitted worse (training R^2 0.41 for 0.99 on targets
        near 1e3)."""
        intercept = self._initial_intercept(obs, layout) if self.fit_intercept else None
        n_latent, frozen = self._latent(X.shape[1])
        shared = None if self.shared_alpha is None else output_groups(layout)
        unit = parameter_units(X, layout.scale, frozen).factor if exact else 1.0
        return FactorState.initial(n_latent, X.shape[1], layout.n_outputs, rng, intercept,
                                   latent_frozen=frozen, shared_group=shared,
                                   scale=layout.scale, factor_unit=unit)

    def _compatible(self, layout, X):
        """Whether a warm start can continue from the previous fit."""
        old = self._layout_
        n_latent = self._latent(X.shape[1])[0]
        n_rows = n_latent
        if self.shared_alpha is not None:
            n_rows += group_count(output_groups(layout))
        if (old.n_tasks != layout.n_tasks or not np.array_equal(old.n_out, layout.n_out)
                or self._state.U.shape != (n_rows, X.shape[1])):
            return False
        if old.classes is not None:
            return all(np.array_equal(a, b) for a, b in zip(old.classes, layout.classes))
        return True

    def _store(self, state, layout, one_d, weighting, log, rng):
        """Set the fitted attributes (user units) from the solver's state."""
        self._store_model(state, layout, one_d)
        self._weighting, self._rng = weighting, rng
        self.task_weights_ = np.asarray(weighting[1], dtype=np.float64).copy()
        self.loss_curve_ = list(log.loss_curve)
        if log.loss_curve:
            self.best_loss_ = float(np.min(log.loss_curve))

    def _store_model(self, state, layout, one_d, shared_intercept=None):
        """The model's fitted attributes; ``shared_intercept`` (per group)
        when it is not the mean of the intercepts (tasks added later)."""
        self._state, self._layout_, self._one_d = state, layout, one_d
        self.coef_, self.intercept_ = _user_parameters(state, layout)
        k = self._latent(state.U.shape[1])[0]
        setattr(self, self._factor_attribute, state.U[:k].copy())
        setattr(self, self._head_attribute, state.V[:, :k] * layout.scale[:, None])
        group = output_groups(layout)
        n_groups = group_count(group)
        if self.shared_alpha is not None:
            self.shared_coef_ = state.U[k:].copy()
        if shared_intercept is None:
            counts = np.maximum(np.bincount(group, minlength=n_groups), 1)
            shared_intercept = np.bincount(group, weights=self.intercept_,
                                           minlength=n_groups) / counts
        self.shared_intercept_ = shared_intercept
        if layout.classes is not None:
            self.classes_ = _public_classes(layout.classes, one_d)
            self.output_task_ = layout.output_task
        self.n_tasks_ = layout.n_tasks

    def _validation_scorer(self, X_val, Y_val, sw_val, layout):
        """Score of a solver state on the held-out samples (-inf if undefined)."""

        def score(state):
            coef, intercept = _user_parameters(state, layout)
            stats = self._statistics(Y_val, X_val @ coef.T + intercept, layout, sw_val)
            try:
                return self._statistics_score(stats)
            except ValueError:  # no held-out task can be scored
                return -np.inf

        return score

    # ------------------------------------------------------------------ #
    # New tasks on a fitted model                                        #
    # ------------------------------------------------------------------ #
    @_unchanged_on_interrupt
    def fit_new_tasks(self, X, y, sample_weight=None):
        """Add tasks to the fitted model, fitting only their own parts.

        The shared part stays as fitted: the shared factor, the shared
        weights ``shared_coef_`` and intercepts ``shared_intercept_``. Each
        new task gets its head and intercept at the exact optimum of its part
        of the objective, with the fitted penalties: the same loss, the same
        head penalty and intercept shrinkage towards ``shared_intercept_``,
        and each observation weighted as a training observation was
        (``loss_weighting``). A task without an observed target is the
        shared part: its prediction is the model's zero-shot prediction.

        The new tasks follow the fitted ones: ``predict`` then returns
        ``n_tasks_`` columns, the new tasks last. The fitted tasks'
        predictions do not change. The fit runs on the CPU; it costs one
        pass over the new tasks' rows and a small solve per task (squared
        loss), or an L-BFGS solve of the new heads (other losses).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples of the new tasks.
        y : array-like of shape (n_samples, n_new_tasks) or (n_samples,)
            Targets of the new tasks; NaN (or ``missing_label`` for
            classifiers) marks a missing target. A 1-D ``y`` is one new task.
            A new classification task's classes must be classes of the fitted
            tasks of its kind (binary or multiclass), which share a component
            with it.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample.

        Returns
        -------
        self : object
            The estimator, with the new tasks added.

        Examples
        --------
        >>> import numpy as np
        >>> from fastmtl import SharedLatentRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.standard_normal((200, 4))
        >>> slopes = np.array([1.0, -2.0, 0.5, 0.0])
        >>> Y = X @ slopes[:, None] + rng.standard_normal((200, 3)) * 0.1
        >>> model = SharedLatentRegressor().fit(X, Y)
        >>> X_new = rng.standard_normal((5, 4))
        >>> y_new = X_new @ slopes + 0.3
        >>> model.fit_new_tasks(X_new, y_new).n_tasks_
        4
        >>> model.predict(X).shape
        (200, 4)
        """
        check_is_fitted(self)
        X = self._validate_features(_host(X), reset=False, order="C")
        check_feature_scale(X, type(self).__name__)
        Y, _ = check_targets(_host(y), X.shape[0], context=type(self).__name__,
                             numeric=self._numeric_targets)
        if self._numeric_targets:
            check_target_scale(Y, type(self).__name__)
        sample_weight, _ = relative_sample_weight(sample_weight, X, self._weight_exponent)
        seen = np.any(self._observed(Y) & (sample_weight[:, None] > 0), axis=1)
        X, Y, sample_weight = X[seen], Y[seen], sample_weight[seen]
        old = self._layout_
        layout = self._new_task_layout(Y, sample_weight)
        merged = merge_layouts(old, layout)
        group = self._new_task_groups(merged)
        if seen.any():
            obs = self._observations(Y, sample_weight, layout)
            if self.loss_weighting == "observation":  # the fit's unit, not theirs
                obs.weight *= observed_weight_per_task(obs, layout.n_tasks) / \
                    self._observation_unit
        else:
            obs = no_observations(0, layout.n_tasks)
        k = self._latent(X.shape[1])[0]
        new = slice(old.n_outputs, merged.n_outputs)
        penalties = self._penalty_weights(np.zeros((layout.n_tasks,) * 2), layout,
                                          X.shape[1])._replace(
            l2_factor=0.0, l2_shared=0.0, intercept_group=group[new],
            intercept_center=np.asarray(self.shared_intercept_, dtype=np.float64))
        state = FactorState(U=self._state.U, V=np.zeros((layout.n_outputs, self._state.U.shape[0])),
                            b=np.zeros(layout.n_outputs))
        if self._state.U.shape[0] > k:  # the shared component's fixed 1s
            state.V[np.arange(layout.n_outputs), k + group[new]] = 1.0 / layout.scale
        if self.fit_intercept:  # start from the shared intercepts
            state.b[:] = (self.shared_intercept_[group[new]] - layout.mean) / layout.scale
        problem = Problem(X, obs, layout, penalties, self.fit_intercept)
        log = _new_tasks.solve(problem, state, np.full(layout.n_tasks, 1.0 / old.n_tasks),
                               max_iter=EXACT_ITERATIONS_PER_EPOCH * self.max_iter,
                               tol=EXACT_FTOL,
                               parallel=_sgd.use_threads(problem, state.U.shape[0], X.shape[0]))
        if not log.converged:
            warnings.warn(
                f"{type(self).__name__}.fit_new_tasks stopped before convergence after "
                f"{log.n_iter} iterations ({log.message}). Consider increasing max_iter.",
                ConvergenceWarning)
        if not state.parameters_finite():
            raise TrainingDivergedError(
                f"{type(self).__name__}.fit_new_tasks left non-finite parameters; "
                "standardise X (e.g. with StandardScaler) or raise the penalties.")
        if hasattr(self, "residual_variance_"):  # regressors
            added = self._residual_variance(X, obs, layout, _user_parameters(state, layout),
                                            log.task_loss, self._pooled_residual_variance)[0]
            self.residual_variance_ = np.concatenate([self.residual_variance_, added])
        self._add_tasks(state, merged, y)
        return self

    def _new_task_groups(self, merged):
        """The output groups of the fitted tasks followed by new ones (see
        ``_layout.output_groups``); a new output must join a fitted group,
        whose shared component and intercept it takes."""
        group, old = output_groups(merged), output_groups(self._layout_)
        n_old = old.shape[0]
        fitted = set(old.tolist())
        if np.array_equal(group[:n_old], old):
            unknown = [o for o in range(n_old, group.shape[0]) if group[o] not in fitted]
        else:  # the numbering moved: a new kind of output
            unknown = list(range(n_old, group.shape[0]))
        if unknown:
            t = int(merged.output_task[unknown[0]]) - self._layout_.n_tasks
            raise ValueError(
                f"New task {t} (classes {merged.classes[t + self._layout_.n_tasks].tolist()}) "
                "shares no component with the fitted tasks: a new binary task needs "
                "fitted binary tasks, and a new multiclass task's classes must be "
                "classes of fitted multiclass tasks.")
        return group

    def _add_tasks(self, new_state, merged, y):
        """Append the new tasks' heads and intercepts (``new_state``) to the
        fitted model; the shared part and the fitted tasks stay as they are."""
        old_state, n_new = self._state, merged.n_tasks - self.n_tasks_
        state = FactorState(U=old_state.U, V=np.vstack([old_state.V, new_state.V]),
                            b=np.concatenate([old_state.b, new_state.b]))
        names = getattr(self, "task_names_", None)
        self._store_model(state, merged, one_d=False, shared_intercept=self.shared_intercept_)
        self._set_task_names(y)
        if names is not None and hasattr(self, "task_names_"):
            self.task_names_ = np.concatenate([names, self.task_names_])
        elif hasattr(self, "task_names_"):
            del self.task_names_
        self.task_weights_ = np.concatenate([self.task_weights_, np.ones(n_new)])
        self._weighting = (self._weighting[0], self.task_weights_.copy())
        graph = np.zeros((merged.n_tasks,) * 2)
        graph[:self.task_graph_.shape[0], :self.task_graph_.shape[1]] = self.task_graph_
        self.task_graph_ = graph

    # ------------------------------------------------------------------ #
    # Using a fitted model                                               #
    # ------------------------------------------------------------------ #
    def _fitted_targets(self, Y, n_samples, name):
        """``Y`` checked (2-D) against the fitted model's tasks."""
        Y, _ = check_targets(Y, n_samples, context=type(self).__name__, name=name,
                             numeric=self._numeric_targets)
        if Y.shape[1] != self.n_tasks_:
            raise ValueError(f"{name} has {Y.shape[1]} tasks but {type(self).__name__} "
                             f"was fitted on {self.n_tasks_}.")
        return Y

    def _score_statistics(self, X, y, sample_weight=None):
        """Per-task score statistics of the predictions of ``X`` against ``y``
        (``fastmtl.metrics``); they add up across chunks of rows."""
        decision = _host(self._decision(X))
        Y = self._fitted_targets(_host(y), decision.shape[0], "y")
        if sample_weight is not None:
            sample_weight, _ = relative_sample_weight(sample_weight, decision)
        return self._statistics(Y, decision, self._layout_, sample_weight)

    def _affine(self, X, W, bias, like=None):
        """``X @ W.T + bias`` for validated ``X``, on the device ``device`` picks;
        for a GPU array ``X``, on the GPU, as ``like``'s kind of array."""
        if is_gpu_array(X):
            from .. import _gpu

            return _gpu.affine(X, W, bias, type(self).__name__, like)
        # A model fitted on a GPU scores on a machine without one: no GPU, no
        # transfer. Training on device="cuda" without a GPU raises instead.
        if (self.device != "cpu" and cuda_available()
                and select_device(self.device, (), X.size * W.shape[0]) == "cuda"):
            from ._solvers._sgd_cuda import affine

            return affine(X, W, bias)
        # In place: a second temporary of the result's size cost 4x the product
        # itself (fresh pages from the allocator on every call).
        out = X @ W.T
        out += bias
        return out

    def _features(self, X):
        """``X`` checked against the fitted model (a GPU array stays there)."""
        check_is_fitted(self)
        if is_gpu_array(X):
            from .. import _gpu

            # Finiteness is checked on the (smaller) result by ``_affine``.
            return _gpu.checked_features(self, X, reset=False, check_finite=False)
        return self._validate_features(X, reset=False)

    def _decision(self, X):
        return self._affine(self._features(X), self.coef_, self.intercept_, like=X)

    def transform(self, X):
        """Project ``X`` onto the shared factors (latent features / atom activations).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_factors)
            On the GPU, as ``X``'s kind of array, when ``X`` is a GPU array.
        """
        return _like(self._affine(self._features(X), getattr(self, self._factor_attribute),
                                  0.0, like=X), X)

    def objective(self, X, y, sample_weight=None):
        """Value of the training objective at the fitted parameters.

        The documented objective (see the class docstring), with the task
        weights in ``task_weights_``; useful to compare solutions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Targets, with the fitted tasks; NaN (or ``missing_label``) marks
            a missing one.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample.

        Returns
        -------
        value : float
            The objective: the weighted mean task losses plus the penalties.
        """
        value, _ = self._objective_and_gradient(X, y, sample_weight)
        return value

    def _fitted_problem(self, X, Y, sample_weight):
        """The training problem on new data, with the fitted layout and graph."""
        check_is_fitted(self)
        X = self._validate_features(_host(X), reset=False, order="C")
        Y = self._fitted_targets(_host(Y), X.shape[0], "y")
        sample_weight, _ = relative_sample_weight(sample_weight, X)
        layout = self._layout_
        return self._problem(X, self._observations(Y, sample_weight, layout), layout,
                             self.task_graph_)

    def _objective_and_gradient(self, X, Y, sample_weight=None, state=None):
        problem = self._fitted_problem(X, Y, sample_weight)
        value, grads, _ = _objective.objective_and_gradient(
            problem, self._state if state is None else state,
            self.task_weights_ / self.n_tasks_)
        return value, grads

    def _encoded_targets(self, Y):
        """``Y`` as numbers (NaN = missing; labels as class indices) and its
        target type ("continuous" or "categorical"), for the relatedness measures."""
        check_is_fitted(self)
        return self._encode(self._fitted_targets(Y, None, "Y"), self._layout_)

    def _task_gradients(self, X, Y, sample_weight=None, state=None):
        """Per-task gradients of the data loss with respect to the shared factor,
        (n_tasks, n_factors, n_features), at the fitted solution."""
        problem = self._fitted_problem(X, Y, sample_weight)
        return _objective.task_gradients(problem, self._state if state is None else state)


def _check_prediction_graph(graph, layout):
    """``prediction_penalty`` compares the probabilities of linked tasks: they
    need a link, and the same classes."""
    if not np.any(graph):
        raise ValueError("prediction_penalty pulls the tasks that task_graph links "
                         "together; give a task_graph with some link.")
    for s, t in zip(*np.nonzero(graph)):
        same = (layout.n_out[s] == layout.n_out[t] > 0
                and np.array_equal(layout.classes[s], layout.classes[t]))
        if not same:
            raise ValueError(
                f"task_graph links tasks {s} and {t}, whose classes differ "
                f"({layout.classes[s].tolist()} and {layout.classes[t].tolist()}); "
                "prediction_penalty compares the probabilities of tasks with the "
                "same classes.")


def _host(x):
    """A NumPy copy of a GPU result (scores, labels and probabilities are
    computed on the host from the GPU's decision values); else ``x``."""
    if not is_gpu_array(x):
        return x
    from .. import _gpu

    return _gpu.to_host(x)


def _like(result, X):
    """``result`` on the GPU as ``X``'s kind of array when ``X`` is a GPU array."""
    if not is_gpu_array(X):
        return result
    from .. import _gpu

    return _gpu.like(result, X)


def _gpu_rows(X, rows):
    from .. import _gpu

    return _gpu.take_rows(X, rows)


def _warn_tasks_without_targets(obs, layout, estimator_name):
    absent = tasks_without_targets(obs, layout.n_tasks)
    if absent.size:
        shown = ", ".join(map(str, absent[:10])) + (", ..." if absent.size > 10 else "")
        warnings.warn(
            f"{estimator_name}: task(s) {shown} ({absent.size} in all) have no observed "
            "training target; they are predicted by the shared part of the model "
            "(see the Notes of fit).", UserWarning, stacklevel=4)


def _is_label_indicator(classes, one_d):
    """Multi-label data in scikit-learn's sense: two or more tasks, each with
    the classes 0 and 1 (a label indicator matrix, NaN marking missing)."""
    return (not one_d and len(classes) >= 2
            and all(len(c) == 2 and c.dtype.kind in "biuf" and c[0] == 0 and c[1] == 1
                    for c in classes))


def _public_classes(classes, one_d):
    """``classes_`` as scikit-learn lays it out, so that ``check_estimator``
    and ``cross_val_predict`` read it: the classes of a 1-D ``y``; for a label
    indicator matrix the labels, one per task (as ``MLPClassifier``: its
    ``predict_proba`` is one column per label); otherwise one array per task
    (as ``KNeighborsClassifier``)."""
    if one_d:
        return classes[0]
    if _is_label_indicator(classes, one_d):
        return np.arange(len(classes))
    return list(classes)


def _user_parameters(state, layout):
    """(coef, intercept) in the user's units from a state in internal units."""
    coef = (state.V * layout.scale[:, None]) @ state.U
    return coef, layout.mean + layout.scale * state.b


def _rescale_state(state, old, new):
    """Express ``state`` (internal units of layout ``old``) in those of ``new``."""
    V = state.V * (old.scale / new.scale)[:, None]
    b = (old.mean + old.scale * state.b - new.mean) / new.scale
    return FactorState(U=state.U.copy(), V=V, b=b)


# --------------------------------------------------------------------------- #
# Target mixins                                                               #
# --------------------------------------------------------------------------- #
class MultiTaskRegressorMixin:
    """Regression targets: squared or Huber loss, NaN = missing, R² per task."""

    _numeric_targets = True

    def _layout(self, Y, sample_weight, classes=None):
        return regression_layout(Y.astype(np.float64, copy=False), sample_weight,
                                 self.fit_intercept, REGRESSION_LOSSES[self.loss])

    def _observed(self, Y):
        return ~np.isnan(Y.astype(np.float64, copy=False))

    def _predictive_distributions(self, X):
        """Each task's Gaussian predictive distribution on every row of ``X``:
        ``("gaussian", means, variances)``, means ``(n_samples, n_tasks)`` (the
        predictions) and ``residual_variance_``."""
        return "gaussian", _host(self._decision(X)), self.residual_variance_

    def _store_residuals(self, X, obs, layout, task_loss=None):
        """``residual_variance_`` of a fit (see ``_residual_variance``)."""
        self.residual_variance_, self._pooled_residual_variance = self._residual_variance(
            X, obs, layout, (self.coef_, self.intercept_), task_loss)

    def _residual_variance(self, X, obs, layout, parameters, task_loss=None, pooled=None):
        """Each task's weighted mean squared training residual (the variance
        of its Gaussian predictive distribution, see
        ``fastmtl.relatedness.prediction_divergence``) and the pooled one. A
        task with fewer than two observed targets, or fitted exactly, takes
        the pooled value (of these tasks, or ``pooled``).

        With the squared loss it is read from the solver's per-task loss sums
        (``task_loss``: at the solution for the exact solver, over the last
        epoch for SGD), which cost nothing more; otherwise (Huber) one pass
        over the observed entries computes it (about one epoch's forward
        pass).
        """
        task, n_tasks = obs.task, layout.n_tasks
        if task_loss is not None and bool(np.all(layout.kind == SQUARED)):
            sse = 2.0 * np.asarray(task_loss, dtype=np.float64)
        else:
            coef, intercept = parameters
            if is_gpu_array(X):
                decision = _host(self._affine(X, coef, intercept))[_exact._entry_rows(obs),
                                                                    task]
            else:
                decision = _exact.entry_decisions(X, obs, coef, intercept)
            residual = layout.mean[task] + layout.scale[task] * obs.target - decision
            sse = np.bincount(task, weights=obs.weight * residual ** 2, minlength=n_tasks)
        weight = np.bincount(task, weights=obs.weight, minlength=n_tasks)
        count = np.bincount(task, minlength=n_tasks)
        if pooled is None:
            pooled = sse.sum() / weight.sum() if weight.sum() > 0 else 1.0
        with np.errstate(invalid="ignore", divide="ignore"):
            variance = sse / weight
        variance[(count < 2) | ~(variance > 0)] = pooled
        return np.maximum(variance, np.finfo(np.float64).tiny), pooled

    def _new_task_layout(self, Y, sample_weight):
        """Layout of tasks added to the fitted model (``fit_new_tasks``)."""
        if not np.any(self._observed(Y) & (sample_weight[:, None] > 0)):
            return unobserved_regression_layout(Y.shape[1], REGRESSION_LOSSES[self.loss])
        return self._layout(Y, sample_weight)

    def _observations(self, Y, sample_weight, layout):
        return regression_observations(Y.astype(np.float64, copy=False), sample_weight,
                                       layout, self.loss_weighting == "observation")

    def _initial_intercept(self, obs, layout):
        return None

    def _encode(self, Y, layout):
        return Y.astype(np.float64, copy=False), "continuous"

    def _statistics(self, Y, decision, layout, sample_weight=None):
        return RegressionStatistics.from_predictions(Y.astype(np.float64, copy=False),
                                                     decision, sample_weight)

    @staticmethod
    def _statistics_score(stats):
        """The score that ``score`` reports, from (summed) score statistics."""
        return stats.r2("pooled")

    @fit_context
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of SGD over the given samples, continuing any previous fit.

        The first call fixes the tasks and each task's target standardisation.
        A minibatch may lack some tasks: only the tasks it observes update
        their heads and intercepts (the shared factor learns from all).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            NaN marks a missing target.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._partial_fit(X, y, sample_weight, None)

    def predict(self, X):
        """Predict every task.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Y : ndarray of shape (n_samples, n_tasks), or (n_samples,) when fitted
            on a 1-D ``y``; on the GPU, as ``X``'s kind of array, when ``X``
            is a GPU array.
        """
        decision = self._decision(X)
        return _like(decision[:, 0] if self._one_d else decision, X)

    def score(self, X, y, sample_weight=None):
        """Pooled R² on the observed (non-NaN) targets.

        One sum of squared errors over all observed targets against one sum
        of squares about each task's own mean:
        ``1 - sum_t SSE_t / sum_t SST_t`` (:func:`fastmtl.metrics.r2_score`
        with ``multioutput="pooled"``). Unlike the mean of per-task R², it
        stays reliable when tasks have few validation rows, which makes it
        the better criterion for model selection (see docs/model_selection.md);
        the per-task values are ``r2_score(Y, predict(X), multioutput="raw_values")``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        return self._statistics_score(self._score_statistics(X, y, sample_weight))


class MultiTaskClassifierMixin:
    """Classification targets: logistic / softmax loss per task, each task
    with its own classes; NaN or ``missing_label`` = missing; accuracy per task."""

    _numeric_targets = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True  # a 2-D label indicator Y fits as is
        return tags

    def _observed(self, Y):
        return ~missing_mask(Y, self.missing_label)

    def _layout(self, Y, sample_weight, classes=None):
        observed = self._observed(Y) & (sample_weight[:, None] > 0)
        if classes is not None:
            classes = [classes] if Y.shape[1] == 1 and np.ndim(classes[0]) == 0 else classes
            if len(classes) != Y.shape[1]:
                raise ValueError(
                    f"classes has {len(classes)} entries but Y has {Y.shape[1]} tasks."
                )
            classes = [np.unique(np.asarray(c)) for c in classes]
        return classification_layout(Y, observed, classes,
                                     widen_single_class=self._widen_single_class)

    @property
    def _widen_single_class(self):
        """With shrunken intercepts a task that saw one class is fitted too
        (its intercept stays finite), instead of predicting it for sure."""
        return self.fit_intercept and self.intercept_alpha > 0

    def _store_residuals(self, X, obs, layout, task_loss=None):
        """Classifiers' predictive distributions are their probabilities."""

    def _predictive_distributions(self, X):
        """Each task's predictive distribution on every row of ``X``:
        ``("categorical", log_proba, classes)``, one ``(n_samples,
        n_classes_t)`` array of log-probabilities per task and its classes."""
        return ("categorical", self._task_outputs(X, "predict_log_proba"),
                list(self._layout_.classes))

    def _new_task_layout(self, Y, sample_weight):
        """Layout of tasks added to the fitted model (``fit_new_tasks``): a
        task's classes follow the rules of ``fit``, with the fitted tasks'."""
        observed = self._observed(Y) & (sample_weight[:, None] > 0)
        classes = new_task_classes(self._layout_.classes, observed_classes(Y, observed),
                                   self._widen_single_class)
        return classification_layout(Y, observed, classes)

    def _observations(self, Y, sample_weight, layout):
        codes = encode_labels(Y, self._observed(Y), layout.classes)
        return build_observations(codes, sample_weight,
                                  per_observation=self.loss_weighting == "observation")

    def _encode(self, Y, layout):
        return encode_labels(Y, self._observed(Y), layout.classes), "categorical"

    def _initial_intercept(self, obs, layout):
        """Each task's loss starts from its observed class frequencies; a task
        without a label from those of all tasks (which then share its classes)."""
        b = np.zeros(layout.n_outputs)
        empty = np.bincount(obs.task, minlength=layout.n_tasks) == 0
        for t in range(layout.n_tasks):
            if layout.n_out[t] == 0:
                continue
            mine = obs.task == t if not empty[t] else np.ones(obs.task.shape, bool)
            class_weight = np.bincount(obs.target[mine].astype(np.int64),
                                       weights=obs.weight[mine],
                                       minlength=len(layout.classes[t])) + 1e-3
            start = layout.out_start[t]
            b[start:start + layout.n_out[t]] = layout.loss(t).initial_intercept(
                class_weight)
        return b

    def _task_predictions(self, decision, layout):
        classes = layout.classes
        try:
            dtype = np.result_type(*[c.dtype for c in classes])
        except TypeError:
            dtype = object
        out = np.empty((decision.shape[0], layout.n_tasks), dtype=dtype)
        for t, c in enumerate(classes):
            start, n_out = layout.out_start[t], layout.n_out[t]
            out[:, t] = layout.loss(t).predict(decision[:, start:start + n_out], c)
        return out

    def _statistics(self, Y, decision, layout, sample_weight=None):
        return ClassificationStatistics.from_predictions(
            Y, self._task_predictions(decision, layout), sample_weight, self.missing_label)

    @staticmethod
    def _statistics_score(stats):
        """The score that ``score`` reports, from (summed) score statistics."""
        return stats.accuracy("pooled")

    @fit_context
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch of SGD over the given samples, continuing any previous fit.

        A minibatch may lack some tasks: only the tasks it observes update
        their heads and intercepts (the shared factor learns from all).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Labels; NaN or ``missing_label`` marks a missing one.
        sample_weight : array-like of shape (n_samples,), default=None
        classes : list of arrays (one per task), or an array for a 1-D ``Y``
            All the classes of each task. Needed on the first call for any
            class absent from its batch; ignored afterwards.

        Returns
        -------
        self : object
        """
        return self._partial_fit(X, y, sample_weight, classes)

    def decision_function(self, X):
        """Scores of every output: one per binary task, one per class of a
        multiclass task (``output_task_`` says which task an output belongs to).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; a GPU array gives a result on the GPU.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_outputs); for a model fitted on
            a 1-D binary ``y``, shape (n_samples,).
        """
        decision = self._decision(X)
        if self._one_d and decision.shape[1] == 1:
            return _like(decision[:, 0], X)
        return _like(decision, X)

    def _task_outputs(self, X, method):
        """``method`` (a loss's predict_proba or predict_log_proba) of every
        task, one array per task."""
        decision = _host(self._decision(X))
        layout = self._layout_
        return [getattr(layout.loss(t), method)(
                    decision[:, layout.out_start[t]:layout.out_start[t] + layout.n_out[t]])
                for t in range(layout.n_tasks)]

    def _per_task(self, X, method):
        """``method`` of every task as ``predict_proba`` returns it."""
        results = self._task_outputs(X, method)
        if self._multilabel:  # the probability of classes_[1], one column per task
            return _like(np.column_stack([r[:, 1] for r in results]), X)
        results = [_like(r, X) for r in results]
        return results[0] if self._one_d else results

    def predict_proba(self, X):
        """Class probabilities of each task.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; a GPU array gives a result on the GPU.

        Returns
        -------
        proba : list of n_tasks arrays of shape (n_samples, n_classes_t); one
            such array for a model fitted on a 1-D ``y``; and for multi-label
            data (two or more tasks, each with the classes 0 and 1) an array of
            shape (n_samples, n_tasks) holding the probability of label 1 of
            each task, as scikit-learn's ``MLPClassifier`` returns it.
        """
        return self._per_task(X, "predict_proba")

    @property
    def _multilabel(self):
        return _is_label_indicator(self._layout_.classes, self._one_d)

    def predict_log_proba(self, X):
        """Logarithm of ``predict_proba``, finite for every finite decision value.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; a GPU array gives a result on the GPU.

        Returns
        -------
        log_proba : list of ndarray, or ndarray
            As ``predict_proba``, in logs (computed from the decision values
            directly, so never ``-inf``).
        """
        return self._per_task(X, "predict_log_proba")

    def predict(self, X):
        """Predicted class of every task.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; a GPU array gives a result on the GPU.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_tasks), or (n_samples,) when fitted
            on a 1-D ``y``.
        """
        prediction = self._task_predictions(_host(self._decision(X)), self._layout_)
        return _like(prediction[:, 0] if self._one_d else prediction, X)

    def score(self, X, y, sample_weight=None):
        """Pooled accuracy: the fraction of all observed labels predicted right.

        An observed label outside a task's fitted classes counts as an error.
        Pooled over tasks (:func:`fastmtl.metrics.accuracy_score` with
        ``multioutput="pooled"``), it stays reliable when tasks have few
        validation labels; per-task values come from
        ``accuracy_score(Y, predict(X), multioutput="raw_values")``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Labels; NaN or ``missing_label`` marks a missing one.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        return self._statistics_score(self._score_statistics(X, y, sample_weight))


__all__ = ["MultiTaskEstimator", "MultiTaskRegressorMixin", "MultiTaskClassifierMixin"]
