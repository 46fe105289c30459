"""fastnewton.minimize, method="newton": convergence, faults, callbacks, SciPy interop, C code.

Expectations come from outside the code under test: SciPy's ``trust-exact`` on the same problems,
gradients re-computed by the test from the problems' analytic formulas, analytic minimizers,
Newton steps solved here with NumPy, and call counters wrapped around the user's callables.
"""
import ctypes
import math
import threading
import time
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.optimize
from scipy.optimize._numdiff import approx_derivative

from _support import Counted

import fastnewton
from fastnewton import testing as _problems

GTOL = 1e-5


def gmax(g):
    return float(np.max(np.abs(g)))


# ---------------------------------------------------------------------------------------------
# Convergence on the Moré-Garbow-Hillstrom set, against SciPy's trust-exact

def _scipy_trust_exact(prob):
    def fd_hess(x):
        h = approx_derivative(prob.grad, x, method="3-point")
        return 0.5 * (h + h.T)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = scipy.optimize.minimize(prob.fun, prob.x0, jac=prob.grad, hess=fd_hess,
                                          method="trust-exact", options={"gtol": GTOL})
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            return None, False
    ok = bool(res.success) and gmax(prob.grad(res.x)) <= GTOL
    return res, ok


def _ftol(fstar):
    # fstar is published to ~6 significant digits; gtol = 1e-5 leaves f within ~1e-7 of f*
    # even on the problems whose Hessian is singular at the minimizer (Powell's).
    return 1e-4 * abs(fstar) + 1e-6


# With SciPy 1.17, trust-exact (FD Hessian, gtol 1e-5) fails from the standard start on
# brown_badly_scaled, meyer and brown_dennis (its max|g| stalls at 4e-5 at f = 85822); it solves
# every other problem in NAMES. fastnewton's Newton solves all but meyer (status 2 at
# f = 87.94586, the known minimum, with max|g| ~ 1 on its badly scaled variables).
@pytest.mark.parametrize("name", _problems.NAMES)
def test_converges_wherever_scipy_trust_exact_does(name):
    prob = _problems.get(name)
    f0 = prob.fun(prob.x0)
    sres, scipy_ok = _scipy_trust_exact(prob)

    iterates = []
    with np.errstate(over="ignore", invalid="ignore"):   # trial points far out (osborne2)
        res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad,
                                  callback=lambda xk: iterates.append(prob.fun(xk)))
    assert res.x.shape == (prob.n,) and np.all(np.isfinite(res.x))
    # whatever happened: the returned point is the best iterate, with its own f
    assert res.fun == prob.fun(res.x)
    assert res.fun <= f0
    assert res.fun <= min(iterates, default=f0)
    assert len(iterates) == res.nit

    if not scipy_ok:
        return
    assert res.status == 0, (res.status, res.message)
    assert res.success
    assert gmax(prob.grad(res.x)) <= GTOL
    if prob.fstar is not None and abs(sres.fun - prob.fstar) <= _ftol(prob.fstar):
        # SciPy found the published minimum from this start: so must we
        assert abs(res.fun - prob.fstar) <= _ftol(prob.fstar), (res.fun, prob.fstar)


# ---------------------------------------------------------------------------------------------
# Local quadratic convergence

