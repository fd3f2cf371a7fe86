"""Naive NumPy / SciPy oracles that the kernels are tested against.

Written for clarity, not speed: one formula per function, straight from the
definitions, over the last axis.
"""
from decimal import Decimal, localcontext

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


def exact_divergence(p, q, metric, normalise=True, log_input=False):
    """``metric`` ("entropy" ignores ``q``) between the distributions that
    the rows ``p`` and ``q`` represent, in 60-digit decimal arithmetic: the
    reference where float64 sums of logs cancel (near-identical rows).
    ``normalise``: each row rescaled to sum to one (else taken as given);
    ``log_input``: the rows hold log-probabilities."""
    with localcontext() as ctx:
        ctx.prec = 60
        P = _decimal_row(p, normalise, log_input)
        if metric == "entropy":
            return float(-sum(x * x.ln() for x in P if x > 0))
        Q = _decimal_row(q, normalise, log_input)

        def kl(a, b):
            return sum(_xlogy_ratio(x, y) for x, y in zip(a, b) if x > 0)

        if metric == "cross_entropy":
            if any(x > 0 and y == 0 for x, y in zip(P, Q)):
                return np.inf
            return float(-sum(x * y.ln() for x, y in zip(P, Q) if x > 0))
        if metric == "kl":
            return float(kl(P, Q))
        if metric == "symmetric_kl":
            return float(kl(P, Q) + kl(Q, P))
        M = [(x + y) / 2 for x, y in zip(P, Q)]  # js
        return float((kl(P, M) + kl(Q, M)) / 2)


def _decimal_row(row, normalise, log_input):
    values = [Decimal(float(v)) for v in np.ravel(row)]
    if log_input:
        # Normalised: shifted by the largest log first (large logits).
        top = max((v for v in values if v.is_finite()), default=Decimal(0))
        shift = top if normalise else Decimal(0)
        values = [Decimal(0) if v.is_infinite() else (v - shift).exp() for v in values]
    total = sum(values)
    return [v / total for v in values] if normalise else values


def _xlogy_ratio(x, y):
    """x ln(x / y) for x > 0 (``inf`` where y = 0), as a Decimal."""
    return Decimal("Infinity") if y == 0 else x * (x / y).ln()


def exact_mutual_information(J, normalise=True):
    """I(X;Y) of the table ``J`` in 60-digit decimal arithmetic."""
    with localcontext() as ctx:
        ctx.prec = 60
        T, px, py = _decimal_table(J, normalise)
        return float(sum(v * (v / (px[i] * py[j])).ln()
                         for i, row in enumerate(T) for j, v in enumerate(row) if v > 0))


def exact_conditional_entropy(J, normalise=True):
    """H(X|Y) (X the rows, Y the columns) in 60-digit decimal arithmetic."""
    with localcontext() as ctx:
        ctx.prec = 60
        T, _, py = _decimal_table(J, normalise)
        return float(-sum(v * (v / py[j]).ln()
                          for row in T for j, v in enumerate(row) if v > 0))


def _decimal_table(J, normalise):
    T = [[Decimal(float(v)) for v in row] for row in np.asarray(J)]
    if normalise:
        total = sum(sum(row) for row in T)
        T = [[v / total for v in row] for row in T]
    return T, [sum(row) for row in T], [sum(col) for col in zip(*T)]


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


# --------------------------------------------------------------------------- #
# Multi-task objective (docs/design.md) and an exact solver for its squared case
# --------------------------------------------------------------------------- #
# The estimators' options that give the model ``multitask_objective`` and
# ``alternating_least_squares`` write by default (no shared component, free
# intercepts, each task's mean loss), trained by minibatch SGD.
CLASSIC_SGD = dict(shared_alpha=None, intercept_alpha=0.0, loss_weighting="task",
                   solver="sgd")


def huber(residual, delta):
    """Huber's loss: ``r**2 / 2`` up to ``|r| = delta``, linear beyond (same slope)."""
    a = np.abs(residual)
    return np.where(a <= delta, 0.5 * residual ** 2, delta * (a - 0.5 * delta))


def _task_losses(X, Y, sample_weight, coef, intercept, losses, huber_delta=None,
                 per_observation=False):
    """Weighted mean loss of each task on its observed (non-NaN) targets; with
    ``per_observation``, ``T`` times its loss sum over all tasks' weight."""
    T = Y.shape[1]
    sw = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    out = np.empty(T)
    for t in range(T):
        seen = ~np.isnan(Y[:, t]) & (sw > 0)
        f = X[seen] @ coef[t] + intercept[t]
        y = Y[seen, t]
        if losses[t] == "squared":
            ell = 0.5 * (y - f) ** 2
        elif losses[t] == "huber":
            ell = huber(y - f, huber_delta[t])
        else:  # logistic, labels 0/1
            ell = np.logaddexp(0.0, f) - y * f
        out[t] = np.sum(sw[seen] * ell) / np.sum(sw[seen])
    if per_observation:
        seen_all = ~np.isnan(Y) & (sw[:, None] > 0)
        task_sums = np.array([np.sum(sw[seen_all[:, t]]) for t in range(T)])
        out = out * task_sums * T / task_sums.sum()
    return out


