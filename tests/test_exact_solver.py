"""The shared component, shrunken intercepts, loss weighting and the exact
solver, against independent oracles (``tests/naive.py``)."""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from fastmtl import (
    SharedCodebookRegressor,
    SharedLatentClassifier,
    SharedLatentRegressor,
)
from fastmtl.datasets import make_multitask_classification, make_multitask_regression
from fastmtl.linear_model._model import FactorState
from fastmtl.linear_model._solvers import _exact

from . import naive
from .test_sgd_solver import _finite_difference


def _stacked_regression(seed=0, n_tasks=6, n_features=3):
    """Tasks stacked one after another, shared slopes plus small deviations."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 25, n_tasks)
    X = rng.standard_normal((sizes.sum(), n_features))
    task = np.repeat(np.arange(n_tasks), sizes)
    w = rng.standard_normal(n_features) + 0.3 * rng.standard_normal((n_tasks, n_features))
    b = 2.0 + rng.standard_normal(n_tasks)
    y = np.einsum("ij,ij->i", X, w[task]) + b[task] + 0.5 * rng.standard_normal(task.size)
    Y = np.full((task.size, n_tasks), np.nan)
    Y[np.arange(task.size), task] = 3.0 * y + 1.0
    return X, Y


def _objective(est, X, Y, sample_weight=None, state=None):
    return est._objective_and_gradient(X, Y, sample_weight, state=state)[0]


@pytest.mark.parametrize("per_observation", [True, False])
def test_closed_form_equals_the_written_out_ridge_system(per_observation):
    X, Y = _stacked_regression()
    sw = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[0])
    params = dict(alpha=0.05, shared_alpha=1e-3, intercept_alpha=0.02)
    est = SharedLatentRegressor(
        n_components=None, solver="exact",
        loss_weighting="observation" if per_observation else "task", **params,
    ).fit(X, Y, sample_weight=sw)
    coef, intercept = naive.mean_regularised_closed_form(
        X, Y, sample_weight=sw, per_observation=per_observation, **params)
    np.testing.assert_allclose(est.coef_, coef, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(est.intercept_, intercept, rtol=1e-8, atol=1e-10)
    assert est.n_iter_ == 1


def test_objective_matches_oracle_with_new_penalties():
    X, Y = _stacked_regression(seed=2)
    sw = np.random.default_rng(3).uniform(0.5, 2.0, X.shape[0])
    est = SharedLatentRegressor(2, alpha=0.05, shared_alpha=0.1, intercept_alpha=0.3,
                                solver="exact", random_state=0).fit(X, Y, sample_weight=sw)
    rng = np.random.default_rng(4)
    base = est._state
    state = FactorState(U=base.U + 0.1 * rng.standard_normal(base.U.shape),
                        V=base.V.copy(), b=base.b + 0.1 * rng.standard_normal(base.b.shape))
    state.V[:, :2] += 0.1 * rng.standard_normal((state.V.shape[0], 2))
    value, grads = est._objective_and_gradient(X, Y, sw, state=state)
    layout = est._layout_

    def oracle():
        V_user = state.V * layout.scale[:, None]
        return naive.multitask_objective(
            X, Y, state.U[:2], V_user[:, :2], layout.mean + layout.scale * state.b,
            alpha_u=0.05, alpha_v=0.05, sample_weight=sw, w0=state.U[2],
            shared_alpha=0.1, intercept_alpha=0.3, per_observation=True)

    assert value == pytest.approx(oracle(), rel=1e-10)
    expected = _finite_difference(oracle, [state.U, state.V, state.b])
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert np.all(grads.V[:, 2:] == 0.0)  # the shared component's fixed 1 is not trained


def test_lbfgs_reaches_the_closed_form_optimum():
    X, Y = _stacked_regression(seed=5)
    est = SharedLatentRegressor(n_components=None, alpha=0.03, intercept_alpha=0.01,
                                solver="exact").fit(X, Y)
    optimum = _objective(est, X, Y)
    problem = est._fitted_problem(X, Y, None)
    state = est._state.copy()
    state.U[-1] = 0.0
    state.V[:, :-1] = 0.0
    state.b[:] = 0.0
    _exact.lbfgs(problem, state, est.task_weights_ / est.n_tasks_, max_iter=5000,
                 tol=1e-15)
    assert _objective(est, X, Y, state=state) == pytest.approx(optimum, rel=1e-8)
    np.testing.assert_allclose(state.b, est._state.b, atol=1e-5)


def test_low_rank_exact_reaches_alternating_least_squares():
    X, Y = make_multitask_regression(40, 4, 5, rank=2, shared_X=True, noise=0.3,
                                     random_state=0)
    est = SharedLatentRegressor(2, alpha=0.01, shared_alpha=None, intercept_alpha=0.0,
                                loss_weighting="task", solver="exact",
                                random_state=0).fit(X, Y)
    U, V, b = naive.alternating_least_squares(X, Y, 2, 0.01, n_iter=3000)
    oracle = naive.multitask_objective(X, Y, U, V, b, alpha_u=0.01, alpha_v=0.01)
    assert est.objective(X, Y) == pytest.approx(oracle, rel=1e-8)
    np.testing.assert_allclose(est.coef_, V @ U, atol=1e-4)


def test_full_batch_sgd_reaches_the_exact_optimum():
    X, Y = _stacked_regression(seed=6)
    params = dict(n_components=None, alpha=0.05, intercept_alpha=0.02)
    exact = SharedLatentRegressor(solver="exact", **params).fit(X, Y)
    sgd = SharedLatentRegressor(solver="sgd", batch_size=10**6, max_iter=4000,
                                learning_rate=0.01, tol=None, random_state=0,
                                **params).fit(X, Y)
    assert _objective(sgd, X, Y) == pytest.approx(_objective(exact, X, Y), rel=1e-5)
    np.testing.assert_allclose(sgd.coef_, exact.coef_, atol=2e-3)


def test_no_latent_components_with_huge_task_penalty_is_pooled_with_shrunken_intercepts():
    X, Y = _stacked_regression(seed=7)
    huge = SharedLatentRegressor(n_components=None, alpha=1e10, intercept_alpha=0.05,
                                 solver="exact").fit(X, Y)
    pooled = SharedLatentRegressor(n_components=0, intercept_alpha=0.05,
                                   solver="exact").fit(X, Y)
    # Pooled slopes with shrunken intercepts: the written-out system with the
    # task deviations penalised away.
    coef, intercept = naive.mean_regularised_closed_form(
        X, Y, alpha=1e12, shared_alpha=1e-4, intercept_alpha=0.05)
    np.testing.assert_allclose(pooled.coef_, coef, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(pooled.intercept_, intercept, rtol=1e-7)
    np.testing.assert_allclose(huge.coef_, pooled.coef_, rtol=1e-6, atol=1e-8)
    assert np.ptp(pooled.coef_, axis=0).max() < 1e-12  # one slope for all tasks


def test_intercepts_shrink_towards_the_shared_one():
    X, Y = _stacked_regression(seed=8)
    spread = [np.std(SharedLatentRegressor(n_components=0, intercept_alpha=a,
                                           solver="exact").fit(X, Y).intercept_)
              for a in (0.0, 0.01, 1.0, 1e6)]
    assert spread[0] > spread[1] > spread[2] > spread[3]
    assert spread[3] < 1e-4 * spread[0]


def test_exact_leave_one_out_equals_refits():
    X, Y = _stacked_regression(seed=9, n_tasks=4)
    est = SharedLatentRegressor(n_components=None, alpha=0.05, intercept_alpha=0.02,
                                solver="exact").fit(X, Y)
    problem = est._fitted_problem(X, Y, None)
    factor = est.task_weights_ / est.n_tasks_
    state = est._state.copy()
    decision, rows = _exact.leave_one_out_decisions(problem, state, factor)
    for e in [0, 5, 17, len(rows) - 1]:
        weight = problem.obs.weight.copy()
        problem.obs.weight[e] = 0.0
        refit = est._state.copy()
        _exact.closed_form(problem, refit, factor)
        problem.obs.weight[:] = weight
        t = problem.obs.task[e]
        coef = (refit.V * est._layout_.scale[:, None]) @ refit.U
        intercept = est._layout_.mean + est._layout_.scale * refit.b
        assert decision[e] == pytest.approx(X[rows[e]] @ coef[t] + intercept[t], rel=1e-9)


def test_newton_step_leave_one_out_is_close_for_logistic():
    X, Y = make_multitask_classification(30, 3, 3, random_state=0)
    est = SharedLatentClassifier(n_components=None, alpha=0.1, intercept_alpha=0.1,
                                 solver="exact").fit(X, Y)
    problem = est._fitted_problem(X, Y, None)
    factor = est.task_weights_ / est.n_tasks_
    decision, rows = _exact.leave_one_out_decisions(problem, est._state.copy(), factor)
    errors = []
    for e in [0, 20, 50]:
        weight = problem.obs.weight.copy()
        problem.obs.weight[e] = 0.0
        refit = est._state.copy()
        _exact.lbfgs(problem, refit, factor, max_iter=5000, tol=1e-15)
        problem.obs.weight[:] = weight
        t = problem.obs.task[e]
        coef = refit.V @ refit.U
        exact = X[rows[e]] @ coef[t] + refit.b[t]
        full = est.decision_function(X[rows[e]:rows[e] + 1])[0, t]
        # The Newton step recovers most of the change a refit makes.
        errors.append(abs(decision[e] - exact) / max(abs(full - exact), 1e-12))
    assert max(errors) < 0.05


def test_classifier_never_predicts_certainty_for_a_single_class_task():
    X, Y = make_multitask_classification(30, 4, 3, random_state=1)
    Y = Y.astype(float)
    Y[:, 2] = np.where(np.isnan(Y[:, 2]), np.nan, 1.0)  # task 2 saw one class
    for solver in ("exact", "sgd"):
        est = SharedLatentClassifier(n_components=None, solver=solver,
                                     random_state=0).fit(X, Y)
        proba = est.predict_proba(X)[:, 2]  # multi-label: P(class 1) per task
        assert np.array_equal(est.classes_, np.arange(4))  # multi-label: the labels
        assert np.all((proba > 1e-6) & (proba < 1 - 1e-6))
        # Without shrinkage the task keeps its one class, predicted for sure.
        free = SharedLatentClassifier(n_components=None, intercept_alpha=0.0,
                                      solver=solver, random_state=0).fit(X, Y)
        assert isinstance(free.classes_, list) and len(free.classes_[2]) == 1


def test_loss_weighting_observation_is_the_pooled_mean_loss():
    X, Y = _stacked_regression(seed=10)
    est = SharedLatentRegressor(n_components=0, shared_alpha=0.0, intercept_alpha=0.0,
                                solver="exact").fit(X, Y)
    pred = est.predict(X)
    seen = ~np.isnan(Y)
    pooled = 0.5 * np.mean((Y[seen] - pred[seen]) ** 2)
    assert est.objective(X, Y) == pytest.approx(pooled, rel=1e-10)


def test_codebook_exact_solver_reaches_a_stationary_point_with_exact_zeros():
    X, Y = make_multitask_regression(30, 5, 6, rank=2, shared_X=True, random_state=0)
    est = SharedCodebookRegressor(3, sparsity=0.05, solver="exact",
                                  random_state=0).fit(X, Y)
    assert np.any(est.codes_ == 0.0)
    # No coordinate move lowers the objective (a stationary point).
    base = est.objective(X, Y)
    for eps in (1e-4, -1e-4):
        state = est._state.copy()
        state.U[0, 0] += eps
        assert _objective(est, X, Y, state=state) >= base - 1e-12


@pytest.mark.parametrize("solver", ["exact", "sgd"])
def test_solver_option_is_honoured(solver):
    X, Y = _stacked_regression(seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = SharedLatentRegressor(n_components=None, solver=solver, max_iter=5).fit(X, Y)
    assert (est.n_iter_ == 1) == (solver == "exact")


def test_exact_solver_rejects_sgd_only_options():
    X, Y = _stacked_regression()
    with pytest.raises(ValueError, match="task_weights"):
        SharedLatentRegressor(solver="exact", task_weights="dynamic").fit(X, Y)
    with pytest.raises(ValueError, match="early_stopping"):
        SharedLatentRegressor(solver="exact", early_stopping=True).fit(X, Y)


def test_sgd_stops_on_the_full_objective_and_warns_when_it_stops_short():
    X, Y = make_multitask_regression(300, 5, 10, rank=2, shared_X=True, random_state=0)
    options = dict(n_components=2, solver="sgd", random_state=0, max_iter=2000)
    with pytest.warns(ConvergenceWarning, match="gradient of the objective is still"):
        noisy = SharedLatentRegressor(batch_size=256, **options).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        full = SharedLatentRegressor(batch_size=10**6, **options).fit(X, Y)
    # The full-objective test runs every n_iter_no_change epochs.
    assert noisy.n_iter_ % 5 == 0 and full.n_iter_ % 5 == 0
    exact = SharedLatentRegressor(solver="exact", n_components=2, random_state=0).fit(X, Y)
    assert full.objective(X, Y) < 1.05 * exact.objective(X, Y)


def _ray_derivatives(est, X, Y):
    """``d/dt J(P (1 + t))`` at ``t = 0`` for each trained block ``P`` (the
    factor's latent rows, its shared rows, the heads' latent columns, the
    intercepts), each over the objective: zero at a stationary point whatever
    the data's scale (the solver converges where each gradient entry, in its
    parameter's unit, is below 1e-3 of the objective)."""
    value, grads = est._objective_and_gradient(X, Y)
    state, k = est._state, est._latent(X.shape[1])[0]
    blocks = [(grads.U[:k], state.U[:k]), (grads.U[k:], state.U[k:]),
              (grads.V[:, :k], state.V[:, :k]), (grads.b, state.b)]
    return np.array([np.sum(g * p) for g, p in blocks]) / value


