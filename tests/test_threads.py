"""threadpoolctl reaches Numba's thread pool (fastmtl registers a controller)."""
import numba
import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import fastmtl


def test_threadpool_limits_limits_numba_and_restores_it():
    fastmtl.entropy(np.full((1000, 8), 1 / 8))  # the threading layer is loaded
    before = numba.get_num_threads()
    assert any(info["internal_api"] == "numba" for info in threadpool_info())
    with threadpool_limits(1):
        assert numba.get_num_threads() == 1
        # a fit under the limit still works, with one thread
        X = np.random.default_rng(0).normal(size=(50, 3))
        fastmtl.SharedLatentRegressor(1, max_iter=2, tol=None).fit(X, X[:, :2])
    assert numba.get_num_threads() == before
    with threadpool_limits(limits=10**6, user_api="numba"):  # capped at the pool
        assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    assert numba.get_num_threads() == before
