"""fastmtl: fast multi-task learning.

Information-theory kernels over many distributions at once (CPU with Numba,
NVIDIA GPUs with numba-cuda) and scikit-learn-compatible multi-task
estimators.
"""
from .information import (
    conditional_entropy,
    cross_entropy,
    entropy,
    js_divergence,
    kl_divergence,
    mutual_information,
    pairwise_divergence,
)

from .linear_model import (
    SharedCodebookClassifier,
    SharedCodebookClassifierCV,
    SharedCodebookRegressor,
    SharedCodebookRegressorCV,
    SharedLatentClassifier,
    SharedLatentClassifierCV,
    SharedLatentRegressor,
    SharedLatentRegressorCV,
)

from ._threads import register_numba_controller

register_numba_controller()  # threadpoolctl.threadpool_limits also limits Numba

__version__ = "0.1.0"

__all__ = [
    "SharedCodebookClassifier",
    "SharedCodebookClassifierCV",
    "SharedCodebookRegressor",
    "SharedCodebookRegressorCV",
    "SharedLatentClassifier",
    "SharedLatentClassifierCV",
    "SharedLatentRegressor",
    "SharedLatentRegressorCV",
    "conditional_entropy",
    "cross_entropy",
    "entropy",
    "js_divergence",
    "kl_divergence",
    "mutual_information",
    "pairwise_divergence",
]
