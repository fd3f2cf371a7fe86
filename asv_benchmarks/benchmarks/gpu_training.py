"""GPU training and scoring (skipped where numba finds no CUDA GPU).

- Fit on 2 000 000 x 256 x 50 tasks, 5 components, 5 epochs, batch 4096,
  against the same model and optimiser in PyTorch on the same GPU.
- Batch ``predict`` throughput (rows/s) against the bare GEMM ``X @ coef.T``
  on the GPU, streamed from host memory in both cases.
"""
import numpy as np

from fastmtl import SharedLatentRegressor

from .common import median_ratio

N_ROWS, N_FEATURES, N_TASKS, COMPONENTS, EPOCHS, BATCH = 2_000_000, 256, 50, 5, 5, 4096


def _require_gpu():
    from fastmtl._backend import cuda_available

    if not cuda_available():
        raise NotImplementedError("no CUDA GPU")  # asv: skip


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N_ROWS, N_FEATURES))
    W = rng.standard_normal((N_TASKS, 5)) @ rng.standard_normal((5, N_FEATURES))
    return X, X @ W.T / np.sqrt(N_FEATURES) + 0.5 * rng.standard_normal((N_ROWS, N_TASKS))


def _model():
    return SharedLatentRegressor(COMPONENTS, max_iter=EPOCHS, tol=None, batch_size=BATCH,
                                 random_state=0, device="cuda")


def torch_gpu_fit(X, Y, epochs=EPOCHS, seed=0):
    import torch

    torch.manual_seed(seed)
    dev = torch.device("cuda")
    Xt = torch.from_numpy(X).to(dev)
    mean, scale = Y.mean(axis=0), Y.std(axis=0)
    Yt = torch.from_numpy((Y - mean) / scale).to(dev)
    n, d = X.shape
    weight = torch.from_numpy(scale ** 2 / (N_TASKS * n)).to(dev)
    U = (torch.randn(COMPONENTS, d, dtype=torch.float64, device=dev) / d ** 0.5)
    U.requires_grad_()
    V = torch.zeros(N_TASKS, COMPONENTS, dtype=torch.float64, device=dev,
                    requires_grad=True)
    b = torch.zeros(N_TASKS, dtype=torch.float64, device=dev, requires_grad=True)
    optimiser = torch.optim.Adam([U, V, b], lr=0.01)
    for _ in range(epochs):
        order = torch.randperm(n, device=dev)
        for start in range(0, n, BATCH):
            rows = order[start:start + BATCH]
            residual = (Xt[rows] @ U.T) @ V.T + b - Yt[rows]
            loss = (n / rows.shape[0]) * 0.5 * (residual.square() * weight).sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    torch.cuda.synchronize()


class GPUFit:
    timeout = 3600
    number = 1
    repeat = 3

    def setup(self):
        _require_gpu()
        self.X, self.Y = _data()
        _model().set_params(max_iter=1).fit(self.X[:5000], self.Y[:5000])

    def time_fastmtl(self):
        _model().fit(self.X, self.Y)

    def time_torch(self):
        torch_gpu_fit(self.X, self.Y)

    def track_ratio_to_torch(self):
        return median_ratio(lambda: _model().fit(self.X, self.Y),
                            lambda: torch_gpu_fit(self.X, self.Y), repeat=3)


class GPUPredictThroughput:
    """Rows per second of predict(device="cuda") and of the bare GEMM."""

    timeout = 3600
    rows = 20_000_000  # x 5 batches of the 100 000 000 rows of the issue, streamed

    def setup(self):
        _require_gpu()
        rng = np.random.default_rng(0)
        self.X = rng.standard_normal((self.rows, 64)).astype(np.float64)
        self.model = SharedLatentRegressor(5, max_iter=1, tol=None, device="cuda")
        self.model.fit(self.X[:2000], self.X[:2000, :N_TASKS] @ rng.random(N_TASKS))

    def _gemm(self):
        """The bare GEMM in PyTorch, streamed from host memory in the same batches."""
        import torch

        from fastmtl import _config

        W = torch.from_numpy(self.model.coef_.T.copy()).cuda()
        rows = _config.CUDA_SCORE_BATCH_ROWS
        for start in range(0, self.rows, rows):
            (torch.from_numpy(self.X[start:start + rows]).cuda() @ W).cpu()
        torch.cuda.synchronize()

    def track_predict_rows_per_second(self):
        import time

        start = time.perf_counter()
        self.model.predict(self.X)
        return self.rows / (time.perf_counter() - start)

    def track_ratio_predict_to_gemm(self):
        return median_ratio(lambda: self.model.predict(self.X), self._gemm, repeat=3)
