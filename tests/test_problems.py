"""Tests of fastnewton.testing: the Moré-Garbow-Hillstrom test set and friends.

Derivatives are checked against SciPy's central differences with a tolerance built from an
error estimate of the differences themselves (the spread between steps h and 2h, plus the
rounding error eps*|f|/h), so badly scaled problems are held to what differencing can resolve.
The published minima f* are checked by minimizing from the standard start with SciPy.
"""
import warnings
import zlib

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.optimize._numdiff import approx_derivative

from fastnewton import testing as _problems
from fastnewton.testing import NAMES, Problem, get

EPS = np.finfo(float).eps
REL_STEP = EPS ** (1.0 / 3.0)  # approx_derivative's default for '3-point'

EXPECTED_NAMES = {
    "rosenbrock", "freudenstein_roth", "powell_badly_scaled", "brown_badly_scaled", "beale",
    "jennrich_sampson", "helical_valley", "bard", "gaussian", "meyer", "gulf", "box_3d",
    "powell_singular", "wood", "kowalik_osborne", "brown_dennis", "osborne1", "biggs_exp6",
    "osborne2", "watson", "extended_rosenbrock", "extended_powell", "penalty1", "penalty2",
    "variably_dimensioned", "trigonometric", "brown_almost_linear", "discrete_boundary_value",
    "discrete_integral_equation", "broyden_tridiagonal", "broyden_banded", "linear_full_rank",
    "chebyquad", "chained_rosenbrock", "quadratic", "nonconvex_saddle",
}

# Problems that must have an analytic Hessian.
MUST_HAVE_HESS = {"rosenbrock", "extended_rosenbrock", "beale", "powell_singular",
                  "extended_powell", "wood", "helical_valley", "broyden_tridiagonal",
                  "nonconvex_saddle", "quadratic"}

# Variable-dimension problems: other n to test besides the default.
OTHER_N = {
    "extended_rosenbrock": [2, 10], "chained_rosenbrock": [2, 5], "extended_powell": [4, 8],
    "watson": [2, 9, 12], "penalty1": [1, 10], "penalty2": [2, 10],
    "variably_dimensioned": [1, 5], "trigonometric": [1, 5], "brown_almost_linear": [1, 7],
    "discrete_boundary_value": [1, 20], "discrete_integral_equation": [1, 20],
    "broyden_tridiagonal": [1, 1000], "broyden_banded": [3, 20], "linear_full_rank": [1, 5],
    "chebyquad": [2, 7, 10], "quadratic": [1, 7],
}

CASES = [(name, None) for name in NAMES] + [(name, n) for name, ns in OTHER_N.items()
                                              for n in ns]


def _case_id(case):
    name, n = case
    return name if n is None else f"{name}-n{n}"


def _nearby(prob):
    """A reproducible random point near x0."""
    rng = np.random.default_rng(zlib.crc32(f"{prob.name}/{prob.n}".encode()))
    return prob.x0 + 0.05 * (1.0 + np.abs(prob.x0)) * rng.uniform(-1.0, 1.0, prob.n)


def _check_against_fd(f, df, x, what):
    """Assert df (analytic derivative of f at x) matches central differences of f.

    Tolerance per entry: 1e-6 relative, plus 4x the observed spread between the differences
    with steps h, 2h and h/2 (an estimate of truncation error and evaluation noise), plus the
    rounding error 8 eps |f| / h.
    """
    x = np.asarray(x, dtype=float)
    df = np.asarray(df, dtype=float)
    # (approx_derivative returns 1-D for a single output: bring all to df's shape)
    # h = approx_derivative's default 3-point step; d2, d3 use 2h and h/2
    h = REL_STEP * np.where(x >= 0, 1.0, -1.0) * np.maximum(1.0, np.abs(x))
    d1, d2, d3 = (approx_derivative(f, x, method="3-point", abs_step=s * h).reshape(df.shape)
                  for s in (1.0, 2.0, 0.5))
    f0 = np.abs(np.atleast_1d(np.asarray(f(x), dtype=float)))
    h = np.abs(h)
    rounding = (8.0 * EPS * f0[:, None] / h[None, :]).reshape(df.shape)
    spread = np.maximum(np.abs(d1 - d2), np.abs(d1 - d3))
    tol = 1e-6 * np.abs(df) + 4.0 * spread + rounding
    tol = tol + 1e-12 * max(1.0, float(np.max(np.abs(df), initial=0.0)))
    err = np.abs(df - d1)
    worst = np.unravel_index(np.argmax(err - tol), err.shape)
    assert np.all(err <= tol), (
        f"{what}: analytic {df[worst]!r} vs central difference {d1[worst]!r} at {worst} "
        f"(err {err[worst]:.3e} > tol {tol[worst]:.3e})")


