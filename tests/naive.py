"""Naive NumPy / SciPy oracles that the kernels are tested against.

Written for clarity, not speed: one formula per function, straight from the
definitions, over the last axis.
"""
import numpy as np
from scipy.special import rel_entr, xlogy


def entropy(P):
    P = np.asarray(P, dtype=np.float64)
    return -xlogy(P, P).sum(axis=-1)


def cross_entropy(P, Q):
    P, Q = np.broadcast_arrays(np.asarray(P, float), np.asarray(Q, float))
    return -xlogy(P, Q).sum(axis=-1)


def kl_divergence(P, Q):
    P, Q = np.broadcast_arrays(np.asarray(P, float), np.asarray(Q, float))
    return rel_entr(P, Q).sum(axis=-1)


def js_divergence(P, Q):
    P, Q = np.broadcast_arrays(np.asarray(P, float), np.asarray(Q, float))
    M = 0.5 * (P + Q)
    return 0.5 * (rel_entr(P, M).sum(axis=-1) + rel_entr(Q, M).sum(axis=-1))


ROWWISE = {
    "cross_entropy": cross_entropy,
    "kl": kl_divergence,
    "js": js_divergence,
    "symmetric_kl": lambda P, Q: kl_divergence(P, Q) + kl_divergence(Q, P),
}


def pairwise(P, Q, metric):
    """D[i, j] = metric(P[i], Q[j]) by a double loop."""
    func = ROWWISE[metric]
    return np.array([[func(p, q) for q in Q] for p in P]).reshape(len(P), len(Q))


def joint_entropy(J):
    J = np.asarray(J, float)
    return entropy(J.reshape(J.shape[:-2] + (-1,)))


def conditional_entropy(J):
    """H(X|Y) = H(X,Y) - H(Y); X is axis -2, Y axis -1."""
    return joint_entropy(J) - entropy(np.asarray(J, float).sum(axis=-2))


def mutual_information(J):
    """I(X;Y) = H(X) + H(Y) - H(X,Y)."""
    J = np.asarray(J, float)
    return entropy(J.sum(axis=-1)) + entropy(J.sum(axis=-2)) - joint_entropy(J)


def mutual_information_as_kl(J):
    """I(X;Y) = KL(p(x,y) || p(x) p(y))."""
    J = np.asarray(J, float)
    product = J.sum(axis=-1)[..., :, None] * J.sum(axis=-2)[..., None, :]
    flat = J.shape[:-2] + (-1,)
    return kl_divergence(J.reshape(flat), product.reshape(flat))
