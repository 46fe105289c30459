"""fastnewton.minimize, method="newton-cg": convergence, the three product sources, negative
curvature, SciPy interop, bad input, and the n = 10^6 solves.

Expectations come from outside the code under test: SciPy's newton-cg on the same problems,
published minima, gradients recomputed from the problems' analytic formulas, the CG of
Nocedal & Wright's Algorithm 7.1 written here in NumPy, and call counters around the user's
callables.
"""
import math
import os
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse
from scipy.sparse.linalg import aslinearoperator

from _support import Counted

import fastnewton
from fastnewton import testing as _problems

GTOL = 1e-5
EPS = np.finfo(np.float64).eps


def gmax(g):
    return float(np.max(np.abs(g)))


def _ftol(fstar):
    # as tests/test_newton.py: f* is published to ~6 digits, gtol 1e-5 leaves f within ~1e-7
    return 1e-4 * abs(fstar) + 1e-6


# ---------------------------------------------------------------------------------------------
# The MGH set, against SciPy's newton-cg

def _scipy_newton_cg(prob):
    """SciPy's newton-cg with the exact Hessian, run to a small step (its only test: xtol, the
    mean |step|) so that it reaches max|g| <= GTOL where it can; ok when it did."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            try:
                res = scipy.optimize.minimize(prob.fun, prob.x0, jac=prob.grad, hess=prob.hess,
                                              method="newton-cg",
                                              options={"xtol": 1e-12, "maxiter": 2000})
            except (np.linalg.LinAlgError, ValueError, FloatingPointError):
                return None, False
    return res, bool(np.all(np.isfinite(res.x))) and gmax(prob.grad(res.x)) <= GTOL


def _fgap(prob, x):
    """|g^T H^{-1} g| at x: twice the quadratic model's estimate of f(x) - f*."""
    g = prob.grad(x)
    return abs(g @ np.linalg.lstsq(prob.hess(x), g, rcond=None)[0])


@pytest.mark.parametrize("name", _problems.NAMES)
def test_agrees_with_scipy_newton_cg_where_both_converge(name):
    prob = _problems.get(name)
    f0 = prob.fun(prob.x0)
    x0 = prob.x0.copy()
    fs = []
    with np.errstate(over="ignore", invalid="ignore"):
        res = fastnewton.minimize(prob.fun, x0, jac=prob.grad, method="newton-cg",
                                  options={"maxiter": 5000},
                                  callback=lambda xk: fs.append(prob.fun(xk)))
    assert np.array_equal(x0, prob.x0)                      # the caller's x0 untouched
    assert np.all(np.isfinite(res.x)) and res.fun == prob.fun(res.x)
    # every iterate lowers f (the line search's Armijo condition on a descent direction), up
    # to the 10 ulps of |f| the engine's search forgives as rounding (_engine.pyx)
    assert all(b <= a + 10 * EPS * abs(a) for a, b in zip([f0] + fs, fs))
    assert len(fs) == res.nit
    sres, scipy_ok = _scipy_newton_cg(prob)
    if name == "meyer":
        # neither converges from the standard start (SciPy's xtol test stops it at max|g| ~ 1e5;
        # ours ends with a line-search failure): a status, not a hang
        assert res.status in (1, 2) and not res.success
        return
    assert res.status == 0 and res.success, (res.status, res.message)
    assert gmax(prob.grad(res.x)) <= GTOL
    if scipy_ok:
        # the same local minimum: f agrees within what gtol leaves unsettled, f - f* ~
        # g^T H^{-1} g / 2 at each point (doubled); that is large where H is nearly singular
        # (powell_badly_scaled: 4e-6 at max|g| = 9e-6)
        gap = _fgap(prob, res.x) + _fgap(prob, sres.x)
        assert abs(res.fun - sres.fun) <= _ftol(sres.fun) + gap, (res.fun, sres.fun, gap)
    if prob.fstar is not None and abs(res.fun - prob.fstar) > (_ftol(prob.fstar)
                                                               + _fgap(prob, res.x)):
        # another local minimum: only where SciPy did not find f* either
        assert not (scipy_ok and abs(sres.fun - prob.fstar) <= _ftol(prob.fstar))


# ---------------------------------------------------------------------------------------------
# hessp, hess (dense, sparse, LinearOperator) and finite differences: one minimizer

