"""The shared-latent estimators as scikit-learn estimators and as multi-task learners."""
import pickle
import warnings

import numpy as np
from scipy.special import expit
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastmtl import (SharedCodebookClassifier, SharedCodebookRegressor,
                     SharedLatentClassifier, SharedLatentRegressor)
from fastmtl.datasets import (
    make_multitask_classification,
    make_multitask_regression,
    unstack_tasks,
)
from fastmtl.exceptions import TrainingDivergedError

from . import naive

ESTIMATORS = [SharedLatentRegressor(random_state=0), SharedLatentClassifier(random_state=0)]


@parametrize_with_checks(ESTIMATORS)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def _split_per_task(X, Y, n_train):
    """First ``n_train`` samples of each task for training, the rest for testing."""
    position = np.zeros(len(X), dtype=int)
    for t in range(Y.shape[1]):
        rows = np.flatnonzero(~np.isnan(Y[:, t]))
        position[rows] = np.arange(rows.size)
    train = position < n_train
    return X[train], Y[train], X[~train], Y[~train]


# --------------------------------------------------------------------------- #
# Model selection, persistence                                                #
# --------------------------------------------------------------------------- #
def test_grid_search_in_a_pipeline_with_missing_targets():
    X, Y = make_multitask_regression(80, 4, 10, rank=2, shared_X=True, missing_rate=0.3,
                                     random_state=0)
    X = X * [1, 10, 100, 1000, 1, 1, 1, 1, 1, 1e-3] + 50  # unscaled features
    pipe = make_pipeline(StandardScaler(), SharedLatentRegressor(random_state=0))
    search = GridSearchCV(pipe, {"sharedlatentregressor__alpha": [1e-4, 1e-1],
                                 "sharedlatentregressor__n_components": [1, 2]}, cv=3)
    search.fit(X, Y)
    assert search.best_params_["sharedlatentregressor__n_components"] == 2
    assert search.best_score_ > 0.8
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_clone_pickle_and_set_params():
    X, Y = make_multitask_regression(40, 3, 6, rank=2, shared_X=True, missing_rate=0.2,
                                     random_state=0)
    est = SharedLatentRegressor(alpha=0.01, random_state=0).fit(X, Y)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(X), est.predict(X))
    np.testing.assert_array_equal(again.transform(X), est.transform(X))
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "coef_")
    copy.set_params(n_components=3, alpha=0.5)
    assert copy.fit(X, Y).components_.shape == (3, 6)

    Xc, Yc = make_multitask_classification(40, 3, 6, shared_X=True, random_state=0)
    clf = SharedLatentClassifier(random_state=0).fit(Xc, Yc)
    clf_again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clf_again.predict_proba(Xc), clf.predict_proba(Xc))


# --------------------------------------------------------------------------- #
# Multi-task learning does what it is for                                    #
# --------------------------------------------------------------------------- #
def test_multitask_gain_over_independent_ridge():
    X, Y = make_multitask_regression(60, 50, 100, rank=3, noise=0.5, random_state=0)
    Xtr, Ytr, Xte, Yte = _split_per_task(X, Y, 30)
    model = SharedLatentRegressor(3, alpha=1e-2, random_state=0).fit(Xtr, Ytr)
    per_task = [RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(a, b).score(c, d)
                for a, b, c, d in zip(*unstack_tasks(Xtr, Ytr), *unstack_tasks(Xte, Yte))]
    assert model.score(Xte, Yte) >= np.mean(per_task) + 0.1


def test_multitask_gain_over_independent_logistic_regression():
    X, Y = make_multitask_classification(60, 50, 100, rank=3, noise=0.5, random_state=0)
    Xtr, Ytr, Xte, Yte = _split_per_task(X, Y, 30)
    model = SharedLatentClassifier(3, alpha=1e-2, random_state=0).fit(Xtr, Ytr)
    per_task = [LogisticRegression().fit(a, b).score(c, d)
                for a, b, c, d in zip(*unstack_tasks(Xtr, Ytr), *unstack_tasks(Xte, Yte))]
    assert model.score(Xte, Yte) > np.mean(per_task)


def test_multiclass_tasks_with_their_own_classes():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 5))
    Y = np.empty((300, 2), dtype=object)
    Y[:, 0] = np.where(X[:, 0] > 0, "yes", "no")
    Y[:, 1] = np.array(["a", "b", "c"])[np.digitize(X[:, 0] + X[:, 1], [-0.7, 0.7])]
    Y[::7, 1] = None  # missing
    clf = SharedLatentClassifier(2, random_state=0, max_iter=300).fit(X, Y)
    assert [list(c) for c in clf.classes_] == [["no", "yes"], ["a", "b", "c"]]
    assert clf.decision_function(X).shape == (300, 4)
    assert list(clf.output_task_) == [0, 1, 1, 1]
    proba = clf.predict_proba(X)
    assert [p.shape for p in proba] == [(300, 2), (300, 3)]
    np.testing.assert_allclose(proba[1].sum(axis=1), 1.0)
    assert clf.score(X, Y) > 0.9
    assert set(clf.predict(X)[:, 1]) <= {"a", "b", "c"}


