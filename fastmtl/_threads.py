"""Numba's threads: their count under ``threadpoolctl``, and safety under
threads of the caller's.

``threadpoolctl.threadpool_limits(1)`` (what scikit-learn, joblib and users
call to stop nested parallelism) limits BLAS and OpenMP libraries it finds
loaded, but not Numba's thread pool. This controller makes it: threadpoolctl
recognises Numba's threading-layer library once a parallel kernel has loaded
it, and sets Numba's thread count (per calling thread, as threadpoolctl asks)
through ``numba.set_num_threads``.
"""
import functools
import importlib
import threading

import numba
from threadpoolctl import LibController, register


class NumbaController(LibController):
    user_api = "numba"
    internal_api = "numba"
    # The threading layers' extension modules (numba/np/ufunc/...).
    filename_prefixes = ("omppool", "tbbpool", "workqueue")

    def get_num_threads(self):
        return numba.get_num_threads()

    def set_num_threads(self, num_threads):
        # threadpoolctl restores the previous value with this same call;
        # Numba refuses more than its pool (NUMBA_NUM_THREADS).
        numba.set_num_threads(max(1, min(int(num_threads), numba.config.NUMBA_NUM_THREADS)))

    def get_version(self):
        return numba.__version__


_registered = False


def register_numba_controller():
    """Register ``NumbaController`` with threadpoolctl (once)."""
    global _registered
    if not _registered:
        register(NumbaController)
        _registered = True


# --------------------------------------------------------------------------- #
# Parallel kernels called from several threads at once                       #
# --------------------------------------------------------------------------- #
# Numba's "workqueue" threading layer (its fallback where neither TBB nor
# OpenMP is available, or NUMBA_THREADING_LAYER=workqueue) aborts the process
# when two threads launch parallel kernels at once, as Dask's threaded
# scheduler does with chunks. Under it, fastmtl's chunk functions take turns.
_WORKQUEUE_TURNS = threading.Lock()


def _importable(module):
    try:
        importlib.import_module(f"numba.np.ufunc.{module}")
    except ImportError:
        return False
    return True


def thread_safe_layer():
    """Whether Numba's threading layer (in use, or the one it will choose)
    accepts parallel kernels launched from several threads at once."""
    try:
        return numba.threading_layer() != "workqueue"
    except ValueError:  # no parallel kernel has run yet
        pass
    layer = numba.config.THREADING_LAYER
    if layer == "workqueue":
        return False
    if layer != "default":  # "tbb", "omp", "safe", "threadsafe", "forksafe"
        return layer != "forksafe" or _importable("tbbpool") or _importable("omppool")
    return _importable("tbbpool") or _importable("omppool")


def one_thread_at_a_time_if_unsafe(function):
    """Run ``function`` under a process-wide lock when the threading layer is
    not thread-safe (see ``thread_safe_layer``); directly otherwise."""

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        if thread_safe_layer():
            return function(*args, **kwargs)
        with _WORKQUEUE_TURNS:
            return function(*args, **kwargs)

    return guarded
