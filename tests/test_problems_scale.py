"""Tests of fastnewton.testing's large-scale problems: minimal_surface and arrowhead.

Derivatives are checked against central differences with a tolerance from the error bound of
the differences: |(f(x + h e_j) - f(x - h e_j)) / 2h - g_j| <= h^2 M3 / 6 + delta / h, where M3
bounds the third derivative of f along e_j on [x - h, x + h] (derived per problem below) and
delta bounds the rounding error of one evaluation of f (a sum of N terms, each computed to a
few ulps: delta = (N + 8) eps sum_i |term_i|, the worst case of recursive summation).
"""
import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp

import fastnewton
from fastnewton.testing import LARGE_NAMES, NAMES, Problem, arrowhead, get, minimal_surface

EPS = np.finfo(float).eps
REL_STEP = EPS ** (1.0 / 3.0)


def _central(f, x, j):
    """Central difference of f along e_j with step eps^(1/3) max(1, |x_j|); returns (d, h)."""
    h = REL_STEP * max(1.0, abs(x[j]))
    xp, xm = x.copy(), x.copy()
    xp[j] += h
    xm[j] -= h
    hh = 0.5 * (xp[j] - xm[j])          # the step actually taken
    return (f(xp) - f(xm)) / (2.0 * hh), hh


def _check_grad(f, g, x, m3, delta):
    """Assert the analytic g(x) is within the central-difference error bound, every j."""
    gx = g(x)
    for j in range(x.size):
        d, h = _central(f, x, j)
        tol = h * h * m3(j, h) / 6.0 + delta / h
        assert abs(d - gx[j]) <= tol, (j, d, gx[j], tol)


def _fd_hessian(grad, x):
    """Dense central-difference Hessian of grad (columns), not symmetrized."""
    n = x.size
    H = np.empty((n, n))
    for j in range(n):
        h = REL_STEP * max(1.0, abs(x[j]))
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        H[:, j] = (grad(xp) - grad(xm)) / (xp[j] - xm[j])
    return H


# --------------------------------------------------------------------------------------------
# Registry

def test_large_names_registered_apart():
    assert LARGE_NAMES == ("minimal_surface", "arrowhead")
    assert not set(LARGE_NAMES) & set(NAMES)
    p = get("minimal_surface")
    assert p.n == 2500 and p.name == "minimal_surface"
    assert get("minimal_surface", 49).n == 49
    q = get("arrowhead")
    assert q.n == 1000 and q.fstar == 0.0
    assert get("arrowhead", 2).n == 2


@pytest.mark.parametrize("name,bad", [("minimal_surface", 50), ("minimal_surface", 0),
                                      ("arrowhead", 1), ("arrowhead", 2.5)])
def test_large_rejects_bad_n(name, bad):
    with pytest.raises(ValueError):
        get(name, bad)


@pytest.mark.parametrize("args", [(0,), (3, 0), (2.5,), (True,)])
def test_minimal_surface_rejects_bad_grid(args):
    with pytest.raises(ValueError):
        minimal_surface(*args)


@pytest.mark.parametrize("p", [minimal_surface(6, 5), minimal_surface(1), arrowhead(7)],
                         ids=["ms6x5", "ms1x1", "arrow7"])
def test_interface(p):
    assert isinstance(p, Problem)
    assert p.x0.shape == (p.n,) and p.x0.dtype == np.float64
    x0 = p.x0.copy()
    f = p.fun(p.x0)
    assert isinstance(f, float) and np.isfinite(f)
    g = p.grad(p.x0)
    assert g.shape == (p.n,) and np.all(np.isfinite(g))
    np.testing.assert_array_equal(p.x0, x0)
    S = p.sparsity
    assert sp.issparse(S) and S.format == "csr" and S.shape == (p.n, p.n)
    assert (S != S.T).nnz == 0 and np.all(S.diagonal() != 0)


# --------------------------------------------------------------------------------------------
# Minimal surface

