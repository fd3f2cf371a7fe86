import os

import pytest

from fastmtl import _config

SIMULATED = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


@pytest.fixture(autouse=True)
def small_launches(monkeypatch):
    """Under the simulator every CUDA thread is an OS thread: tiny blocks keep
    the tests fast and make small inputs span several thread blocks."""
    if SIMULATED:
        monkeypatch.setattr(_config, "CUDA_THREADS_PER_BLOCK", 4)
        monkeypatch.setattr(_config, "CUDA_TILE", 4)
