"""Training and scoring the estimators on CUDA against the CPU kernels (tiny problems)."""
import pickle
import warnings

import numpy as np
import pytest

from fastmtl import (
    SharedCodebookRegressor,
    SharedLatentClassifier,
    SharedLatentRegressor,
    _config,
)
from fastmtl.datasets import make_multitask_regression
from fastmtl.exceptions import TrainingDivergedError


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _regression(seed=0):
    X, Y = make_multitask_regression(14, 3, 5, shared_X=True, missing_rate=0.3,
                                     random_state=seed)[:2]
    return X, Y


def _labels(Y):
    labels = np.column_stack([Y[:, 0] > 0, np.digitize(Y[:, 1], [-1.0, 0.0, 1.0]),
                              Y[:, 2] > 0.3, np.ones(len(Y))]).astype(float)
    labels[::4, 0] = np.nan
    return labels  # binary with gaps, multiclass, binary, single-class


def _both(estimator, X, Y, **fit):
    # The same solver on both: "auto" would solve exactly on the CPU.
    estimator.set_params(solver="sgd")
    cpu = pickle.loads(pickle.dumps(estimator.set_params(device="cpu"))).fit(X, Y, **fit)
    gpu = estimator.set_params(device="cuda").fit(X, Y, **fit)
    return cpu, gpu


@pytest.mark.parametrize("estimator, kind", [
    (SharedLatentRegressor(2, task_weights="dynamic"), "regression"),
    (SharedCodebookRegressor(2, sparsity=0.02, task_graph=np.ones((3, 3)),
                             graph_penalty=0.05), "regression"),
    (SharedLatentClassifier(2, alpha=0.01), "classification"),
    # Free task deviations (the fixed identity), the shared component's fixed
    # head entries and the intercept shrinkage on the GPU.
    (SharedLatentRegressor(None, intercept_alpha=0.3, shared_alpha=0.01), "regression"),
    (SharedLatentClassifier(None, intercept_alpha=0.3, loss_weighting="task"),
     "classification"),
])
def test_cuda_fit_matches_cpu_fit(estimator, kind):
    X, Y = _regression()
    if kind == "classification":
        Y = _labels(Y)
    sw = np.linspace(0.5, 1.5, len(X))
    estimator.set_params(max_iter=3, tol=None, batch_size=8, random_state=0)
    cpu, gpu = _both(estimator, X, Y, sample_weight=sw)
    objective = cpu.objective(X, Y, sample_weight=sw)
    assert gpu.objective(X, Y, sample_weight=sw) == pytest.approx(objective, rel=1e-6)
    np.testing.assert_allclose(gpu.loss_curve_, cpu.loss_curve_, rtol=1e-6)
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(gpu.task_weights_, cpu.task_weights_, rtol=1e-6)
    assert type(gpu.coef_) is np.ndarray and type(gpu._state.U) is np.ndarray
    if kind == "regression":
        np.testing.assert_allclose(gpu.predict(X), cpu.predict(X), rtol=1e-6, atol=1e-9)
    else:
        np.testing.assert_array_equal(gpu.predict(X), cpu.predict(X))


def test_cuda_fit_is_deterministic_and_partial_fit_matches():
    X, Y = _regression(1)
    model = SharedLatentRegressor(2, max_iter=2, tol=None, batch_size=4, random_state=3,
                                  device="cuda")
    first, again = model.fit(X, Y).coef_.copy(), model.fit(X, Y).coef_.copy()
    np.testing.assert_array_equal(first, again)
    cpu = SharedLatentRegressor(2, batch_size=4, random_state=3, device="cpu", solver="sgd")
    gpu = SharedLatentRegressor(2, batch_size=4, random_state=3, device="cuda")
    for half in (slice(0, 7), slice(7, 14)):
        cpu.partial_fit(X[half], Y[half])
        gpu.partial_fit(X[half], Y[half])
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, rtol=1e-6, atol=1e-9)


def test_cuda_scoring_streams_batches(monkeypatch):
    X, Y = _regression(2)
    model = SharedLatentClassifier(2, max_iter=2, tol=None, random_state=0,
                                   device="cpu", solver="sgd").fit(X, _labels(Y))
    expected = (model.decision_function(X), model.predict_proba(X), model.transform(X))
    monkeypatch.setattr(_config, "CUDA_SCORE_BATCH_ROWS", 5)  # 14 rows: 3 batches
    model.set_params(device="cuda")
    np.testing.assert_allclose(model.decision_function(X), expected[0], rtol=1e-12)
    for got, want in zip(model.predict_proba(X), expected[1]):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(model.transform(X), expected[2], rtol=1e-12)


