"""``prediction_divergence``: divergences between a fitted model's predictive
distributions of the tasks, against plain per-sample oracles."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmtl import SharedLatentClassifier, SharedLatentRegressor
from fastmtl.relatedness import (
    TaskRelatednessDisplay,
    prediction_divergence,
    relatedness_to_graph,
)
from fastmtl.relatedness import _predictive

from . import naive


def _data(seed=0, n=60, T=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    Y = np.column_stack([X[:, 0], X[:, 0] + 0.3 * X[:, 1], -X[:, 0]][:T])
    return X, Y + 0.4 * rng.standard_normal(Y.shape)


def _classifier(seed=0, multiclass=False):
    X, Y = _data(seed)
    labels = np.digitize(Y, [-0.5, 0.5]) if multiclass else (Y > 0).astype(int)
    return X, labels, SharedLatentClassifier(alpha=0.05).fit(X, labels)


def _oracle_categorical(proba_s, proba_t, kind):
    rows = {"kl": naive.kl_divergence, "js": naive.js_divergence}
    if kind == "symmetric_kl":
        return np.mean(naive.kl_divergence(proba_s, proba_t)
                       + naive.kl_divergence(proba_t, proba_s))
    return np.mean(rows[kind](proba_s, proba_t))


@pytest.mark.parametrize("kind", ["kl", "js", "symmetric_kl"])
@pytest.mark.parametrize("multiclass", [False, True])
def test_classification_divergences_equal_the_per_sample_oracle(kind, multiclass):
    X, _, model = _classifier(1, multiclass)
    proba = model.predict_proba(X)
    proba = [proba[:, [t]] for t in range(proba.shape[1])] if not isinstance(proba, list) \
        else proba
    proba = [np.column_stack([1 - p, p]) if p.shape[1] == 1 else p for p in proba]
    D = prediction_divergence(model, X, kind=kind)
    for s in range(len(proba)):
        for t in range(len(proba)):
            expected = 0.0 if s == t else _oracle_categorical(proba[s], proba[t], kind)
            np.testing.assert_allclose(D[s, t], expected, rtol=1e-9, atol=1e-13)


def test_tasks_with_different_classes_are_not_compared():
    X, Y = _data(2)
    labels = np.column_stack([(Y[:, 0] > 0).astype(int), np.digitize(Y[:, 1], [-0.5, 0.5]),
                              (Y[:, 2] > 0).astype(int)])
    model = SharedLatentClassifier().fit(X, labels)
    D = prediction_divergence(model, X)
    assert np.isnan(D[0, 1]) and np.isnan(D[1, 2])
    assert np.isfinite(D[0, 2]) and D[0, 2] > 0


def _regression_model(seed=0):
    X, Y = _data(seed)
    return X, Y, SharedLatentRegressor(alpha=0.1).fit(X, Y)


@pytest.mark.parametrize("kind", ["kl", "symmetric_kl", "js"])
def test_regression_divergences_equal_the_integrals_of_the_gaussians(kind):
    X, _, model = _regression_model(3)
    X = X[:6]
    mean, var = model.predict(X), model.residual_variance_
    D = prediction_divergence(model, X, kind=kind)
    oracle = {"kl": naive.gaussian_kl, "js": naive.gaussian_js}
    for s in range(3):
        for t in range(3):
            if s == t:
                continue
            if kind == "symmetric_kl":
                values = [naive.gaussian_kl(mean[i, s], var[s], mean[i, t], var[t])
                          + naive.gaussian_kl(mean[i, t], var[t], mean[i, s], var[s])
                          for i in range(len(X))]
            else:
                values = [oracle[kind](mean[i, s], var[s], mean[i, t], var[t])
                          for i in range(len(X))]
            # KL is in closed form; JS is binned with a Richardson step.
            np.testing.assert_allclose(D[s, t], np.mean(values),
                                       rtol=1e-8 if kind != "js" else 5e-4)


def test_residual_variance_is_each_tasks_mean_squared_training_residual():
    X, Y, model = _regression_model(4)
    residual = Y - model.predict(X)
    np.testing.assert_allclose(model.residual_variance_, np.mean(residual ** 2, axis=0),
                               rtol=1e-10)


@pytest.mark.parametrize("kind", ["kl", "js", "symmetric_kl"])
def test_blocks_of_samples_give_the_same_divergence(kind, monkeypatch):
    X, _, model = _regression_model(5)
    _, _, classifier = _classifier(5, multiclass=True)
    whole = [prediction_divergence(m, X, kind=kind) for m in (model, classifier)]
    monkeypatch.setattr(_predictive, "_BLOCK_ENTRIES", 200)
    blocked = [prediction_divergence(m, X, kind=kind) for m in (model, classifier)]
    for a, b in zip(whole, blocked):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(["kl", "js", "symmetric_kl"]),
       classify=st.booleans())
def test_divergences_are_non_negative_and_zero_between_identical_tasks(seed, kind,
                                                                        classify):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 3))
    y = X @ rng.standard_normal(3) + rng.standard_normal(40)
    other = X @ rng.standard_normal(3) + rng.standard_normal(40)
    Y = np.column_stack([y, other, y])  # tasks 0 and 2 are the same task
    if classify:
        Y = (Y > 0).astype(int)
        model = SharedLatentClassifier(alpha=0.1).fit(X, Y)
    else:
        model = SharedLatentRegressor(alpha=0.1).fit(X, Y)
    D = prediction_divergence(model, X, kind=kind)
    assert np.all(D >= 0)
    np.testing.assert_array_equal(np.diag(D), 0.0)
    assert D[0, 2] == pytest.approx(0.0, abs=1e-9)
    if kind == "js":
        assert np.all(D <= np.log(2) + 1e-12)


def test_base_pipeline_graph_and_display():
    X, Y, model = _regression_model(6)
    nats = prediction_divergence(model, X, kind="symmetric_kl")
    np.testing.assert_allclose(prediction_divergence(model, X, kind="symmetric_kl", base=2),
                               nats / np.log(2), rtol=1e-12)
    pipe = make_pipeline(StandardScaler(), SharedLatentRegressor(alpha=0.1)).fit(X, Y)
    direct = prediction_divergence(pipe[-1], pipe[:-1].transform(X))
    np.testing.assert_array_equal(prediction_divergence(pipe, X), direct)
    # As a task graph: related tasks (0 and 1) get the strongest link.
    graph = relatedness_to_graph(nats, "divergence")
    assert graph[0, 1] > graph[0, 2]
    linked = SharedLatentRegressor(alpha=0.1, task_graph=graph, graph_penalty=1.0).fit(X, Y)
    np.testing.assert_array_equal(linked.task_graph_, graph)
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    display = TaskRelatednessDisplay.from_estimator(model, X, None, kind="prediction_js")
    np.testing.assert_allclose(display.matrix, prediction_divergence(model, X, kind="js"))


def test_prediction_divergence_errors():
    X, Y, model = _regression_model()
    with pytest.raises(ValueError, match="kind"):
        prediction_divergence(model, X, kind="hellinger")
    with pytest.raises(ValueError, match="base"):
        prediction_divergence(model, X, base=1.0)
    with pytest.raises(TypeError, match="not a fastmtl multi-task estimator"):
        prediction_divergence(StandardScaler().fit(X), X)
    with pytest.raises(ValueError, match="features"):
        prediction_divergence(model, X[:, :2])