@pytest.mark.parametrize("x_scale, y_scale", [(1.0, 1.0), (1e3, 1.0), (1e10, 1.0),
                                              (1e-3, 1.0), (1.0, 1e10), (1.0, 1e-3),
                                              (1.0, 1e100)])
def test_exact_fit_reaches_a_stationary_point_at_any_data_scale(x_scale, y_scale):
    # The objective is in the user's units, so a solution's size follows the
    # data's: unscaled, L-BFGS-B stopped far from it (features near 1e10:
    # training R^2 0.972 where unit features give 0.991, reported as
    # converged; targets near 1e-3: one iteration; near 1e100: a NaN trial
    # step and an all-zero model, no warning).
    X, Y = make_multitask_regression(60, 8, 10, shared_X=True, random_state=0)
    X, Y = X * x_scale, Y * y_scale
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = SharedLatentRegressor(2, solver="exact", random_state=0).fit(X, Y)
    np.testing.assert_allclose(_ray_derivatives(est, X, Y), 0.0, atol=1e-3)
    assert est.score(X, Y) > 0.5  # the unit-scale fit's is 0.99
    unit = SharedLatentRegressor(2, solver="exact", random_state=0).fit(X / x_scale,
                                                                         Y / y_scale)
    if x_scale >= 1.0 and y_scale == 1.0:
        # Larger features make the factor's penalty relatively weaker: the
        # fit is at least as close.
        assert est.score(X, Y) >= unit.score(X / x_scale, Y / y_scale) - 1e-6