def multitask_objective(X, Y, U, V, b, *, alpha_u, alpha_v=0.0, l1_v=0.0,
                        task_weights=None, graph=None, graph_penalty=0.0,
                        sample_weight=None, losses=None, huber_delta=None, w0=None,
                        shared_alpha=0.0, intercept_alpha=0.0, per_observation=False):
    """The objective of docs/design.md in the user's units: U (k, d), V (T, k), b (T,),
    shared weights ``w0`` (d,) (task ``t``'s weights ``w0 + V_t U``).

    ``losses[t]`` is "squared", "huber" (threshold ``huber_delta[t]``) or
    "logistic". ``intercept_alpha`` shrinks the intercepts towards their mean.
    """
    T = Y.shape[1]
    losses = ["squared"] * T if losses is None else losses
    weights = np.ones(T) if task_weights is None else np.asarray(task_weights)
    coef = V @ U + (0.0 if w0 is None else w0)
    value = weights @ _task_losses(X, Y, sample_weight, coef, b, losses, huber_delta,
                                   per_observation) / T
    value += 0.5 * alpha_u * np.sum(U ** 2) + 0.5 * alpha_v * np.sum(V ** 2)
    value += l1_v * np.sum(np.abs(V))
    if w0 is not None:
        value += 0.5 * shared_alpha * np.sum(w0 ** 2)
    value += 0.5 * intercept_alpha * np.sum((b - b.mean()) ** 2)
    if graph is not None and graph_penalty:
        for s in range(T):
            for t in range(T):
                if s != t:
                    value += graph_penalty * graph[s, t] * np.sum((coef[s] - coef[t]) ** 2)
    return value


def alternating_least_squares(X, Y, n_components, alpha, n_iter=2000, seed=0):
    """Minimise the squared-loss objective (uniform task weights, an L2 ``alpha``
    on U and V, intercepts) exactly in turn over (V, b) and over U.

    Returns (U, V, b) with U (k, d), V (T, k), b (T,).
    """
    n, d = X.shape
    T = Y.shape[1]
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((n_components, d)) / np.sqrt(d)
    V = np.zeros((T, n_components))
    b = np.zeros(T)
    seen = ~np.isnan(Y)
    c = 1.0 / (T * seen.sum(axis=0))  # weight of one squared error of task t
    for _ in range(n_iter):
        Z = X @ U.T
        for t in range(T):
            Zt = np.column_stack([Z[seen[:, t]], np.ones(seen[:, t].sum())])
            A = c[t] * Zt.T @ Zt
            A[:-1, :-1] += alpha * np.eye(n_components)
            sol = np.linalg.solve(A, c[t] * Zt.T @ Y[seen[:, t], t])
            V[t], b[t] = sol[:-1], sol[-1]
        H = alpha * np.eye(n_components * d)
        g = np.zeros(n_components * d)
        for t in range(T):
            Xt = X[seen[:, t]]
            r = Y[seen[:, t], t] - b[t]
            H += c[t] * np.kron(np.outer(V[t], V[t]), Xt.T @ Xt)
            g += c[t] * np.kron(V[t], Xt.T @ r)
        U = np.linalg.solve(H, g).reshape(n_components, d)
    return U, V, b


def mean_regularised_closed_form(X, Y, *, alpha, shared_alpha, intercept_alpha,
                                 sample_weight=None, per_observation=True):
    """The mean-regularised model with shrunken intercepts, squared loss,
    solved as one ridge system over all parameters written out plainly:
    ``w_t = w0 + v_t``, ``b_t = b0 + c_t``, penalties ``alpha/2 sum |v_t|^2``,
    ``shared_alpha/2 |w0|^2``, ``intercept_alpha/2 sum c_t^2`` (``b0`` free).

    Returns (coef (T, d), intercept (T,)).
    """
    n, d = X.shape
    T = Y.shape[1]
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    seen = ~np.isnan(Y) & (sw[:, None] > 0)
    rows, tasks = np.nonzero(seen)
    task_sums = np.array([sw[seen[:, t]].sum() for t in range(T)])
    if per_observation:
        a = sw[rows] / task_sums.sum()
    else:
        a = sw[rows] / (T * task_sums[tasks])
    p = d + 1 + T * (d + 1)
    Phi = np.zeros((rows.size, p))
    Phi[:, :d] = X[rows]
    Phi[:, d] = 1.0
    for e, (i, t) in enumerate(zip(rows, tasks)):
        Phi[e, d + 1 + t * d:d + 1 + (t + 1) * d] = X[i]
        Phi[e, d + 1 + T * d + t] = 1.0
    D = np.concatenate([np.full(d, shared_alpha), [0.0], np.full(T * d, alpha),
                        np.full(T, intercept_alpha)])
    H = Phi.T @ (a[:, None] * Phi) + np.diag(D)
    theta = np.linalg.solve(H, Phi.T @ (a * Y[rows, tasks]))
    w0, b0 = theta[:d], theta[d]
    v = theta[d + 1:d + 1 + T * d].reshape(T, d)
    c = theta[d + 1 + T * d:]
    return w0 + v, b0 + c


