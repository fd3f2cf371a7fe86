"""The prediction-divergence penalty of the classifiers (``prediction_penalty``):
its value against the oracle, its gradient against finite differences, and
what fitting with it does."""
import numpy as np
import pytest

from fastmtl import SharedCodebookClassifier, SharedLatentClassifier
from fastmtl.linear_model._base import _user_parameters
from fastmtl.relatedness import prediction_divergence

from . import naive


def _labels(seed=0, multiclass=False, n=80):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    scores = np.column_stack([X[:, 0], X[:, 0] + 0.5 * X[:, 1], X[:, 1]])
    scores = scores + 0.5 * rng.standard_normal(scores.shape)
    Y = np.digitize(scores, [-0.4, 0.4]) if multiclass else (scores > 0).astype(int)
    return X, Y.astype(float)


GRAPH = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.0], [0.5, 0.0, 0.0]])


@pytest.mark.parametrize("make", [
    lambda: SharedLatentClassifier(alpha=0.1, prediction_penalty=0.7, task_graph=GRAPH),
    lambda: SharedLatentClassifier(2, alpha=0.1, prediction_penalty=0.7, task_graph=GRAPH,
                                   random_state=0),
    lambda: SharedCodebookClassifier(2, sparsity=0.01, prediction_penalty=0.7,
                                     task_graph=GRAPH, random_state=0),
])
@pytest.mark.parametrize("multiclass", [False, True])
def test_penalty_value_and_gradient(make, multiclass):
    X, Y = _labels(1, multiclass)
    model = make().fit(X, Y)
    rng = np.random.default_rng(2)
    state = model._state.copy()
    state.U += 0.1 * rng.standard_normal(state.U.shape)
    state.V += 0.3 * rng.standard_normal(state.V.shape) * (state.V != 0) \
        + 0.3 * rng.standard_normal(state.V.shape) * (np.arange(state.V.shape[1])
                                                      < model._latent(3)[0])
    state.b += 0.2 * rng.standard_normal(state.b.shape)
    with_penalty, grad = model._objective_and_gradient(X, Y, state=state)
    model.set_params(prediction_penalty=0.0)
    without, _ = model._objective_and_gradient(X, Y, state=state)
    coef, intercept = _user_parameters(state, model._layout_)
    expected = naive.prediction_kl_penalty(X, coef, intercept, model.output_task_, GRAPH, 0.7)
    np.testing.assert_allclose(with_penalty - without, expected, rtol=1e-10)
    model.set_params(prediction_penalty=0.7)
    # Central differences of the smooth objective (the codebook's lasso is
    # linear away from zero: the random point keeps its signs).
    k, frozen = model._latent(3)
    l1 = getattr(model, "sparsity", 0.0)
    for name in ("U", "V", "b"):
        array, g = getattr(state, name), getattr(grad, name)
        for index in list(np.ndindex(array.shape))[:12]:
            fixed = ((name == "V" and index[1] >= k)  # the shared component's 1s
                     or (name == "U" and frozen and index[0] < k))  # the identity
            if fixed:
                assert g[index] == 0.0
                continue
            old = array[index]
            h = 1e-6 * max(1.0, abs(old))
            array[index] = old + h
            up, _ = model._objective_and_gradient(X, Y, state=state)
            array[index] = old - h
            down, _ = model._objective_and_gradient(X, Y, state=state)
            array[index] = old
            lasso = l1 * np.sign(old) if name == "V" else 0.0  # not in the gradient
            assert g[index] == pytest.approx((up - down) / (2 * h) - lasso, rel=1e-5,
                                             abs=1e-8), (name, index)


def test_the_penalty_pulls_linked_tasks_predictions_together():
    X, Y = _labels(3, n=60)
    graph = np.zeros((3, 3))
    graph[0, 2] = graph[2, 0] = 1.0
    divergence = []
    for strength in (0.0, 0.1, 1.0, 10.0):
        model = SharedLatentClassifier(alpha=0.01, task_graph=graph,
                                       prediction_penalty=strength).fit(X, Y)
        divergence.append(prediction_divergence(model, X, kind="symmetric_kl")[0, 2])
    assert np.all(np.diff(divergence) < 0)
    assert divergence[-1] < 0.05 * divergence[0]


def test_the_fit_is_the_optimum_of_the_penalised_objective():
    X, Y = _labels(4)
    model = SharedLatentClassifier(alpha=0.1, task_graph=GRAPH, prediction_penalty=2.0,
                                   solver="exact").fit(X, Y)
    value, grad = model._objective_and_gradient(X, Y)
    k = model._latent(3)[0]
    assert np.max(np.abs(grad.V[:, :k])) < 1e-6
    assert np.max(np.abs(grad.b)) < 1e-6
    assert np.max(np.abs(grad.U[k:])) < 1e-6  # the shared component


def test_prediction_penalty_errors():
    X, Y = _labels()
    with pytest.raises(ValueError, match="task_graph"):
        SharedLatentClassifier(prediction_penalty=1.0).fit(X, Y)
    with pytest.raises(ValueError, match="exact solver"):
        SharedLatentClassifier(prediction_penalty=1.0, task_graph=GRAPH,
                               solver="sgd").fit(X, Y)
    with pytest.raises(ValueError, match="exact solver"):
        SharedLatentClassifier(prediction_penalty=1.0, task_graph=GRAPH).partial_fit(
            X, Y, classes=[[0, 1]] * 3)
    mixed = Y.copy()
    mixed[:, 1] = np.digitize(X[:, 1], [-0.4, 0.4])
    with pytest.raises(ValueError, match="tasks 0 and 1, whose classes differ"):
        SharedLatentClassifier(prediction_penalty=1.0, task_graph=GRAPH).fit(X, mixed)
    with pytest.raises(ValueError, match="prediction_penalty"):
        SharedLatentClassifier(prediction_penalty=-1.0).fit(X, Y)