# --------------------------------------------------------------------------- #
# Task weighting and the task graph                                           #
# --------------------------------------------------------------------------- #
def _tasks_differing_in_noise(noise, n=400, d=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    signal = X @ rng.standard_normal(d)
    return X, signal[:, None] + np.asarray(noise) * rng.standard_normal((n, len(noise)))


def test_fixed_task_weights_are_reported_and_change_the_fit():
    X, Y = _tasks_differing_in_noise([0.5, 0.5, 0.5])
    Y[:, 2] = -Y[:, 2] + np.sin(3 * X[:, 0])  # a task the others do not explain
    uniform = SharedLatentRegressor(1, random_state=0).fit(X, Y)
    favour = SharedLatentRegressor(1, task_weights=[0.1, 0.1, 10.0], random_state=0)
    favour.fit(X, Y)
    np.testing.assert_array_equal(uniform.task_weights_, np.ones(3))
    # Fixed weights are relative: reported (and used) at mean one.
    np.testing.assert_allclose(favour.task_weights_, np.array([0.1, 0.1, 10.0]) / (10.2 / 3))
    mse = lambda m: np.mean((m.predict(X)[:, 2] - Y[:, 2]) ** 2)
    assert mse(favour) < mse(uniform)


def test_dynamic_weights_favour_the_task_with_the_highest_loss():
    X, Y = _tasks_differing_in_noise([0.2, 0.5, 2.0])
    est = SharedLatentRegressor(1, task_weights="dynamic", random_state=0).fit(X, Y)
    assert np.argmax(est.task_weights_) == 2
    assert est.task_weights_.sum() == pytest.approx(3.0)


def test_uncertainty_weights_estimate_inverse_noise_variances():
    noise = np.array([0.1, 0.3, 1.0])
    X, Y = _tasks_differing_in_noise(noise)
    est = SharedLatentRegressor(1, task_weights="uncertainty", random_state=0).fit(X, Y)
    np.testing.assert_allclose(est.task_weights_, 1 / noise ** 2, rtol=0.2)


def test_graph_penalty_pulls_linked_tasks_together_and_leaves_others():
    rng = np.random.default_rng(0)
    d = 10
    w, v = rng.standard_normal(d), rng.standard_normal(d)
    W = np.stack([w, w + 0.5 * rng.standard_normal(d), v, v + 0.3 * rng.standard_normal(d)])
    X = rng.standard_normal((80, d))
    Y = X @ W.T + 0.3 * rng.standard_normal((80, 4))
    graph = np.zeros((4, 4))
    graph[0, 1] = graph[1, 0] = 1.0
    linked, unlinked = [], []
    for penalty in [0.0, 0.01, 0.1, 1.0, 10.0]:
        coef = SharedLatentRegressor(4, graph_penalty=penalty, task_graph=graph,
                                     max_iter=1500, tol=None, batch_size=128,
                                     random_state=0).fit(X, Y).coef_
        linked.append(np.linalg.norm(coef[0] - coef[1]))
        unlinked.append(coef[2:])
    assert np.all(np.diff(linked) < 0)
    assert linked[-1] < 0.01 * linked[0]
    for coef in unlinked[1:]:
        np.testing.assert_allclose(coef, unlinked[0], atol=0.05 * np.abs(unlinked[0]).max())


def test_bad_task_weights_and_graphs_are_named():
    X, Y = make_multitask_regression(20, 3, 4, shared_X=True, random_state=0)
    for weights, match in [([1, 2], "shape"), ([1, -1, 1], "task 1"),
                           ("loud", "'task_weights' parameter"), ([0, 0, 0], "all zero")]:
        with pytest.raises(ValueError, match=match):
            SharedLatentRegressor(task_weights=weights).fit(X, Y)
    for graph, match in [(np.ones((2, 2)), "3 tasks"), (-np.ones((3, 3)), "non-negative"),
                         (np.ones(3), "square")]:
        with pytest.raises(ValueError, match=match):
            SharedLatentRegressor(task_graph=graph, graph_penalty=1.0).fit(X, Y)


# --------------------------------------------------------------------------- #
# Training loop                                                               #
# --------------------------------------------------------------------------- #
def test_tol_none_runs_max_iter_epochs_and_convergence_warning():
    X, Y = make_multitask_regression(50, 3, 5, shared_X=True, random_state=0)
    est = SharedLatentRegressor(max_iter=7, tol=None, random_state=0, solver="sgd")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, Y)
    assert est.n_iter_ == 7 and len(est.loss_curve_) == 7
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        SharedLatentRegressor(max_iter=3, random_state=0, solver="sgd").fit(X, Y)
    converged = SharedLatentRegressor(max_iter=1000, random_state=0, solver="sgd").fit(X, Y)
    assert converged.n_iter_ < 1000