def new_task_part(Z, offset, y, a, *, alpha, intercept_alpha, loss="squared", l1=0.0,
                  fit_intercept=True):
    """One new task's head ``v`` and intercept offset ``c`` on a frozen shared
    part, minimising ``sum_e a_e loss(y_e, offset_e + Z_e v + c) + alpha/2
    |v|^2 + l1 |v|_1 + intercept_alpha/2 c^2`` written out plainly: the
    normal equations (squared loss, no lasso), else proximal gradient
    descent (ISTA with a fixed step from the Hessian's bound), run until
    the step stops moving. Returns ``(v, c)``."""
    k = Z.shape[1]
    Phi = np.column_stack([Z, np.ones(len(y))]) if fit_intercept else Z
    ridge = np.array([alpha] * k + ([intercept_alpha] if fit_intercept else []))
    if loss == "squared" and l1 == 0.0:
        H = Phi.T @ (a[:, None] * Phi) + np.diag(ridge)
        theta = np.linalg.solve(H, Phi.T @ (a * (y - offset)))
    else:
        curvature = 1.0 if loss == "squared" else 0.25
        step = 1.0 / (curvature * np.linalg.eigvalsh(Phi.T @ (a[:, None] * Phi))[-1]
                      + ridge.max())
        theta = np.zeros(Phi.shape[1])
        for _ in range(200000):
            f = offset + Phi @ theta
            derivative = f - y if loss == "squared" else 1.0 / (1.0 + np.exp(-f)) - y
            moved = theta - step * (Phi.T @ (a * derivative) + ridge * theta)
            moved[:k] = np.sign(moved[:k]) * np.maximum(np.abs(moved[:k]) - step * l1, 0.0)
            if np.max(np.abs(moved - theta)) < 1e-15:
                theta = moved
                break
            theta = moved
    return theta[:k], (theta[k] if fit_intercept else 0.0)


def gaussian_kl(mean_p, var_p, mean_q, var_q):
    """KL(N(mean_p, var_p) || N(mean_q, var_q)), by numerical integration."""
    from scipy.integrate import quad
    from scipy.stats import norm

    p, q = norm(mean_p, np.sqrt(var_p)), norm(mean_q, np.sqrt(var_q))
    return quad(lambda y: p.pdf(y) * (p.logpdf(y) - q.logpdf(y)), -np.inf, np.inf,
                limit=200, epsabs=1e-13)[0]


def gaussian_js(mean_p, var_p, mean_q, var_q):
    """JS between two Gaussians, by numerical integration."""
    from scipy.integrate import quad
    from scipy.special import logsumexp
    from scipy.stats import norm

    p, q = norm(mean_p, np.sqrt(var_p)), norm(mean_q, np.sqrt(var_q))

    def integrand(y):
        lp, lq = p.logpdf(y), q.logpdf(y)
        lm = logsumexp([lp, lq]) - np.log(2.0)
        return 0.5 * (np.exp(lp) * (lp - lm) + np.exp(lq) * (lq - lm))

    return quad(integrand, -np.inf, np.inf, limit=200, epsabs=1e-13)[0]


def prediction_kl_penalty(X, coef, intercept, output_task, graph, weight):
    """``weight sum_st A_st mean_x KL(p_s(x) || p_t(x))`` from the tasks'
    user-unit scores ``X @ coef.T + intercept`` (one score: a binary task's
    second class; several: softmax), with SciPy's ``softmax`` and ``rel_entr``."""
    from scipy.special import rel_entr, softmax

    scores = X @ coef.T + intercept
    proba = []
    for t in range(graph.shape[0]):
        f = scores[:, output_task == t]
        proba.append(softmax(np.column_stack([np.zeros(len(X)), f]) if f.shape[1] == 1
                             else f, axis=1))
    value = 0.0
    for s in range(graph.shape[0]):
        for t in range(graph.shape[0]):
            if s != t and graph[s, t]:
                value += weight * graph[s, t] * np.mean(
                    rel_entr(proba[s], proba[t]).sum(axis=1))
    return value