def _ms_m3(nx, ny):
    """Bound on |d^3 f / dx_k^3| for minimal_surface on an nx x ny grid.

    Along a unit direction w, phi(p) = sqrt(1 + |p|^2) restricted to p + t w is
    sqrt(c + s^2) with c >= 1, whose third derivative 3 c s / (c + s^2)^(5/2) is at most
    0.86 / c <= 1. Moving x_k by t moves a triangle's gradient p by t q with
    |q| <= sqrt(hx^-2 + hy^-2), and x_k is a vertex of 6 triangles, each weighted hx hy / 2.
    """
    hx, hy = 1.0 / (nx + 1), 1.0 / (ny + 1)
    return 6.0 * 0.5 * hx * hy * (hx ** -2 + hy ** -2) ** 1.5


def _ms_delta(p, x, nx, ny):
    ntri = 2 * (nx + 1) * (ny + 1)
    # each term sqrt(1 + a^2 + b^2) (a, b: one rounded difference and one division each)
    # is within 8 ulps; terms are positive, so sum |term| = f
    return (ntri + 8) * 8.0 * EPS * p.fun(x)


@pytest.mark.parametrize("nx,ny", [(6, 5), (1, 1), (1, 4), (9, 3)])
def test_minimal_surface_grad_matches_finite_differences(nx, ny):
    p = minimal_surface(nx, ny)
    rng = np.random.default_rng(nx * 100 + ny)
    m3 = _ms_m3(nx, ny)
    for x in (p.x0, p.x0 + 0.3 * rng.standard_normal(p.n)):
        _check_grad(p.fun, p.grad, x, lambda j, h: m3, _ms_delta(p, x, nx, ny))


def test_minimal_surface_sparsity_covers_fd_hessian_and_is_tight():
    nx, ny = 6, 5
    p = minimal_surface(nx, ny)
    x = p.x0 + 0.2 * np.random.default_rng(65).standard_normal(p.n)
    H = _fd_hessian(p.grad, x)
    S = p.sparsity.toarray() != 0
    # outside the pattern, grad_i does not read x_j at all: the differences are exactly 0
    assert np.all(H[~S] == 0.0)
    # and the pattern is not larger than what is there: every entry in it is nonzero at a
    # random point (clearly above the differencing error, about eps^(2/3) |H|)
    assert np.min(np.abs(H[S])) > 1e3 * EPS ** (2.0 / 3.0) * np.max(np.abs(H))
    # 7-point stencil: n + 2 (horizontal + vertical + anti-diagonal neighbour pairs)
    n = nx * ny
    assert p.sparsity.nnz == n + 2 * ((nx - 1) * ny + nx * (ny - 1) + (nx - 1) * (ny - 1))
    assert p.sparsity.nnz <= 7 * n


def test_minimal_surface_boundary_is_enneper():
    """A 1 x 1 grid: the boundary values are Enneper heights, and x0 their interpolant."""
    from fastnewton.testing._problems import _enneper_boundary
    # Enneper's map at (u, v) and back: the solved heights match u^2 - v^2
    rng = np.random.default_rng(7)
    u, v = rng.uniform(-0.5, 0.5, 50), rng.uniform(-0.5, 0.5, 50)
    xs, ys = u + u * v * v - u ** 3 / 3.0, -v - u * u * v + v ** 3 / 3.0
    np.testing.assert_allclose(_enneper_boundary(xs, ys), u * u - v * v, rtol=0, atol=1e-13)
    # symmetry of Enneper's surface: z(x, y) = -z(y, x) (swap u, v and negate), so at the
    # centre of the square the boundary-interpolating start is 0 by symmetry
    p = minimal_surface(1)
    assert abs(p.x0[0]) <= 1e-14


