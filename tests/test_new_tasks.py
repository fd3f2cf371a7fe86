"""Tasks added to a fitted model (``fit_new_tasks``): their heads are the exact
optimum of their part of the objective given the frozen shared part."""
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from fastmtl import (
    SharedCodebookClassifier,
    SharedCodebookRegressor,
    SharedLatentClassifier,
    SharedLatentRegressor,
    SharedLatentRegressorCV,
)

from . import naive


def _regression(seed=0, n=240, d=4, T=3, missing=0.3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    slopes = rng.standard_normal(d)
    Y = (X @ slopes)[:, None] + 0.3 * X @ rng.standard_normal((d, T)) \
        + np.arange(T) + 0.5 * rng.standard_normal((n, T))
    Y[rng.random(Y.shape) < missing] = np.nan
    return X, Y


def _binary(seed=0, **kw):
    X, Y = _regression(seed, **kw)
    return X, np.where(np.isnan(Y), np.nan, (Y > np.nanmedian(Y)).astype(float))


def _multiclass(seed=0, **kw):
    X, Y = _regression(seed, **kw)
    return X, np.where(np.isnan(Y), np.nan, np.digitize(Y, [0.0, 1.5]).astype(float))


# Each fitted model's tasks, given back to ``fit_new_tasks``, come back as they
# were: at the joint optimum each task's part is optimal given the shared part
# (exactly for the convex models; to the fit's tolerance for the others).
REFITS = [
    (lambda: SharedLatentRegressor(alpha=0.1, intercept_alpha=0.1), _regression, 1e-9),
    (lambda: SharedLatentRegressor(0, intercept_alpha=0.1), _regression, 1e-9),
    (lambda: SharedLatentRegressor(alpha=0.1, loss_weighting="task"), _regression, 1e-9),
    (lambda: SharedLatentRegressor(2, alpha=0.05, random_state=0), _regression, 1e-5),
    (lambda: SharedLatentRegressor(alpha=0.1, loss="huber"), _regression, 1e-5),
    (lambda: SharedCodebookRegressor(3, sparsity=0.002, random_state=0), _regression, 1e-5),
    (lambda: SharedLatentClassifier(alpha=0.1, intercept_alpha=0.1), _binary, 1e-6),
    (lambda: SharedLatentClassifier(alpha=0.1), _multiclass, 1e-5),
    (lambda: SharedCodebookClassifier(2, sparsity=0.002, random_state=0), _binary, 1e-5),
]


@pytest.mark.parametrize("make, data, tol", REFITS)
def test_the_fitted_tasks_added_again_come_back_as_fitted(make, data, tol):
    X, Y = data()
    model = make().fit(X, Y)
    coef, intercept = model.coef_.copy(), model.intercept_.copy()
    n_outputs = coef.shape[0]
    model.fit_new_tasks(X, Y)
    assert model.n_tasks_ == 2 * Y.shape[1]
    scale = max(1.0, np.abs(coef).max())
    np.testing.assert_allclose(model.coef_[n_outputs:], coef, atol=tol * scale, rtol=0)
    np.testing.assert_allclose(model.intercept_[n_outputs:], intercept, atol=tol * scale,
                               rtol=0)
    # The fitted tasks and the shared part did not move.
    np.testing.assert_array_equal(model.coef_[:n_outputs], coef)
    np.testing.assert_array_equal(model.intercept_[:n_outputs], intercept)


def _new_task_oracle(model, X, y, sample_weight, loss, l1=0.0):
    """The naive solution of one new task's part (user units)."""
    k = model.components_.shape[0] if hasattr(model, "components_") else \
        model.dictionary_.shape[0]
    U_lat = model._state.U[:k]
    w0 = model.shared_coef_[0] if model.shared_alpha is not None else 0.0
    b0 = model.shared_intercept_[0]
    seen = ~np.isnan(y) & (sample_weight > 0)
    train_weight = model._observation_unit * model.n_tasks_  # W: all observed weight
    a = sample_weight[seen] / train_weight
    if model.loss_weighting == "task":
        a = sample_weight[seen] / (sample_weight[seen].sum() * model.n_tasks_)
    Z = X[seen] @ U_lat.T
    offset = X[seen] @ np.broadcast_to(w0, (X.shape[1],)) + b0
    v, c = naive.new_task_part(Z, offset, y[seen], a, alpha=model.alpha,
                               intercept_alpha=model.intercept_alpha, loss=loss, l1=l1)
    return w0 + v @ U_lat, b0 + c


@pytest.mark.parametrize("make", [
    lambda: SharedLatentRegressor(alpha=0.3, intercept_alpha=0.2),
    lambda: SharedLatentRegressor(alpha=0.3, intercept_alpha=0.2, loss_weighting="task"),
    lambda: SharedLatentRegressor(2, alpha=0.3, intercept_alpha=0.2, random_state=0),
    lambda: SharedLatentRegressor(alpha=0.3, intercept_alpha=0.0, shared_alpha=None),
])
def test_new_regression_heads_equal_the_ridge_solution_given_the_frozen_factor(make):
    X, Y = _regression(1)
    model = make().fit(X, Y)
    rng = np.random.default_rng(5)
    X_new = rng.standard_normal((12, X.shape[1]))
    Y_new = np.column_stack([X_new @ [1.0, -1.0, 0.5, 2.0] + 3.0,
                             X_new @ [0.2, 0.1, 0.0, -1.0] - 1.0])
    Y_new[[0, 3, 7], 0] = np.nan
    sample_weight = rng.uniform(0.5, 2.0, 12)
    n_old = model.n_tasks_
    frozen = _FrozenView(model, n_old)
    model.fit_new_tasks(X_new, Y_new, sample_weight=sample_weight)
    for t in range(2):
        coef, intercept = _new_task_oracle(frozen, X_new, Y_new[:, t], sample_weight,
                                           "squared")
        np.testing.assert_allclose(model.coef_[n_old + t], coef, atol=1e-9)
        np.testing.assert_allclose(model.intercept_[n_old + t], intercept, atol=1e-9)


class _FrozenView:
    """The fitted model as it was before tasks were added (for the oracle)."""

    def __init__(self, model, n_tasks):
        self.__dict__.update({k: v for k, v in vars(model).items()})
        self.n_tasks_ = n_tasks


def test_new_binary_heads_equal_the_logistic_solution_given_the_frozen_factor():
    X, Y = _binary(2)
    model = SharedLatentClassifier(alpha=0.2, intercept_alpha=0.5).fit(X, Y)
    rng = np.random.default_rng(3)
    X_new = rng.standard_normal((15, X.shape[1]))
    y_new = (X_new[:, 0] + 0.5 * rng.standard_normal(15) > 0).astype(float)
    y_new[4] = np.nan
    sample_weight = np.ones(15)
    frozen = _FrozenView(model, model.n_tasks_)
    model.fit_new_tasks(X_new, y_new)
    coef, intercept = _new_task_oracle(frozen, X_new, y_new, sample_weight, "logistic")
    np.testing.assert_allclose(model.coef_[-1], coef, atol=1e-6)
    np.testing.assert_allclose(model.intercept_[-1], intercept, atol=1e-6)


def test_new_codebook_heads_equal_the_lasso_solution_given_the_frozen_dictionary():
    X, Y = _regression(4)
    model = SharedCodebookRegressor(3, sparsity=0.01, intercept_alpha=0.1,
                                    random_state=0).fit(X, Y)
    frozen = _FrozenView(model, model.n_tasks_)
    frozen.alpha = 0.0
    rng = np.random.default_rng(6)
    X_new = rng.standard_normal((20, X.shape[1]))
    y_new = X_new @ [1.0, 0.0, -1.0, 0.5] + 0.1 * rng.standard_normal(20)
    model.fit_new_tasks(X_new, y_new)
    coef, intercept = _new_task_oracle(frozen, X_new, y_new, np.ones(20), "squared",
                                       l1=model.sparsity)
    np.testing.assert_allclose(model.coef_[-1], coef, atol=1e-6)
    np.testing.assert_allclose(model.intercept_[-1], intercept, atol=1e-6)


@pytest.mark.parametrize("make, data", [
    (lambda: SharedLatentRegressor(alpha=0.1), _regression),
    (lambda: SharedLatentClassifier(alpha=0.1), _binary),
    (lambda: SharedLatentClassifier(alpha=0.1), _multiclass),
])
def test_a_new_task_without_data_is_the_shared_part(make, data):
    X, Y = data()
    model = make().fit(X, Y)
    n_outputs = model.coef_.shape[0]
    model.fit_new_tasks(X, np.full(X.shape[0], np.nan))
    added = slice(n_outputs, model.coef_.shape[0])
    groups = model.coef_[added].shape[0]
    shared = model.shared_coef_[-groups:] if groups > 1 else model.shared_coef_[:1]
    np.testing.assert_array_equal(model.coef_[added], shared)
    np.testing.assert_array_equal(model.intercept_[added], model.shared_intercept_[-groups:]
                                  if groups > 1 else model.shared_intercept_[:1])


def test_adding_tasks_leaves_the_fitted_model_and_the_input_alone():
    X, Y = _regression()
    model = SharedLatentRegressor(alpha=0.1).fit(X, Y)
    before = model.predict(X)
    shared = model.shared_coef_.copy(), model.shared_intercept_.copy()
    X_new, y_new = X[:30].copy(), Y[:30, :2].copy()
    X_copy, y_copy = X_new.copy(), y_new.copy()
    model.fit_new_tasks(X_new, y_new)
    np.testing.assert_array_equal(X_new, X_copy)
    np.testing.assert_array_equal(y_new, y_copy)
    after = model.predict(X)
    assert after.shape == (X.shape[0], Y.shape[1] + 2)
    np.testing.assert_array_equal(after[:, :Y.shape[1]], before)
    np.testing.assert_array_equal(model.shared_coef_, shared[0])
    np.testing.assert_array_equal(model.shared_intercept_, shared[1])
    assert model.residual_variance_.shape == (Y.shape[1] + 2,)
    assert model.task_graph_.shape == (Y.shape[1] + 2,) * 2
    assert np.isfinite(model.score(X[:30], np.column_stack([Y[:30], y_new])))


def test_adding_tasks_to_a_cv_estimator_uses_the_chosen_penalties():
    X, Y = _regression()
    model = SharedLatentRegressorCV(alphas=[0.01, 1.0], intercept_alphas=[0.1]).fit(X, Y)
    model.fit_new_tasks(X, Y)
    np.testing.assert_allclose(model.coef_[Y.shape[1]:], model.coef_[:Y.shape[1]],
                               atol=1e-9)


def test_task_names_follow_the_added_tasks():
    pd = pytest.importorskip("pandas")
    X, Y = _regression()
    model = SharedLatentRegressor().fit(X, pd.DataFrame(Y, columns=["a", "b", "c"]))
    model.fit_new_tasks(X, pd.DataFrame(Y[:, :1], columns=["d"]))
    assert list(model.task_names_) == ["a", "b", "c", "d"]
    model.fit_new_tasks(X, Y[:, 0])  # unnamed: the names no longer cover the tasks
    assert not hasattr(model, "task_names_")


def test_a_single_task_model_becomes_multi_task():
    X, Y = _regression()
    model = SharedLatentRegressor().fit(X, Y[:, 0])
    assert model.predict(X).shape == (X.shape[0],)
    model.fit_new_tasks(X, Y[:, 1])
    assert model.predict(X).shape == (X.shape[0], 2)


def test_fit_new_tasks_errors():
    X, Y = _regression()
    with pytest.raises(NotFittedError):
        SharedLatentRegressor().fit_new_tasks(X, Y)
    model = SharedLatentRegressor().fit(X, Y)
    with pytest.raises(ValueError, match="features"):
        model.fit_new_tasks(X[:, :2], Y)
    with pytest.raises(ValueError, match="inf|NaN|infinity"):
        model.fit_new_tasks(np.where(X > 2, np.inf, X), Y)
    Xm, Ym = _multiclass()
    classifier = SharedLatentClassifier().fit(Xm, Ym)
    binary = np.where(np.isnan(Ym[:, 0]), np.nan, (Ym[:, 0] > 0).astype(float))
    with pytest.raises(ValueError, match="New task 0 .* shares no component"):
        classifier.fit_new_tasks(Xm, binary)
    with pytest.raises(ValueError, match="New task 0 .* shares no component"):
        classifier.fit_new_tasks(Xm, Ym[:, 0] + 5)


def test_a_new_task_that_saw_one_class():
    """Without intercept shrinkage it predicts its one class (as in ``fit``);
    with it, it takes the shared classes and is fitted."""
    X, Y = _binary(7)
    rows = ~np.isnan(Y[:, 0])
    for intercept_alpha, certain in ((0.0, True), (0.5, False)):
        model = SharedLatentClassifier(intercept_alpha=intercept_alpha).fit(X, Y)
        model.fit_new_tasks(X[:6], np.column_stack([np.ones(6), Y[:6, 0]]))
        proba = model.predict_proba(X[rows])
        # A list per task, or multi-label columns (the probability of class 1).
        last = (proba[Y.shape[1]][:, -1] if isinstance(proba, list)
                else proba[:, Y.shape[1]])
        if certain:
            np.testing.assert_array_equal(last, 1.0)
        else:
            assert np.all((last > 0.0) & (last < 1.0))
