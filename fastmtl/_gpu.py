"""GPU arrays (Numba, CuPy, PyTorch) as estimator inputs and outputs.

Any array exposing ``__cuda_array_interface__`` is read in place through a
Numba view; results go back as the caller's own kind of array (a CuPy array
for CuPy input, a torch tensor for torch input, a Numba device array
otherwise), still on the GPU. Importing this module needs numba's CUDA
support; the estimators import it only when an input is a GPU array.
"""
import math

import numpy as np
from numba import cuda

from ._backend import is_gpu_array


def view(x):
    """A Numba device view of the GPU array ``x`` (no copy)."""
    if hasattr(x, "__cuda_array_interface__") and not hasattr(x, "copy_to_host"):
        return cuda.as_cuda_array(x)
    return x


def float_view(x, name):
    """``view(x)``, which must hold float32 or float64 (a ``TypeError`` naming
    ``name`` otherwise)."""
    x = view(x)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} must be float32 or float64 on the GPU, got {x.dtype}")
    return x


def to_host(x):
    """A NumPy copy of a GPU array; anything else unchanged."""
    if not is_gpu_array(x):
        return x
    x = view(x)
    # A zero-size Numba view has no device memory to copy from.
    return x.copy_to_host() if x.size else np.empty(x.shape, x.dtype)


def like(result, template):
    """``result`` (a Numba device array or a NumPy array) as ``template``'s kind
    of array: unchanged when ``template`` is on the host; on the GPU, as a CuPy
    array or torch tensor when ``template`` is one. Labels that are not numbers
    (strings, objects) cannot live on a GPU and stay NumPy arrays."""
    if not is_gpu_array(template):
        return result
    if isinstance(result, np.ndarray):
        if result.dtype.kind not in "biuf":
            return result
        result = cuda.to_device(np.ascontiguousarray(result))
    module = type(template).__module__.split(".")[0]
    if type(result).__module__.split(".")[0] == module:
        return result
    if module == "cupy":
        import cupy

        return cupy.asarray(result)
    if module == "torch":
        import torch

        return torch.as_tensor(result, device=template.device)
    return result


def empty(shape, dtype, template=None):
    """An uninitialised GPU array, allocated by ``template``'s library when it
    is a CuPy array or torch tensor (their memory pools reuse blocks; a plain
    Numba allocation is a cudaMalloc and a cudaFree per call)."""
    module = type(template).__module__.split(".")[0] if template is not None else ""
    if module == "cupy":
        import cupy

        return cupy.empty(shape, dtype=dtype)
    if module == "torch":
        import torch

        return torch.empty(shape, dtype=getattr(torch, np.dtype(dtype).name),
                           device=template.device)
    return cuda.device_array(shape, dtype=dtype)


def _launch(kernel, n, *args):
    """A grid-stride launch over ``n`` items (the information kernels' grid)."""
    from .information._cuda import _grid_1d

    kernel[_grid_1d(n)](*args)


def _launch_2d(kernel, shape, *args):
    """A (columns along x) grid over an array of ``shape``, capped as the
    information kernels' 2-D grids are."""
    from .information._cuda import _grid_2d

    kernel[_grid_2d(*shape)](*args)


# 2-D grids (x along a row): 64-bit division per element cost a GPU more
# than the memory traffic of these passes.
@cuda.jit
def _nonfinite_kernel(X, flag):
    j0, i0 = cuda.grid(2)
    step_j, step_i = cuda.gridsize(2)
    for i in range(i0, X.shape[0], step_i):
        for j in range(j0, X.shape[1], step_j):
            v = X[i, j]
            if math.isnan(v) or math.isinf(v):
                flag[0] = 1


@cuda.jit
def _add_bias_kernel(out, bias, flag):
    """``out += bias`` row by row; ``flag[0] = 1`` if an entry is not finite."""
    j0, i0 = cuda.grid(2)
    step_j, step_i = cuda.gridsize(2)
    for i in range(i0, out.shape[0], step_i):
        for j in range(j0, out.shape[1], step_j):
            v = out[i, j] + bias[j]
            out[i, j] = v
            if math.isnan(v) or math.isinf(v):
                flag[0] = 1


@cuda.jit
def _take_rows_kernel(X, rows, out):
    cols = X.shape[1]
    for p in range(cuda.grid(1), rows.shape[0] * cols, cuda.gridsize(1)):
        out[p // cols, p % cols] = X[rows[p // cols], p % cols]


def has_nonfinite(X):
    """Whether the 2-D GPU array ``X`` holds NaN or infinity (one pass)."""
    flag = cuda.to_device(np.zeros(1, dtype=np.int32))
    if X.size:
        _launch_2d(_nonfinite_kernel, X.shape, X, flag)
    return bool(flag.copy_to_host()[0])


def checked_features(estimator, X, reset, check_finite=True):
    """The GPU array ``X`` checked as ``validate_data`` checks a host one:
    2-D float32/float64 with the fitted number of features and, with
    ``check_finite``, finite (one pass over ``X``)."""
    from sklearn.utils.validation import validate_data

    name = type(estimator).__name__
    X = float_view(X, f"X for {name}")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features) for {name}, got shape "
                         f"{tuple(X.shape)}")
    if X.shape[0] == 0:
        raise ValueError(f"X has 0 samples; {name} needs at least one.")
    validate_data(estimator, X, reset=reset, skip_check_array=True)
    if check_finite and has_nonfinite(X):
        raise ValueError(f"X (a GPU array) contains NaN or infinity; {name} needs "
                         "finite features.")
    return X


def take_rows(X, rows):
    """Rows ``rows`` of the GPU array ``X``, as a NumPy array."""
    out = cuda.device_array((len(rows), X.shape[1]), dtype=X.dtype)
    if out.size:
        _launch(_take_rows_kernel, out.size, X,
                cuda.to_device(np.ascontiguousarray(rows, dtype=np.int64)), out)
    return out.copy_to_host()


def affine(X, W, bias, name, template=None):
    """``X @ W.T + bias`` for the GPU array ``X``, left on the GPU (cuBLAS
    when CuPy or PyTorch is importable), allocated as ``template``'s kind of
    array (see ``empty``). A non-finite result means a non-finite ``X``: a
    ``ValueError`` then, as for host input."""
    from .information._cuda import matmul_nt

    out = empty((X.shape[0], W.shape[0]), np.float64, template)
    if out.shape[0] * out.shape[1] == 0:
        return out
    matmul_nt(X, cuda.to_device(np.ascontiguousarray(W, dtype=np.float64)), out)
    flag = cuda.to_device(np.zeros(1, dtype=np.int32))
    bias = np.broadcast_to(np.asarray(bias, dtype=np.float64), (W.shape[0],))
    _launch_2d(_add_bias_kernel, out.shape, out, cuda.to_device(np.ascontiguousarray(bias)),
            flag)
    if flag.copy_to_host()[0]:
        raise ValueError(f"X (a GPU array) contains NaN or infinity, or its prediction "
                         f"overflows; {name} needs finite features.")
    return out
