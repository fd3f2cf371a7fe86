"""Dask integration, on a real LocalCluster of two worker processes."""
import os
import signal
import time
import warnings

import cloudpickle
import numpy as np
import pandas as pd
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import joblib
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

import fastmtl
from fastmtl import SharedLatentClassifier, SharedLatentRegressor
from fastmtl import distributed as dist
from fastmtl.datasets import make_multitask_regression


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            yield c


@pytest.fixture(scope="module")
def regression():
    X, Y = make_multitask_regression(150, 4, 6, shared_X=True, missing_rate=0.3,
                                     random_state=0)[:2]
    model = SharedLatentRegressor(3, max_iter=30, tol=None, random_state=0).fit(X, Y)
    return model, X, Y


@pytest.fixture(scope="module")
def classification(regression):
    _, X, Y = regression
    labels = np.column_stack([Y[:, 0] > 0, np.digitize(Y[:, 1], [-1.0, 0.0, 1.0]),
                              Y[:, 2] > 0.5]).astype(float)
    labels[::7, 0] = np.nan
    model = SharedLatentClassifier(3, max_iter=30, tol=None, random_state=0)
    return model.fit(X, labels), X, labels


def _distributions(n, k=6, seed=0):
    P = np.random.default_rng(seed).random((n, k))
    return P / P.sum(axis=1, keepdims=True)


def _graph_size(collection):
    return len(dict(collection.__dask_graph__()))


# --------------------------------------------------------------------------- #
# Scoring                                                                     #
# --------------------------------------------------------------------------- #
def test_regressor_outputs_equal_in_memory(client, regression):
    model, X, Y = regression
    dX = da.from_array(X, chunks=(40, 4))  # columns split: rechunked to whole rows
    for name in ("predict", "transform"):
        lazy = getattr(dist, name)(model, dX)
        assert lazy.chunks[0] == dX.chunks[0]
        np.testing.assert_allclose(lazy.compute(), getattr(model, name)(X), rtol=1e-12)
    w = np.random.default_rng(1).random(len(X))
    assert dist.score(model, dX, da.from_array(Y, chunks=25),
                      sample_weight=da.from_array(w, chunks=60)) == pytest.approx(
        model.score(X, Y, sample_weight=w), rel=1e-12)
    assert dist.score(model, dX, Y) == pytest.approx(model.score(X, Y), rel=1e-12)


def test_classifier_outputs_equal_in_memory(client, classification):
    model, X, Y = classification
    dX = da.from_array(X, chunks=35)
    for name in ("predict", "decision_function"):
        np.testing.assert_allclose(getattr(dist, name)(model, dX).compute(),
                                   getattr(model, name)(X), rtol=1e-12)
    lazy = dist.predict_proba(model, dX)
    expected = model.predict_proba(X)
    assert isinstance(lazy, list) and len(lazy) == len(expected)
    for part, want in zip(lazy, expected):
        assert part.chunks[0] == dX.chunks[0]
        np.testing.assert_allclose(part.compute(), want, rtol=1e-12)
    assert dist.score(model, dX, da.from_array(Y, chunks=50)) == pytest.approx(
        model.score(X, Y), rel=1e-12)