def test_minimal_surface_lbfgs_reaches_gtol_and_agrees_with_scipy():
    p = minimal_surface(10, 10)
    f0 = p.fun(p.x0)
    assert np.isfinite(f0)
    res = fastnewton.minimize(p.fun, p.x0, jac=p.grad, method="lbfgs",
                              options={"gtol": 1e-5})
    assert res.success
    assert np.max(np.abs(p.grad(res.x))) <= 1e-5
    assert res.fun < f0
    ref = scipy.optimize.minimize(p.fun, p.x0, jac=p.grad, method="L-BFGS-B",
                                  options={"gtol": 1e-11, "ftol": 0.0, "maxiter": 10000})
    # f is convex; with mu the least eigenvalue of the Hessian near the minimizer,
    # f(x) - f* <= |g(x)|^2 / (2 mu) for both points (mu halved for its variation nearby)
    H = _fd_hessian(p.grad, ref.x)
    mu = 0.5 * np.linalg.eigvalsh(0.5 * (H + H.T))[0]
    assert mu > 0

    def bound(x):
        return (np.sum(p.grad(x) ** 2) + np.sum(p.grad(ref.x) ** 2)) / (2.0 * mu)

    assert abs(res.fun - ref.fun) <= bound(res.x) + 8 * EPS * ref.fun
    # run on to gtol 1e-8: then the two solvers agree to 1e-8 relative, which the bound proves
    tight = fastnewton.minimize(p.fun, p.x0, jac=p.grad, method="lbfgs",
                                options={"gtol": 1e-8})
    assert tight.success
    assert bound(tight.x) <= 1e-8 * ref.fun
    assert abs(tight.fun - ref.fun) <= 1e-8 * ref.fun


# --------------------------------------------------------------------------------------------
# Arrowhead

def _arrow_check(n, x):
    p = arrowhead(n)
    y, z = x[:-1], x[-1]
    s = y * y + z * z
    delta = (n + 8) * 8.0 * EPS * float(np.sum(s * s + 4.0 * np.abs(y) + 3.0))

    # d^3/dx_i^3 (x_i^2 + z^2)^2 = 24 x_i; d^3/dz^3 sum_i (x_i^2 + z^2)^2 = 24 (n - 1) z
    def m3(j, h):
        return 24.0 * (abs(x[j]) + h) * ((n - 1) if j == n - 1 else 1)

    _check_grad(p.fun, p.grad, x, m3, delta)
    # Hessian: central differences of the gradient; the fourth derivatives of f are at most
    # 24 per element (24 (n - 1) for z), and grad's rounding is delta_g per component
    H = p.hess(x)
    assert sp.issparse(H) and H.format == "csr"
    Hd = H.toarray()
    np.testing.assert_array_equal(Hd, Hd.T)
    Hfd = _fd_hessian(p.grad, x)
    gscale = 4.0 * (np.abs(s * y) + 1.0)
    delta_g = (n + 8) * 8.0 * EPS * np.append(gscale, 4.0 * abs(z) * np.sum(s))
    h = REL_STEP * np.maximum(1.0, np.abs(x))
    m4 = np.full(n, 24.0)
    m4[-1] = 24.0 * (n - 1)
    tol = h[None, :] ** 2 * np.maximum(m4[None, :], m4[:, None]) / 6.0 + delta_g[:, None] / h
    assert np.all(np.abs(Hfd - Hd) <= tol)
    # the pattern: diagonal + last row and column, exactly; it holds every nonzero of H
    assert p.sparsity.nnz == 3 * n - 2
    assert np.all(Hfd[p.sparsity.toarray() == 0] == 0.0)
    assert np.all(Hd[p.sparsity.toarray() == 0] == 0.0)


@pytest.mark.parametrize("n", [2, 3, 10])
def test_arrowhead_derivatives(n):
    rng = np.random.default_rng(n)
    _arrow_check(n, np.ones(n))
    _arrow_check(n, rng.uniform(-2.0, 2.0, n))


def test_arrowhead_minimum():
    p = arrowhead(50)
    xstar = np.ones(50)
    xstar[-1] = 0.0
    assert p.fun(xstar) == 0.0 and not p.grad(xstar).any()
    assert p.fun(p.x0) == 3.0 * 49      # each element (1 + 1)^2 - 4 + 3
    # f near x* is a cancelling sum (each element about 1 - 4 + 3): its noise, about
    # 4 n eps, stops a line search near |x_n| ~ 1e-8, so gtol 1e-5, not smaller
    res = fastnewton.minimize(p.fun, p.x0, jac=p.grad, method="lbfgs",
                              options={"gtol": 1e-5})
    assert res.success and res.fun <= 1e-12
    # the Hessian at x* is diag(12, ..., 12, 4 (n - 1)) >= 12 I: |x - x*| <~ |g| / 12
    assert np.max(np.abs(res.x - xstar)) <= 1e-5
