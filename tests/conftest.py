import numpy as np
import pytest


def random_distributions(rng, shape, zeros=0.0, dtype=np.float64):
    """Random rows along the last axis that sum to one, a share of them zero."""
    X = rng.random(shape)
    if zeros:
        X[rng.random(shape) < zeros] = 0.0
        X[..., 0] += (X.sum(axis=-1) == 0)  # keep every row normalisable
    X /= X.sum(axis=-1, keepdims=True)
    return X.astype(dtype)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
