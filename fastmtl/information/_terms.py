"""Per-entry terms shared by the CPU and CUDA kernels: plain Python over
``math`` that ``_cpu`` compiles with ``njit`` and ``_cuda`` with
``cuda.jit(device=True)``, so both backends compute alike."""
import math

SMALLEST_NORMAL = 2.2250738585072014e-308  # np.finfo(np.float64).tiny


def log_ratio(v, a, b):
    """``log(v / (a b))``: one log of the ratio where ``a b`` is a normal
    number (exact for ``v`` close to ``a b``); by logs where it underflows
    (cells near 1e-200, whose ``p(x) p(y)`` is near 1e-400)."""
    denominator = a * b
    if denominator >= SMALLEST_NORMAL:
        return math.log(v / denominator)
    return math.log(v) - math.log(a) - math.log(b)