def _sparse_hess(prob):
    return lambda x: scipy.sparse.csr_matrix(prob.hess(x))


@pytest.mark.parametrize("name,n", [("extended_rosenbrock", 20), ("broyden_tridiagonal", 30),
                                    ("discrete_boundary_value", 12)])
def test_hessp_hess_and_finite_differences_give_the_same_minimizer(name, n):
    prob = _problems.get(name, n)
    hess = Counted(prob.hess)
    hessp = Counted(lambda x, v: prob.hess(x) @ v)
    jac = Counted(prob.grad)
    runs = {
        "fd": dict(jac=jac),
        "hessp": dict(jac=prob.grad, hessp=hessp),
        "hess": dict(jac=prob.grad, hess=hess),
        "sparse": dict(jac=prob.grad, hess=_sparse_hess(prob)),
        "linop": dict(jac=prob.grad, hess=lambda x: aslinearoperator(prob.hess(x))),
        "central": dict(jac=prob.grad, hess="3-point"),
    }
    out = {}
    for key, kw in runs.items():
        res = fastnewton.minimize(prob.fun, prob.x0, method="newton-cg",
                                  options={"gtol": 1e-8}, **kw)
        assert res.status == 0, (key, res.message)
        assert gmax(prob.grad(res.x)) <= 1e-8
        out[key] = res
    # the minimizer is isolated (H(x*) positive definite): |x - x*| <= |H(x*)^{-1}| |g(x)|
    # to first order, so any two answers lie within 2 |H^{-1}|_inf gtol of each other
    # (doubled once more for the second-order term)
    hinv = np.linalg.inv(prob.hess(out["hess"].x))
    bound = 4.0 * np.max(np.sum(np.abs(hinv), axis=1)) * 1e-8
    for key, res in out.items():
        assert np.max(np.abs(res.x - out["hess"].x)) <= bound, key
    # counts: hess once per iterate (never densified by products), hessp once per product
    assert out["hess"].nhev == hess.calls == out["hess"].nit
    assert out["hessp"].nhev == hessp.calls == out["hessp"].ncg
    # FD products: one gradient each (forward differences), counted in njev
    assert out["fd"].njev == jac.calls
    assert out["fd"].nhev == out["fd"].ncg
    assert jac.calls >= out["fd"].ncg + out["fd"].nit + 1
    # hess='3-point' (central differences): two gradients per product
    assert out["central"].njev >= 2 * out["central"].ncg + out["central"].nit + 1


def test_products_count_in_nfev_with_jac_true():
    """fun returning (f, g): each FD product is one call of fun, counted in nfev and njev."""
    prob = _problems.get("extended_rosenbrock", 10)
    fg = Counted(lambda x: (prob.fun(x), prob.grad(x)))
    res = fastnewton.minimize(fg, prob.x0, jac=True, method="newton-cg")
    assert res.status == 0
    assert res.nfev == res.njev == fg.calls
    assert fg.calls >= res.ncg + res.nit + 1


def test_hess_is_never_densified():
    """A LinearOperator Hessian whose matmat / todense would raise is only multiplied."""
    n = 50
    A = scipy.sparse.diags([np.full(n - 1, -1.0), np.full(n, 4.0), np.full(n - 1, -1.0)],
                           [-1, 0, 1], format="csr")
    b = np.arange(1.0, n + 1.0)

    class MatvecOnly(scipy.sparse.linalg.LinearOperator):
        def __init__(self):
            super().__init__(np.float64, (n, n))

        def _matvec(self, v):
            return A @ v

        def _matmat(self, V):
            raise AssertionError("densified")

    res = fastnewton.minimize(lambda x: 0.5 * x @ (A @ x) - b @ x, np.zeros(n),
                              jac=lambda x: A @ x - b, hess=lambda x: MatvecOnly(),
                              method="newton-cg", options={"gtol": 1e-10})
    assert res.status == 0
    # a quadratic: the answer solves A x = b, within |A^{-1}|_inf gtol (|A^{-1}|_inf <= 1/2,
    # A diagonally dominant by 2)
    assert np.max(np.abs(res.x - scipy.sparse.linalg.spsolve(A.tocsc(), b))) <= 0.5e-10