def test_dask_dataframe_with_feature_names(client, regression):
    dd = pytest.importorskip("dask.dataframe")
    _, X, Y = regression
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    model = SharedLatentRegressor(2, max_iter=5, tol=None, random_state=0).fit(frame, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names"
        out = dist.predict(model, dd.from_pandas(frame, npartitions=3)).compute()
    np.testing.assert_allclose(out, model.predict(frame), rtol=1e-12)


def test_model_enters_the_graph_once_and_tasks_scale_with_chunks(regression):
    model, X, _ = regression
    model_bytes = len(cloudpickle.dumps(model))
    lazy = dist.predict(model, da.from_array(X, chunks=10))
    sizes = [len(cloudpickle.dumps(task)) for task in dict(lazy.__dask_graph__()).values()]
    assert sum(size >= model_bytes for size in sizes) == 1
    assert max(sorted(sizes)[:-1]) < model_bytes / 4
    big = np.tile(X, (20, 1))
    same_chunks = dist.predict(model, da.from_array(big, chunks=len(big) // 15))
    assert _graph_size(same_chunks) == _graph_size(lazy)
    more_chunks = dist.predict(model, da.from_array(big, chunks=len(big) // 60))
    assert _graph_size(more_chunks) > _graph_size(lazy)


def test_bad_chunks_raise_the_in_memory_error(client, regression):
    model, X, _ = regression
    bad = X.copy()
    bad[97, 2] = np.nan
    with pytest.raises(ValueError) as in_memory:
        model.predict(bad)
    with pytest.raises(ValueError) as on_cluster:
        dist.predict(model, da.from_array(bad, chunks=20)).compute()
    assert str(on_cluster.value) == str(in_memory.value)
    with pytest.raises(ValueError, match="X has 5 features, but SharedLatentRegressor"):
        dist.predict(model, da.from_array(X[:, :5]))
    with pytest.raises(NotFittedError):
        dist.predict(SharedLatentRegressor(), da.from_array(X))
    with pytest.raises(TypeError, match="not a fastmtl multi-task estimator"):
        dist.score(object(), da.from_array(X), X[:, 0])


# --------------------------------------------------------------------------- #
# Information kernels                                                         #
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("metric", ["kl", "js", "symmetric_kl", "cross_entropy"])
def test_pairwise_divergence_equals_in_memory(client, metric):
    P, Q = _distributions(53), _distributions(31, seed=1)
    dP, dQ = da.from_array(P, chunks=(10, 3)), da.from_array(Q, chunks=(8, 6))
    lazy = dist.pairwise_divergence(dP, dQ, metric=metric, base=2)
    assert lazy.chunks == (dP.chunks[0], dQ.chunks[0])
    np.testing.assert_allclose(lazy.compute(),
                               fastmtl.pairwise_divergence(P, Q, metric=metric, base=2),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dist.pairwise_divergence(dP, metric=metric).compute(),
                               fastmtl.pairwise_divergence(P, metric=metric),
                               rtol=1e-12, atol=1e-15)


def test_pairwise_float32_and_normalize(client):
    P = (_distributions(20) * 3).astype(np.float32)
    lazy = dist.pairwise_divergence(da.from_array(P, chunks=7), normalize=True)
    assert lazy.dtype == np.float32
    np.testing.assert_allclose(lazy.compute(),
                               fastmtl.pairwise_divergence(P, normalize=True), rtol=1e-6)


def test_pairwise_graph_grows_with_chunks_not_rows():
    small = dist.pairwise_divergence(da.from_array(_distributions(40), chunks=10))
    large = dist.pairwise_divergence(da.from_array(_distributions(4000), chunks=1000))
    finer = dist.pairwise_divergence(da.from_array(_distributions(4000), chunks=500))
    assert _graph_size(small) == _graph_size(large) < _graph_size(finer)


@pytest.mark.parametrize("name", ["kl_divergence", "js_divergence", "cross_entropy"])
def test_rowwise_equal_in_memory(client, name):
    P, Q = _distributions(45), _distributions(45, seed=2)
    lazy = getattr(dist, name)(da.from_array(P, chunks=10), da.from_array(Q, chunks=15))
    np.testing.assert_allclose(lazy.compute(), getattr(fastmtl, name)(P, Q), rtol=1e-12)
    np.testing.assert_allclose(dist.entropy(da.from_array(P, chunks=10), base=2).compute(),
                               fastmtl.entropy(P, base=2), rtol=1e-12)


def test_bad_distribution_chunks_raise_the_in_memory_error(client):
    P, Q = _distributions(40), _distributions(30, seed=1)
    P[27, 4] = -0.5
    cases = [
        (lambda: fastmtl.pairwise_divergence(P),
         lambda: dist.pairwise_divergence(da.from_array(P, chunks=10)).compute()),
        (lambda: fastmtl.pairwise_divergence(Q, P),
         lambda: dist.pairwise_divergence(da.from_array(Q, chunks=10),
                                          da.from_array(P, chunks=10)).compute()),
        (lambda: fastmtl.kl_divergence(Q, P[:30]),
         lambda: dist.kl_divergence(da.from_array(Q, chunks=10),
                                    da.from_array(P[:30], chunks=10)).compute()),
    ]
    for in_memory, on_cluster in cases:
        with pytest.raises(ValueError) as expected:
            in_memory()
        with pytest.raises(ValueError) as got:
            on_cluster()
        assert str(got.value) == str(expected.value)
        assert "27" in str(got.value)
    with pytest.raises(ValueError, match="same number of columns"):
        dist.pairwise_divergence(da.from_array(P), da.from_array(P[:, :3]))
    with pytest.raises(ValueError, match="metric"):
        dist.pairwise_divergence(da.from_array(P), metric="hellinger")


def test_a_killed_worker_is_recovered(client):
    P = _distributions(240)

    def slow(block):
        time.sleep(0.25)
        return block

    dP = da.from_array(P, chunks=12).map_blocks(slow, dtype=P.dtype)
    future = client.compute(dist.entropy(dP))
    before = set(client.scheduler_info()["workers"])
    deadline = time.time() + 30
    while not any(client.processing().values()) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    victim = sorted(before)[0]
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    result = future.result(timeout=120)
    np.testing.assert_allclose(result, fastmtl.entropy(P), rtol=1e-12)
    client.wait_for_workers(2, timeout=60)
    assert victim not in set(client.scheduler_info()["workers"])


# --------------------------------------------------------------------------- #
# Training                                                                    #
# --------------------------------------------------------------------------- #
def test_partial_fit_over_chunks_matches_in_memory_fit(client):
    X, Y = make_multitask_regression(2500, 5, 10, rank=2, noise=0.3, shared_X=True,
                                     missing_rate=0.2, random_state=3)[:2]
    X_train, Y_train, X_test, Y_test = X[:2000], Y[:2000], X[2000:], Y[2000:]
    in_memory = SharedLatentRegressor(2, batch_size=64, max_iter=10, tol=None,
                                      random_state=0).fit(X_train, Y_train)
    streamed = dist.partial_fit(
        SharedLatentRegressor(2, batch_size=64, random_state=0),
        da.from_array(X_train, chunks=500), da.from_array(Y_train, chunks=(500, 5)),
        n_epochs=10, random_state=0)
    assert streamed.n_iter_ == 10 * 4  # one partial_fit per chunk and epoch
    target = in_memory.score(X_test, Y_test)
    assert target > 0.8
    assert streamed.score(X_test, Y_test) >= target - 0.02


def test_partial_fit_on_task_stacked_data(client):
    # Each task's rows form one block, so most chunks lack most tasks.
    X, Y = make_multitask_regression(100, 4, 6, rank=1, noise=0.1, random_state=1)
    est = dist.partial_fit(SharedLatentRegressor(1, batch_size=32, random_state=0),
                           da.from_array(X, chunks=100), da.from_array(Y, chunks=(100, 4)),
                           n_epochs=20, random_state=0)
    assert est.n_tasks_ == 4
    assert est.score(X, Y) > 0.8


def test_partial_fit_order_is_seeded_and_errors(regression):
    _, X, Y = regression
    dX, dY = da.from_array(X, chunks=50), da.from_array(Y, chunks=50)
    first = dist.partial_fit(SharedLatentRegressor(2, random_state=0), dX, dY,
                             n_epochs=2, random_state=4)
    again = dist.partial_fit(SharedLatentRegressor(2, random_state=0), dX, dY,
                             n_epochs=2, random_state=4)
    np.testing.assert_array_equal(first.coef_, again.coef_)
    with pytest.raises(ValueError, match="n_epochs"):
        dist.partial_fit(SharedLatentRegressor(), dX, dY, n_epochs=0)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        dist.partial_fit(SharedLatentRegressor(), dX, dY[:-1])
    with pytest.raises(TypeError, match="has no partial_fit"):
        dist.partial_fit(object(), dX, dY)


def test_grid_search_on_the_cluster_with_joblib_dask(client, regression):
    _, X, Y = regression
    grid = {"alpha": [1e-4, 1e-1], "n_components": [1, 3]}
    model = SharedLatentRegressor(max_iter=20, tol=None, random_state=0)
    local = GridSearchCV(model, grid, cv=3).fit(X, Y)
    with joblib.parallel_backend("dask"):
        remote = GridSearchCV(model, grid, cv=3, n_jobs=-1).fit(X, Y)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], rtol=1e-12)


def test_chunks_on_threads_under_the_workqueue_layer_take_turns(tmp_path):
    """Numba's workqueue layer aborts the process when two threads launch
    parallel kernels at once; Dask's threaded scheduler does that with chunks."""
    import subprocess
    import sys

    code = (
        "import numpy as np, dask, dask.array as da, numba\n"
        "from fastmtl import SharedLatentRegressor, distributed, pairwise_divergence\n"
        "rng = np.random.default_rng(0)\n"
        "P = rng.random((1200, 32)); P /= P.sum(1, keepdims=True)\n"
        "X = rng.standard_normal((1200, 4)); Y = X @ rng.standard_normal((4, 3))\n"
        "model = SharedLatentRegressor().fit(X, Y)\n"
        "dP, dX = da.from_array(P, chunks=(150, 32)), da.from_array(X, chunks=(150, 4))\n"
        "with dask.config.set(scheduler='threads', num_workers=4):\n"
        "    D = distributed.pairwise_divergence(dP, metric='js').compute()\n"
        "    H = distributed.entropy(dP).compute()\n"
        "    Yhat = distributed.predict(model, dX).compute()\n"
        "assert numba.threading_layer() == 'workqueue'\n"
        "assert np.allclose(D, pairwise_divergence(P, metric='js'))\n"
        "assert np.allclose(Yhat, model.predict(X))\n"
        "print('ok')\n")
    # Its own cache: kernels compiled under another threading layer stay out
    # of the package's cache, which the other tests' processes load.
    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue",
               NUMBA_CACHE_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=900, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
