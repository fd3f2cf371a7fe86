"""NaN-aware metrics against hand computations and scikit-learn on complete data."""
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_validate

from fastmtl import SharedLatentClassifier, SharedLatentRegressor
from fastmtl import metrics
from fastmtl.datasets import make_multitask_classification, make_multitask_regression
from fastmtl.metrics import ClassificationStatistics, RegressionStatistics
from fastmtl.model_selection import TaskKFold

Y = np.array([[1.0, np.nan, np.nan],
              [2.0, 10.0, np.nan],
              [4.0, 12.0, np.nan],
              [np.nan, 17.0, np.nan]])
P = np.array([[1.5, 0.0, 9.0],
              [2.0, 11.0, 9.0],
              [3.0, 12.0, 9.0],
              [9.0, 15.0, 9.0]])
W = np.array([1.0, 2.0, 1.0, 0.5])


def test_regression_metrics_by_hand():
    # Task 0: y 1, 2, 4 (mean 7/3); errors 0.5, 0, 1. Task 1: y 10, 12, 17
    # (mean 13); errors 1, 0, 2. Task 2 has no observation.
    sse = [0.25 + 0 + 1, 1 + 0 + 4]
    m2 = [(1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2, 9 + 1 + 16]
    assert metrics.mean_squared_error(Y, P) == pytest.approx(sum(sse) / 6)
    assert metrics.root_mean_squared_error(Y, P) == pytest.approx(np.sqrt(sum(sse) / 6))
    assert metrics.mean_absolute_error(Y, P) == pytest.approx(4.5 / 6)
    assert metrics.r2_score(Y, P) == pytest.approx(1 - sum(sse) / sum(m2))
    raw = metrics.r2_score(Y, P, multioutput="raw_values")
    np.testing.assert_allclose(raw[:2], [1 - sse[0] / m2[0], 1 - sse[1] / m2[1]])
    assert np.isnan(raw[2])
    assert metrics.r2_score(Y, P, multioutput="uniform_average") == pytest.approx(
        np.mean(raw[:2]))
    mse = metrics.mean_squared_error(Y, P, multioutput="raw_values")
    np.testing.assert_allclose(mse[:2], np.array(sse) / 3)


def test_regression_metrics_with_weights_by_hand():
    # Task 0 weights 1, 2, 1; task 1 weights 2, 1, 0.5.
    sse = 1 * 0.25 + 2 * 0 + 1 * 1 + 2 * 1 + 1 * 0 + 0.5 * 4
    total = 1 + 2 + 1 + 2 + 1 + 0.5
    assert metrics.mean_squared_error(Y, P, sample_weight=W) == pytest.approx(sse / total)
    mean0 = (1 * 1 + 2 * 2 + 4 * 1) / 4
    mean1 = (2 * 10 + 1 * 12 + 0.5 * 17) / 3.5
    m2 = (1 * (1 - mean0) ** 2 + 2 * (2 - mean0) ** 2 + 1 * (4 - mean0) ** 2
          + 2 * (10 - mean1) ** 2 + 1 * (12 - mean1) ** 2 + 0.5 * (17 - mean1) ** 2)
    assert metrics.r2_score(Y, P, sample_weight=W) == pytest.approx(1 - sse / m2)


def test_complete_data_agrees_with_scikit_learn():
    rng = np.random.default_rng(0)
    Yc, Pc, w = rng.normal(size=(30, 3)), rng.normal(size=(30, 3)), rng.random(30)
    for ours, theirs in [(metrics.mean_squared_error, skm.mean_squared_error),
                         (metrics.mean_absolute_error, skm.mean_absolute_error),
                         (metrics.r2_score, skm.r2_score)]:
        assert ours(Yc, Pc, sample_weight=w, multioutput="uniform_average") == \
            pytest.approx(theirs(Yc, Pc, sample_weight=w))
    assert metrics.r2_score(Yc, Pc) == pytest.approx(
        skm.r2_score(Yc, Pc, multioutput="variance_weighted"))


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, (12, 3), elements=st.one_of(
           st.just(np.nan), st.floats(-1e3, 1e3))),
       st.integers(1, 11))
def test_statistics_of_chunks_add_up_to_the_whole(values, cut):
    prediction = np.nan_to_num(values[::-1]) + 0.5
    weight = np.linspace(0.5, 2.0, 12)
    whole = RegressionStatistics.from_predictions(values, prediction, weight)
    parts = (RegressionStatistics.from_predictions(values[:cut], prediction[:cut],
                                                   weight[:cut])
             + RegressionStatistics.from_predictions(values[cut:], prediction[cut:],
                                                     weight[cut:]))
    for field in RegressionStatistics._FIELDS:
        np.testing.assert_allclose(getattr(parts, field), getattr(whole, field),
                                   rtol=1e-9, atol=1e-6)


def test_classification_metrics_by_hand():
    labels = np.array([["a", "x"], ["b", None], ["b", "y"], [None, "x"]], dtype=object)
    predicted = np.array([["a", "y"], ["a", "y"], ["b", "y"], ["b", "x"]], dtype=object)
    # Task 0: 2 of 3 right; task 1: 2 of 3 right.
    assert metrics.accuracy_score(labels, predicted) == pytest.approx(4 / 6)
    np.testing.assert_allclose(
        metrics.accuracy_score(labels, predicted, multioutput="raw_values"), [2 / 3, 2 / 3])
    ints = np.array([[0, -1], [1, 1], [1, 0]])
    assert metrics.accuracy_score(ints, [[0, 0], [0, 1], [1, 1]], missing_label=-1) == \
        pytest.approx(3 / 5)
    stats = ClassificationStatistics.from_predictions(ints[:1], [[0, 0]], missing_label=-1)
    stats = stats + ClassificationStatistics.from_predictions(ints[1:], [[0, 1], [1, 1]],
                                                              missing_label=-1)
    assert stats.accuracy() == pytest.approx(3 / 5)