# ---------------------------------------------------------------------------------------------
# Negative curvature: descent steps from indefinite starts

def _cg_reference(H, g, eta, maxiter):
    """N&W Algorithm 7.1's inner loop, written independently here: (z, how it ended, the
    index j of the last CG step taken)."""
    z = np.zeros_like(g)
    r = g.copy()
    d = -g
    tol = eta * np.linalg.norm(g)
    for j in range(maxiter):
        Hd = H @ d
        curv = d @ Hd
        if curv <= 0:
            if j == 0:
                return (r @ r) / -curv * d if curv < 0 else d, "curvature", j
            return z, "curvature", j
        a = (r @ r) / curv
        z = z + a * d
        r_new = r + a * Hd
        if np.linalg.norm(r_new) <= tol:
            return z, "residual", j
        d = -r_new + (r_new @ r_new) / (r @ r) * d
        r = r_new
    return z, "maxiter", maxiter


def _quartic_well(c):
    """f = sum_i c_i (x_i^4 / 4 - x_i^2 / 2) + x^T B x / 2 with a small coupling B: bounded
    below for c > 0, indefinite Hessian near 0."""
    n = len(c)
    B = 0.01 * (np.eye(n, k=1) + np.eye(n, k=-1))

    def fun(x):
        return float(np.sum(c * (x ** 4 / 4 - x ** 2 / 2)) + 0.5 * x @ B @ x)

    def grad(x):
        return c * (x ** 3 - x) + B @ x

    def hess(x):
        return np.diag(c * (3 * x ** 2 - 1)) + B

    return fun, grad, hess


def _first_step(fun, grad, hess, x0, **kw):
    """The first iteration's step, from a callback that stops the solve there."""
    xs = []

    def cb(xk):
        xs.append(xk.copy())
        raise StopIteration

    res = fastnewton.minimize(fun, x0, jac=grad, method="newton-cg", callback=cb, **kw)
    assert res.status == 4 and res.nit == 1
    return xs[0] - x0, res


@pytest.mark.parametrize("source", ["hessp", "fd"])
def test_negative_curvature_on_the_first_cg_step_gives_steepest_descent(source):
    c = np.array([1.0, 2.0, 3.0, 1.5])
    fun, grad, hess = _quartic_well(c)
    x0 = np.array([0.1, -0.2, 0.15, 0.05])         # every eigenvalue of H(x0) negative
    assert np.linalg.eigvalsh(hess(x0))[-1] < 0
    kw = {"hessp": lambda x, v: hess(x) @ v} if source == "hessp" else {}
    s, res = _first_step(fun, grad, hess, x0, **kw)
    g0 = grad(x0)
    assert res.ncurv == 1 and res.ncg == 1
    assert g0 @ s < 0                                # descent
    # along -g exactly (z = (g^T g / |g^T H g|) (-g)), up to the line search's scaling
    cos = -(g0 @ s) / (np.linalg.norm(g0) * np.linalg.norm(s))
    assert cos >= 1 - 1e-12
    assert fun(x0 + s) < fun(x0)


def test_negative_curvature_later_in_cg_keeps_the_last_iterate():
    """H(x0) with one negative eigenvalue, g mostly in its positive part: CG takes three
    steps, then meets d^T H d < 0 and returns z_3, a descent direction that is not -g. The
    first step must be along the z_3 of Algorithm 7.1, computed here independently."""
    c = np.array([1.0, 2.0, 3.0, 4.0, 1.0])
    fun, grad, hess = _quartic_well(c)
    x0 = np.array([-0.75, -0.73, -1.14, -0.85, -0.43])
    H, g0 = hess(x0), grad(x0)
    ev = np.linalg.eigvalsh(H)
    assert ev[0] < 0 < ev[1]
    eta = min(0.5, math.sqrt(np.linalg.norm(g0)))   # the default forcing, 'sqrt'
    z, how, j = _cg_reference(H, g0, eta, 60)
    assert how == "curvature" and j == 3
    s, res = _first_step(fun, grad, hess, x0, hessp=lambda x, v: hess(x) @ v)
    assert res.ncurv == 1 and res.ncg == j + 1
    assert g0 @ s < 0
    cos = (z @ s) / (np.linalg.norm(z) * np.linalg.norm(s))
    assert cos >= 1 - 1e-10
    assert -(g0 @ z) / (np.linalg.norm(g0) * np.linalg.norm(z)) < 0.9    # not along -g


