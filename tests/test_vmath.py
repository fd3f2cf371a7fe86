"""The vectorisable logarithm against numpy.log."""
import numpy as np
from numba import njit

from fastmtl._vmath import vlog


@njit
def _vlog_array(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = vlog(x[i])
    return out


def test_vlog_within_one_ulp_over_the_whole_range():
    rng = np.random.default_rng(0)
    x = np.concatenate([
        np.exp(rng.uniform(-744, 709, 200_000)),   # every exponent, subnormals too
        rng.random(100_000),                        # probabilities
        1 + rng.standard_normal(20_000) * 1e-9,     # around 1, where log -> 0
        [5e-324, 1e-310, 2.2250738585072014e-308, 0.5, 1.0, 2.0, np.sqrt(2),
         np.sqrt(0.5), 1.7976931348623157e308],
    ])
    x = x[x > 0]
    expected = np.log(x)
    ulps = np.abs(_vlog_array(x) - expected) / np.spacing(np.abs(expected))
    assert ulps[expected != 0].max() <= 1.0
    assert _vlog_array(np.array([1.0]))[0] == 0.0
