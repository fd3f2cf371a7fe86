"""Numba's thread count under ``threadpoolctl``.

``threadpoolctl.threadpool_limits(1)`` (what scikit-learn, joblib and users
call to stop nested parallelism) limits BLAS and OpenMP libraries it finds
loaded, but not Numba's thread pool. This controller makes it: threadpoolctl
recognises Numba's threading-layer library once a parallel kernel has loaded
it, and sets Numba's thread count (per calling thread, as threadpoolctl asks)
through ``numba.set_num_threads``.
"""
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
