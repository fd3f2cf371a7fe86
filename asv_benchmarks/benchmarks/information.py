"""Information-theory kernels against what users would otherwise call.

Baselines: ``scipy.stats.entropy`` (row-wise), a NumPy pass that only reads
both inputs (the memory-bandwidth floor), the bare BLAS product
``P @ log(Q).T`` (pairwise KL), and ``cdist(..., "jensenshannon")**2``
(pairwise JS). ``track_*_ratio`` benchmarks report fastmtl's time divided by
the baseline's, measured alternately in one process.
"""
import numpy as np
import scipy.stats
from scipy.spatial.distance import cdist

import fastmtl

from .common import distributions, median_ratio

_ROWWISE = {
    "entropy": (lambda P, Q: fastmtl.entropy(P),
                lambda P, Q: scipy.stats.entropy(P, axis=1)),
    "cross_entropy": (lambda P, Q: fastmtl.cross_entropy(P, Q),
                      lambda P, Q: scipy.stats.entropy(P, axis=1)
                      + scipy.stats.entropy(P, Q, axis=1)),
    "kl": (lambda P, Q: fastmtl.kl_divergence(P, Q),
           lambda P, Q: scipy.stats.entropy(P, Q, axis=1)),
}


def _read_both(P, Q):
    return (P + Q).sum()


class Rowwise:
    """Row-wise divergences on 200 000 x 128 float64."""

    params = (sorted(_ROWWISE),)
    param_names = ["function"]
    timeout = 300

    def setup(self, function):
        self.P = distributions(200_000, 128, 0)
        self.Q = distributions(200_000, 128, 1)
        self.ours, self.scipy = _ROWWISE[function]
        self.ours(self.P[:10], self.Q[:10])  # compile outside the timings

    def time_fastmtl(self, function):
        self.ours(self.P, self.Q)

    def time_scipy(self, function):
        self.scipy(self.P, self.Q)

    def time_numpy_read_both(self, function):
        _read_both(self.P, self.Q)

    def peakmem_fastmtl(self, function):
        self.ours(self.P, self.Q)

    def track_ratio_to_scipy(self, function):
        return median_ratio(lambda: self.ours(self.P, self.Q),
                            lambda: self.scipy(self.P, self.Q), repeat=3)

    def track_ratio_to_numpy_read(self, function):
        return median_ratio(lambda: self.ours(self.P, self.Q),
                            lambda: _read_both(self.P, self.Q))

    track_ratio_to_scipy.unit = "ratio"
    track_ratio_to_numpy_read.unit = "ratio"


class PairwiseKL:
    """Pairwise KL, 4 000 x 4 000 x 128, against the bare BLAS product."""

    timeout = 300

    def setup(self):
        self.P = distributions(4000, 128, 2)
        self.Q = distributions(4000, 128, 3)
        self.out = np.empty((4000, 4000))
        fastmtl.pairwise_divergence(self.P[:5], self.Q[:5])

    def _ours(self):
        fastmtl.pairwise_divergence(self.P, self.Q, out=self.out)

    def _blas(self):
        np.matmul(self.P, np.log(self.Q).T, out=self.out)

    def time_fastmtl(self):
        self._ours()

    def time_fastmtl_allocating(self):
        fastmtl.pairwise_divergence(self.P, self.Q)

    def time_blas_product(self):
        self._blas()

    def peakmem_fastmtl_allocating(self):
        fastmtl.pairwise_divergence(self.P, self.Q)

    def track_ratio_to_blas(self):
        return median_ratio(self._ours, self._blas)

    track_ratio_to_blas.unit = "ratio"


class PairwiseJS:
    """Pairwise JS, 1 000 x 1 000 x 128, against cdist's jensenshannon squared."""

    timeout = 300

    def setup(self):
        self.P = distributions(1000, 128, 4)
        self.Q = distributions(1000, 128, 5)
        fastmtl.pairwise_divergence(self.P[:5], self.Q[:5], metric="js")

    def _ours(self):
        return fastmtl.pairwise_divergence(self.P, self.Q, metric="js")

    def _cdist(self):
        return cdist(self.P, self.Q, "jensenshannon") ** 2

    def time_fastmtl(self):
        self._ours()

    def time_cdist(self):
        self._cdist()

    def track_ratio_to_cdist(self):
        return median_ratio(self._ours, self._cdist, repeat=3)

    track_ratio_to_cdist.unit = "ratio"


class MutualInformation:
    """100 000 joint tables of 8 x 8 against the entropy-sum formula in NumPy."""

    def setup(self):
        self.J = distributions(100_000, 64, 6).reshape(-1, 8, 8)
        fastmtl.mutual_information(self.J[:5])

    def _numpy(self):
        J = self.J
        H = lambda X: scipy.stats.entropy(X.reshape(len(X), -1), axis=1)  # noqa: E731
        return H(J.sum(axis=2)) + H(J.sum(axis=1)) - H(J)

    def time_fastmtl(self):
        fastmtl.mutual_information(self.J)

    def time_scipy_entropies(self):
        self._numpy()

    def track_ratio_to_scipy_entropies(self):
        return median_ratio(lambda: fastmtl.mutual_information(self.J), self._numpy)

    track_ratio_to_scipy_entropies.unit = "ratio"


def timeraw_first_call_warm_cache():
    """A new process: import fastmtl and make the first call (Numba cache warm)."""
    return """
    import numpy as np
    import fastmtl
    fastmtl.kl_divergence(np.full((4, 8), 0.125), np.full((4, 8), 0.125))
    """, """
    import numpy as np
    import fastmtl
    fastmtl.kl_divergence(np.full((4, 8), 0.125), np.full((4, 8), 0.125))
    """
