"""Tunables shared by every kernel.

Kernels read these at import (Numba freezes globals at compile time), so change
them before the first call, or monkeypatch the driver-level ones in tests.
"""

# LLVM fast-math flags that keep IEEE NaN/inf semantics. ``fastmath=True`` would
# add ``nnan``/``ninf`` and turn ``np.isnan`` into ``False``; these flags only
# allow reassociation (vectorised reductions), contraction into FMA and
# reciprocal multiplication.
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}



def _numba_can_cache():
    """Whether Numba finds a writable place for the compiled kernels (the
    package's ``__pycache__``, ``NUMBA_CACHE_DIR`` or the user's cache
    directory): it refuses ``cache=True`` at decoration time otherwise
    ("no locator available"), which made ``import fastmtl`` fail where both
    the install directory and HOME are read-only. Then the kernels compile
    on every import instead, and one warning says how to cache them."""
    import warnings

    from numba import njit

    def probe():
        return 0

    try:
        njit(cache=True)(probe)
    except RuntimeError:
        warnings.warn(
            "fastmtl: Numba has no writable cache directory (the install directory "
            "and the user's cache directory are read-only), so its kernels compile "
            "on every import; set NUMBA_CACHE_DIR to a writable directory to cache "
            "them.", RuntimeWarning, stacklevel=2)
        return False
    return True


# Options of every ``@njit`` kernel. ``error_model="numpy"`` makes ``p / 0.0``
# give ``inf`` as the divergence conventions require, instead of raising.
JIT_OPTIONS = dict(cache=_numba_can_cache(), fastmath=FASTMATH, error_model="numpy",
                   nogil=True)

# Memory (bytes) that one block of a pairwise result may take. Pairwise
# divergences are produced block by block so that an (n, m) result written to a
# ``numpy.memmap`` needs only this much scratch memory.
PAIRWISE_BLOCK_BYTES = 128 * 2**20
# The same budget for a pairwise result computed on the GPU (scratch lives in
# GPU memory; larger blocks mean fewer launches).
CUDA_PAIRWISE_BLOCK_BYTES = 2**30

# A GEMM-form divergence whose value is smaller than this fraction of the
# magnitude of its two terms has lost digits to cancellation; it is recomputed
# by the direct sum. In float64 the GEMM form is accurate to about
# k * 2**-53 * (|a| + |c|), so above the threshold the relative error stays
# below ~1e-10 for k up to a few thousand.
CANCELLATION_RTOL = 1e-4

# CUDA: threads per block of the 1-D kernels and the tile width of the 2-D ones.
CUDA_THREADS_PER_BLOCK = 256
CUDA_TILE = 16

# device="auto" sends work to the GPU only when the input has at least this
# many elements: below it the host-device transfer costs more than it saves.
CUDA_AUTO_MIN_ELEMENTS = 1 << 22

# Rows of X sent to the GPU at a time when scoring on device="cuda" (bounds
# the GPU memory of predict / transform: rows x n_features x 8 bytes).
CUDA_SCORE_BATCH_ROWS = 1 << 18

# Relative tolerance for "sums to one", by input dtype.
SUM_TOLERANCE = {"float32": 1e-4, "float64": 1e-6}

# SGD: a minibatch is cut into blocks of this many samples; each block's
# gradient is accumulated in its own buffer and the buffers are summed in block
# order, so fitted coefficients do not depend on the number of threads.
SGD_BLOCK_ROWS = 32

# SGD on the CPU: an epoch runs as calls of the compiled epoch over whole
# minibatches worth about this many floating-point operations each (a tenth of
# a second or so on one core): Python acts on Ctrl-C between calls, never
# inside compiled code. The fitted coefficients do not depend on it.
SGD_FLOPS_PER_CALL = 2e8

# SGD on the CPU: a minibatch runs its blocks on Numba's threads only when it
# carries at least this many floating-point operations (about 2e-4 s on one
# core). Below it a parallel region costs more than it saves, and far more
# when another process holds a core: measured on 2 cores, a 200 x 5, 3-task,
# 200-epoch fit took 51 ms on 2 threads against 32 ms on one, and 288 ms
# against 54 ms with one core busy. The fitted coefficients do not depend on it.
SGD_PARALLEL_MIN_FLOPS = 5e5

# The exact solver (``solver="exact"``, and ``"auto"`` on the CPU for X of at
# most EXACT_MAX_ELEMENTS entries, 80 MB of float64): L-BFGS stops when an
# iteration improves the objective by less than EXACT_FTOL relatively, after
# at most EXACT_ITERATIONS_PER_EPOCH * max_iter iterations.
EXACT_MAX_ELEMENTS = 10_000_000
EXACT_FTOL = 1e-13
EXACT_ITERATIONS_PER_EPOCH = 10
