"""Fitting the shared-latent model against what users would otherwise write.

Data: 200 000 samples x 100 features x 20 tasks (rank-5 ground truth), fitted
for 10 epochs in minibatches of 256 with 5 latent components, float64.
Baselines: the same model, objective, optimiser (Adam), batch size, epochs and
dtype written in PyTorch on the CPU, and scikit-learn's
``MultiTaskElasticNet`` (a different, convex model) for the record.
"""
import functools
import tracemalloc

import numpy as np
from sklearn.linear_model import MultiTaskElasticNet

from fastmtl import SharedLatentRegressor
from fastmtl.datasets import make_multitask_regression

from .common import median_ratio

N_SAMPLES, N_FEATURES, N_TASKS, N_COMPONENTS = 200_000, 100, 20, 5
EPOCHS, BATCH, ALPHA, LEARNING_RATE = 10, 256, 1e-4, 0.01


@functools.lru_cache(maxsize=None)
def multitask_data(n_samples=N_SAMPLES, seed=0):
    """Train/test split of the benchmark data (read-only arrays)."""
    X, Y = make_multitask_regression(n_samples + 20_000, N_TASKS, N_FEATURES, rank=5,
                                     noise=0.5, shared_X=True, random_state=seed)
    parts = X[:n_samples], Y[:n_samples], X[n_samples:], Y[n_samples:]
    for a in parts:
        a.flags.writeable = False
    return parts


def _sgd(estimator):
    """The estimator trained by minibatch SGD, the solver these benchmarks time
    (``solver="auto"`` would solve small data exactly); revisions before the
    exact solver had no ``solver`` (compare_revisions.py runs them too)."""
    if "solver" in estimator.get_params():
        estimator.set_params(solver="sgd")
    return estimator


def fastmtl_model():
    return _sgd(SharedLatentRegressor(N_COMPONENTS, alpha=ALPHA, learning_rate=LEARNING_RATE,
                                      batch_size=BATCH, max_iter=EPOCHS, tol=None,
                                      random_state=0))


def torch_fit(X, Y, epochs=EPOCHS, seed=0):
    """The same objective and optimiser in PyTorch: returns (U, V, b) as NumPy."""
    import torch

    torch.manual_seed(seed)
    n, d = X.shape
    T = Y.shape[1]
    mean, scale = Y.mean(axis=0), Y.std(axis=0)
    Xt = torch.from_numpy(np.ascontiguousarray(X))
    Yt = torch.from_numpy((Y - mean) / scale)
    weight = torch.from_numpy(scale ** 2 / (T * n))  # J = 1/T sum_t mean_i 1/2 r^2
    U = (torch.randn(N_COMPONENTS, d, dtype=torch.float64) / np.sqrt(d)).requires_grad_()
    V = torch.zeros(T, N_COMPONENTS, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(T, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.Adam([U, V, b], lr=LEARNING_RATE)
    for _ in range(epochs):
        order = torch.randperm(n)
        for start in range(0, n, BATCH):
            rows = order[start:start + BATCH]
            residual = (Xt[rows] @ U.T) @ V.T + b - Yt[rows]
            loss = (n / rows.shape[0]) * 0.5 * (residual.square() * weight).sum()
            loss = loss + 0.5 * ALPHA * (U.square().sum() + (V.square() * torch.from_numpy(
                scale ** 2)[:, None]).sum())
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return U.detach().numpy(), V.detach().numpy() * scale[:, None], b.detach().numpy() * scale + mean


def r2_of(coef, intercept, X, Y):
    prediction = X @ coef.T + intercept
    ss_res = ((Y - prediction) ** 2).sum(axis=0)
    ss_tot = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    return float(np.mean(1 - ss_res / ss_tot))


class SharedLatentFit:
    """Fit time, score and memory of SharedLatentRegressor against PyTorch."""

    timeout = 1200
    number = 1
    repeat = 3

    def setup(self):
        self.X, self.Y, self.X_test, self.Y_test = multitask_data()
        fastmtl_model().set_params(max_iter=1).fit(self.X[:1000], self.Y[:1000])  # compile

    def time_fastmtl(self):
        fastmtl_model().fit(self.X, self.Y)

    def time_torch(self):
        torch_fit(self.X, self.Y)

    def peakmem_fastmtl(self):
        fastmtl_model().fit(self.X, self.Y)

    def track_test_r2_fastmtl(self):
        return fastmtl_model().fit(self.X, self.Y).score(self.X_test, self.Y_test)

    def track_test_r2_torch(self):
        U, V, b = torch_fit(self.X, self.Y)
        return r2_of(V @ U, b, self.X_test, self.Y_test)

    def track_ratio_to_torch(self):
        return median_ratio(lambda: fastmtl_model().fit(self.X, self.Y),
                            lambda: torch_fit(self.X, self.Y), repeat=3)

    def track_peak_memory_over_X(self):
        """Peak memory allocated during fit (traced by Python), in units of X's size."""
        tracemalloc.start()
        fastmtl_model().fit(self.X, self.Y)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak / self.X.nbytes


class MultiTaskElasticNetRecord:
    """scikit-learn's MultiTaskElasticNet on the same data, for the record."""

    timeout = 1200
    number = 1
    repeat = 1

    def setup(self):
        self.X, self.Y, self.X_test, self.Y_test = multitask_data()

    def time_fit(self):
        MultiTaskElasticNet(alpha=1e-3).fit(self.X, self.Y)

    def track_test_r2(self):
        return MultiTaskElasticNet(alpha=1e-3).fit(self.X, self.Y).score(
            self.X_test, self.Y_test)


def codebook_model():
    from fastmtl import SharedCodebookRegressor

    return _sgd(SharedCodebookRegressor(N_COMPONENTS, alpha=ALPHA, sparsity=1e-3,
                                        learning_rate=LEARNING_RATE, batch_size=BATCH,
                                        max_iter=EPOCHS, tol=None, random_state=0))


class SharedCodebookFit:
    """SharedCodebookRegressor on the same data: epoch time against the
    shared-latent model with as many components (target: within 1.5x)."""

    timeout = 1200
    number = 1
    repeat = 3

    def setup(self):
        self.X, self.Y, self.X_test, self.Y_test = multitask_data()
        codebook_model().set_params(max_iter=1).fit(self.X[:1000], self.Y[:1000])
        fastmtl_model().set_params(max_iter=1).fit(self.X[:1000], self.Y[:1000])

    def time_fastmtl(self):
        codebook_model().fit(self.X, self.Y)

    def track_test_r2(self):
        return codebook_model().fit(self.X, self.Y).score(self.X_test, self.Y_test)

    def track_ratio_to_shared_latent(self):
        return median_ratio(lambda: codebook_model().fit(self.X, self.Y),
                            lambda: fastmtl_model().fit(self.X, self.Y), repeat=3)