@pytest.mark.parametrize("x_scale", [1e-3, 1.0, 1e3, 1e10])
def test_exact_classifier_stops_at_a_stationary_point_or_says_so(x_scale):
    # Separable tasks: with features near 1e10 the penalties (user units)
    # barely hold the weights, and the loss falls towards zero; a stop there
    # once passed for convergence.
    X, Y = make_multitask_classification(60, 6, 10, shared_X=True, random_state=0)[:2]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = SharedLatentClassifier(2, solver="exact", random_state=0).fit(X * x_scale, Y)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    rays = _ray_derivatives(est, X * x_scale, Y)
    assert warned or np.max(np.abs(rays)) < 1e-3
    if x_scale <= 1e3:
        assert not warned
    if x_scale >= 1.0:  # smaller features are shrunk more by the same penalties
        assert est.score(X * x_scale, Y) > 0.9


def test_a_stop_far_from_a_stationary_point_is_not_convergence():
    # L-BFGS-B's relative-decrease test (here loose) can stop anywhere on a
    # flat stretch; that was reported as convergence, silently.
    X, Y = make_multitask_regression(60, 8, 10, shared_X=True, random_state=0)
    est = SharedLatentRegressor(2, solver="exact", random_state=0).fit(X, Y)
    problem = est._fitted_problem(X, Y, None)
    state = est._state.copy()
    state.U[:] = np.random.default_rng(0).standard_normal(state.U.shape)
    state.V[:] = 0.0
    n_iter, converged, message = _exact.lbfgs(problem, state, est.task_weights_ / 8,
                                              max_iter=1000, tol=0.5)
    assert n_iter < 1000 and not converged
    assert "the gradient is still" in message
    # Run to the end, the same start converges.
    state.U[:] = np.random.default_rng(0).standard_normal(state.U.shape)
    state.V[:] = 0.0
    assert _exact.lbfgs(problem, state, est.task_weights_ / 8, max_iter=5000,
                        tol=1e-13)[1]