def test_indefinite_start_of_rosenbrock_descends_to_the_minimum():
    prob = _problems.get("rosenbrock")
    x0 = np.array([0.0, 1.0])                        # H11 = 2 - 400 x2 < 0: indefinite
    assert np.linalg.eigvalsh(prob.hess(x0))[0] < 0
    xs = [x0]
    res = fastnewton.minimize(prob.fun, x0, jac=prob.grad, method="newton-cg",
                              callback=lambda xk: xs.append(xk.copy()))
    assert res.status == 0
    for a, b in zip(xs, xs[1:]):                     # each step a descent step
        assert prob.grad(a) @ (b - a) < 0
        assert prob.fun(b) <= prob.fun(a) + 10 * EPS * abs(prob.fun(a))
    # |x - x*|_inf <= |H(x*)^{-1}|_inf gtol to first order; |H(x*)^{-1}|_inf = 3.005
    assert np.max(np.abs(res.x - 1.0)) <= 2 * 3.005 * GTOL


# ---------------------------------------------------------------------------------------------
# SciPy's calling convention

def test_scipy_minimize_with_scipy_method_and_hessp():
    prob = _problems.get("extended_rosenbrock", 10)
    hessp = Counted(lambda x, p: prob.hess(x) @ p)
    res = scipy.optimize.minimize(prob.fun, prob.x0, jac=prob.grad, hessp=hessp,
                                  method=fastnewton.scipy_method("newton-cg"))
    assert res.success and res.status == 0
    assert res.nhev == hessp.calls > 0
    assert gmax(prob.grad(res.x)) <= GTOL
    # SciPy's own newton-cg keywords (xtol, eps) and spellings are accepted
    res2 = scipy.optimize.minimize(prob.fun, prob.x0, jac=prob.grad, hess=prob.hess,
                                   method=fastnewton.scipy_method("Newton-CG"),
                                   options={"xtol": 1e-12, "maxiter": 500})
    assert res2.success and np.max(np.abs(res2.x - 1.0)) <= 1e-3


def test_args_reach_fun_jac_and_hessp():
    A = np.diag([1.0, 2.0, 3.0])
    seen = []

    def hessp(x, p, a, b):
        seen.append((a, b))
        return a @ p

    res = fastnewton.minimize(lambda x, a, b: 0.5 * x @ a @ x - b @ x, np.zeros(3),
                              args=(A, np.ones(3)), jac=lambda x, a, b: a @ x - b,
                              hessp=hessp, method="newton-cg")
    assert res.status == 0 and seen and all(a is A for a, _ in seen)
    assert np.allclose(res.x, 1.0 / np.diag(A), atol=1e-5)


# ---------------------------------------------------------------------------------------------
# Bad input and faults

def _quad(x):
    return float(x @ x)


def _quad_grad(x):
    return 2.0 * x


def test_hessp_not_callable_is_named():
    with pytest.raises(ValueError, match="hessp"):
        fastnewton.minimize(_quad, np.ones(3), jac=_quad_grad, hessp=np.eye(3),
                            method="newton-cg")


@pytest.mark.parametrize("ret", [np.ones(4), np.ones((3, 3)), np.ones(2), 1.0])
def test_hessp_of_the_wrong_shape_is_named(ret):
    with pytest.raises(ValueError, match=r"hessp.*shape \(3,\)"):
        fastnewton.minimize(_quad, np.ones(3), jac=_quad_grad, hessp=lambda x, p: ret,
                            method="newton-cg")


@pytest.mark.parametrize("ret", [lambda p: 2.0 * p + 1e-3j, lambda p: "Hp", lambda p: None])
def test_hessp_returning_junk_is_a_type_error_naming_it(ret):
    with pytest.raises(TypeError, match="hessp"):
        fastnewton.minimize(_quad, np.ones(3), jac=_quad_grad, hessp=lambda x, p: ret(p),
                            method="newton-cg")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_hessp_non_finite_stops_with_status_3_naming_hessp(bad):
    x0 = np.ones(3)
    res = fastnewton.minimize(_quad, x0, jac=_quad_grad,
                              hessp=lambda x, p: np.full(3, bad), method="newton-cg")
    assert res.status == 3 and not res.success
    assert "hessp" in res.message
    assert np.array_equal(res.x, x0) and res.nit == 0      # the best point: x0


