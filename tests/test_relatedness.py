"""Task relatedness: measures against oracles, graphs, propagation gain, display."""
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import NotFittedError
from sklearn.metrics.pairwise import cosine_similarity
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmtl import (
    SharedCodebookRegressor,
    SharedLatentClassifier,
    SharedLatentRegressor,
)
from fastmtl.datasets import make_multitask_regression
from fastmtl.linear_model._model import FactorState
from fastmtl.relatedness import (
    TaskRelatednessDisplay,
    correlation_graph,
    gradient_similarity,
    relatedness_to_graph,
    task_correlation,
    task_divergence,
    task_histograms,
)

from . import naive
from .test_sgd_solver import _finite_difference, _user_state

matplotlib.use("Agg")


def _targets_with_gaps(n=60, T=5, missing=0.3, seed=0):
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(n, T)) @ rng.normal(size=(T, T))
    Y[rng.random(Y.shape) < missing] = np.nan
    return Y


def _two_group_problem(seed=0, n=60, d=20, T=8, noise=0.5, missing=0.4):
    """Tasks in two groups whose weights are equal within a group; few samples each."""
    rng = np.random.default_rng(seed)
    W = np.repeat(rng.normal(size=(2, d)), T // 2, axis=0)
    group = np.repeat([0, 1], T // 2)
    X = rng.normal(size=(n, d))
    Y = X @ W.T + noise * rng.normal(size=(n, T))
    Y[rng.random(Y.shape) < missing] = np.nan
    X_test = rng.normal(size=(2000, d))
    return X, Y, X_test, X_test @ W.T, (group[:, None] == group).astype(float)


# --------------------------------------------------------------------------- #
# task_correlation                                                            #
# --------------------------------------------------------------------------- #
def test_correlation_equals_corrcoef_on_complete_data():
    Y = _targets_with_gaps(missing=0.0)
    np.testing.assert_allclose(task_correlation(Y), np.corrcoef(Y, rowvar=False),
                               rtol=1e-12, atol=1e-14)


def test_correlation_uses_pairwise_observed_rows_like_pandas():
    Y = _targets_with_gaps(missing=0.4)
    R, counts = task_correlation(Y, return_counts=True)
    expected = pd.DataFrame(Y).corr(min_periods=3).to_numpy()
    np.testing.assert_allclose(R, expected, rtol=1e-10, atol=1e-12)
    seen = (~np.isnan(Y)).astype(int)
    np.testing.assert_array_equal(counts, seen.T @ seen)


def test_correlation_nan_below_min_overlap_and_for_constant_tasks():
    Y = np.array([[1.0, 2.0, 5.0], [2.0, np.nan, 5.0], [3.0, np.nan, 5.0],
                  [4.0, 1.0, 5.0]])
    R, counts = task_correlation(Y, return_counts=True)
    assert counts[0, 1] == 2 and np.isnan(R[0, 1]) and np.isnan(R[1, 0])
    assert np.all(np.isnan(R[2])) and np.all(np.isnan(R[:, 2]))  # constant task
    assert R[0, 0] == 1.0


def test_correlation_is_stable_under_a_large_offset_and_float32():
    Y = _targets_with_gaps(missing=0.2)
    R = task_correlation(Y)
    np.testing.assert_allclose(task_correlation(Y + 1e8), R, atol=1e-6)
    np.testing.assert_allclose(task_correlation(Y.astype(np.float32)), R, atol=1e-5)


def test_correlation_non_contiguous_input_left_unchanged():
    Y = np.asfortranarray(_targets_with_gaps(n=80, T=6))[::2, ::2]
    before = Y.copy()
    R = task_correlation(Y)
    np.testing.assert_array_equal(Y, before)
    expected = pd.DataFrame(np.ascontiguousarray(Y)).corr(min_periods=3).to_numpy()
    np.testing.assert_allclose(R, expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (12, 4), elements=st.floats(-1e3, 1e3)))
def test_correlation_properties(Y):
    R = task_correlation(Y)
    finite = np.isfinite(R)
    np.testing.assert_array_equal(finite, finite.T)
    assert np.all(np.abs(R[finite]) <= 1.0)
    np.testing.assert_allclose(R[finite], R.T[finite], atol=1e-12)


def test_correlation_one_task_and_bad_inputs():
    assert task_correlation(np.arange(5.0)).shape == (1, 1)
    Y = _targets_with_gaps()
    Y[:, 2] = np.nan
    with pytest.raises(ValueError, match="Task 2 of Y has no observed target"):
        task_correlation(Y)
    with pytest.raises(ValueError, match="infinity at sample 0, task 1"):
        task_correlation(np.array([[1.0, np.inf], [2.0, 3.0]]))
    with pytest.raises(ValueError, match="min_overlap"):
        task_correlation(_targets_with_gaps(), min_overlap=1)
    with pytest.raises(ValueError, match="no observed target"):
        task_correlation(np.empty((0, 3)))


def test_correlation_graph_keeps_only_significant_positive_links():
    _, Y, _, _, same_group = _two_group_problem()
    A = correlation_graph(Y)
    off = ~np.eye(len(A), dtype=bool)
    assert np.all(A[(same_group > 0) & off] > 0.9)
    assert np.all(A[same_group == 0] == 0)
    np.testing.assert_array_equal(np.diag(A), 0)


# --------------------------------------------------------------------------- #
# task_divergence                                                             #
# --------------------------------------------------------------------------- #
def test_divergence_equals_pairwise_divergence_of_hand_made_histograms():
    # Task 0 fills bins [0,1) x2, [1,2) x1; task 1: [1,2) x1, [2,3] x3.
    Y = np.array([[0.5, 1.5], [0.2, 2.5], [1.5, 2.2], [np.nan, 3.0], [np.nan, np.nan]])
    edges = [0.0, 1.0, 2.0, 3.0]
    H = np.array([[2, 1, 0], [0, 1, 3]], dtype=float)
    H /= H.sum(axis=1, keepdims=True)
    hist, support = task_histograms(Y, bins=edges)
    np.testing.assert_allclose(hist, H)
    np.testing.assert_array_equal(support, edges)
    for metric in ("js", "symmetric_kl"):
        D = task_divergence(Y, metric=metric, bins=edges)
        expected = naive.pairwise(H, H, metric)
        np.fill_diagonal(expected, 0.0)
        np.testing.assert_allclose(D, expected, rtol=1e-12)
    assert np.isinf(task_divergence(Y, metric="kl", bins=edges)[0, 1])


def test_divergence_smoothing_keeps_kl_finite():
    Y = np.array([[0.5, 2.5], [0.6, 2.6], [0.7, 2.9]])
    edges = [0.0, 1.0, 2.0, 3.0]
    D = task_divergence(Y, metric="kl", bins=edges, smoothing=1.0)
    P = np.array([[4.0, 1, 1], [1, 1, 4]]) / 6
    np.testing.assert_allclose(D[0, 1], naive.kl_divergence(P[0], P[1]), rtol=1e-12)
    assert np.all(np.isfinite(D))


def test_divergence_of_labels_uses_label_frequencies():
    Y = np.array([["a", "b"], ["a", None], ["b", "c"], ["a", "b"]], dtype=object)
    H, labels = task_histograms(Y)
    assert list(labels) == ["a", "b", "c"]
    np.testing.assert_allclose(H, [[3 / 4, 1 / 4, 0], [0, 2 / 3, 1 / 3]])
    # Integer-valued floats read as labels; target_type forces the reading.
    Yf = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [1.0, np.nan]])
    np.testing.assert_allclose(task_histograms(Yf)[0], [[1 / 4, 3 / 4], [1 / 3, 2 / 3]])
    assert task_histograms(Yf, target_type="continuous", bins=4)[0].shape == (2, 4)
    with pytest.raises(TypeError, match="numeric"):
        task_histograms(Y, target_type="continuous")


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (15, 3), elements=st.floats(-50, 50)),
       st.sampled_from(["js", "kl", "symmetric_kl"]))