@pytest.fixture(params=CASES, ids=_case_id)
def prob(request):
    name, n = request.param
    return get(name, n)


# --------------------------------------------------------------------------------------------
# Registry and interface

def test_names():
    assert isinstance(NAMES, tuple)
    assert len(NAMES) == len(set(NAMES))
    assert set(NAMES) == EXPECTED_NAMES


def test_unknown_name_raises():
    with pytest.raises(ValueError):
        get("no_such_problem")


@pytest.mark.parametrize("name", [nm for nm in NAMES if nm not in OTHER_N])
def test_fixed_dimension_rejects_other_n(name):
    p = get(name)
    assert get(name, p.n).n == p.n
    for bad in (p.n + 1, p.n - 1):
        with pytest.raises(ValueError):
            get(name, bad)


@pytest.mark.parametrize("name,bad_n", [("extended_rosenbrock", 3), ("extended_powell", 6),
                                        ("watson", 1), ("watson", 32), ("penalty1", 0),
                                        ("chained_rosenbrock", 1)])
def test_variable_dimension_rejects_bad_n(name, bad_n):
    with pytest.raises(ValueError):
        get(name, bad_n)


def test_interface(prob):
    assert isinstance(prob, Problem)
    assert prob.name in NAMES
    n = prob.n
    assert isinstance(n, int) and n >= 1
    assert isinstance(prob.x0, np.ndarray) and prob.x0.shape == (n,)
    assert prob.x0.dtype == np.float64
    if prob.name in MUST_HAVE_HESS:
        assert prob.hess is not None
    assert prob.fstar is None or isinstance(prob.fstar, float)

    x0 = prob.x0.copy()
    f = prob.fun(prob.x0)
    assert isinstance(f, (float, np.floating)) and np.isfinite(f)
    g = prob.grad(prob.x0)
    assert isinstance(g, np.ndarray) and g.shape == (n,) and np.all(np.isfinite(g))
    if prob.hess is not None:
        H = prob.hess(prob.x0)
        assert isinstance(H, np.ndarray) and H.shape == (n, n) and np.all(np.isfinite(H))
    np.testing.assert_array_equal(prob.x0, x0)  # evaluations leave x alone
    if prob.fstar is not None:
        assert prob.fstar <= f + 1e-12 * abs(f)


def test_x0_is_a_fresh_copy(prob):
    again = get(prob.name, prob.n)
    assert again.x0 is not prob.x0
    assert not np.shares_memory(again.x0, prob.x0)
    saved = again.x0.copy()
    prob.x0[:] = 123.0
    np.testing.assert_array_equal(again.x0, saved)
    np.testing.assert_array_equal(get(prob.name, prob.n).x0, saved)


# --------------------------------------------------------------------------------------------
# Derivatives

# Extra points near the published minimizers of the badly scaled problems, where f is small
# enough for differences to resolve the derivatives well (at brown_badly_scaled's x0, f ~ 1e12).
EXTRA_POINTS = {
    "brown_badly_scaled": [np.array([1e6 + 3.0, 2.2e-6])],
    "powell_badly_scaled": [np.array([1.1e-5, 9.0])],
    "meyer": [np.array([0.0056, 6181.0, 345.0])],
    "gulf": [np.array([40.0, 20.0, 1.2])],
}


def _points(prob):
    pts = [("x0", prob.x0), ("nearby", _nearby(prob))]
    if prob.n == get(prob.name).n:
        pts += [(f"extra{i}", x) for i, x in enumerate(EXTRA_POINTS.get(prob.name, ()))]
    return pts