@pytest.mark.parametrize("hess,exc", [
    (lambda x: scipy.sparse.eye(4, format="csr"), ValueError),
    (lambda x: np.eye(2), ValueError),
    (lambda x: np.eye(3) * 1j, TypeError),
    (lambda x: "H", TypeError),
])
def test_hess_of_the_wrong_shape_or_kind_is_named(hess, exc):
    with pytest.raises(exc, match="hess"):
        fastnewton.minimize(_quad, np.ones(3), jac=_quad_grad, hess=hess, method="newton-cg")


def test_hessp_exception_propagates_unchanged():
    class Boom(Exception):
        pass

    err = Boom("from hessp")

    def hessp(x, p):
        raise err

    with pytest.raises(Boom) as info:
        fastnewton.minimize(_quad, np.ones(3), jac=_quad_grad, hessp=hessp,
                            method="newton-cg")
    assert info.value is err


@pytest.mark.parametrize("opts,name", [({"forcing": "ew3"}, "forcing"),
                                       ({"forcing": 0.5}, "forcing"),
                                       ({"cg_maxiter": 0}, "cg_maxiter"),
                                       ({"cg_maxiter": 2.5}, "cg_maxiter"),
                                       ({"cg_maxiter": 2 ** 31}, "cg_maxiter")])
def test_bad_options_are_named(opts, name):
    with pytest.raises(ValueError, match=name):
        fastnewton.minimize(_quad, np.ones(3), jac=_quad_grad, method="newton-cg",
                            options=opts)


def test_other_methods_refuse_hessp_and_asktell_refuses_newton_cg():
    with pytest.raises(ValueError, match="hess"):
        fastnewton.minimize(_quad, np.ones(3), jac=_quad_grad, method="bfgs",
                            hessp=lambda x, p: 2 * p)
    from fastnewton._api import AskTell
    with pytest.raises(ValueError, match="newton-cg"):
        AskTell("newton-cg", np.ones(3), 3.0, 2 * np.ones(3))


def test_hessp_changing_its_x_changes_nothing():
    """The x handed to hessp is a copy, refreshed when it no longer matches the iterate."""
    prob = _problems.get("extended_rosenbrock", 6)

    def hessp(x, p):
        hp = prob.hess(x) @ p
        x[:] = 1e6                                 # hostile: scribble on the copy
        return hp

    x0 = prob.x0.copy()
    res = fastnewton.minimize(prob.fun, x0, jac=prob.grad, hessp=hessp, method="newton-cg")
    ref = fastnewton.minimize(prob.fun, x0, jac=prob.grad, method="newton-cg",
                              hessp=lambda x, p: prob.hess(x) @ p)
    assert np.array_equal(x0, prob.x0)
    assert res.status == 0 and np.array_equal(res.x, ref.x) and res.nit == ref.nit


@pytest.mark.parametrize("fun,grad,x0", [
    (lambda x: float(-np.sum(x)), lambda x: -np.ones_like(x), 0.5),       # linear: H = 0
    # x^2 - x^4 per coordinate, started past its maximum at 1/sqrt(2): H < 0 all the way out
    (lambda x: float(np.sum(x ** 2) - np.sum(x ** 4)), lambda x: 2 * x - 4 * x ** 3, 1.0),
])
def test_unbounded_problems_end_with_a_status(fun, grad, x0):
    res = fastnewton.minimize(fun, np.full(4, x0), jac=grad, method="newton-cg")
    assert res.status == 9 and not res.success
    assert np.isfinite(res.fun) and np.all(np.isfinite(res.x))


def test_thread_pool_gives_serial_results():
    prob = _problems.get("extended_rosenbrock", 200)        # n >= 100: the GIL is released

    def solve(seed):
        x0 = prob.x0 + 0.01 * np.random.default_rng(seed).standard_normal(prob.n)
        return fastnewton.minimize(prob.fun, x0, jac=prob.grad, method="newton-cg").x

    serial = [solve(s) for s in range(4)]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(solve, range(4)))
    for a, b in zip(serial, threaded):
        assert np.array_equal(a, b)