def test_divergence_properties(Y, metric):
    D = task_divergence(Y, metric=metric, smoothing=0.5)
    assert np.all(D >= -1e-12) and np.all(np.diag(D) == 0)
    if metric == "js":
        assert np.all(D <= np.log(2) + 1e-12)
    if metric != "kl":
        np.testing.assert_allclose(D, D.T, atol=1e-12)


def test_divergence_bad_inputs():
    with pytest.raises(ValueError, match="metric"):
        task_divergence(_targets_with_gaps(), metric="euclidean")
    with pytest.raises(ValueError, match="smoothing"):
        task_divergence(_targets_with_gaps(), smoothing=-1)
    with pytest.raises(ValueError, match="target_type"):
        task_divergence(_targets_with_gaps(), target_type="ordinal")
    Y = _targets_with_gaps()
    Y[:, 0] = np.nan
    with pytest.raises(ValueError, match="Task 0 of Y has no observed target"):
        task_divergence(Y)


# --------------------------------------------------------------------------- #
# gradient_similarity                                                         #
# --------------------------------------------------------------------------- #
def _finite_difference_task_gradients(est, X, Y, sw, losses):
    """Per-task gradients of the NumPy task losses w.r.t. U, by finite differences."""
    state = est._state.copy()
    grads = []
    for t in range(Y.shape[1]):
        def task_loss(t=t):
            U, V, b = _user_state(est, state)
            return naive._task_losses(X, Y, sw, V @ U, b, losses)[t]
        grads.append(_finite_difference(task_loss, [state.U])[0].ravel())
    return np.array(grads)


