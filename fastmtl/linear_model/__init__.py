"""Multi-task estimators: shared weights plus task deviations, trained by an
exact solver or minibatch SGD in Numba kernels; ``*CV`` variants tune their
penalties by cross-validation over tasks."""
from ._shared_codebook import (
    SharedCodebookClassifier,
    SharedCodebookClassifierCV,
    SharedCodebookRegressor,
    SharedCodebookRegressorCV,
)
from ._shared_latent import (
    SharedLatentClassifier,
    SharedLatentClassifierCV,
    SharedLatentRegressor,
    SharedLatentRegressorCV,
)

__all__ = ["SharedCodebookClassifier", "SharedCodebookClassifierCV",
           "SharedCodebookRegressor", "SharedCodebookRegressorCV",
           "SharedLatentClassifier", "SharedLatentClassifierCV",
           "SharedLatentRegressor", "SharedLatentRegressorCV"]