def test_c_objective_solve(cmin):
    """A LowLevelCallable objective: CG and its FD products run without the GIL."""
    prob = _problems.get("extended_rosenbrock", 100)
    res = fastnewton.minimize(cmin.llc("ext_rosen_fg"), prob.x0, method="newton-cg")
    ref = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, method="newton-cg")
    assert res.status == 0 and gmax(prob.grad(res.x)) <= GTOL
    assert res.nit == ref.nit and np.allclose(res.x, ref.x, rtol=0, atol=1e-8)


def test_c_hessp(cmin):
    """A LowLevelCallable hessp (fn_hessp): the same iterates as the same products from
    Python; with a C objective too, the whole solve runs in C."""
    import ctypes
    prob = _problems.get("extended_rosenbrock", 100)
    chessp = cmin.llc("ext_rosen_hessp")
    res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, hessp=chessp,
                              method="newton-cg")
    ref = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, method="newton-cg",
                              hessp=lambda x, v: prob.hess(x) @ v)
    assert res.status == 0 and res.nit == ref.nit and res.ncg == ref.ncg
    assert np.allclose(res.x, ref.x, rtol=0, atol=1e-10)
    allc = fastnewton.minimize(cmin.llc("ext_rosen_fg"), prob.x0, hessp=chessp,
                               method="newton-cg")
    assert allc.status == 0 and gmax(prob.grad(allc.x)) <= GTOL
    # a non-zero return stops the solve: RuntimeError naming hessp
    fail = ctypes.c_int(5)
    failing = cmin.llc("ext_rosen_hessp", ctypes.cast(ctypes.pointer(fail), ctypes.c_void_p))
    with pytest.raises(RuntimeError, match="hessp"):
        fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, hessp=failing,
                            method="newton-cg")
    # a LowLevelCallable of another signature, or for another method, or with args
    with pytest.raises(ValueError, match="hessp.*signature"):
        fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, method="newton-cg",
                            hessp=cmin.llc("ext_rosen_fg"))
    with pytest.raises(ValueError, match="hessp"):
        fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, hessp=chessp, method="newton")
    with pytest.raises(ValueError, match="args"):
        fastnewton.minimize(lambda x, a: prob.fun(x), prob.x0, args=(1,),
                            jac=lambda x, a: prob.grad(x), hessp=chessp, method="newton-cg")


# ---------------------------------------------------------------------------------------------
# n = 10^6 (issue 13 item 4): vectorized gradients, products by forward differences; a few
# seconds each

BIG = 10 ** 6


@pytest.mark.parametrize("name", ["extended_rosenbrock", "broyden_tridiagonal",
                                  "discrete_boundary_value"])
def test_large_scale_solves(name):
    prob = _problems.get(name, BIG)
    x0 = prob.x0.copy()
    res = fastnewton.minimize(prob.fun, x0, jac=prob.grad, method="newton-cg")
    assert np.array_equal(x0, prob.x0)
    assert res.status == 0 and res.success, res.message
    assert gmax(prob.grad(res.x)) <= GTOL
    assert res.fun <= prob.fun(prob.x0)
    if name == "extended_rosenbrock":
        # every pair is the same 2-D Rosenbrock from the same start: x* = 1, and
        # |x - x*|_inf <= |H(x*)^{-1}|_inf gtol to first order (2 x 2 blocks,
        # |H^{-1}|_inf = 3.005), doubled for the second-order term
        assert np.max(np.abs(res.x - 1.0)) <= 2 * 3.005 * GTOL
        assert res.nit < 100
    if name == "broyden_tridiagonal":
        assert res.nit < 30 and res.fun <= 1e-9
    if name == "discrete_boundary_value":
        # at n = 10^6 the residuals at the standard start are O(h^2) = 1e-12: the start
        # already meets gtol; the iterating solve is the next test
        assert res.nit == 0


def test_discrete_boundary_value_iterates_to_a_tight_gtol():
    prob = _problems.get("discrete_boundary_value", 10 ** 4)
    res = fastnewton.minimize(prob.fun, prob.x0, jac=prob.grad, method="newton-cg",
                              options={"gtol": 1e-9})
    assert res.status == 0 and res.nit >= 1
    assert gmax(prob.grad(res.x)) <= 1e-9
