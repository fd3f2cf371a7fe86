"""Device choice: "auto" | "cpu" | "cuda", and whether CUDA is usable.

Importing fastmtl never needs CUDA: numba's CUDA support is imported lazily,
the first time a function is asked to use it.
"""
import functools

from . import _config
from ._validation import check_option

DEVICES = ("auto", "cpu", "cuda")


@functools.lru_cache(maxsize=None)
def cuda_available():
    """True when numba can run CUDA kernels here (a GPU, or the simulator)."""
    try:
        from numba import cuda

        return bool(cuda.is_available())
    except Exception:  # no driver, no toolkit, broken install: all mean "no"
        return False


def is_gpu_array(x):
    """True for arrays that live on a GPU (Numba device arrays, CuPy, torch),
    and for the CUDA simulator's stand-in device arrays."""
    if hasattr(x, "__cuda_array_interface__") and not hasattr(x, "__array_interface__"):
        return True
    return type(x).__name__ == "FakeCUDAArray"



def select_device(device, arrays, n_elements):
    """Resolve ``device`` to "cpu" or "cuda" for a call on ``arrays``.

    "auto" picks the GPU when an input already lives there, or when a GPU is
    usable and the work is large enough (``CUDA_AUTO_MIN_ELEMENTS``) to pay for
    the transfer.
    """
    check_option(device, "device", DEVICES)
    on_gpu = any(is_gpu_array(a) for a in arrays)
    if device == "cpu":
        if on_gpu:
            raise ValueError(
                "device='cpu' was requested but an input is a GPU array; copy it "
                "to the host first (e.g. .copy_to_host(), .get() or .cpu())"
            )
        return "cpu"
    if device == "cuda" or on_gpu:
        if not cuda_available():
            raise RuntimeError(
                "device='cuda' needs a CUDA GPU usable by numba, and none was "
                "found (install the 'cuda' extra and check the NVIDIA driver), "
                "or use device='cpu' / 'auto'"
            )
        return "cuda"
    if cuda_available() and n_elements >= _config.CUDA_AUTO_MIN_ELEMENTS:
        return "cuda"
    return "cpu"
