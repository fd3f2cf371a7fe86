"""The SGD kernels against the documented objective: gradients, optimum, determinism."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fastmtl import SharedCodebookRegressor, SharedLatentClassifier, SharedLatentRegressor
from fastmtl.datasets import make_multitask_classification, make_multitask_regression
from fastmtl.linear_model._losses import huber
from fastmtl.linear_model._model import FactorState

from . import naive


def _user_state(est, state):
    """(U, V, b) of a solver state in the user's units."""
    layout = est._layout_
    return state.U, state.V * layout.scale[:, None], layout.mean + layout.scale * state.b


def _perturbed_state(est, seed=0):
    """A state near the fitted one, heads and intercepts drawn afresh."""
    rng = np.random.default_rng(seed)
    return FactorState(U=est._state.U + 0.1 * rng.standard_normal(est._state.U.shape),
                       V=rng.standard_normal(est._state.V.shape),
                       b=rng.standard_normal(est._state.b.shape))


def _finite_difference(f, params, eps=1e-6):
    grads = []
    for p in params:
        g = np.empty_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = f()
            p[idx] = old - eps
            down = f()
            p[idx] = old
            g[idx] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def _check_gradient(est, X, Y, sample_weight, naive_kwargs):
    rng = np.random.default_rng(0)
    base = est._state
    state = FactorState(U=base.U + 0.1 * rng.standard_normal(base.U.shape),
                        V=base.V + 0.1 * rng.standard_normal(base.V.shape),
                        b=base.b + 0.1 * rng.standard_normal(base.b.shape))
    value, grads = est._objective_and_gradient(X, Y, sample_weight, state=state)

    def objective():
        U, V, b = _user_state(est, state)
        return naive.multitask_objective(X, Y, U, V, b, sample_weight=sample_weight,
                                         task_weights=est.task_weights_, **naive_kwargs)

    assert value == pytest.approx(objective(), rel=1e-10)
    expected = _finite_difference(objective, [state.U, state.V, state.b])
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_regression_gradient_matches_finite_differences():
    X, Y = make_multitask_regression(25, 4, 6, rank=2, shared_X=True, missing_rate=0.3,
                                     random_state=0)
    Y = 5.0 * Y + 2.0  # non-trivial standardisation inside the solver
    sample_weight = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[0])
    graph = np.array([[0, 1, 0, 0], [1, 0, 2, 0], [0, 2, 0, 0], [0, 0, 0, 0]], float)
    est = SharedLatentRegressor(2, alpha=0.05, task_weights=[1.0, 2.0, 0.5, 1.0],
                                task_graph=graph, graph_penalty=0.3, max_iter=3,
                                tol=None, random_state=0, **naive.CLASSIC_SGD)
    est.fit(X, Y, sample_weight=sample_weight)
    _check_gradient(est, X, Y, sample_weight,
                    dict(alpha_u=0.05, alpha_v=0.05, graph=graph, graph_penalty=0.3))


@pytest.mark.parametrize("Estimator", [SharedLatentRegressor, SharedCodebookRegressor])
def test_huber_gradient_matches_finite_differences(Estimator):
    X, Y = make_multitask_regression(30, 3, 5, rank=2, shared_X=True, missing_rate=0.2,
                                     random_state=2)
    Y[::4] += 8.0  # outliers: residuals on both sides of the Huber threshold
    est = Estimator(2, alpha=0.05, loss="huber", max_iter=3, tol=None, random_state=0, **naive.CLASSIC_SGD)
    if Estimator is SharedCodebookRegressor:
        est.set_params(sparsity=0.0)  # the lasso is a prox step, not in the gradient
    est.fit(X, Y)
    delta = huber.EPSILON * est._layout_.scale  # the threshold in the user's units
    kwargs = dict(alpha_u=0.05, alpha_v=0.05, losses=["huber"] * 3, huber_delta=delta)
    if Estimator is SharedCodebookRegressor:
        kwargs.update(alpha_v=0.0)
    residuals = Y - est.predict(X)
    assert np.any(np.abs(residuals) > delta) and np.any(np.abs(residuals) < delta)
    _check_gradient(est, X, Y, None, kwargs)