def test_log_loss_and_auc_by_task():
    rng = np.random.default_rng(1)
    y0 = rng.integers(0, 2, 40).astype(float)
    y1 = rng.integers(0, 3, 40).astype(float)
    p0 = rng.random(40)
    p1 = rng.dirichlet(np.ones(3), 40)
    Yl = np.column_stack([y0, y1])
    Yl[::5, 0] = np.nan
    Yl[::7, 1] = np.nan
    probas = [np.column_stack([1 - p0, p0]), p1]
    classes = [np.array([0.0, 1.0]), np.array([0.0, 1.0, 2.0])]
    seen0, seen1 = ~np.isnan(Yl[:, 0]), ~np.isnan(Yl[:, 1])
    per_task = metrics.log_loss(Yl, probas, classes=classes, multioutput="raw_values")
    np.testing.assert_allclose(per_task, [
        skm.log_loss(y0[seen0], probas[0][seen0], labels=[0, 1]),
        skm.log_loss(y1[seen1], p1[seen1], labels=[0, 1, 2])])
    pooled = metrics.log_loss(Yl, probas, classes=classes)
    assert pooled == pytest.approx((per_task[0] * seen0.sum() + per_task[1] * seen1.sum())
                                   / (seen0.sum() + seen1.sum()))
    auc = metrics.roc_auc_score(Yl, probas, classes=classes, multioutput="raw_values")
    assert auc[0] == pytest.approx(skm.roc_auc_score(y0[seen0], p0[seen0]))
    assert auc[1] == pytest.approx(skm.roc_auc_score(y1[seen1], p1[seen1],
                                                     multi_class="ovr"))
    # The multi-label convention: an (n, n_tasks) array of P(second class).
    assert metrics.log_loss(Yl[:, :1], p0[:, None], classes=classes[0]) == \
        pytest.approx(per_task[0])


def test_metric_errors_name_the_problem():
    with pytest.raises(ValueError, match="multioutput"):
        metrics.r2_score(Y, P, multioutput="variance_weighted")
    with pytest.raises(ValueError, match="no observed target"):
        metrics.mean_squared_error([[np.nan]], [[1.0]])
    with pytest.raises(ValueError, match="shape"):
        metrics.r2_score(Y, P[:, :2])
    with pytest.raises(ValueError, match="non-finite prediction"):
        metrics.r2_score(Y, np.where(P == 3.0, np.nan, P))
    with pytest.raises(ValueError, match="not among its classes"):
        metrics.log_loss([[2.0]], [np.array([[0.5, 0.5]])], classes=[[0.0, 1.0]])
    with pytest.raises(ValueError, match="one of"):
        metrics.get_scorer("r2")


# --------------------------------------------------------------------------- #
# Scorers in model selection                                                  #
# --------------------------------------------------------------------------- #
def test_scorers_equal_the_metrics():
    X, Yr = make_multitask_regression(20, 3, 4, random_state=0)
    model = SharedLatentRegressor(random_state=0, max_iter=20, tol=None).fit(X, Yr)
    prediction = model.predict(X)
    assert metrics.get_scorer("neg_pooled_rmse")(model, X, Yr) == pytest.approx(
        -metrics.root_mean_squared_error(Yr, prediction))
    assert metrics.get_scorer("mean_task_r2")(model, X, Yr) == pytest.approx(
        metrics.r2_score(Yr, prediction, multioutput="uniform_average"))
    assert "neg_pooled_rmse" in repr(metrics.get_scorer("neg_pooled_rmse"))


def test_multi_metric_grid_search_with_refit():
    X, Yr = make_multitask_regression(20, 5, 4, rank=2, random_state=0)
    scoring = {name: metrics.get_scorer(name)
               for name in ("neg_pooled_rmse", "pooled_r2", "neg_pooled_mae")}
    search = GridSearchCV(SharedLatentRegressor(random_state=0, max_iter=30),
                          {"alpha": [1e-3, 10.0]}, cv=TaskKFold(3), scoring=scoring,
                          refit="neg_pooled_rmse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, Yr)
    for name in scoring:
        assert np.isfinite(search.cv_results_[f"mean_test_{name}"]).all()
    assert search.best_params_ == {"alpha": 1e-3}


def test_classifier_scorers_in_cross_validate_with_nan_labels():
    X, Yc = make_multitask_classification(25, 3, 4, rank=2, random_state=0)
    scoring = {name: metrics.get_scorer(name) for name in
               ("pooled_accuracy", "neg_pooled_log_loss", "mean_task_roc_auc")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = cross_validate(SharedLatentClassifier(random_state=0, max_iter=30), X, Yc,
                                cv=TaskKFold(3), scoring=scoring)
    assert (result["test_pooled_accuracy"] > 0.5).all()
    assert (result["test_neg_pooled_log_loss"] < 0).all()
    assert (result["test_mean_task_roc_auc"] > 0.5).all()