def _logistic_problem(seed=1, m=30, n=6, lam=0.1):
    """f = sum log(1 + exp(a_i x)) - b x + lam/2 |x|^2: smooth, strictly convex, not quadratic."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    b = rng.standard_normal(n)

    def fun(x):
        return float(np.sum(np.logaddexp(0.0, A @ x)) - b @ x + 0.5 * lam * (x @ x))

    def grad(x):
        s = 0.5 * (1.0 + np.tanh(0.5 * (A @ x)))
        return A.T @ s - b + lam * x

    def hess(x):
        s = 0.5 * (1.0 + np.tanh(0.5 * (A @ x)))
        return (A.T * (s * (1.0 - s))) @ A + lam * np.eye(n)

    return fun, grad, hess, n


def test_local_quadratic_convergence_and_unit_final_step():
    fun, grad, hess, n = _logistic_problem()
    x0 = np.full(n, 2.0)
    xs = [x0]
    res = fastnewton.minimize(fun, x0, jac=grad, hess=hess, options={"gtol": 1e-8},
                              callback=lambda intermediate_result: xs.append(
                                  intermediate_result.x.copy()))
    assert res.status == 0 and res.success
    assert len(xs) == res.nit + 1 >= 4
    gn = [np.linalg.norm(grad(x)) for x in xs]
    assert gn[-1] <= 1e-8 * math.sqrt(n)
    # the Hessian is positive definite along the path: the Newton step is H^{-1} g itself
    for x in xs:
        assert np.linalg.eigvalsh(hess(x))[0] > 0.0
    # the last three iterations are in the quadratic regime: |g+| / |g|^2 bounded (the constant
    # is ~ L_H / (2 mu^2) for this data), and the linear rate -> 0
    tail = range(len(gn) - 4, len(gn) - 1)
    for k in tail:
        assert gn[k + 1] <= 100.0 * gn[k] ** 2, (k, gn)
    assert gn[-1] / gn[-2] <= 1e-3
    # the final steps are pure Newton steps (alpha = 1), solved independently here
    for k in (len(xs) - 3, len(xs) - 2):
        p = -np.linalg.solve(hess(xs[k]), grad(xs[k]))
        s = xs[k + 1] - xs[k]
        assert np.linalg.norm(s - p) <= 1e-8 * np.linalg.norm(p), k


# ---------------------------------------------------------------------------------------------
# Indefinite Hessians

@pytest.mark.parametrize("exact_hess", [False, True])
def test_indefinite_start_descends_to_a_minimizer(exact_hess):
    prob = _problems.get("nonconvex_saddle")
    ev0 = np.linalg.eigvalsh(prob.hess(prob.x0))
    assert ev0[0] < 0.0 < ev0[-1]          # the start really is saddle-adjacent
    fs = [prob.fun(prob.x0)]
    x1 = []

    def cb(intermediate_result):
        fs.append(intermediate_result.fun)
        x1.append(intermediate_result.x.copy())

    res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad,
                              hess=prob.hess if exact_hess else None, callback=cb)
    assert res.status == 0 and res.success
    assert len(fs) == res.nit + 1
    assert all(b < a for a, b in zip(fs, fs[1:])), fs
    # the first step, taken where the Hessian is indefinite, is a descent direction
    assert prob.grad(prob.x0) @ (x1[0] - prob.x0) < 0.0
    # a minimizer: gradient zero, Hessian positive definite, checked here
    assert gmax(prob.grad(res.x)) <= GTOL
    assert np.linalg.eigvalsh(prob.hess(res.x))[0] > 0.0
    # analytically: x = +-sqrt(1 + c^2), y = -c x with c = 0.1
    c = 0.1
    xm = math.copysign(math.sqrt(1.0 + c * c), res.x[0])
    np.testing.assert_allclose(res.x, [xm, -c * xm], atol=1e-5)
    assert abs(res.fun - (-0.25 * (1.0 + c * c) ** 2)) <= 1e-10


def _logcosh_problem():
    """f = log cosh x1 + x2^2: convex, minimizer (0, 0); far out in x1 the Hessian's (1, 1)
    entry sech^2 x1 is tiny (x1 = 20: 1.7e-17) or underflows to 0 (x1 > ~355)."""
    def fun(x):
        return float(np.logaddexp(x[0], -x[0]) - math.log(2.0) + x[1] ** 2)

    def grad(x):
        return np.array([math.tanh(x[0]), 2.0 * x[1]])

    def hess(x):
        return np.array([[1.0 / math.cosh(x[0]) ** 2 if abs(x[0]) < 350 else 0.0, 0.0],
                         [0.0, 2.0]])

    return fun, grad, hess


@pytest.mark.parametrize("x1, exact", [
    (400.0, True),      # Hessian exactly singular: the modified Cholesky shifts it
    (30.0, False),      # FD Hessian: tanh is flat to rounding there, the FD entry is 0
    (20.0, True),       # nearly singular PD Hessian (sech^2(20) = 1.7e-17): the Newton step
    (30.0, True),       # is enormous; the maximum-step cap keeps the line search in reach
])
def test_singular_or_nearly_singular_hessian_still_converges(x1, exact):
    fun, grad, hess = _logcosh_problem()
    x0 = np.array([x1, 1.0])
    if x1 < 100.0:
        # SciPy's trust-exact solves it from this start (independent evidence it is easy)
        s = scipy.optimize.minimize(fun, x0, jac=grad, hess=hess, method="trust-exact")
        assert s.success and np.allclose(s.x, 0.0, atol=1e-5)
    fs = [fun(x0)]
    res = fastnewton.minimize(fun, x0, jac=grad, hess=hess if exact else None,
                              callback=lambda intermediate_result: fs.append(
                                  intermediate_result.fun))
    assert all(b < a for a, b in zip(fs, fs[1:]))
    assert res.status == 0, (res.status, res.nit, res.x)
    np.testing.assert_allclose(res.x, 0.0, atol=1e-5)


def test_nonfinite_hessian_stops_with_status_3():
    prob = _problems.get("rosenbrock")
    calls = Counted(lambda x: np.full((2, 2), np.nan))
    res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, hess=calls)
    assert res.status == 3 and not res.success
    assert "non-finite" in res.message.lower()
    np.testing.assert_array_equal(res.x, prob.x0)
    assert res.fun == prob.fun(prob.x0) and res.nit == 0 and calls.calls == 1


def test_xtol_stop_is_status_5():
    prob = _problems.get("rosenbrock")
    xs = [prob.x0]
    res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad,
                              options={"gtol": 0.0, "xtol": 1e-6},
                              callback=lambda xk: xs.append(xk.copy()))
    assert res.status == 5 and res.success
    assert "xtol" in res.message
    small = [bool(np.all(np.abs(b - a) <= 1e-6 * np.maximum(1.0, np.abs(a))))
             for a, b in zip(xs, xs[1:])]
    assert small[-1] and not any(small[:-1])           # stopped at the first small step
    np.testing.assert_allclose(res.x, 1.0, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Bad input (docs/design.md, "Bad input and faults")

def _quad(x):
    return 0.5 * float(np.sum((np.asarray(x) - 1.0) ** 2))


def _quad_grad(x):
    return np.asarray(x) - 1.0


@pytest.mark.parametrize("x0, what", [
    (np.zeros((2, 2)), "1-D"),
    (np.float64(1.0), "1-D"),
    (np.zeros(0), "empty"),
    (np.array([1.0 + 1.0j, 2.0]), "real"),
    (np.array([1.0 + 0.0j, 2.0]), "real"),
    (np.array([1.0, np.nan]), "finite"),
    (np.array([np.inf, 1.0]), "finite"),
    (np.array([1.0, -np.inf]), "finite"),
])
def test_bad_x0_is_a_value_error_naming_x0(x0, what):
    fun = Counted(_quad)
    with pytest.raises(ValueError, match="x0") as ei:
        fastnewton.minimize(fun, x0, jac=_quad_grad)
    assert what in str(ei.value)
    assert fun.calls == 0


@pytest.mark.parametrize("x0", [np.array([3, -2, 5]), np.array([3, -2, 5], dtype=np.float32),
                                [3, -2, 5], np.array([3, -2, 5], dtype=np.int8)])
def test_integer_and_float32_x0_become_float64(x0):
    seen = []

    def fun(x):
        seen.append(x.dtype)
        return _quad(x)

    res = fastnewton.minimize(fun, x0, jac=_quad_grad)
    assert res.x.dtype == np.float64
    assert res.jac.dtype == np.float64
    assert set(seen) == {np.dtype(np.float64)}
    assert res.status == 0
    np.testing.assert_allclose(res.x, 1.0, atol=1e-12)


@pytest.mark.parametrize("bad", [lambda x: np.zeros(4), lambda x: np.zeros((3, 1)),
                                 lambda x: np.zeros(2)])
def test_gradient_of_wrong_shape(bad):
    x0 = np.zeros(3)
    with pytest.raises(ValueError) as ei:
        fastnewton.minimize(_quad, x0, jac=bad)
    msg = str(ei.value)
    assert "(3,)" in msg                                   # expected
    assert str(np.shape(bad(x0))) in msg                   # actual


def test_gradient_of_wrong_shape_with_jac_true():
    with pytest.raises(ValueError) as ei:
        fastnewton.minimize(lambda x: (_quad(x), np.zeros(5)), np.zeros(3), jac=True)
    assert "(3,)" in str(ei.value) and "(5,)" in str(ei.value)


@pytest.mark.parametrize("shape", [(3, 4), (3,), (9,), (2, 2)])
def test_hessian_of_wrong_shape(shape):
    with pytest.raises(ValueError) as ei:
        fastnewton.minimize(_quad, np.zeros(3), jac=_quad_grad, hess=lambda x: np.zeros(shape))
    msg = str(ei.value)
    assert "(3, 3)" in msg and str(shape) in msg


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_f_at_x0_nothing_iterated(bad):
    fun = Counted(lambda x: bad)
    jac = Counted(_quad_grad)
    cb = Counted(lambda xk: None)
    with pytest.raises(ValueError, match="f\\(x0\\)"):
        fastnewton.minimize(fun, np.zeros(3), jac=jac, callback=cb)
    assert fun.calls == 1 and jac.calls <= 1 and cb.calls == 0


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_gradient_at_x0_nothing_iterated(bad):
    fun = Counted(_quad)
    jac = Counted(lambda x: np.array([0.0, bad, 1.0]))
    cb = Counted(lambda xk: None)
    with pytest.raises(ValueError, match="gradient"):
        fastnewton.minimize(fun, np.zeros(3), jac=jac, callback=cb)
    assert fun.calls == 1 and jac.calls == 1 and cb.calls == 0


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_nonfinite_f_at_trial_step_shrinks(bad):
    """f = sum(x - log x) lives on x > 0; from x = 3 the full Newton step 2x - x^2 = -3 leaves
    the domain, where f (and its gradient) are `bad`."""
    evaluated = []

    def fun(x):
        evaluated.append(x.copy())
        return float(np.sum(x - np.log(x))) if np.all(x > 0) else bad

    def jac(x):
        return 1.0 - 1.0 / x if np.all(x > 0) else np.full_like(x, bad)

    def hess(x):
        return np.diag(1.0 / x ** 2)

    x0 = np.array([3.0, 2.5])
    p0 = -np.linalg.solve(hess(x0), jac(x0))
    assert np.all(x0 + p0 < 0)                   # the first trial step is outside the domain
    fs = []
    res = fastnewton.minimize(fun, x0, jac=jac, hess=hess,
                              callback=lambda intermediate_result: fs.append(
                                  intermediate_result.fun))
    assert any(not np.all(p > 0) for p in evaluated)   # the non-finite region was met
    assert all(math.isfinite(f) for f in fs)
    assert res.status == 0 and res.success
    assert np.all(res.x > 0) and math.isfinite(res.fun)
    np.testing.assert_allclose(res.x, 1.0, atol=1e-5)


class UserError(Exception):
    pass


def _raising_in(where):
    """(fun, jac, hess, callback, the exception) with the one named `where` raising."""
    exc = UserError(where)

    def exploding_fun(x):
        if where == "fun":
            raise exc
        return _quad(x) + 0.1 * float(np.sum(np.asarray(x) ** 4))

    def exploding_jac(x):
        if where == "jac":
            raise exc
        return _quad_grad(x) + 0.4 * np.asarray(x) ** 3

    def exploding_hess(x):
        if where == "hess":
            raise exc
        return np.eye(len(x)) + np.diag(1.2 * np.asarray(x) ** 2)

    def exploding_callback(xk):
        if where == "callback":
            raise exc

    return exploding_fun, exploding_jac, exploding_hess, exploding_callback, exc


@pytest.mark.parametrize("where", ["fun", "jac", "hess", "callback"])
def test_user_exception_propagates_unchanged(where):
    fun, jac, hess, cb, exc = _raising_in(where)
    with pytest.raises(UserError) as ei:
        fastnewton.minimize(fun, np.full(3, 2.0), jac=jac, hess=hess, callback=cb)
    assert ei.value is exc
    names = [entry.name for entry in ei.traceback]
    assert f"exploding_{where}" in names
    # and the frame is in the exception's own traceback (not only pytest's view of it)
    frames = [fs.name for fs in traceback.extract_tb(ei.value.__traceback__)]
    assert f"exploding_{where}" in frames


def test_keyboard_interrupt_propagates():
    def fun(x):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fastnewton.minimize(fun, np.zeros(2), jac=_quad_grad)


@pytest.mark.parametrize("jac_mode", ["callable", "true", "none"])
def test_exception_on_seventh_call_stops_at_once(jac_mode):
    prob = _problems.get("rosenbrock")
    exc = UserError("seventh")
    calls = {"fun": 0, "jac": 0, "after": 0}

    def fun(x):
        if calls["fun"] >= 7:
            calls["after"] += 1
        calls["fun"] += 1
        if calls["fun"] == 7:
            raise exc
        if jac_mode == "true":
            return prob.fun(x), prob.grad(x)
        return prob.fun(x)

    def jac(x):
        if calls["fun"] >= 7:
            calls["after"] += 1
        calls["jac"] += 1
        return prob.grad(x)

    def cb(xk):
        if calls["fun"] >= 7:
            calls["after"] += 1

    j = {"callable": jac, "true": True, "none": None}[jac_mode]
    with pytest.raises(UserError) as ei:
        fastnewton.minimize(fun, prob.x0, jac=j, callback=cb)
    assert ei.value is exc
    assert calls["fun"] == 7
    assert calls["after"] == 0


def test_line_search_failure_wrong_sign_gradient():
    """The gradient has the wrong sign: every direction the method can take goes uphill for f,
    so no step satisfies even the Armijo condition."""
    x0 = np.array([1.0, 2.0])
    fun = Counted(_quad)
    res = fastnewton.minimize(fun, x0, jac=lambda x: -_quad_grad(x))
    assert res.status == 2 and not res.success
    assert "line search" in res.message.lower() and "wolfe" in res.message.lower()
    assert res.fun <= _quad(x0)
    assert np.array_equal(res.x, x0)           # nothing better was found
    assert res.fun == _quad(res.x)
    assert fun.calls == res.nfev


def test_line_search_failure_after_progress_returns_best_point():
    """f = |x|^2 / 2; the gradient is right outside the unit ball and a constant (wrong)
    vector inside it. The first Newton step lands on the minimizer 0, where the reported
    gradient is (1, 1) but f increases in every direction: no Wolfe point exists."""
    def fun(x):
        return 0.5 * float(x @ x)

    def jac(x):
        return x.copy() if x @ x > 1.0 else np.ones_like(x)

    x0 = np.array([3.0, 4.0])
    fs = []
    res = fastnewton.minimize(fun, x0, jac=jac, callback=lambda xk: fs.append(fun(xk)))
    assert res.status == 2 and not res.success
    assert "line search" in res.message.lower()
    assert res.nit == len(fs) >= 1
    assert res.fun <= fun(x0)
    assert res.fun == fun(res.x) == min(fs)
    np.testing.assert_allclose(res.x, 0.0, atol=1e-12)


def test_maxiter():
    prob = _problems.get("rosenbrock")
    cb = Counted(lambda xk: None)
    res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, callback=cb,
                              options={"maxiter": 3})
    assert res.status == 1 and not res.success
    assert "iteration" in res.message.lower()
    assert res.nit == 3 == cb.calls
    assert res.fun == prob.fun(res.x) < prob.fun(prob.x0)
    np.testing.assert_array_equal(res.jac, prob.grad(res.x))


def test_unknown_option_is_type_error_listing_valid_ones():
    with pytest.raises(TypeError) as ei:
        fastnewton.minimize(_quad, np.zeros(2), jac=_quad_grad, options={"gtoll": 1e-6})
    msg = str(ei.value)
    assert "gtoll" in msg
    # the documented Newton options
    for name in ("gtol", "maxiter", "xtol", "c1", "c2", "fd", "disp"):
        assert name in msg


def test_unknown_method_is_value_error():
    with pytest.raises(ValueError, match="nope"):
        fastnewton.minimize(_quad, np.zeros(2), jac=_quad_grad, method="nope")


def test_method_is_case_insensitive():
    prob = _problems.get("rosenbrock")
    ref = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, method="newton")
    for m in ("Newton", "NEWTON", "nEwToN"):
        res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, method=m)
        np.testing.assert_array_equal(res.x, ref.x)
        assert res.nit == ref.nit


def test_x0_never_modified():
    prob = _problems.get("rosenbrock")
    for x0 in (prob.x0.copy(), np.asfortranarray(prob.x0), prob.x0.astype(np.float32)):
        before = x0.copy()
        res = fastnewton.minimize(prob.fun, x0, jac=prob.grad)
        assert res.status == 0
        assert x0.tobytes() == before.tobytes() and x0.dtype == before.dtype
        assert res.x is not x0


def test_fun_writing_into_its_argument_changes_nothing():
    prob = _problems.get("rosenbrock")
    ref = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad)

    def vandal_fun(x):
        f = prob.fun(x)
        x[:] = 1e3
        return f

    def vandal_jac(x):
        g = prob.grad(x)
        x[:] = -1e3
        return g

    x0 = prob.x0.copy()
    res = fastnewton.minimize(vandal_fun, x0, jac=vandal_jac)
    np.testing.assert_array_equal(x0, prob.x0)
    np.testing.assert_array_equal(res.x, ref.x)


# ---------------------------------------------------------------------------------------------
# Callbacks

def test_callback_new_style_gets_optimize_result():
    prob = _problems.get("rosenbrock")
    seen = []

    def cb(intermediate_result):
        assert isinstance(intermediate_result, scipy.optimize.OptimizeResult)
        seen.append((intermediate_result.x.copy(), intermediate_result.fun))

    res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, callback=cb)
    assert res.status == 0
    assert len(seen) == res.nit
    for x, f in seen:
        assert f == prob.fun(x)
    np.testing.assert_array_equal(seen[-1][0], res.x)


def test_callback_old_style_gets_xk():
    prob = _problems.get("rosenbrock")
    seen = []

    def cb(xk):
        assert isinstance(xk, np.ndarray) and xk.shape == (2,) and xk.dtype == np.float64
        seen.append(xk.copy())

    res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, callback=cb)
    assert len(seen) == res.nit
    np.testing.assert_array_equal(seen[-1], res.x)
    # monotone decrease along the iterates it was shown
    fs = [prob.fun(prob.x0)] + [prob.fun(x) for x in seen]
    assert all(b <= a for a, b in zip(fs, fs[1:]))


@pytest.mark.parametrize("style", ["new", "old"])
def test_callback_stop_iteration(style):
    prob = _problems.get("rosenbrock")
    seen = []

    def record(x):
        seen.append(x.copy())
        if len(seen) == 3:
            raise StopIteration

    if style == "new":
        def cb(intermediate_result):
            record(intermediate_result.x)
    else:
        def cb(xk):
            record(xk)

    res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, callback=cb)
    assert res.status == 4 and not res.success
    assert "callback" in res.message.lower()
    assert res.nit == 3 == len(seen)
    np.testing.assert_array_equal(res.x, seen[-1])
    assert res.fun == prob.fun(res.x)
    np.testing.assert_array_equal(res.jac, prob.grad(res.x))


# ---------------------------------------------------------------------------------------------
# SciPy interop

def test_scipy_minimize_with_scipy_method_matches_direct():
    prob = _problems.get("rosenbrock")
    direct = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad)
    via = scipy.optimize.minimize(prob.fun, prob.x0, jac=prob.grad,
                                  method=fastnewton.scipy_method("newton"))
    assert via.status == 0 and via.success
    np.testing.assert_array_equal(via.x, direct.x)
    assert via.nit == direct.nit and via.nfev == direct.nfev
    np.testing.assert_allclose(via.x, [1.0, 1.0], atol=1e-5)


def _first_index_below(gs, tol):
    return next(k for k, g in enumerate(gs) if gmax(g) <= tol)


def test_scipy_tol_passes_through_as_gtol():
    prob = _problems.get("rosenbrock")
    gs = []
    res = scipy.optimize.minimize(prob.fun, prob.x0, jac=prob.grad, tol=1e-2,
                                  method=fastnewton.scipy_method("newton"),
                                  callback=lambda xk: gs.append(prob.grad(xk)))
    assert res.status == 0
    # stopped at the first iterate with max|g| <= 1e-2, not later, not earlier
    assert res.nit == len(gs) == _first_index_below(gs, 1e-2) + 1
    assert gmax(prob.grad(prob.x0)) > 1e-2
    assert gmax(res.jac) > 1e-5            # so it was not the default gtol


def test_scipy_minimize_callback_stop_iteration():
    prob = _problems.get("rosenbrock")
    seen = []

    def cb(intermediate_result):
        seen.append(intermediate_result.x.copy())
        if len(seen) == 2:
            raise StopIteration

    res = scipy.optimize.minimize(prob.fun, prob.x0, jac=prob.grad, callback=cb,
                                  method=fastnewton.scipy_method("newton"))
    assert res.status == 4 and not res.success and res.nit == 2
    np.testing.assert_array_equal(res.x, seen[-1])


def test_scipy_bounds_and_constraints_rejected():
    prob = _problems.get("rosenbrock")
    m = fastnewton.scipy_method("newton")
    with pytest.raises(ValueError, match="bounds"):
        scipy.optimize.minimize(prob.fun, prob.x0, jac=prob.grad, method=m,
                                bounds=[(-2, 2), (-2, 2)])
    with pytest.raises(ValueError, match="constraints"):
        scipy.optimize.minimize(prob.fun, prob.x0, jac=prob.grad, method=m,
                                constraints=[{"type": "ineq", "fun": lambda x: x[0]}])


def test_tol_sets_gtol_and_options_win():
    prob = _problems.get("rosenbrock")
    for tol in (1e-1, 1e-3, 1e-7):
        gs = []
        res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, tol=tol,
                                  callback=lambda xk: gs.append(prob.grad(xk)))
        assert res.status == 0
        assert res.nit == _first_index_below(gs, tol) + 1
    # options' gtol takes precedence over tol
    res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, tol=1e-1,
                              options={"gtol": 1e-9})
    assert res.status == 0 and gmax(prob.grad(res.x)) <= 1e-9


# ---------------------------------------------------------------------------------------------
# disp

def test_disp_prints_one_line_per_iteration_and_a_summary(capsys):
    prob = _problems.get("rosenbrock")
    cb = Counted(lambda xk: None)
    res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, callback=cb,
                              options={"disp": True})
    lines = capsys.readouterr().out.splitlines()
    iter_lines = [ln for ln in lines if ln.split() and ln.split()[0].isdigit()]
    assert len(iter_lines) == res.nit == cb.calls
    assert [int(ln.split()[0]) for ln in iter_lines] == list(range(1, res.nit + 1))
    summary = lines[len(iter_lines):]
    assert lines[:len(iter_lines)] == iter_lines      # iterations first, then the summary
    assert summary and res.message in summary[0]
    assert any(f"Iterations: {res.nit}" in ln for ln in summary)
    assert any(f"Function evaluations: {res.nfev}" in ln for ln in summary)


def test_no_output_without_disp(capsys):
    prob = _problems.get("rosenbrock")
    fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad)
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------------------------------------
# Derivative modes and result fields

def test_jac_true_form_matches_separate_jac():
    prob = _problems.get("rosenbrock")
    fg = Counted(lambda x: (prob.fun(x), prob.grad(x)))
    res = fastnewton.minimize(fg, prob.x0, jac=True)
    ref = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad)
    assert res.status == 0
    np.testing.assert_array_equal(res.x, ref.x)
    assert res.nit == ref.nit
    assert res.nfev == fg.calls == res.njev


def test_jac_none_fd_gradient_converges_on_rosenbrock():
    prob = _problems.get("rosenbrock")
    fun = Counted(prob.fun)
    res = fastnewton.minimize(fun, prob.x0)
    assert res.status == 0 and res.success
    assert gmax(prob.grad(res.x)) <= 1.01 * GTOL
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-4)
    assert res.nfev == fun.calls
    assert res.njev == 0
    assert res.fun == prob.fun(res.x)


@pytest.mark.parametrize("name", ["rosenbrock", "wood", "extended_rosenbrock"])
def test_exact_hessian_same_solution_fewer_gradients(name):
    prob = _problems.get(name, 10 if name == "extended_rosenbrock" else None)
    jfd, jex = Counted(prob.grad), Counted(prob.grad)
    hex_ = Counted(prob.hess)
    fd = fastnewton.minimize(prob.fun, prob.x0, jac=jfd)
    ex = fastnewton.minimize(prob.fun, prob.x0, jac=jex, hess=hex_)
    assert fd.status == 0 and ex.status == 0
    np.testing.assert_allclose(ex.x, fd.x, atol=1e-5)
    np.testing.assert_allclose(ex.x, 1.0, atol=1e-5)
    assert ex.njev == jex.calls < fd.njev == jfd.calls
    assert ex.nhev == hex_.calls == ex.nit


def test_fd_forward_option():
    prob = _problems.get("rosenbrock")
    res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, options={"fd": "forward"})
    assert res.status == 0 and gmax(prob.grad(res.x)) <= GTOL
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-5)


@pytest.mark.parametrize("name", ["rosenbrock", "wood", "helical_valley", "nonconvex_saddle"])
@pytest.mark.parametrize("mode", ["jac", "jac+hess", "jac=True", "fd"])
def test_result_fields_consistent(name, mode):
    prob = _problems.get(name)
    fun = Counted(prob.fun)
    jac = Counted(prob.grad)
    hess = Counted(prob.hess)
    fg = Counted(lambda x: (prob.fun(x), prob.grad(x)))
    if mode == "jac":
        res = fastnewton.minimize(fun, prob.x0, jac=jac)
    elif mode == "jac+hess":
        res = fastnewton.minimize(fun, prob.x0, jac=jac, hess=hess)
    elif mode == "jac=True":
        res = fastnewton.minimize(fg, prob.x0, jac=True)
    else:
        res = fastnewton.minimize(fun, prob.x0)
    for key in ("x", "fun", "jac", "nit", "nfev", "njev", "nhev", "status", "success",
                "message", "hess"):
        assert key in res, key
    assert res.status == 0 and res.success is True
    if mode == "jac=True":
        assert res.nfev == res.njev == fg.calls
    else:
        assert res.nfev == fun.calls
        assert res.njev == jac.calls
    if mode == "jac+hess":
        assert res.nhev == hess.calls
    # one Hessian per iteration; a converged solve stops before computing another
    assert res.nhev == res.nit
    assert res.fun == prob.fun(res.x)
    if mode == "fd":
        np.testing.assert_allclose(res.jac, prob.grad(res.x), rtol=1e-5, atol=1e-7)
    else:
        np.testing.assert_array_equal(res.jac, prob.grad(res.x))
    assert res.hess.shape == (prob.n, prob.n)
    np.testing.assert_array_equal(res.hess, res.hess.T)


@pytest.mark.parametrize("name", ["rosenbrock", "wood", "helical_valley", "beale"])
def test_res_hess_is_the_last_hessian_evaluated(name):
    """Documented: res.hess is the Hessian at the iterate before x (the last one evaluated)."""
    prob = _problems.get(name)
    xs = [prob.x0]
    res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, hess=prob.hess,
                              callback=lambda xk: xs.append(xk.copy()))
    assert res.status == 0 and len(xs) == res.nit + 1
    np.testing.assert_array_equal(res.hess, prob.hess(xs[-2]))


def test_args_reach_every_callable():
    shift = np.array([2.0, -1.0, 0.5])
    got = set()

    def fun(x, s):
        got.add("fun")
        return 0.5 * float((x - s) @ (x - s))

    def jac(x, s):
        got.add("jac")
        return x - s

    def hess(x, s):
        got.add("hess")
        return np.eye(3)

    res = fastnewton.minimize(fun, np.zeros(3), args=(shift,), jac=jac, hess=hess)
    assert got == {"fun", "jac", "hess"}
    np.testing.assert_allclose(res.x, shift, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# LowLevelCallable objectives

def _twin_fg(x):
    """Python twin of ext_rosen_fg, operation for operation (sequential sum via cumsum)."""
    o, e = x[0::2], x[1::2]
    t = e - o * o
    u = 1.0 - o
    f = float(np.cumsum(100.0 * (t * t) + u * u)[-1])
    g = np.empty_like(x)
    g[0::2] = -400.0 * o * t - 2.0 * u
    g[1::2] = 200.0 * t
    return f, g


def test_llc_objective_matches_python(cmin):
    prob = _problems.get("extended_rosenbrock", 100)
    llc = cmin.llc("ext_rosen_fg")
    x0 = prob.x0.copy()
    before = x0.copy()
    res = fastnewton.minimize(llc, x0)
    assert x0.tobytes() == before.tobytes()
    assert res.status == 0
    # against the problem set's (independently written, pairwise-summed) NumPy version
    ref = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad)
    assert res.nit == ref.nit
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-12)
    assert gmax(prob.grad(res.x)) <= GTOL
    # against a bitwise Python twin of the C arithmetic: the very same iterates
    twin_x, llc_x = [], []
    tw = fastnewton.minimize(_twin_fg, prob.x0, jac=True, callback=lambda xk: twin_x.append(xk))
    fastnewton.minimize(llc, prob.x0, callback=lambda xk: llc_x.append(xk))
    assert len(twin_x) == len(llc_x) == tw.nit == res.nit
    for a, b in zip(twin_x, llc_x):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(tw.x, res.x)
    assert tw.nfev == res.nfev and tw.njev == res.njev and tw.nhev == res.nhev
    np.testing.assert_array_equal(res.jac, _twin_fg(res.x)[1])


def test_llc_value_only_converges(cmin):
    prob = _problems.get("extended_rosenbrock", 10)
    res = fastnewton.minimize(cmin.llc("ext_rosen_f"), prob.x0)
    assert res.status == 0
    assert gmax(prob.grad(res.x)) <= 1.01 * GTOL
    np.testing.assert_allclose(res.x, 1.0, atol=1e-4)
    assert res.njev == 0


def test_llc_unsupported_signature(cobj):
    with pytest.raises(ValueError) as ei:
        fastnewton.minimize(cobj.bad_signature(), np.zeros(2))
    msg = str(ei.value)
    assert "double (double, void *)" in msg
    assert "double (int, double *, double *, void *)" in msg
    assert "double (int, double *, void *)" in msg


def test_llc_counted_calls_match_nfev(cobj):
    fun, counts = cobj.counted_rosen()
    x0 = np.array([-1.2, 1.0, -1.2, 1.0])
    before = x0.copy()
    res = fastnewton.minimize(fun, x0)
    assert x0.tobytes() == before.tobytes()
    assert res.status == 0
    assert res.nfev == counts[0] and res.njev == counts[1]
    assert gmax(scipy.optimize.rosen_der(res.x)) <= GTOL


def _starts(n, k):
    rng = np.random.default_rng(12345)
    base = _problems.get("extended_rosenbrock", n).x0
    return [base * (1.0 + 0.3 * rng.standard_normal(n)) for _ in range(k)]


def test_thread_pool_gives_serial_results(cmin):
    llc = cmin.llc("ext_rosen_fg")
    starts = _starts(40, 16)

    def solve(x0):
        return fastnewton.minimize(llc, x0)

    serial = [solve(x0) for x0 in starts]
    for workers in (2, 4):
        with ThreadPoolExecutor(max_workers=workers) as pool:
            par = list(pool.map(solve, starts))
        for s, p in zip(serial, par):
            assert p.status == s.status and p.nit == s.nit and p.nfev == s.nfev
            np.testing.assert_array_equal(p.x, s.x)
            np.testing.assert_array_equal(p.jac, s.jac)
    assert sum(s.status == 0 for s in serial) >= 12


def _ungated_reference(cobj, x0):
    """The solve of rosen_fg from x0 (gated_rosen_fg computes the very same numbers) and how
    many calls it makes."""
    llc, counts = cobj.counted_rosen()
    return fastnewton.minimize(llc, x0), int(counts[0])


def test_llc_solve_lets_python_threads_run(cobj):
    """Deterministic, no timing: every call of the objective waits until a Python thread has
    answered it (gated_rosen_fg, tests/cobjectives.c), and the thread can answer only while
    it holds the GIL. The solve ends with every call answered and none waiting out its limit,
    on the iterates of the ungated solve: the GIL was free during each C evaluation. The
    controls show the gate can tell: a call through ctypes.PyDLL, which keeps the GIL, goes
    unanswered until its limit; the same call through ctypes.CDLL is answered."""
    x0 = np.linspace(-1.5, 1.5, 12)
    ref, calls = _ungated_reference(cobj, x0)
    assert ref.status == 0
    llc, gate = cobj.gated_rosen()
    with gate.answering():
        res = fastnewton.minimize(llc, x0)
    assert res.status == 0 and res.nit == ref.nit
    np.testing.assert_array_equal(res.x, ref.x)
    assert gate.calls == calls and gate.timeouts == 0, (gate.calls, calls, gate.timeouts)

    _, ctrl = cobj.gated_rosen(limit_ms=200)
    x, g = x0.copy(), np.empty_like(x0)
    pd = ctypes.POINTER(ctypes.c_double)
    for lib, timeouts in ((cobj.pylib, 1), (cobj.lib, 1)):
        with ctrl.answering():
            lib.gated_rosen_fg(x.size, x.ctypes.data_as(pd), g.ctypes.data_as(pd), ctrl.ptr)
        assert ctrl.timeouts == timeouts, lib
    assert ctrl.calls == 2


def test_llc_solve_completes_while_another_thread_holds_the_gil(cobj):
    """Deterministic: a worker thread solves (as parallel solves do: in the main thread the
    kernels take the GIL briefly every 256 C evaluations to notice Ctrl-C, see
    _objective.pxd). Call 1, f(x0) before the loop, is answered from Python; call 2, the first
    inside the loop, waits for an answer that only another thread gives: it takes the GIL and
    keeps it (answer_calls through ctypes.PyDLL), answering every call, until the objective
    has been called as often as a full solve calls it. A solve that needed the GIL for
    anything would stall there, and the holder would give up at its limit with the count
    short."""
    x0 = np.linspace(-1.5, 1.5, 12)
    ref, calls = _ungated_reference(cobj, x0)
    llc, gate = cobj.gated_rosen()
    ud = gate.ud
    out = {}

    def hog():
        while True:             # answer call 1 from Python, leave call 2 waiting
            c = int(ud[0])
            if c >= 2:
                break
            ud[1] = c
            time.sleep(0)
        start = ctypes.c_longlong(0)
        out["end"] = cobj.pylib.answer_calls(gate.ptr, calls, 60.0, ctypes.byref(start))
        out["start"] = start.value

    solver = threading.Thread(target=lambda: out.update(res=fastnewton.minimize(llc, x0)))
    th = threading.Thread(target=hog)
    th.start()
    solver.start()
    solver.join()
    th.join()
    res = out["res"]
    np.testing.assert_array_equal(res.x, ref.x)
    assert res.nfev == calls == gate.calls
    # the GIL was taken at the loop's first call, and the whole solve ran under it
    assert out["start"] == 2, out
    assert out["end"] == calls and gate.timeouts == 0, (out, gate.timeouts)