def test_huber_resists_outliers_where_squared_loss_does_not():
    X, Y = make_multitask_regression(200, 4, 5, rank=1, noise=0.1, shared_X=True,
                                     random_state=0)
    corrupted = Y.copy()
    corrupted[::10] += 50.0  # 10% gross outliers
    errors = {}
    for loss in ("squared_error", "huber"):
        est = SharedLatentRegressor(1, loss=loss, max_iter=300, random_state=0, **naive.CLASSIC_SGD)
        errors[loss] = np.abs(est.fit(X, corrupted).predict(X) - Y).mean()
    # The outliers drag the squared-loss intercepts up by about 5.
    assert errors["huber"] < 0.5 * errors["squared_error"]


def test_classification_gradient_matches_finite_differences():
    X, Y = make_multitask_classification(30, 3, 5, rank=2, shared_X=True, missing_rate=0.2,
                                         random_state=0)
    est = SharedLatentClassifier(2, alpha=0.02, max_iter=3, tol=None, random_state=0, **naive.CLASSIC_SGD)
    est.fit(X, Y)
    _check_gradient(est, X, Y, None,
                    dict(alpha_u=0.02, alpha_v=0.02, losses=["logistic"] * 3))


def test_softmax_gradient_matches_finite_differences():
    # One binary and one 3-class task: a softmax head next to a logistic one.
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 4))
    Y = np.column_stack([X[:, 0] > 0, np.digitize(X[:, 1], [-0.5, 0.5])]).astype(float)
    est = SharedLatentClassifier(2, alpha=0.01, max_iter=2, tol=None, random_state=0, **naive.CLASSIC_SGD)
    est.fit(X, Y)
    state = _perturbed_state(est)
    value, grads = est._objective_and_gradient(X, Y, state=state)

    def objective():
        logits = X @ state.U.T @ state.V.T + state.b
        binary = np.logaddexp(0, logits[:, 0]) - Y[:, 0] * logits[:, 0]
        s = logits[:, 1:]
        multi = np.log(np.exp(s).sum(axis=1)) - s[np.arange(len(s)), Y[:, 1].astype(int)]
        return (binary.mean() + multi.mean()) / 2 + 0.005 * (
            np.sum(state.U ** 2) + np.sum(state.V ** 2))

    assert value == pytest.approx(objective(), rel=1e-10)
    expected = _finite_difference(objective, [state.U, state.V, state.b])
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("batch_size, epochs, rtol", [(1024, 2000, 1e-4), (16, 300, 1e-2)])
def test_sgd_reaches_the_alternating_least_squares_optimum(batch_size, epochs, rtol):
    X, Y = make_multitask_regression(40, 4, 8, rank=2, noise=0.3, shared_X=True,
                                     missing_rate=0.2, random_state=1)
    Y = 3.0 * Y + 1.0
    alpha = 1e-2
    U, V, b = naive.alternating_least_squares(X, Y, 2, alpha, n_iter=300)
    optimum = naive.multitask_objective(X, Y, U, V, b, alpha_u=alpha, alpha_v=alpha)
    est = SharedLatentRegressor(2, alpha=alpha, batch_size=batch_size, max_iter=epochs,
                                tol=None, random_state=0, **naive.CLASSIC_SGD).fit(X, Y)
    reached = naive.multitask_objective(X, Y, est.components_, est.task_coef_,
                                        est.intercept_, alpha_u=alpha, alpha_v=alpha)
    assert est.objective(X, Y) == pytest.approx(reached, rel=1e-10)
    assert optimum <= reached <= optimum * (1 + rtol)


