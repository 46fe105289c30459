"""Non-finite values and objectives unbounded below, for every method of ``minimize`` and for
``line_search``.

No solve may report success with a non-finite f, gradient or x, and every result holds the
best finite point found. An objective unbounded below ends promptly with status 9 ("f
appears unbounded below", the rule in fastnewton/_engine.pyx). Expected values are the
objectives' own (recomputed here), never fastnewton's output.
"""
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import fastnewton
from fastnewton import line_search

METHODS = ("newton", "bfgs", "lbfgs", "sr1")
UNBOUNDED = 9
LINESEARCH_FAILED = 2
NONFINITE = 3


def check_finite_result(res, f, g, x0):
    """The properties every result must have: x, fun, jac finite; fun = f(x) <= f(x0);
    jac = g(x); success only with max|jac| <= gtol (1e-5)."""
    assert np.all(np.isfinite(res.x)), res.x
    assert math.isfinite(res.fun), res.fun
    assert np.all(np.isfinite(res.jac)), res.jac
    assert res.fun == f(res.x)
    np.testing.assert_array_equal(res.jac, g(res.x))
    assert res.fun <= f(x0)
    if res.success:
        assert np.max(np.abs(res.jac)) <= 1e-5


# ---------------------------------------------------------------------------------------------
# A gradient that is NaN near the minimizer

def _sq(x):
    return float(x @ x)


def _sq_grad_nan_in_ball(x):
    """2x, but NaN once max|x| <= 0.5: the minimizer 0 lies in the NaN region."""
    if np.max(np.abs(x)) <= 0.5:
        return np.full_like(x, np.nan)
    return 2.0 * x


# Newton's finite-difference Hessian at a point next to the ball reaches into it (status 3);
# the quasi-Newton methods and Newton with an exact Hessian find no step out of the ball's
# edge with a finite gradient (status 2).
@pytest.mark.parametrize("method,hess,status", [
    ("newton", None, NONFINITE), ("newton", lambda x: 2.0 * np.eye(x.size), LINESEARCH_FAILED),
    ("bfgs", None, LINESEARCH_FAILED), ("lbfgs", None, LINESEARCH_FAILED),
    ("sr1", None, LINESEARCH_FAILED)])