def test_gradient_similarity_matches_finite_differences_regression():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 4))
    Y = X @ rng.normal(size=(4, 4)) + rng.normal(size=(40, 4))
    Y[rng.random(Y.shape) < 0.3] = np.nan
    sw = rng.uniform(0.5, 2.0, size=40)
    est = SharedLatentRegressor(n_components=2, max_iter=5, tol=None, random_state=0)
    est.fit(X, Y, sample_weight=sw)
    S = gradient_similarity(est, X, Y, sample_weight=sw)
    G = _finite_difference_task_gradients(est, X, Y, sw, ["squared"] * 4)
    np.testing.assert_allclose(S, cosine_similarity(G), atol=1e-7)
    np.testing.assert_allclose(np.diag(S), 1.0)


def test_gradient_similarity_matches_finite_differences_binary_and_codebook():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3))
    Y = (X @ rng.normal(size=(3, 3)) > 0).astype(float)
    Y[rng.random(Y.shape) < 0.2] = np.nan
    clf = SharedLatentClassifier(n_components=2, max_iter=5, tol=None, random_state=0)
    clf.fit(X, Y)
    G = _finite_difference_task_gradients(clf, X, Y, None, ["logistic"] * 3)
    np.testing.assert_allclose(gradient_similarity(clf, X, Y), cosine_similarity(G),
                               atol=1e-7)
    Yr = X @ rng.normal(size=(3, 3))
    cb = SharedCodebookRegressor(n_atoms=2, max_iter=5, tol=None, random_state=0).fit(X, Yr)
    G = _finite_difference_task_gradients(cb, X, Yr, None, ["squared"] * 3)
    np.testing.assert_allclose(gradient_similarity(cb, X, Yr), cosine_similarity(G),
                               atol=1e-7)


