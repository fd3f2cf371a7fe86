"""Multi-task estimators trained by minibatch SGD in Numba kernels."""
from ._shared_codebook import SharedCodebookClassifier, SharedCodebookRegressor
from ._shared_latent import SharedLatentClassifier, SharedLatentRegressor

__all__ = ["SharedCodebookClassifier", "SharedCodebookRegressor",
           "SharedLatentClassifier", "SharedLatentRegressor"]