def test_nan_gradient_at_the_step_is_not_convergence(method, hess, status):
    x0 = np.array([3.0, -2.0])
    res = fastnewton.minimize(_sq, x0, jac=_sq_grad_nan_in_ball, hess=hess, method=method)
    assert res.status == status, (res.status, res.message)
    assert res.success is False
    check_finite_result(res, _sq, _sq_grad_nan_in_ball, x0)
    assert np.max(np.abs(res.x)) > 0.5         # outside the NaN ball, of course


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("method", METHODS)
def test_gradient_non_finite_in_one_entry(method, bad):
    """One entry only non-finite (g . p can still be finite where p has a zero there)."""
    def g(x):
        out = 2.0 * (x - 1.0)
        if x[0] < 0.9:
            out[1] = bad
        return out

    def f(x):
        return float((x - 1.0) @ (x - 1.0))

    x0 = np.array([3.0, 1.0, 2.0])
    res = fastnewton.minimize(f, x0, jac=g, method=method)
    check_finite_result(res, f, g, x0)
    # the minimizer x = 1 is in the good region: every method gets there
    assert res.status == 0 and res.success
    np.testing.assert_allclose(res.x, 1.0, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# Unbounded below

def _cube(x):
    return float(np.sum(x ** 3))


def _cube_grad(x):
    return 3.0 * x ** 2


def _linear(x):
    return float(np.sum(x))


def _linear_grad(x):
    return np.ones_like(x)


@pytest.mark.parametrize("method,hess", [("newton", None),
                                         ("newton", lambda x: np.diag(6.0 * x)),
                                         ("bfgs", None), ("lbfgs", None), ("sr1", None)])
@pytest.mark.parametrize("problem", ["cube", "linear"])
def test_unbounded_below_stops_promptly(method, hess, problem):
    f, g, x0 = {"cube": (_cube, _cube_grad, np.array([-6.0])),
                "linear": (_linear, _linear_grad, np.array([1.0, 2.0, -0.5]))}[problem]
    with np.errstate(over="ignore", invalid="ignore"):
        res = fastnewton.minimize(f, x0, jac=g, hess=hess, method=method)
    assert res.status == UNBOUNDED, (res.status, res.message, res.nit)
    assert res.success is False
    assert "unbounded below" in res.message
    check_finite_result(res, f, g, x0)
    # promptly: a few iterations of at most 2 * 20 trial steps (rule (b): 3 in a row), not
    # 200 n iterations
    assert res.nit <= 10 and res.nfev <= 400, (res.nit, res.nfev)
    assert res.fun < f(x0) - abs(f(x0))


@pytest.mark.parametrize("method", METHODS)
def test_minus_inf_value_is_unbounded(method):
    """f = -inf somewhere downhill (rule (a)); x is the best finite point."""
    def f(x):
        return -math.inf if x[0] > 5.0 else float(-x[0] + 0.5 * x[1] ** 2)

    def g(x):
        return np.array([-1.0, x[1]])

    x0 = np.array([0.0, 1.0])
    res = fastnewton.minimize(f, x0, jac=g, method=method)
    assert res.status == UNBOUNDED, (res.status, res.message)
    assert res.success is False
    check_finite_result(res, f, g, x0)


@pytest.mark.parametrize("method", METHODS)
def test_bounded_below_far_away_is_not_unbounded(method):
    """A sum of squares started far out (f falls steeply over a wide range) converges: rule
    (b)(ii), f < f0 - |f0|, never holds for f >= 0."""
    def f(x):
        return float(np.sum((x - 3.0) ** 2) + np.sum(x) ** 2 * 1e-3)

    def g(x):
        return 2.0 * (x - 3.0) + 2e-3 * np.sum(x)

    x0 = np.full(4, -1e7)
    res = fastnewton.minimize(f, x0, jac=g, method=method)
    assert res.status == 0, (res.status, res.message)
    check_finite_result(res, f, g, x0)


# ---------------------------------------------------------------------------------------------
# line_search

def test_line_search_never_accepts_a_nan_gradient():
    """f = x^2, gradient NaN for |x| <= 0.5, from x = 1 along p = -0.7: alpha = 1 (x = 0.3)
    satisfies Armijo but has a NaN slope; the search must look elsewhere and return a strong
    Wolfe step with a finite gradient."""
    def g(x):
        return np.full_like(x, np.nan) if np.max(np.abs(x)) <= 0.5 else 2.0 * x

    xk, pk = np.array([1.0]), np.array([-0.7])
    alpha, fc, gc, fnew, fold, gnew = line_search(_sq, g, xk, pk)
    assert alpha is not None
    xn = xk + alpha * pk
    assert np.all(np.isfinite(gnew)) and np.abs(xn[0]) > 0.5
    np.testing.assert_array_equal(gnew, 2.0 * xn)
    d0 = float(2.0 * xk @ pk)
    assert fnew == _sq(xn) <= fold + 1e-4 * alpha * d0
    assert abs(float(gnew @ pk)) <= 0.9 * abs(d0)


def test_line_search_fails_when_only_nan_gradients_satisfy_wolfe():
    """Gradient NaN for |x| < 0.95: every step with |phi'| <= 0.9 |phi'(0)| lies in the NaN
    region, so there is no acceptable step; SciPy's search also returns None here."""
    import scipy.optimize

    def g(x):
        return np.full_like(x, np.nan) if np.max(np.abs(x)) < 0.95 else 2.0 * x

    xk, pk = np.array([1.0]), np.array([-1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = line_search(_sq, g, xk, pk)
        theirs = scipy.optimize.line_search(_sq, g, xk, pk)
    assert theirs[0] is None
    assert ours[0] is None and ours[3] is None and ours[5] is None


# ---------------------------------------------------------------------------------------------
# Random bad regions

BAD_VALUES = {"nan": lambda: math.nan, "inf": lambda: math.inf, "-inf": lambda: -math.inf,
              "overflow": lambda: 1e308 * 10.0}


@st.composite
def bad_problems(draw):
    n = draw(st.integers(1, 4))
    method = draw(st.sampled_from(METHODS))
    kind = draw(st.sampled_from(sorted(BAD_VALUES)))
    where = draw(st.sampled_from(["f", "g", "both"]))
    shape = draw(st.sampled_from(["ball", "halfspace"]))
    center = np.array(draw(st.lists(st.floats(-3, 3), min_size=n, max_size=n)))
    radius = draw(st.floats(0.05, 2.0))
    normal = np.array(draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n)))
    x0 = np.array(draw(st.lists(st.floats(-4, 4), min_size=n, max_size=n)))
    base = draw(st.sampled_from(["quadratic", "rosen"]))
    return n, method, kind, where, shape, center, radius, normal, x0, base


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bad_problems())
def test_random_bad_regions_never_report_success_with_non_finite(case):
    n, method, kind, where, shape, center, radius, normal, x0, base = case

    def bad(x):
        if shape == "ball":
            return float(np.max(np.abs(x - center))) <= radius
        return float(normal @ (x - center)) > 0.0

    def f_ok(x):
        if base == "quadratic":
            return float(np.sum((x - 1.0) ** 2 * np.arange(1, n + 1)))
        return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
                     + (x[0] - 1.0) ** 2)

    def g_ok(x):
        if base == "quadratic":
            return 2.0 * (x - 1.0) * np.arange(1, n + 1)
        out = np.zeros(n)
        d = x[1:] - x[:-1] ** 2
        out[:-1] += -400.0 * x[:-1] * d - 2.0 * (1.0 - x[:-1])
        out[1:] += 200.0 * d
        out[0] += 2.0 * (x[0] - 1.0)
        return out

    value = BAD_VALUES[kind]

    def f(x):
        return value() if where in ("f", "both") and bad(x) else f_ok(x)

    def g(x):
        if where in ("g", "both") and bad(x):
            out = g_ok(x)
            out[int(abs(hash(x.tobytes()))) % n] = value()
            return out
        return g_ok(x)

    assume(not bad(x0))
    res = fastnewton.minimize(f, x0, jac=g, method=method)
    assert res.status in (0, 1, 2, 3, 5, UNBOUNDED), res.status
    if res.status == UNBOUNDED:
        assert kind == "-inf" and where in ("f", "both")    # every base is bounded below
    check_finite_result(res, f, g, x0)