def test_task_gradients_sum_to_the_objective_gradient_with_softmax():
    """The weighted sum of per-task gradients plus the penalty is the solver's gU."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 4))
    Y = np.column_stack([rng.integers(0, 3, 60), rng.integers(0, 2, 60),
                         rng.integers(0, 4, 60)]).astype(float)
    Y[rng.random(Y.shape) < 0.2] = np.nan
    est = SharedLatentClassifier(n_components=3, alpha=0.01, max_iter=3, tol=None,
                                 task_weights=[1.0, 2.0, 0.5], random_state=0,
                                 **naive.CLASSIC_SGD).fit(X, Y)
    state = FactorState(U=est._state.U, V=rng.normal(size=est._state.V.shape),
                        b=rng.normal(size=est._state.b.shape))
    G = est._task_gradients(X, Y, state=state)
    _, (gU, _, _) = est._objective_and_gradient(X, Y, state=state)
    weights = est.task_weights_ / 3
    np.testing.assert_allclose(np.tensordot(weights, G, axes=1) + 0.01 * state.U, gU,
                               rtol=1e-10, atol=1e-12)


def test_gradient_similarity_through_a_pipeline_and_errors():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 3)) * 10 + 5
    Y = X @ rng.normal(size=(3, 2))
    pipe = make_pipeline(StandardScaler(), SharedLatentRegressor(
        n_components=2, max_iter=3, tol=None, random_state=0)).fit(X, Y)
    S = gradient_similarity(pipe, X, Y)
    expected = gradient_similarity(pipe[-1], pipe[0].transform(X), Y)
    np.testing.assert_allclose(S, expected)
    with pytest.raises(NotFittedError):
        gradient_similarity(SharedLatentRegressor(), X, Y)
    with pytest.raises(TypeError, match="not a fastmtl multi-task estimator"):
        gradient_similarity(StandardScaler().fit(X), X, Y)


def test_gradient_similarity_nan_for_a_task_without_gradient():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30, 3))
    Y = (X @ rng.normal(size=(3, 3)) > 0).astype(float)
    Y[:, 1] = 1.0  # a single class: nothing to learn, zero gradient, undefined cosine
    est = SharedLatentClassifier(n_components=2, max_iter=3, tol=None, random_state=0,
                                 intercept_alpha=0.0)
    est.fit(X, Y)
    with pytest.warns(UserWarning, match=r"Task\(s\) \[1\] have a zero gradient"):
        S = gradient_similarity(est, X, Y)
    assert np.all(np.isnan(S[1])) and np.all(np.isnan(S[:, 1]))
    assert np.isfinite(S[0, 2]) and S[0, 0] == pytest.approx(1.0)


# --------------------------------------------------------------------------- #
# relatedness_to_graph                                                        #
# --------------------------------------------------------------------------- #
def test_relatedness_to_graph_kinds():
    R = np.array([[1.0, 0.5, -0.3], [0.5, 1.0, np.nan], [-0.3, np.nan, 1.0]])
    np.testing.assert_array_equal(relatedness_to_graph(R, "correlation"),
                                  [[0, 0.5, 0], [0.5, 0, 0], [0, 0, 0]])
    D = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, np.inf], [2.0, np.inf, 0.0]])
    A = relatedness_to_graph(D, "divergence")  # median of {1, 1, 2, 2} = 1.5
    np.testing.assert_allclose(A, [[0, np.exp(-1 / 1.5), np.exp(-2 / 1.5)],
                                   [np.exp(-1 / 1.5), 0, 0], [np.exp(-2 / 1.5), 0, 0]])
    np.testing.assert_allclose(relatedness_to_graph(D, "divergence", scale=2.0)[0, 1],
                               np.exp(-0.5))


def test_relatedness_to_graph_bad_inputs():
    with pytest.raises(ValueError, match="square"):
        relatedness_to_graph(np.ones((2, 3)), "correlation")
    with pytest.raises(ValueError, match="no negative entries"):
        relatedness_to_graph(np.array([[0.0, -1.0], [1.0, 0.0]]), "divergence")
    with pytest.raises(ValueError, match="kind"):
        relatedness_to_graph(np.eye(2), "distance")
    with pytest.raises(ValueError, match="scale"):
        relatedness_to_graph(np.eye(2), "divergence", scale=0)
    with pytest.raises(TypeError, match="numeric"):
        relatedness_to_graph(np.array([["a", "b"], ["c", "d"]]), "correlation")


# --------------------------------------------------------------------------- #
# Knowledge propagation in the estimators                                     #
# --------------------------------------------------------------------------- #
def _fit_two_groups(task_graph, graph_penalty, X, Y):
    return SharedLatentRegressor(
        n_components=X.shape[1], alpha=1e-3, task_graph=task_graph,
        graph_penalty=graph_penalty, max_iter=300, tol=None, batch_size=64,
        random_state=0).fit(X, Y)


def test_graph_penalty_with_true_graph_helps_and_correlation_recovers_it():
    X, Y, X_test, Y_test, true_graph = _two_group_problem()
    alone = 1 - _fit_two_groups(None, 0.0, X, Y).score(X_test, Y_test)
    with_truth = 1 - _fit_two_groups(true_graph, 1.0, X, Y).score(X_test, Y_test)
    estimated = _fit_two_groups("correlation", 1.0, X, Y)
    with_estimate = 1 - estimated.score(X_test, Y_test)
    assert with_truth < 0.5 * alone
    # "most of the gain": at least 80 % of the error reduction.
    assert alone - with_estimate >= 0.8 * (alone - with_truth)
    np.testing.assert_array_equal(estimated.task_graph_ > 0,
                                  (true_graph > 0) & ~np.eye(8, dtype=bool))


@pytest.mark.parametrize("name", ["kl", "js"])
def test_divergence_graphs_are_estimated_and_stored(name):
    X, Y, *_ = _two_group_problem()
    est = SharedLatentRegressor(n_components=3, task_graph=name, graph_penalty=0.01,
                                max_iter=3, tol=None, random_state=0).fit(X, Y)
    A = est.task_graph_
    assert A.shape == (8, 8) and np.all(np.isfinite(A)) and np.all(A >= 0)
    assert np.all(np.diag(A) == 0) and np.any(A > 0)
    Yc = np.where(np.isnan(Y), np.nan, Y > 0)
    clf = SharedLatentClassifier(n_components=2, task_graph=name, graph_penalty=0.01,
                                 max_iter=2, tol=None, random_state=0).fit(X, Yc)
    assert np.all(np.isfinite(clf.task_graph_)) and np.any(clf.task_graph_ > 0)


def test_estimated_graph_for_classifiers_and_partial_fit():
    X, Y, *_ = _two_group_problem(n=120, noise=0.1)
    labels = np.where(np.isnan(Y), None, np.where(Y > 0, "yes", "no")).astype(object)
    clf = SharedLatentClassifier(n_components=2, task_graph="correlation",
                                 graph_penalty=0.1, max_iter=3, tol=None,
                                 random_state=0).fit(X, labels)
    assert clf.task_graph_[0, 1] > 0.3 and clf.task_graph_[0, 7] == 0
    reg = SharedLatentRegressor(n_components=2, task_graph="correlation",
                                graph_penalty=0.1, random_state=0)
    reg.partial_fit(X[:60], Y[:60])
    first = reg.task_graph_.copy()
    reg.partial_fit(X[60:], Y[60:])
    np.testing.assert_array_equal(reg.task_graph_, first)  # fixed by the first call
    with pytest.raises(ValueError, match="task_graph"):
        SharedLatentRegressor(task_graph="cosine").fit(X, Y)


# --------------------------------------------------------------------------- #
# TaskRelatednessDisplay                                                      #
# --------------------------------------------------------------------------- #
def _rendered_pixels(figure):
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba())


def test_display_from_matrix_renders_with_labels_and_colorbar():
    import matplotlib.pyplot as plt

    R = task_correlation(_targets_with_gaps())
    names = ["a", "b", "c", "d", "e"]
    display = TaskRelatednessDisplay.from_matrix(R, task_names=names, kind="correlation")
    pixels = _rendered_pixels(display.figure_)
    assert pixels.size and np.any(pixels[..., :3] < 250)  # something drawn
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == names
    assert [t.get_text() for t in display.ax_.get_yticklabels()] == names
    assert display.colorbar_ is not None and len(display.figure_.axes) == 2
    np.testing.assert_allclose(display.im_.get_array(), R)
    assert display.text_.shape == (5, 5) and display.text_[0, 1].get_text() == f"{R[0, 1]:.2f}"
    plt.close(display.figure_)


def test_display_cluster_order_groups_related_tasks():
    import matplotlib.pyplot as plt

    _, Y, *_ = _two_group_problem()
    shuffle = np.array([0, 4, 1, 5, 2, 6, 3, 7])
    display = TaskRelatednessDisplay.from_matrix(
        task_correlation(Y[:, shuffle]), kind="correlation", order="cluster",
        annotate=False, colorbar=False)
    groups = (shuffle[display.order_] >= 4).astype(int)
    assert np.count_nonzero(np.diff(groups)) == 1  # each group drawn contiguously
    assert display.text_ is None and display.colorbar_ is None
    names = [t.get_text() for t in display.ax_.get_xticklabels()]
    assert names == [f"task {t}" for t in display.order_]
    plt.close(display.figure_)


@pytest.mark.parametrize("kind", ["gradient", "correlation", "js"])
def test_display_from_estimator(kind):
    import matplotlib.pyplot as plt

    X, Y, *_ = _two_group_problem()
    frame = pd.DataFrame(Y, columns=[f"y{t}" for t in range(8)])
    est = SharedLatentRegressor(n_components=3, max_iter=3, tol=None, random_state=0)
    est.fit(X, Y)
    display = TaskRelatednessDisplay.from_estimator(est, X, frame, kind=kind)
    assert [t.get_text() for t in display.ax_.get_yticklabels()] == list(frame.columns)
    assert display.kind == {"gradient": "similarity"}.get(kind, kind if kind ==
                                                          "correlation" else "divergence")
    assert _rendered_pixels(display.figure_).size
    plt.close(display.figure_)


def test_display_errors():
    import matplotlib.pyplot as plt

    X, Y, *_ = _two_group_problem()
    with pytest.raises(NotFittedError):
        TaskRelatednessDisplay.from_estimator(SharedLatentRegressor(), X, Y)
    with pytest.raises(ValueError, match="task_names has 2 names but the matrix has 3"):
        TaskRelatednessDisplay.from_matrix(np.eye(3), task_names=["a", "b"])
    with pytest.raises(ValueError, match="square"):
        TaskRelatednessDisplay.from_matrix(np.ones((3, 2)))
    with pytest.raises(ValueError, match="permutation"):
        TaskRelatednessDisplay.from_matrix(np.eye(3), order=[0, 0, 1])
    est = SharedLatentRegressor(n_components=2, max_iter=2, tol=None).fit(X, Y)
    with pytest.raises(ValueError, match="kind"):
        TaskRelatednessDisplay.from_estimator(est, X, Y, kind="mutual_information")
    with pytest.raises(ValueError, match="Y has 3 tasks but SharedLatentRegressor"):
        TaskRelatednessDisplay.from_estimator(est, X, Y[:, :3], kind="correlation")
    plt.close("all")


def test_importing_fastmtl_does_not_import_matplotlib():
    import subprocess
    import sys

    code = ("import sys, fastmtl, fastmtl.relatedness; "
            "assert 'matplotlib' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_correlation_graph_on_stacked_tasks_warns_and_names_the_remedy():
    from fastmtl import SharedLatentRegressor
    from fastmtl.datasets import make_multitask_regression

    X, Y = make_multitask_regression(20, 3, 4, random_state=0)  # disjoint rows
    model = SharedLatentRegressor(task_graph="correlation", graph_penalty=1.0,
                                  max_iter=3, tol=None, random_state=0, solver="sgd")
    with pytest.warns(UserWarning, match="no edge.*'js' or 'kl'"):
        model.fit(X, Y)
    assert not model.task_graph_.any()
    X, Y = make_multitask_regression(20, 3, 4, shared_X=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model.fit(X, Y)  # shared rows: no warning


@pytest.mark.parametrize("scale", [1e160, 1e300, 1e-300])
def test_task_correlation_does_not_depend_on_the_targets_scale(scale):
    X, Y = make_multitask_regression(30, 3, 4, shared_X=True, missing_rate=0.2,
                                     random_state=0)
    expected = task_correlation(Y)
    got = task_correlation(Y * scale)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_objective_and_gradient_similarity_check_the_number_of_tasks():
    X, Y = make_multitask_regression(30, 3, 4, shared_X=True, random_state=0)
    model = SharedLatentRegressor(max_iter=3, tol=None, random_state=0).fit(X, Y)
    for call in (lambda: model.objective(X, Y[:, :2]),
                 lambda: gradient_similarity(model, X, Y[:, :2])):
        with pytest.raises(ValueError, match="y has 2 tasks but SharedLatentRegressor "
                                             "was fitted on 3"):
            call()


def test_task_divergence_of_targets_near_the_float_limit():
    """The span of targets near +-1.7e308 overflows: NumPy's bin edges were
    NaN ("cannot convert float NaN to integer"); edges of the scaled targets
    give the histograms of the same targets scaled down."""
    import warnings

    from fastmtl.relatedness import task_histograms

    Y = np.array([[1.7e308, -1.7e308], [1.0, 2.0], [0.0, 1.0], [-1e308, 5e307]])
    with warnings.catch_warnings():
        # No RuntimeWarning either (scikit-learn's int cast in type_of_target
        # warned for "auto").
        warnings.simplefilter("error")
        H, edges = task_histograms(Y, bins=4, target_type="continuous")
        small, small_edges = task_histograms(Y / 2.0 ** 1000, bins=4,
                                             target_type="continuous")
        D = task_divergence(Y, target_type="continuous")
        np.testing.assert_array_equal(task_divergence(Y), D)  # "auto": continuous
    np.testing.assert_array_equal(H, small)
    np.testing.assert_array_equal(edges, small_edges * 2.0 ** 1000)
    assert np.all(np.isfinite(D)) and D[0, 1] > 0