def test_same_seed_gives_bit_identical_coefficients_for_any_thread_count(tmp_path):
    # A fresh process per thread count: numba's thread count is fixed per call
    # site, and the check must not depend on what earlier tests compiled.
    script = textwrap.dedent("""
        import sys, numba, numpy as np
        numba.set_num_threads(int(sys.argv[1]))
        from fastmtl import SharedLatentRegressor
        from fastmtl.datasets import make_multitask_regression
        X, Y = make_multitask_regression(300, 6, 12, rank=2, shared_X=True,
                                         missing_rate=0.3, random_state=0)
        est = SharedLatentRegressor(3, batch_size=100, max_iter=5, tol=None,
                                    random_state=7, solver="sgd").fit(X, Y)
        np.save(sys.argv[2], np.concatenate([est.coef_.ravel(), est.intercept_]))
    """)
    results = []
    for threads in (1, 2):
        out = tmp_path / f"coef{threads}.npy"
        subprocess.run([sys.executable, "-c", script, str(threads), str(out)], check=True)
        results.append(np.load(out))
    assert np.array_equal(results[0], results[1])


def test_same_seed_same_result_and_different_seed_different_result():
    X, Y = make_multitask_regression(50, 3, 6, rank=2, shared_X=True, random_state=0)
    fit = lambda seed: SharedLatentRegressor(batch_size=16, max_iter=5, tol=None,
                                             random_state=seed, **naive.CLASSIC_SGD).fit(X, Y).coef_
    assert np.array_equal(fit(0), fit(0))
    assert not np.array_equal(fit(0), fit(1))


def test_an_epoch_in_parts_equals_an_epoch_in_one_call(monkeypatch):
    """Long epochs run as several calls of the compiled epoch (so that Ctrl-C
    is honoured between them); the fitted model does not change."""
    from fastmtl.linear_model._solvers import _sgd

    X, Y = make_multitask_regression(60, 3, 6, shared_X=True, missing_rate=0.2,
                                     random_state=0)[:2]
    options = dict(max_iter=3, tol=None, batch_size=16, random_state=0)
    whole = SharedCodebookRegressor(2, sparsity=0.01, **options, **naive.CLASSIC_SGD).fit(X, Y)
    monkeypatch.setattr(_sgd, "SGD_FLOPS_PER_CALL", 1.0)  # one minibatch per call
    parts = SharedCodebookRegressor(2, sparsity=0.01, **options, **naive.CLASSIC_SGD).fit(X, Y)
    np.testing.assert_array_equal(parts.coef_, whole.coef_)
    np.testing.assert_array_equal(parts.loss_curve_, whole.loss_curve_)


def _snapshot(model):
    """Every attribute of ``model``, arrays and the solver state copied."""
    import copy

    return {name: copy.deepcopy(value) for name, value in vars(model).items()}


def _assert_same_attributes(model, snapshot):
    assert set(vars(model)) == set(snapshot)
    for name, value in snapshot.items():
        now = getattr(model, name)
        if isinstance(value, FactorState):
            for a, b in zip(now.params + now.moments, value.params + value.moments):
                np.testing.assert_array_equal(a, b, err_msg=name)
        elif isinstance(value, np.random.RandomState):
            assert now.get_state()[1].tolist() == value.get_state()[1].tolist(), name
        elif isinstance(value, np.ndarray) or isinstance(value, list):
            np.testing.assert_array_equal(np.asarray(now, dtype=object),
                                          np.asarray(value, dtype=object), err_msg=name)


