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


def numba_threads_during_scoring(estimator, X, y):
    """A scorer that reports the Numba thread count of the process scoring."""
    return float(numba.get_num_threads())


def test_grid_search_workers_share_the_cores_instead_of_oversubscribing():
    # GridSearchCV(n_jobs=2) runs candidates in joblib's worker processes,
    # which joblib starts with NUMBA_NUM_THREADS (and OMP/BLAS limits) set to
    # its share of the cores; fastmtl's kernels must run on that share.
    import joblib
    from sklearn.model_selection import GridSearchCV

    from fastmtl.datasets import make_multitask_regression
    from fastmtl.model_selection import TaskKFold

    X, Y = make_multitask_regression(20, 3, 4, random_state=0)
    search = GridSearchCV(fastmtl.SharedLatentRegressor(), {"alpha": [1e-3, 1e-2]},
                          cv=TaskKFold(2), scoring=numba_threads_during_scoring, n_jobs=2,
                          refit=False).fit(X, Y)
    share = max(joblib.cpu_count() // 2, 1)
    assert np.all(search.cv_results_["mean_test_score"] == share)