def test_verbose_prints_each_epoch(capsys):
    X, Y = make_multitask_regression(50, 3, 5, shared_X=True, random_state=0)
    SharedLatentRegressor(max_iter=3, tol=None, verbose=1, random_state=0,
                          solver="sgd").fit(X, Y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all("loss" in line and " s" in line for line in lines)


def test_early_stopping_keeps_the_best_validation_epoch():
    X, Y = make_multitask_regression(40, 20, 60, rank=2, noise=1.0, random_state=0)
    est = SharedLatentRegressor(10, alpha=0.0, early_stopping=True, validation_fraction=0.3,
                                n_iter_no_change=10, max_iter=500, random_state=0)
    est.fit(X, Y)
    assert len(est.validation_scores_) == est.n_iter_ < 500
    assert est.best_validation_score_ == max(est.validation_scores_)


@pytest.mark.parametrize("random_state", range(6))
def test_early_stopping_keeps_every_class_in_the_training_split(random_state):
    # A class whose only sample fell into the validation split made fit fail
    # with a message about partial_fit's classes (for random_state 0 and 5).
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    Y = np.column_stack([np.zeros(60), X[:, 0] > 0, np.full(60, np.nan)])
    Y[5, 0] = 1.0
    Y[::7, 2] = np.arange(9) % 3  # a sparse multiclass task
    est = SharedLatentClassifier(2, solver="sgd", early_stopping=True,
                                 validation_fraction=0.5, max_iter=5,
                                 random_state=random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, Y)
    assert [list(c) for c in est.classes_] == [[0.0, 1.0], [0.0, 1.0], [0.0, 1.0, 2.0]]
    assert len(est.validation_scores_) == est.n_iter_


def test_partial_fit_continues_and_checks_tasks():
    X, Y = make_multitask_regression(200, 3, 6, rank=2, shared_X=True, random_state=0)
    est = SharedLatentRegressor(random_state=0)
    for _ in range(30):
        for chunk in np.array_split(np.arange(200), 4):
            est.partial_fit(X[chunk], Y[chunk])
    assert est.n_iter_ == 120 and len(est.loss_curve_) == 120
    assert est.score(X, Y) > 0.9
    with pytest.raises(ValueError, match="3"):
        est.partial_fit(X, Y[:, :2])
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :4], Y)

    Xc, Yc = make_multitask_classification(100, 2, 4, shared_X=True, random_state=0)
    clf = SharedLatentClassifier(random_state=0)
    clf.partial_fit(Xc[:10], Yc[:10], classes=[[0, 1], [0, 1]])
    clf.partial_fit(Xc[10:], Yc[10:])
    assert [list(c) for c in clf._layout_.classes] == [[0, 1], [0, 1]]


def test_warm_start_continues_from_the_previous_solution():
    X, Y = make_multitask_regression(100, 3, 6, shared_X=True, random_state=0)
    cold = SharedLatentRegressor(max_iter=2, tol=None, random_state=0, solver="sgd").fit(X, Y)
    warm = SharedLatentRegressor(max_iter=2, tol=None, warm_start=True, random_state=0,
                                 solver="sgd")
    warm.fit(X, Y)
    first = warm.coef_.copy()
    warm.fit(X, Y)
    assert warm.loss_curve_[0] < cold.loss_curve_[-1]
    assert not np.array_equal(first, warm.coef_)


@pytest.mark.parametrize("Estimator", [SharedLatentRegressor, SharedLatentClassifier,
                                       SharedCodebookRegressor, SharedCodebookClassifier])
def test_warm_start_on_fewer_features_starts_afresh(Estimator):
    # The classifiers once compared classes only and read past X's buffer.
    make = (make_multitask_classification if "Classifier" in Estimator.__name__
            else make_multitask_regression)
    X, Y = make(60, 2, 6, shared_X=True, random_state=0)[:2]
    est = Estimator(max_iter=3, tol=None, warm_start=True, random_state=0).fit(X, Y)
    est.fit(X[:, :3], Y)
    assert est.coef_.shape[1] == 3 and est.n_features_in_ == 3
    assert np.isfinite(est.coef_).all()
    fresh = Estimator(max_iter=3, tol=None, random_state=0).fit(X[:, :3], Y)
    np.testing.assert_array_equal(est.coef_, fresh.coef_)


def test_divergence_raises_an_error_naming_learning_rate():
    X, Y = make_multitask_regression(64, 2, 4, shared_X=True, random_state=0)
    X = X * 1e150
    est = SharedLatentRegressor(learning_rate=1e3, random_state=0, solver="sgd")
    with pytest.raises(TrainingDivergedError, match="learning_rate") as info:
        est.fit(X, Y)
    assert isinstance(info.value, FloatingPointError) and isinstance(info.value, ValueError)
    assert not hasattr(est, "coef_")


# --------------------------------------------------------------------------- #
# Edge cases                                                                  #
# --------------------------------------------------------------------------- #
def test_missing_targets_count_for_nothing():
    X, Y = make_multitask_regression(60, 3, 5, shared_X=True, random_state=0)
    Y_missing = Y.copy()
    Y_missing[::3, 1] = np.nan
    a = SharedLatentRegressor(random_state=0, max_iter=5, tol=None).fit(X, Y_missing)
    # Replacing the missing entries by anything gives the same fit as long as
    # they are marked missing; filling them in changes it.
    Y_other = Y_missing.copy()
    a_again = SharedLatentRegressor(random_state=0, max_iter=5, tol=None).fit(X, Y_other)
    np.testing.assert_array_equal(a.coef_, a_again.coef_)
    full = SharedLatentRegressor(random_state=0, max_iter=5, tol=None).fit(X, Y)
    assert not np.array_equal(a.coef_, full.coef_)
    assert np.isfinite(a.score(X, Y_missing))


