"""The model every estimator shares, and the records its solvers read and update.

Task ``t`` scores a sample ``x`` with ``f_o(x) = <V_o, U x> + b_o`` for each of
its outputs ``o`` (one for a regression or binary task, one per class of a
multiclass task). ``U`` (``n_factors x n_features``) is shared by all tasks:
the latent projection of the shared-latent family, the transposed dictionary
of the codebook family.

Parameters live in internal units: a regression output's targets are
standardised (``y' = (y - mu_o) / sigma_o``), so its user-unit head and
intercept are ``sigma_o V_o`` and ``mu_o + sigma_o b_o``. This conditions the
solvers only; the objective is written in the user's units::

    J = sum_t omega_t L_t + penalties (see ``_penalties``)

with ``L_t`` the ``sample_weight``-weighted loss sum of task ``t`` over its
observed targets (``_losses``) and ``omega_t`` its weight in the objective.

The solvers take a few records (``NamedTuple`` s of arrays, which Numba's CPU
and CUDA kernels both accept): :class:`Data` (samples and observed targets),
``_layout.Outputs`` (how tasks map onto outputs), :class:`Params`,
:class:`Moments` (Adam's state) and ``_penalties.PenaltyWeights``.
"""
from dataclasses import dataclass, field, fields, replace
from typing import NamedTuple

import numpy as np

from ._layout import group_count


class Data(NamedTuple):
    """Samples and their observed targets as CSR over samples.

    Entries ``ptr[i]:ptr[i + 1]`` are the targets observed on sample ``X[i]``:
    their task, internal target (standardised value or class index) and
    weight in the objective (``sample_weight[i] / W_t``). Missing targets are
    absent.
    """

    X: np.ndarray
    ptr: np.ndarray
    task: np.ndarray
    target: np.ndarray
    weight: np.ndarray


class Params(NamedTuple):
    """The model's parameters (or a gradient with their shapes)."""

    U: np.ndarray  # (n_factors, n_features)
    V: np.ndarray  # (n_outputs, n_factors)
    b: np.ndarray  # (n_outputs,)


class Moments(NamedTuple):
    """Adam's first and second moments of each parameter, and its step count."""

    mU: np.ndarray
    vU: np.ndarray
    mV: np.ndarray
    vV: np.ndarray
    mb: np.ndarray
    vb: np.ndarray
    step: np.ndarray  # (1,) int64


_PARAMETERS = Params._fields
_MOMENTS = Moments._fields


@dataclass
class FactorState:
    """Parameters in internal units and Adam's moments; what warm starts reuse."""

    U: np.ndarray
    V: np.ndarray
    b: np.ndarray
    mU: np.ndarray = field(default=None, repr=False)
    vU: np.ndarray = field(default=None, repr=False)
    mV: np.ndarray = field(default=None, repr=False)
    vV: np.ndarray = field(default=None, repr=False)
    mb: np.ndarray = field(default=None, repr=False)
    vb: np.ndarray = field(default=None, repr=False)
    step: np.ndarray = field(default=None, repr=False)

    def __post_init__(self):
        if self.step is None:
            self.reset_optimizer()

    @classmethod
    def initial(cls, n_factors, n_features, n_outputs, rng, intercept=None, *,
                latent_frozen=False, shared_group=None, scale=None, factor_unit=1.0):
        """The starting point of a fit.

        The ``n_factors`` latent rows of ``U``: random (rows of norm about
        ``factor_unit``, see ``_scale.parameter_units``), or the identity
        with ``latent_frozen`` (every task part free).
        With ``shared_group`` (each output's group), one shared row per group
        follows, at zero, and each output's head gets its fixed ``1 /
        scale[o]`` in its group's column (see ``_penalties``). Heads start
        at zero.
        """
        if latent_frozen:
            U = np.eye(n_factors, n_features)
        else:
            U = rng.standard_normal((n_factors, n_features)) * (factor_unit / np.sqrt(max(n_features, 1)))
        V = np.zeros((n_outputs, n_factors))
        if shared_group is not None:
            n_groups = group_count(shared_group)
            U = np.vstack([U, np.zeros((n_groups, n_features))])
            V = np.hstack([V, np.zeros((n_outputs, n_groups))])
            V[np.arange(n_outputs), n_factors + shared_group] = 1.0 / scale
        b = np.zeros(n_outputs) if intercept is None else np.array(intercept, dtype=float)
        return cls(U=U, V=V, b=b)

    @property
    def params(self):
        return Params(*(getattr(self, name) for name in _PARAMETERS))

    @property
    def moments(self):
        return Moments(*(getattr(self, name) for name in _MOMENTS))

    def reset_optimizer(self):
        for name in _PARAMETERS:
            p = getattr(self, name)
            setattr(self, "m" + name, np.zeros_like(p))
            setattr(self, "v" + name, np.zeros_like(p))
        self.step = np.zeros(1, dtype=np.int64)

    def copy(self):
        return replace(self, **{f.name: getattr(self, f.name).copy() for f in fields(self)})

    def restore(self, other):
        """Take every array of ``other`` (a copy made earlier)."""
        for f in fields(self):
            setattr(self, f.name, getattr(other, f.name))

    def keep_outputs(self, other, outputs):
        """Take the heads, intercepts and their moments of ``outputs`` (a mask)
        from ``other`` (a copy made earlier)."""
        for name in ("V", "b"):
            for prefix in ("", "m", "v"):
                getattr(self, prefix + name)[outputs] = getattr(other, prefix + name)[outputs]

    def parameters_finite(self):
        return all(np.isfinite(p).all() for p in self.params)


@dataclass
class Problem:
    """Everything a solver needs besides the state."""

    X: np.ndarray
    obs: object  # _layout.Observations
    layout: object  # _layout.TaskLayout
    penalties: object  # _penalties.PenaltyWeights
    fit_intercept: bool
    device: str = "cpu"  # where epochs run: "cpu" or "cuda"

    @property
    def data(self):
        obs = self.obs
        return Data(self.X, obs.ptr, obs.task, obs.target, obs.weight)

    @property
    def outputs(self):
        return self.layout.outputs()