def test_grad_matches_finite_differences(prob):
    for label, x in _points(prob):
        _check_against_fd(prob.fun, prob.grad(x), x, f"{prob.name} n={prob.n} grad at {label}")


def test_hess_matches_finite_differences_and_is_symmetric(prob):
    if prob.hess is None:
        pytest.skip("no analytic Hessian")
    for label, x in _points(prob):
        H = prob.hess(x)
        np.testing.assert_array_equal(H, H.T, err_msg=f"{prob.name} hess not symmetric")
        _check_against_fd(prob.grad, H, x, f"{prob.name} n={prob.n} hess at {label}")


# --------------------------------------------------------------------------------------------
# Known minimizers


def _quadratic_xstar(n):
    p = get("quadratic", n)
    A = p.hess(p.x0)
    b = -p.grad(np.zeros(n))
    return np.linalg.solve(A, b)


_s = np.sqrt(1.01)
_c = 1.0 / (2.0 * np.sqrt(3.0))
# name, n, x*, f(x*), whether x* is the minimizer fstar refers to
KNOWN_MINIMIZERS = [
    ("rosenbrock", None, lambda n: np.ones(2), 0.0, True),
    ("extended_rosenbrock", None, lambda n: np.ones(n), 0.0, True),
    ("extended_rosenbrock", 10, lambda n: np.ones(n), 0.0, True),
    ("chained_rosenbrock", None, lambda n: np.ones(n), 0.0, False),
    ("freudenstein_roth", None, lambda n: np.array([5.0, 4.0]), 0.0, False),
    ("brown_badly_scaled", None, lambda n: np.array([1e6, 2e-6]), 0.0, True),
    ("beale", None, lambda n: np.array([3.0, 0.5]), 0.0, True),
    ("helical_valley", None, lambda n: np.array([1.0, 0.0, 0.0]), 0.0, True),
    ("gulf", None, lambda n: np.array([50.0, 25.0, 1.5]), 0.0, True),
    ("box_3d", None, lambda n: np.array([1.0, 10.0, 1.0]), 0.0, True),
    ("box_3d", None, lambda n: np.array([10.0, 1.0, -1.0]), 0.0, True),
    ("box_3d", None, lambda n: np.array([2.0, 2.0, 0.0]), 0.0, True),
    ("powell_singular", None, lambda n: np.zeros(4), 0.0, True),
    ("extended_powell", None, lambda n: np.zeros(n), 0.0, True),
    ("wood", None, lambda n: np.ones(4), 0.0, True),
    ("biggs_exp6", None, lambda n: np.array([1.0, 10.0, 1.0, 5.0, 4.0, 3.0]), 0.0, False),
    ("variably_dimensioned", None, lambda n: np.ones(n), 0.0, True),
    ("trigonometric", None, lambda n: np.zeros(n), 0.0, False),
    ("brown_almost_linear", None, lambda n: np.ones(n), 0.0, True),
    ("linear_full_rank", None, lambda n: -np.ones(n), 10.0, True),
    ("linear_full_rank", 5, lambda n: -np.ones(n), 5.0, True),
    ("chebyquad", 2, lambda n: np.array([0.5 - _c, 0.5 + _c]), 0.0, True),
    ("quadratic", None, _quadratic_xstar, None, True),
    ("quadratic", 7, _quadratic_xstar, None, True),
    ("nonconvex_saddle", None, lambda n: np.array([_s, -0.1 * _s]), -0.255025, True),
    ("nonconvex_saddle", None, lambda n: np.array([-_s, 0.1 * _s]), -0.255025, True),
]