def test_single_observation_task_and_constant_task():
    X, Y = make_multitask_regression(50, 3, 4, shared_X=True, random_state=0)
    Y[1:, 0] = np.nan  # task 0 observed once
    Y[:, 2] = 7.0  # constant task
    est = SharedLatentRegressor(random_state=0).fit(X, Y)
    assert np.isfinite(est.coef_).all()
    np.testing.assert_allclose(est.predict(X)[:, 2], 7.0, atol=0.05)
    assert np.isfinite(est.score(X, Y))


@pytest.mark.parametrize("Estimator", [SharedLatentRegressor, SharedCodebookRegressor])
def test_task_without_training_target_is_predicted_by_the_shared_part(Estimator):
    X, Y = make_multitask_regression(40, 3, 4, shared_X=True, random_state=0)
    Y[:, 1] = np.nan
    with pytest.warns(UserWarning, match=r"task\(s\) 1 \(1 in all\) have no observed"):
        est = Estimator(random_state=0, max_iter=30, tol=None).fit(X, Y)
    prediction = est.predict(X)
    assert np.isfinite(prediction).all()
    # No data: the task's part stays zero, it predicts by the shared weights
    # and the shared (mean) intercept.
    shared = X @ est.shared_coef_[0] + est.shared_intercept_[0]
    np.testing.assert_allclose(prediction[:, 1], shared, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(est.coef_[1], est.shared_coef_[0], rtol=1e-12)
    # Without a shared component: the pooled mean of the observed targets.
    with pytest.warns(UserWarning, match="no observed"):
        classic = Estimator(random_state=0, max_iter=30, tol=None,
                            **naive.CLASSIC_SGD).fit(X, Y)
    np.testing.assert_allclose(classic.predict(X)[:, 1], np.nanmean(Y), rtol=1e-10)
    np.testing.assert_array_equal(classic.coef_[1], 0.0)


def test_estimated_graph_has_no_edge_to_a_task_without_target():
    X, Y = make_multitask_regression(40, 3, 4, shared_X=True, random_state=0)
    Y[:, 2] = np.nan
    with pytest.warns(UserWarning, match="no observed training target"):
        est = SharedLatentRegressor(task_graph="js", graph_penalty=0.1, max_iter=5,
                                    random_state=0).fit(X, Y)
    assert np.all(est.task_graph_[2] == 0) and np.all(est.task_graph_[:, 2] == 0)
    assert est.task_graph_[0, 1] > 0


def test_classifier_task_without_label_takes_the_shared_classes():
    X, Y = make_multitask_classification(80, 3, 4, shared_X=True, random_state=0)
    Y[:, 2] = np.nan
    with pytest.warns(UserWarning, match="task\\(s\\) 2"):
        clf = SharedLatentClassifier(random_state=0, max_iter=20).fit(X, Y)
    np.testing.assert_array_equal(clf.classes_, np.arange(3))  # multi-label: the labels
    # Predicted by the shared part: shared weights, shared intercept.
    shared = expit(X @ clf.shared_coef_[0] + clf.shared_intercept_[0])
    np.testing.assert_allclose(clf.predict_proba(X)[:, 2], shared, rtol=1e-6)
    with pytest.warns(UserWarning, match="task\\(s\\) 2"):
        classic = SharedLatentClassifier(2, random_state=0, max_iter=20,
                                         **naive.CLASSIC_SGD).fit(X, Y)
    observed = Y[:, :2][~np.isnan(Y[:, :2])]
    # Without a shared component its intercept starts at, and without a head
    # stays at, the pooled class odds.
    np.testing.assert_allclose(classic.predict_proba(X)[:, 2], observed.mean(), atol=1e-3)


def test_task_without_label_and_differing_classes_is_an_error():
    X, Y = make_multitask_classification(60, 3, 4, shared_X=True, random_state=0)
    Y[:5, 1] = 2.0
    Y[:, 2] = np.nan
    with pytest.raises(ValueError, match=r"Task\(s\) \[2\] have no observed label"):
        SharedLatentClassifier().fit(X, Y)


@pytest.mark.parametrize("weights, message", [
    (None, "Y has no observed target: every"),
    (np.r_[np.zeros(10), np.ones(10)], "no observed target with a positive sample_weight"),
])
def test_no_target_at_all_names_the_cause(weights, message):
    X, Y = make_multitask_regression(20, 2, 4, shared_X=True, random_state=0)
    Y[10:] = np.nan
    if weights is None:
        Y[:] = np.nan
    with pytest.raises(ValueError, match=message):
        SharedLatentRegressor().fit(X, Y, sample_weight=weights)


@pytest.mark.parametrize("Estimator", [SharedLatentRegressor, SharedLatentClassifier])
def test_partial_fit_minibatch_without_some_tasks_updates_only_those_present(Estimator):
    make = (make_multitask_regression if Estimator is SharedLatentRegressor
            else make_multitask_classification)
    X, Y = make(60, 3, 4, shared_X=True, random_state=0)[:2]
    est = Estimator(random_state=0, batch_size=8)
    kwargs = {} if Estimator is SharedLatentRegressor else {"classes": [[0, 1]] * 3}
    est.partial_fit(X[:30], Y[:30], **kwargs)
    before = est._state.copy()
    batch = Y[30:].copy()
    batch[:, 1] = np.nan
    est.partial_fit(X[30:], batch)
    after = est._state
    for name in ("V", "b", "mV", "vV", "mb", "vb"):
        np.testing.assert_array_equal(getattr(after, name)[1], getattr(before, name)[1])
        assert not np.array_equal(getattr(after, name)[0], getattr(before, name)[0])
    assert not np.array_equal(after.U, before.U)


def test_unseen_class_at_score_counts_as_an_error():
    X, Y = make_multitask_classification(60, 2, 4, shared_X=True, random_state=0)
    clf = SharedLatentClassifier(random_state=0).fit(X, Y)
    Y_new = Y.copy()
    Y_new[:10, 0] = 5.0
    accuracy = clf.score(X, Y)
    assert clf.score(X, Y_new) <= accuracy - 10 / 60 / 2 + 1e-12


def test_missing_label_marks_missing_targets():
    X, Y = make_multitask_classification(60, 2, 4, shared_X=True, random_state=0)
    Y_int = Y.astype(int)
    Y_int[::4, 1] = -1
    clf = SharedLatentClassifier(missing_label=-1, random_state=0).fit(X, Y_int)
    assert list(clf.classes_) == [0, 1]
    as_label = SharedLatentClassifier(random_state=0).fit(X, Y_int)
    assert [list(c) for c in as_label.classes_] == [[0, 1], [-1, 0, 1]]


def test_nan_in_X_and_bad_targets_are_clear_errors():
    X, Y = make_multitask_regression(20, 2, 4, shared_X=True, random_state=0)
    X_bad = X.copy()
    X_bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SharedLatentRegressor().fit(X_bad, Y)
    Y_bad = Y.copy()
    Y_bad[2, 1] = np.inf
    with pytest.raises(ValueError, match="infinity at sample 2, task 1"):
        SharedLatentRegressor().fit(X, Y_bad)
    with pytest.raises(ValueError, match="inconsistent"):
        SharedLatentRegressor().fit(X, Y[:5])
    with pytest.raises(ValueError, match="Unknown label type"):
        SharedLatentClassifier().fit(X, Y)
    with pytest.raises(NotFittedError):
        SharedLatentRegressor().predict(X)


def test_sample_weight_zero_removes_samples_and_all_zero_is_an_error():
    X, Y = make_multitask_regression(40, 2, 4, shared_X=True, random_state=0)
    sw = np.ones(40)
    sw[::2] = 0.0
    weighted = SharedLatentRegressor(random_state=0, max_iter=5, tol=None)
    weighted.fit(X, Y, sample_weight=sw)
    removed = SharedLatentRegressor(random_state=0, max_iter=5, tol=None)
    removed.fit(X[1::2], Y[1::2])
    np.testing.assert_allclose(weighted.coef_, removed.coef_, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="non-zero"):
        SharedLatentRegressor().fit(X, Y, sample_weight=np.zeros(40))


def test_inputs_are_not_modified():
    X, Y = make_multitask_regression(40, 2, 4, shared_X=True, missing_rate=0.2,
                                     random_state=0)
    X0, Y0 = X.copy(), Y.copy()
    SharedLatentRegressor(max_iter=3, tol=None).fit(X, Y).predict(X)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)


