"""Shared-codebook (GO-MTL) estimators: checks, prox step, recovery, sparsity path."""
import warnings

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastmtl import SharedCodebookClassifier, SharedCodebookRegressor, SharedLatentRegressor
from fastmtl.datasets import make_multitask_regression, unstack_tasks
from fastmtl.linear_model._model import Moments, Params
from fastmtl.linear_model._solvers import _adam, _sgd_cpu

from . import naive
from .test_sgd_solver import _finite_difference, _perturbed_state, _user_state


@parametrize_with_checks([SharedCodebookRegressor(random_state=0),
                          SharedCodebookClassifier(random_state=0)])
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_grid_search_over_sparsity_and_alpha_with_missing_targets():
    X, Y = make_multitask_regression(80, 4, 10, rank=2, shared_X=True, missing_rate=0.3,
                                     random_state=0)
    pipe = make_pipeline(StandardScaler(), SharedCodebookRegressor(2, random_state=0))
    search = GridSearchCV(pipe, {"sharedcodebookregressor__sparsity": [1e-3, 10.0],
                                 "sharedcodebookregressor__alpha": [1e-4, 1e-2]}, cv=3)
    search.fit(X, Y)
    assert search.best_params_["sharedcodebookregressor__sparsity"] == 1e-3
    assert search.best_score_ > 0.8


def test_smooth_gradient_matches_finite_differences():
    X, Y = make_multitask_regression(25, 4, 6, rank=2, shared_X=True, missing_rate=0.3,
                                     random_state=0)
    Y = 4.0 * Y - 1.0
    graph = np.ones((4, 4))
    est = SharedCodebookRegressor(3, alpha=0.05, sparsity=0.02, task_graph=graph,
                                  graph_penalty=0.1, max_iter=3, tol=None, random_state=0,
                                  **naive.CLASSIC_SGD)
    est.fit(X, Y)
    state = _perturbed_state(est)
    value, grads = est._objective_and_gradient(X, Y, state=state)

    def objective(l1_v=0.0):
        U, V, b = _user_state(est, state)
        return naive.multitask_objective(X, Y, U, V, b, alpha_u=0.05, l1_v=l1_v,
                                         graph=graph, graph_penalty=0.1)

    assert value == pytest.approx(objective(l1_v=0.02), rel=1e-10)
    expected = _finite_difference(objective, [state.U, state.V, state.b])
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_prox_step_is_exact_soft_thresholding():
    rng = np.random.default_rng(0)
    U, V, b = rng.standard_normal((2, 3)), rng.standard_normal((4, 2)), np.zeros(4)
    gU, gV, gb = (rng.standard_normal(a.shape) for a in (U, V, b))
    moments = [rng.random(a.shape) * s for a in (U, U, V, V, b, b) for s in (0.1,)]
    scale = np.array([1.0, 2.0, 0.5, 1.0])
    lr, l1 = 0.1, 3.0
    V_before, mV, vV = V.copy(), moments[2].copy(), moments[3].copy()
    step = np.array([4], dtype=np.int64)
    _sgd_cpu.adam_update(Params(U, V, b), Params(gU, gV, gb), Moments(*moments, step), lr,
                         scale, l1, True, V.shape[1])
    b1, b2 = _adam.BETA1, _adam.BETA2
    m = b1 * mV + (1 - b1) * gV
    v = b2 * vV + (1 - b2) * gV ** 2
    m_hat, v_hat = m / (1 - b1 ** 5), v / (1 - b2 ** 5)
    eta = lr / (np.sqrt(v_hat) + _adam.EPS / np.sqrt(1 - b2 ** 5))
    z = V_before - eta * m_hat
    expected = np.sign(z) * np.maximum(np.abs(z) - eta * l1 * scale[:, None], 0.0)
    np.testing.assert_allclose(V, expected, rtol=1e-12, atol=1e-15)
    assert (V == 0).any()  # the threshold cuts some coordinates to exact zeros