@pytest.mark.parametrize("call", ["partial_fit", "warm_start fit", "fit_new_tasks"])
def test_an_interrupted_call_leaves_the_estimator_as_it_was(monkeypatch, call):
    # Ctrl-C inside a call used to leave the solver's state an epoch ahead of
    # coef_ (partial_fit, a warm start), or a new task's residual variance
    # without its task.
    from fastmtl.linear_model import _base
    from fastmtl.linear_model._solvers import _sgd, _sgd_cpu

    X, Y = make_multitask_regression(60, 3, 6, shared_X=True, missing_rate=0.2,
                                     random_state=0)[:2]
    model = SharedLatentRegressor(2, solver="sgd", max_iter=3, tol=None, batch_size=16,
                                  warm_start=True, random_state=0).fit(X, Y[:, :2])
    model.partial_fit(X, Y[:, :2])
    snapshot = _snapshot(model)
    if call == "fit_new_tasks":
        def interrupt(*args, **kwargs):  # after residual_variance_ grew
            raise KeyboardInterrupt

        monkeypatch.setattr(_base.MultiTaskEstimator, "_add_tasks", interrupt)
    else:
        monkeypatch.setattr(_sgd, "SGD_FLOPS_PER_CALL", 1.0)  # a call per minibatch
        run_epoch, calls = _sgd_cpu.run_epoch, []

        def interrupt(*args, **kwargs):  # in the middle of an epoch
            calls.append(1)
            if len(calls) == 3:
                raise KeyboardInterrupt
            return run_epoch(*args, **kwargs)

        monkeypatch.setattr(_sgd_cpu, "run_epoch", interrupt)
    with pytest.raises(KeyboardInterrupt):
        {"partial_fit": lambda: model.partial_fit(X, Y[:, :2]),
         "warm_start fit": lambda: model.fit(X, Y[:, :2]),
         "fit_new_tasks": lambda: model.fit_new_tasks(X, Y[:, 2])}[call]()
    _assert_same_attributes(model, snapshot)
    monkeypatch.undo()  # and it carries on as if never interrupted
    again = _snapshot(model)
    model.partial_fit(X, Y[:, :2])
    reference = SharedLatentRegressor()
    vars(reference).update(again)
    reference.partial_fit(X, Y[:, :2])
    np.testing.assert_array_equal(model.coef_, reference.coef_)


def test_ctrl_c_stops_a_long_fit_with_keyboard_interrupt(tmp_path):
    import os
    import signal

    # The child compiles into a Numba cache of its own: three full-suite runs
    # (of dozens) saw this child die silently before its first fit while
    # loading kernels from the package's cache that this process had just
    # written; that lead is followed apart from what this test checks.
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba_cache"))

    child = subprocess.Popen(
        [sys.executable, "-c", (
            "import numpy as np, signal, sys\n"
            # A shell's background job starts with SIGINT ignored, and then
            # Python installs no KeyboardInterrupt handler: the child would
            # never see the signal (and ran on for hours after the test).
            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "from fastmtl import SharedLatentRegressor\n"
            "rng = np.random.default_rng(0)\n"
            "X = rng.normal(size=(20000, 200)); Y = X[:, :5] @ rng.normal(size=(5, 4))\n"
            # One epoch of the same fit first: every kernel the long fit runs
            # (the parallel ones too) is compiled before the signal, which
            # must interrupt training, not LLVM (one full-suite run saw a
            # signal wait out 120 s in a cold compile under load).
            "model = SharedLatentRegressor(20, max_iter=1, tol=None, solver='sgd',\n"
            "                              warm_start=True).fit(X, Y)\n"
            "coef, state = model.coef_.copy(), model._state.copy()\n"
            "print('started', flush=True)\n"
            "try:\n"
            "    model.set_params(max_iter=10**6).fit(X, Y)\n"
            "finally:\n"  # the warm start as it was before the call
            "    same = (np.array_equal(model.coef_, coef)\n"
            "            and np.array_equal(model._state.U, state.U))\n"
            "    print('unchanged' if same else 'changed', flush=True)\n")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first_line = child.stdout.readline().strip()
        if first_line != "started":
            child.kill()
            _, stderr = child.communicate(timeout=120)
            raise AssertionError(f"the child stopped before its long fit (exit code "
                                 f"{child.returncode}): {stderr[-3000:]}")
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=120)  # the fit alone takes days
    finally:
        child.kill()  # never left running, whatever failed
    assert child.returncode != 0
    assert "KeyboardInterrupt" in stderr
    assert stdout.strip() == "unchanged"