def test_float32_fortran_and_strided_inputs():
    X, Y = make_multitask_regression(80, 3, 6, shared_X=True, random_state=0)
    ref = SharedLatentRegressor(max_iter=5, tol=None, random_state=0).fit(X, Y)
    for Xv in (np.asfortranarray(X), np.repeat(X, 2, axis=1)[:, ::2]):
        est = SharedLatentRegressor(max_iter=5, tol=None, random_state=0).fit(Xv, Y)
        np.testing.assert_array_equal(est.coef_, ref.coef_)
    est32 = SharedLatentRegressor(max_iter=5, tol=None, random_state=0)
    est32.fit(X.astype(np.float32), Y)
    np.testing.assert_allclose(est32.coef_, ref.coef_, rtol=1e-4, atol=1e-5)


def test_device_cuda_without_a_gpu_raises_and_a_gpu_model_scores_anywhere(monkeypatch):
    from fastmtl import _backend

    X, Y = make_multitask_regression(20, 3, 4, shared_X=True, random_state=0)[:2]
    monkeypatch.setattr(_backend, "cuda_available", lambda: False)
    with pytest.raises(RuntimeError, match="needs a CUDA GPU"):
        SharedLatentRegressor(2, device="cuda").fit(X, Y)
    with pytest.raises(RuntimeError, match="needs a CUDA GPU"):
        SharedLatentRegressor(2, device="cuda").partial_fit(X, Y)
    model = SharedLatentRegressor(2, max_iter=3, tol=None, random_state=0).fit(X, Y)
    # As if fitted on a GPU machine and unpickled here: scoring falls back to the CPU.
    model.set_params(device="cuda")
    np.testing.assert_allclose(model.predict(X), X @ model.coef_.T + model.intercept_)


