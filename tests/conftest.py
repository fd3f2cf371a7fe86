import os

# scikit-learn's array-API estimator check runs only with SciPy's array API
# switched on, which must happen before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

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


def _cuda_usable():
    try:
        from numba import cuda

        return bool(cuda.is_available())
    except Exception:
        return False


# tests/cuda runs in a process where CUDA is usable: under the simulator
# (NUMBA_ENABLE_CUDASIM=1 set before numba is imported, the second command of
# the README's test line) or on a real GPU. The CPU process does not collect it.
collect_ignore = [] if _cuda_usable() else ["cuda"]