def test_cuda_fitted_model_pickles_and_predicts_on_cpu():
    X, Y = _regression(3)
    gpu = SharedLatentRegressor(2, max_iter=2, tol=None, random_state=0,
                                device="cuda").fit(X, Y)
    restored = pickle.loads(pickle.dumps(gpu)).set_params(device="cpu", solver="sgd")
    np.testing.assert_allclose(restored.predict(X), gpu.predict(X), rtol=1e-12)


def test_cuda_divergence_is_detected_and_state_kept_finite():
    X, Y = _regression(4)
    model = SharedLatentRegressor(2, max_iter=3, tol=None, learning_rate=1e200,
                                  random_state=0, device="cuda")
    with pytest.raises(TrainingDivergedError, match="learning_rate"):
        model.fit(X * 1e150, Y)


def test_gpu_arrays_in_fit_and_out_of_predict():
    """X on the GPU: fit reads it in place (same model as from host X on
    device="cuda"); predict / transform / decision_function / predict_proba
    return GPU arrays equal to the host results."""
    from numba import cuda

    X, Y = _regression(5)
    options = dict(max_iter=2, tol=None, batch_size=4, random_state=0, device="cuda")
    host = SharedLatentRegressor(2, **options).fit(X, Y)
    on_gpu = SharedLatentRegressor(2, **options).fit(cuda.to_device(X), Y)
    np.testing.assert_array_equal(on_gpu.coef_, host.coef_)
    d_X = cuda.to_device(X)
    prediction = on_gpu.predict(d_X)
    assert hasattr(prediction, "copy_to_host")  # stays on the GPU
    np.testing.assert_allclose(prediction.copy_to_host(), host.predict(X), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(on_gpu.transform(d_X).copy_to_host(), host.transform(X),
                               rtol=1e-12, atol=1e-12)
    assert on_gpu.score(d_X, Y) == pytest.approx(host.score(X, Y), rel=1e-12)

    labels = _labels(Y)
    clf = SharedLatentClassifier(2, **options).fit(d_X, labels)
    reference = SharedLatentClassifier(2, **options).fit(X, labels)
    np.testing.assert_array_equal(clf.coef_, reference.coef_)
    np.testing.assert_array_equal(clf.predict(d_X).copy_to_host(), reference.predict(X))
    for got, want in zip(clf.predict_proba(d_X), reference.predict_proba(X)):
        np.testing.assert_allclose(got.copy_to_host(), want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(clf.decision_function(d_X).copy_to_host(),
                               reference.decision_function(X), rtol=1e-12, atol=1e-12)


def test_gpu_arrays_with_early_stopping_and_partial_fit():
    from numba import cuda

    X, Y = _regression(6)
    options = dict(max_iter=3, tol=None, batch_size=4, random_state=0, device="cuda",
                   early_stopping=True, validation_fraction=0.3)
    host = SharedLatentRegressor(2, **options).fit(X, Y)
    on_gpu = SharedLatentRegressor(2, **options).fit(cuda.to_device(X), Y)
    np.testing.assert_array_equal(on_gpu.coef_, host.coef_)
    np.testing.assert_array_equal(on_gpu.validation_scores_, host.validation_scores_)
    partial = SharedLatentRegressor(2, batch_size=4, random_state=0, device="cuda")
    partial.partial_fit(cuda.to_device(X), cuda.to_device(Y))
    reference = SharedLatentRegressor(2, batch_size=4, random_state=0, device="cuda")
    np.testing.assert_array_equal(partial.coef_, reference.partial_fit(X, Y).coef_)


def test_gpu_array_input_errors():
    from numba import cuda

    X, Y = _regression(7)
    bad = X.copy()
    bad[3, 1] = np.nan
    model = SharedLatentRegressor(2, max_iter=1, tol=None, device="cuda")
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.fit(cuda.to_device(bad), Y)
    with pytest.raises(ValueError, match="device='cpu'"):
        SharedLatentRegressor(2, device="cpu", solver="sgd").fit(cuda.to_device(X), Y)
    with pytest.raises(TypeError, match="float32 or float64"):
        model.fit(cuda.to_device(X.astype(np.int64)), Y)
    model.fit(cuda.to_device(X), Y)
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.predict(cuda.to_device(bad))
    with pytest.raises(ValueError, match="features"):
        model.predict(cuda.to_device(np.ascontiguousarray(X[:, :3])))
    with pytest.raises(TypeError, match="X for SharedLatentRegressor must be float32"):
        model.predict(cuda.to_device(X.astype(np.int64)))