@pytest.mark.parametrize("Estimator", [SharedLatentRegressor, SharedLatentClassifier,
                                       SharedCodebookRegressor, SharedCodebookClassifier])
def test_scikit_learn_parameter_validation(Estimator):
    # Not among the checks parametrize_with_checks yields: run it by name.
    from sklearn.utils.estimator_checks import check_param_validation

    check_param_validation(Estimator.__name__, Estimator())


@pytest.mark.parametrize("param, value", [
    ("alpha", np.nan), ("alpha", -1.0), ("graph_penalty", np.inf), ("learning_rate", 0.0),
    ("tol", np.nan), ("batch_size", True), ("batch_size", 0), ("max_iter", 2.5),
    ("verbose", "loud"), ("random_state", "seed"), ("validation_fraction", np.nan),
    ("n_components", -1), ("task_weights", 3), ("device", "gpu"), ("fit_intercept", 1),
])
def test_bad_parameters_are_rejected_by_name(param, value):
    X, Y = make_multitask_regression(20, 2, 3, shared_X=True, random_state=0)
    with pytest.raises((ValueError, TypeError), match=f"'{param}' parameter"):
        SharedLatentRegressor(**{param: value}).fit(X, Y)


def test_bad_missing_label_and_sparsity_are_rejected_by_name():
    X, Y = make_multitask_classification(20, 2, 3, shared_X=True, random_state=0)
    with pytest.raises((ValueError, TypeError), match="'missing_label' parameter"):
        SharedLatentClassifier(missing_label=[1]).fit(X, Y)
    with pytest.raises((ValueError, TypeError), match="'sparsity' parameter"):
        SharedCodebookRegressor(sparsity=np.nan).fit(X, Y.astype(float))


def test_batch_size_beyond_the_samples_means_full_batches_without_huge_buffers():
    X, Y = make_multitask_regression(20, 2, 4, shared_X=True, random_state=0)
    huge = SharedLatentRegressor(batch_size=10**11, max_iter=5, tol=None,
                                 random_state=0).fit(X, Y)  # once sized 10**11 rows
    full = SharedLatentRegressor(batch_size=20, max_iter=5, tol=None,
                                 random_state=0).fit(X, Y)
    np.testing.assert_array_equal(huge.coef_, full.coef_)


@pytest.mark.parametrize("noise", [np.nan, np.inf, -0.1, "0.1", True])
@pytest.mark.parametrize("make", [make_multitask_regression, make_multitask_classification])
def test_bad_noise_is_rejected_by_name(make, noise):
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        make(10, 2, 3, noise=noise)


def test_set_output_and_feature_names_out_in_a_pipeline():
    pd = pytest.importorskip("pandas")
    from sklearn.linear_model import Ridge

    X, Y = make_multitask_regression(120, 3, 6, shared_X=True, random_state=0)[:2]
    y = Y[:, 0]
    pipe = make_pipeline(StandardScaler(),
                         SharedLatentRegressor(2, max_iter=5, random_state=0),
                         Ridge()).set_output(transform="pandas")
    pipe.fit(X, y)
    names = ["sharedlatentregressor0", "sharedlatentregressor1"]
    assert list(pipe[1].get_feature_names_out()) == names
    Z = pipe[:-1].transform(X)
    assert isinstance(Z, pd.DataFrame) and list(Z.columns) == names
    np.testing.assert_allclose(Z.to_numpy(),
                               pipe[1].transform(pipe[0].transform(X).to_numpy()))
    assert pipe.predict(X).shape == (120,)
    codebook = SharedCodebookClassifier(3, max_iter=2, random_state=0).fit(X, y > 0)
    assert list(codebook.get_feature_names_out()) == [
        f"sharedcodebookclassifier{i}" for i in range(3)]
    with pytest.raises(NotFittedError):
        SharedLatentRegressor(2).get_feature_names_out()


def test_task_names_come_from_a_dataframe_y():
    pd = pytest.importorskip("pandas")
    X, Y = make_multitask_regression(60, 3, 4, shared_X=True, random_state=1)[:2]
    model = SharedLatentRegressor(2, max_iter=2, random_state=0)
    model.fit(X, pd.DataFrame(Y, columns=["math", "reading", "science"]))
    assert list(model.task_names_) == ["math", "reading", "science"]
    model.fit(X, Y)  # refitted on an array: no names
    assert not hasattr(model, "task_names_")
    model.partial_fit(X, pd.DataFrame(Y, columns=["a", "b", "c"]))
    assert not hasattr(model, "task_names_")  # a later partial_fit keeps the first call's


@pytest.mark.parametrize("learning_rate", [1e3, 1e6])
def test_a_fit_that_explodes_but_stays_finite_is_an_error(learning_rate):
    """Loss far above the intercept-only model's is divergence too."""
    X, Y = make_multitask_regression(100, 3, 5, shared_X=True, random_state=0)[:2]
    with pytest.raises(TrainingDivergedError, match="learning_rate"):
        SharedLatentRegressor(2, learning_rate=learning_rate, random_state=0,
                              solver="sgd").fit(X, Y)
    with pytest.raises(TrainingDivergedError, match="predicting its mean"):
        SharedLatentClassifier(2, learning_rate=learning_rate, solver="sgd",
                               random_state=0).fit(X, (Y > 0).astype(float))