def _grouped_tasks(n_per_task=20, n_tasks=30, n_atoms=5, d=40, seed=0):
    """Tasks that are sparse combinations of 2 of ``n_atoms`` atoms, groups overlapping."""
    rng = np.random.default_rng(seed)
    atoms = rng.standard_normal((n_atoms, d))
    codes = np.zeros((n_tasks, n_atoms))
    for t in range(n_tasks):
        first = t % n_atoms
        second = (first + 1 + (t // n_atoms) % 2) % n_atoms
        codes[t, [first, second]] = rng.choice([-1, 1], 2) * rng.uniform(1, 2, 2)
    W = codes @ atoms / np.sqrt(d)
    X = rng.standard_normal((2 * n_per_task * n_tasks, d))
    owner = np.repeat(np.arange(n_tasks), 2 * n_per_task)
    Y = np.full((len(X), n_tasks), np.nan)
    Y[np.arange(len(X)), owner] = (np.einsum("ij,ij->i", X, W[owner])
                                   + 0.3 * rng.standard_normal(len(X)))
    train = np.arange(len(X)) % (2 * n_per_task) < n_per_task
    return X[train], Y[train], X[~train], Y[~train], codes


def _support_agreement(codes, true_codes):
    """|fitted ∩ true| / |fitted ∪ true| of the nonzero patterns, atoms matched."""
    fitted, true = codes != 0, true_codes != 0
    overlap = (fitted[:, :, None] & true[:, None, :]).sum(axis=0)
    rows, cols = linear_sum_assignment(-overlap)
    matched = np.zeros_like(fitted)
    matched[:, cols] = fitted[:, rows]
    return (matched & true).sum() / (matched | true).sum()


def test_recovers_task_groups_and_beats_ridge_and_shared_latent():
    Xtr, Ytr, Xte, Yte, true_codes = _grouped_tasks()
    # GO-MTL's own model (no shared component), trained by SGD as published.
    model = SharedCodebookRegressor(5, alpha=1e-3, sparsity=0.02, learning_rate=0.003,
                                    max_iter=2000, tol=None, random_state=0,
                                    **naive.CLASSIC_SGD).fit(Xtr, Ytr)
    assert _support_agreement(model.codes_, true_codes) >= 0.8
    latent = max(SharedLatentRegressor(5, alpha=alpha, max_iter=2000, random_state=0,
                                       **naive.CLASSIC_SGD)
                 .fit(Xtr, Ytr).score(Xte, Yte) for alpha in (1e-3, 1e-2))
    ridge = np.mean([RidgeCV().fit(a, b).score(c, d) for a, b, c, d in
                     zip(*unstack_tasks(Xtr, Ytr), *unstack_tasks(Xte, Yte))])
    score = model.score(Xte, Yte)
    assert score > latent and score > ridge
    np.testing.assert_allclose(model.coef_, model.codes_ @ model.dictionary_)
    np.testing.assert_allclose(model.transform(Xte), Xte @ model.dictionary_.T)


def test_larger_sparsity_never_gives_more_nonzero_codes():
    # A regularisation path, warm-started from the previous value as lasso_path does.
    Xtr, Ytr, _, _, _ = _grouped_tasks()
    model = SharedCodebookRegressor(5, alpha=1e-3, max_iter=300, tol=None, warm_start=True,
                                    random_state=0)
    counts = [np.count_nonzero(model.set_params(sparsity=s).fit(Xtr, Ytr).codes_)
              for s in (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 1.0)]
    assert all(a >= b for a, b in zip(counts, counts[1:])), counts
    assert counts[-1] <= counts[0] // 10


def test_codebook_classifier_learns_and_has_sparse_codes():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 6))
    Y = np.column_stack([X[:, 0] > 0, X[:, 0] + X[:, 1] > 0, X[:, 1] < 0]).astype(float)
    clf = SharedCodebookClassifier(2, sparsity=0.01, random_state=0, max_iter=300).fit(X, Y)
    assert clf.score(X, Y) > 0.9
    assert clf.codes_.shape == (3, 2) and clf.dictionary_.shape == (2, 6)