@pytest.mark.parametrize("name,n,xstar,fval,is_fstar", KNOWN_MINIMIZERS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(KNOWN_MINIMIZERS)])
def test_known_minimizer(name, n, xstar, fval, is_fstar):
    p = get(name, n)
    x = xstar(p.n)
    if fval is None:
        fval = p.fstar
    if is_fstar:
        assert p.fstar is not None
        assert p.fstar == pytest.approx(fval, rel=1e-12, abs=1e-15)
    f = p.fun(x)
    assert f == pytest.approx(fval, rel=1e-10, abs=1e-20)
    g = p.grad(x)
    # gradient zero up to rounding relative to the problem's scale
    scale = max(1.0, np.max(np.abs(p.grad(p.x0))))
    assert np.max(np.abs(g)) <= 1e-10 * scale, (name, g)
    if p.hess is not None and name != "extended_powell" and name != "powell_singular":
        # a strict or degenerate minimizer: Hessian positive semidefinite
        ev = np.linalg.eigvalsh(p.hess(x))
        assert ev.min() >= -1e-8 * max(1.0, np.abs(ev).max())


def test_linear_full_rank_minimum_is_m_minus_n():
    for n in (1, 3, 10):
        p = get("linear_full_rank", n)
        assert p.fstar == float(n)  # m = 2n residuals
        assert np.max(np.abs(p.grad(-np.ones(n)))) < 1e-12


# --------------------------------------------------------------------------------------------
# Nonconvex saddle

def test_nonconvex_saddle_indefinite_at_x0():
    p = get("nonconvex_saddle")
    np.testing.assert_array_equal(p.x0, [0.01, 1.0])
    ev = np.linalg.eigvalsh(p.hess(p.x0))
    assert ev[0] < -0.5 and ev[-1] > 0.5
    assert np.isfinite(p.fstar)
    # bounded below by its minimum along any ray
    rng = np.random.default_rng(0)
    pts = rng.uniform(-5, 5, (1000, 2))
    assert min(p.fun(z) for z in pts) >= p.fstar - 1e-12


# --------------------------------------------------------------------------------------------
# Published minima: minimize with SciPy from the standard start.
# Left out: chained_rosenbrock, biggs_exp6, trigonometric (fstar None: SciPy's BFGS and
# trust-exact land on different local minima from the standard start), chebyquad n=10 (same).

FSTAR_CASES = [(name, None) for name in NAMES if get(name).fstar is not None] + [
    ("watson", 9), ("watson", 12), ("penalty1", 10), ("penalty2", 10), ("chebyquad", 5),
    ("chebyquad", 9), ("extended_powell", 8), ("broyden_tridiagonal", 50),
]


@pytest.mark.parametrize("case", FSTAR_CASES, ids=_case_id)
def test_fstar_reached_by_scipy(case):
    name, n = case
    p = get(name, n)
    assert p.fstar is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = minimize(p.fun, p.x0, jac=p.grad, hess=p.hess, method="trust-exact",
                     options={"gtol": 1e-10, "maxiter": 3000})
    if p.fstar == 0.0:
        assert r.fun <= 1e-10 * max(1.0, p.fun(p.x0)), (name, r.fun)
    else:
        assert r.fun == pytest.approx(p.fstar, rel=1e-4), (name, r.fun, p.fstar)


def test_biggs_exp6_local_and_global_minima():
    """fstar is None for Biggs: from x0 BFGS finds the local 5.65565e-3, trust-exact finds 0."""
    p = get("biggs_exp6")
    assert p.fstar is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = minimize(p.fun, p.x0, jac=p.grad, method="BFGS", options={"gtol": 1e-10})
    assert r.fun == pytest.approx(5.65565e-3, rel=1e-4)


# --------------------------------------------------------------------------------------------
# Size (speed is measured in bench/, never asserted here)

def test_broyden_tridiagonal_hessian_is_banded_at_n_1000():
    p = get("broyden_tridiagonal", 1000)
    x = _nearby(p)
    H = p.hess(x)
    # pentadiagonal
    assert np.count_nonzero(np.triu(H, 3)) == 0 and np.count_nonzero(np.tril(H, -3)) == 0


def test_problems_module_public_api():
    assert set(_problems.__all__) == {"Problem", "get", "NAMES", "LARGE_NAMES",
                                      "minimal_surface", "arrowhead"}
    assert Problem._fields == ("name", "n", "x0", "fun", "grad", "hess", "fstar", "sparsity")
    # the field added last is optional: the seven-field construction still works
    p = Problem("p", 1, np.zeros(1), abs, abs, None, None)
    assert p.sparsity is None


def test_small_problems_have_no_sparsity(prob):
    assert prob.sparsity is None
