"""Batch scoring on a Dask LocalCluster against in-memory ``predict``.

5 000 000 x 50 float64 samples (2 GB), a SharedLatentRegressor with 20 tasks.
The cluster has as many single-threaded worker processes as the machine has
cores, and the in-memory ``predict`` uses as many BLAS threads: equal cores.
On the cluster the samples are a Dask array held by the workers (chunks of
500 000 rows); both sides reduce the predictions to their column sums, so that
neither pays for moving 800 MB of predictions (and repeated runs cannot reuse
a previous run's results on the workers). The in-memory baseline scores the
same samples as one NumPy array.

Driver memory: predictions of lazily generated samples, reduced on the
workers, at two sizes; the driver's peak traced allocation should not grow
with the number of rows.
"""
import os
import tracemalloc

import numpy as np

from fastmtl import SharedLatentRegressor
from fastmtl import distributed as dist

from .common import median_ratio

N_ROWS, N_FEATURES, N_TASKS, CHUNK = 5_000_000, 50, 20, 500_000


def _cluster():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=os.cpu_count(), threads_per_worker=1,
                           processes=True, dashboard_address=None)
    return cluster, Client(cluster)


def _model(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2000, N_FEATURES))
    Y = X @ rng.standard_normal((N_FEATURES, N_TASKS))
    return SharedLatentRegressor(5, max_iter=5, tol=None, random_state=0,
                                 solver="sgd").fit(X, Y)


def _lazy_samples(n_rows, seed=0):
    import dask.array as da

    return da.random.default_rng(seed).standard_normal((n_rows, N_FEATURES),
                                                       chunks=(CHUNK, N_FEATURES))


class BatchScoring:
    """Distributed predict vs in-memory predict, equal cores."""

    timeout = 1800
    number = 1
    repeat = 3

    def setup(self):
        from distributed import wait

        self.cluster, self.client = _cluster()
        self.model = _model()
        self.dX = _lazy_samples(N_ROWS).persist()
        wait(self.dX)
        self.X = self.dX.compute()
        self.model.predict(self.X[:10])

    def teardown(self):
        self.client.close()
        self.cluster.close()

    def _distributed(self):
        dist.predict(self.model, self.dX).sum(axis=0).compute()

    def _in_memory(self):
        self.model.predict(self.X).sum(axis=0)

    def time_distributed_predict(self):
        self._distributed()

    def time_in_memory_predict(self):
        self._in_memory()

    def track_ratio_distributed_to_in_memory(self):
        return median_ratio(self._distributed, self._in_memory, repeat=5)

    def track_max_abs_difference(self):
        rows = slice(0, 2 * CHUNK)
        ours = dist.predict(self.model, self.dX[rows]).compute()
        return float(np.max(np.abs(ours - self.model.predict(self.X[rows]))))


class DriverMemory:
    """Peak traced allocation of the driver while the cluster scores n rows."""

    params = [1_000_000, 4_000_000]
    param_names = ["n_rows"]
    timeout = 1200

    def setup(self, n_rows):
        self.cluster, self.client = _cluster()
        self.model = _model()

    def teardown(self, n_rows):
        self.client.close()
        self.cluster.close()

    def track_driver_peak_traced_mb(self, n_rows):
        tracemalloc.start()
        dist.predict(self.model, _lazy_samples(n_rows)).sum(axis=0).compute()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak / 2 ** 20

    track_driver_peak_traced_mb.unit = "MiB"