def test_a_fit_that_ends_far_worse_than_the_mean_warns():
    X, Y = make_multitask_regression(100, 3, 5, shared_X=True, random_state=0)[:2]
    with pytest.warns(ConvergenceWarning, match="failed to fit.*predicting its mean"):
        SharedLatentRegressor(2, learning_rate=5.0, random_state=0, solver="sgd").fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fit that learns says nothing
        SharedLatentRegressor(2, learning_rate=0.01, tol=None, max_iter=20, solver="sgd",
                              random_state=0).fit(X, Y)


def test_partial_fit_keeps_its_state_when_a_step_diverges():
    """An epoch's loss is summed as it runs, so the step that breaks a
    one-minibatch ``partial_fit`` shows in the next call, which raises and
    keeps the state it started from."""
    X, Y = make_multitask_regression(100, 3, 5, shared_X=True, random_state=0)[:2]
    model = SharedLatentRegressor(2, random_state=0).partial_fit(X, Y)
    model.set_params(learning_rate=1e6)
    with pytest.raises(TrainingDivergedError, match="learning_rate"):
        for _ in range(2):
            model.partial_fit(X, Y)
    coef, U = model.coef_.copy(), model._state.U.copy()
    with pytest.raises(TrainingDivergedError):
        model.partial_fit(X, Y)
    np.testing.assert_array_equal(model.coef_, coef)
    np.testing.assert_array_equal(model._state.U, U)
    assert np.all(np.isfinite(model.predict(X)))


@pytest.mark.parametrize("graph", ["kl", "js", "correlation"])
def test_estimated_graph_leaves_out_a_single_class_task(graph):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    Y = np.column_stack([X[:, 0] > 0, np.ones(60), X[:, 0] + 0.3 * X[:, 1] > 0]).astype(float)
    model = SharedLatentClassifier(2, task_graph=graph, graph_penalty=0.1, max_iter=3,
                                   intercept_alpha=0.0,
                                   tol=None, random_state=0).fit(X, Y)
    assert np.all(model.task_graph_[1] == 0) and np.all(model.task_graph_[:, 1] == 0)
    assert model.task_graph_[0, 2] > 0


def test_labels_mixing_text_and_numbers_are_rejected_by_task():
    X = np.random.default_rng(0).normal(size=(8, 3))
    labels = np.array([1, "a", 2, "b"] * 2, dtype=object)
    Y = np.column_stack([np.array(["x", "y"] * 4, dtype=object), labels])
    with pytest.raises(ValueError, match="Task 1 mixes text and numbers"):
        SharedLatentClassifier(2, max_iter=2).fit(X, Y)


def test_uncertainty_weighted_classifier_does_not_stop_when_its_weights_first_move():
    """The objective jumps when the uncertainty weights first update; a
    stopping rule that read that as no progress stopped after 6 epochs at
    accuracy 0.60 (0.975 with uniform weights)."""
    from fastmtl.datasets import make_multitask_classification

    X, Y = make_multitask_classification(200, 4, 10, random_state=0)
    scores = {}
    for weights in ("uniform", "uncertainty"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = SharedLatentClassifier(2, task_weights=weights, random_state=0).fit(X, Y)
        scores[weights] = model.score(X, Y)
        assert model.n_iter_ > 20
    assert scores["uncertainty"] >= scores["uniform"] - 0.02


# --------------------------------------------------------------------------- #
# Extreme scales: what float64 can hold                                       #
# --------------------------------------------------------------------------- #
def _scale_problem():
    X, Y = make_multitask_regression(40, 3, 4, rank=2, shared_X=True, noise=0.5,
                                     random_state=0)
    return X, Y


def test_targets_whose_squares_overflow_are_refused_and_tiny_ones_are_fitted():
    # The loss and the intercepts' penalty are in the user's units: targets
    # near 1e200 gave an infinite scale and a NaN fit; now a clear error.
    X, Y = _scale_problem()
    with pytest.raises(ValueError, match=r"Y has targets as large as .*divide Y"):
        SharedLatentRegressor(random_state=0).fit(X, Y * 1e200)
    with pytest.raises(ValueError, match=r"Y has targets as large as"):
        SharedLatentRegressor(random_state=0).fit(X, Y).fit_new_tasks(X, Y[:, 0] * 1e200)
    # Tiny targets are standardised by moments computed on Y scaled by a
    # power of two (their variance underflowed, and a spread below 1e-12 in
    # absolute terms was taken for a constant task).
    model = SharedLatentRegressor(random_state=0).fit(X, Y * 1e-200)
    np.testing.assert_allclose(model._layout_.scale / 1e-200, Y.std(axis=0), rtol=1e-12)
    assert np.isfinite(model.predict(X)).all()


@pytest.mark.parametrize("Estimator", [SharedLatentRegressor, SharedLatentClassifier])
def test_sample_weights_count_only_relative_to_each_other(Estimator):
    X, Y = _scale_problem()
    if Estimator is SharedLatentClassifier:
        Y = (Y > 0).astype(float)
    weight = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    model = Estimator(2, random_state=0)
    reference = clone(model).fit(X, Y, sample_weight=weight)
    # A power of two changes no bit; any other factor changes the weights by
    # rounding, and the fit within the solver's tolerance.
    for factor, rtol in ((2.0**-1000, 0.0), (2.0**1000, 0.0), (1e300, 1e-4)):
        scaled = clone(model).fit(X, Y, sample_weight=weight * factor)
        np.testing.assert_allclose(scaled.coef_, reference.coef_, rtol=rtol,
                                   atol=1e-6 if rtol else 0.0)
        assert scaled.score(X, Y, sample_weight=weight * factor) == pytest.approx(
            reference.score(X, Y, sample_weight=weight), rel=1e-12 if not rtol else 1e-6)
    # Weights of 1.7e308 overflowed their sum: a bogus "diverged" error.
    flat = clone(model).fit(X, Y, sample_weight=np.full(X.shape[0], 1.7e308))
    np.testing.assert_allclose(flat.coef_, clone(model).fit(X, Y).coef_, rtol=1e-4,
                               atol=1e-6)


def test_new_task_weights_keep_the_units_of_the_fit():
    # Sample weights are rescaled per call, but a new task's weights count
    # against the fitted tasks' observations: they keep the fit's scale.
    X, Y = _scale_problem()
    weight = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[0])

    def heads(fit_factor, new_factor):
        # A strong head penalty: how much the new rows count shows.
        model = SharedLatentRegressor(alpha=3.0, random_state=0).fit(
            X, Y[:, :2], sample_weight=weight * fit_factor)
        return model.fit_new_tasks(X, Y[:, 2], sample_weight=weight * new_factor).coef_[2]

    reference = heads(1.0, 1.0)
    np.testing.assert_allclose(heads(1e300, 1e300), reference, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(heads(2.0**-900, 2.0**-900), reference, rtol=1e-12)
    # Counting four times as much as a training observation is a different fit.
    assert np.abs(heads(1.0, 4.0) - reference).max() > 1e-2


@pytest.mark.parametrize("solver", ["exact", "sgd"])
def test_fixed_task_weights_count_only_relative_to_each_other(solver):
    X, Y = _scale_problem()
    model = SharedLatentRegressor(2, solver=solver, random_state=0, max_iter=20, tol=None)
    reference = clone(model).set_params(task_weights=[1.0, 1.5, 0.5]).fit(X, Y)
    np.testing.assert_allclose(reference.task_weights_, [1.0, 1.5, 0.5])
    for factor in (1e-300, 1e300):  # Adam's squared gradients overflowed at 1e300
        scaled = clone(model).set_params(
            task_weights=[factor, 1.5 * factor, 0.5 * factor]).fit(X, Y)
        np.testing.assert_allclose(scaled.task_weights_, reference.task_weights_,
                                   rtol=1e-15)
        np.testing.assert_allclose(scaled.coef_, reference.coef_, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("Estimator", [SharedLatentRegressor, SharedCodebookClassifier])
def test_features_whose_products_overflow_are_refused(Estimator):
    X, Y = _scale_problem()
    if Estimator is SharedCodebookClassifier:
        Y = (Y > 0).astype(float)
    with pytest.raises(ValueError, match=r"X has entries as large as .*Standardise X"):
        Estimator(random_state=0).fit(X * 1e200, Y)
    model = Estimator(random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match=r"X has entries as large as"):
        model.fit_new_tasks(X * 1e200, Y[:, 0])
    # float32 overflows much sooner, and is judged by its own range.
    with pytest.raises(ValueError, match=r"overflow float32"):
        Estimator(random_state=0).fit((X * 1e18).astype(np.float32), Y)


def test_features_too_small_for_any_penalty_are_warned_about():
    from fastmtl.exceptions import DataScaleWarning

    X, Y = _scale_problem()
    with pytest.warns(DataScaleWarning, match=r"largest entry of X is .*Standardise X"):
        model = SharedLatentRegressor(random_state=0).fit(X * 1e-150, Y)
    # The warning's claim: every coefficient is shrunk to nothing.
    assert np.abs(model.coef_ * 1e-150).max() < 1e-6 * np.abs(Y).max()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataScaleWarning)
        SharedLatentRegressor(random_state=0).fit(X * 1e-20, Y)  # small, but fittable


def test_sgd_whose_squared_gradients_overflow_says_so():
    # Targets near 1e150 give the shared weights (user units) gradients whose
    # squares overflow: every Adam step of theirs was zero, a silent
    # intercept-only model. The exact solver fits them.
    X, Y = _scale_problem()
    model = SharedLatentRegressor(random_state=0, solver="sgd")
    with pytest.raises(ValueError, match=r"squared gradients overflowed.*solver='exact'"):
        model.fit(X, Y * 1e150)
    assert not hasattr(model, "coef_")
    exact = SharedLatentRegressor(random_state=0, solver="exact").fit(X, Y * 1e150)
    assert exact.score(X, Y * 1e150) > 0.5
