"""Tests of fastnewton.line_search, the strong-Wolfe line search meant as a drop-in for
``scipy.optimize.line_search``.

What is checked, and against what (never against numbers the code under test produced):

* properties (hypothesis, random smooth functions, points, descent directions and c1 < c2):
  whenever a step is returned it satisfies both strong Wolfe conditions, recomputed here from
  the analytic f and gradient with only a rounding-level slack; the returned value and
  gradient are f and grad f at xk + alpha pk; the counts fc, gc equal the calls the wrapped
  callables actually received -- for Python callables and for C (LowLevelCallable) objectives;
* parity with ``scipy.optimize.line_search`` on a fixed set of searches: same step on the
  large majority, every tuple element compared; and exact agreement, step for step, with a
  private copy of SciPy's code from which the two known deviations were removed (SciPy's
  signed interpolation guard, its 11-trial zoom);
* the GIL is released while a search runs on a C objective;
* edge cases: non-descent directions, unbounded and non-finite objectives, extreme scales,
  bad parameters and inputs, extra_condition, exceptions from user code.

"""
import ctypes
import inspect
import math
import os
import textwrap
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.optimize
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import LowLevelCallable

import fastnewton
from fastnewton import line_search

try:
    from scipy.optimize._linesearch import LineSearchWarning
except ImportError:  # pragma: no cover - SciPy moved its private module
    from fastnewton._linesearch import LineSearchWarning

EPS = np.finfo(np.float64).eps
HERE = os.path.dirname(os.path.abspath(__file__))
LS_SOURCE = os.path.join(HERE, "cobjectives_ls.c")
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])




# ---------------------------------------------------------------------------------------------
# Test problems: one parametric smooth family, with a C twin in cobjectives_ls.c (family_fg)
#   f(x) = sum_i [d_i x_i^2 / 2 + b_i x_i + q_i x_i^4 + s_i sin(k_i x_i)] + sum_j w_j exp(c_j.x)


class Family:
    def __init__(self, kind, d, b, q=None, s=None, k=None, w=(), C=None):
        n = len(d)
        z = np.zeros(n)
        self.kind = kind
        self.n = n
        self.d, self.b = np.asarray(d, float), np.asarray(b, float)
        self.q = z if q is None else np.asarray(q, float)
        self.s = z if s is None else np.asarray(s, float)
        self.k = z if k is None else np.asarray(k, float)
        self.w = np.asarray(w, float)
        self.C = np.zeros((0, n)) if C is None else np.asarray(C, float).reshape(len(self.w), n)

    def f(self, x):
        x2 = x * x
        with np.errstate(over="ignore", invalid="ignore"):
            v = np.sum(0.5 * self.d * x2 + self.b * x + self.q * (x2 * x2)
                       + self.s * np.sin(self.k * x))
            if self.w.size:
                v += np.sum(self.w * np.exp(self.C @ x))
        return float(v)

    def grad(self, x):
        with np.errstate(over="ignore", invalid="ignore"):
            g = (self.d * x + self.b + 4.0 * self.q * (x * x * x)
                 + self.s * self.k * np.cos(self.k * x))
            if self.w.size:
                g = g + (self.w * np.exp(self.C @ x)) @ self.C
        return g

    def params(self):
        """The user_data block of family_fg (see cobjectives_ls.c)."""
        return np.ascontiguousarray(np.concatenate(
            [self.d, self.b, self.q, self.s, self.k, [float(self.w.size)], self.w,
             self.C.ravel()]))

    def __repr__(self):
        return f"Family({self.kind}, n={self.n})"


KINDS = ("quadratic", "quartic", "exponential", "trig")


def make_problem(kind, n, rng):
    if kind == "quadratic":      # convex, condition number up to 100
        return Family(kind, rng.uniform(0.1, 10.0, n), rng.standard_normal(n))
    if kind == "quartic":        # double wells where d < 0: nonconvex
        return Family(kind, rng.uniform(-2.0, 2.0, n), rng.standard_normal(n),
                      q=rng.uniform(0.05, 1.0, n))
    if kind == "exponential":    # sum of exponentials plus a little curvature
        m = 3
        return Family(kind, rng.uniform(0.0, 0.5, n), 0.1 * rng.standard_normal(n),
                      w=rng.uniform(0.5, 2.0, m), C=rng.standard_normal((m, n)) / np.sqrt(n))
    if kind == "trig":           # many local minima along any line
        return Family(kind, rng.uniform(0.05, 0.5, n), 0.1 * rng.standard_normal(n),
                      s=rng.uniform(0.5, 2.0, n), k=rng.uniform(0.5, 3.0, n))
    raise ValueError(kind)


def make_direction(mode, g, rng):
    n = g.shape[0]
    if mode == "steepest":
        return -g
    if mode == "scaled":         # steepest descent, badly scaled: the first step is far off
        return -g * 10.0 ** rng.uniform(-3.0, 2.0)
    p = rng.standard_normal(n)   # random, flipped to be a descent direction
    return -p if p @ g > 0 else p


class Counted:
    """A callable that counts its calls."""

    def __init__(self, fun):
        self.fun = fun
        self.calls = 0

    def __call__(self, x, *args):
        self.calls += 1
        return self.fun(x, *args)


def run(ls, f, fprime, xk, pk, **kw):
    """ls(...) with every warning recorded: (result tuple, list of warnings)."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = ls(f, fprime, xk, pk, **kw)
    return out, rec


def ls_warnings(rec):
    return [w for w in rec if issubclass(w.category, LineSearchWarning)]


def assert_strong_wolfe(fun, grad, xk, pk, alpha, c1, c2, f0=None, g0=None):
    """Both strong Wolfe conditions at alpha, from fun/grad, with a rounding-level slack.

    The Armijo test is the kernel's own expression f0 + c1 alpha (g0 . p) on the same numbers
    (so it holds exactly; the slack is a few ulps of f); the curvature slack covers only the
    summation order of the dot products.
    """
    f0 = fun(xk) if f0 is None else f0
    g0 = grad(xk) if g0 is None else g0
    dphi0 = float(np.dot(g0, pk))
    xa = xk + alpha * pk
    fa, ga = fun(xa), grad(xa)
    dphia = float(np.dot(ga, pk))
    assert math.isfinite(fa) and np.all(np.isfinite(ga))
    tol_f = 4 * EPS * (abs(f0) + abs(fa))
    assert fa <= f0 + c1 * alpha * dphi0 + tol_f, (
        f"Armijo fails at alpha={alpha!r}: f={fa!r} > f0 + c1 alpha dphi0 = "
        f"{f0 + c1 * alpha * dphi0!r} (f0={f0!r}, dphi0={dphi0!r}, c1={c1})")
    n = len(xk)
    tol_g = 4 * n * EPS * (np.dot(np.abs(ga), np.abs(pk)) + c2 * np.dot(np.abs(g0), np.abs(pk)))
    assert abs(dphia) <= c2 * abs(dphi0) + tol_g, (
        f"curvature fails at alpha={alpha!r}: |phi'(alpha)|={abs(dphia)!r} > "
        f"c2 |phi'(0)| = {c2 * abs(dphi0)!r} (c2={c2})")


def check_search(fun, grad, xk, pk, kw, out, rec, exact=True):
    """The properties every result must have (Python or C objective).

    fun/grad: the objective as the kernel sees it (bitwise) when exact, else an approximation
    (finite-difference gradients) and the value/gradient comparisons get a tolerance.
    """
    alpha, fc, gc, new_fval, old_fval, new_slope = out
    c1, c2 = kw.get("c1", 1e-4), kw.get("c2", 0.9)
    f0 = fun(xk) if kw.get("old_fval") is None else kw["old_fval"]
    assert isinstance(fc, int) and isinstance(gc, int) and fc >= 0 and gc >= 0
    assert old_fval == f0
    if new_slope is None:
        # SciPy's failures: None (one warning; two, and new_fval = f0, when old_old_fval ==
        # old_fval), or after maxiter bracketing trials the next step unchecked (two warnings)
        nw = len(ls_warnings(rec))
        if alpha is None:
            assert (nw, new_fval) in ((1, None), (2, f0)), [str(w.message) for w in rec]
        else:
            assert nw == 2 and new_fval == fun(xk + alpha * pk)
        return
    assert not ls_warnings(rec), [str(w.message) for w in rec]
    assert isinstance(alpha, float) and math.isfinite(alpha) and alpha > 0.0
    if kw.get("amax") is not None:
        assert alpha <= kw["amax"]
    xa = xk + alpha * pk
    assert isinstance(new_slope, np.ndarray) and new_slope.shape == xk.shape
    assert new_slope.dtype == np.float64
    assert math.isfinite(new_fval)
    if exact:
        assert new_fval == fun(xa)
        np.testing.assert_array_equal(new_slope, grad(xa))
    else:
        assert abs(new_fval - fun(xa)) <= 1e-12 * max(1.0, abs(new_fval))
        np.testing.assert_allclose(new_slope, grad(xa), rtol=1e-5,
                                   atol=1e-6 * max(1.0, np.abs(grad(xa)).max()))
    if exact:
        assert_strong_wolfe(fun, grad, xk, pk, alpha, c1, c2,
                            f0=kw.get("old_fval"), g0=kw.get("gfk"))


# ---------------------------------------------------------------------------------------------
# hypothesis strategies


@st.composite
def searches(draw, dims=(1, 2, 3, 5, 10), options=True):
    """(problem, xk, pk, kwargs): a random search on a random problem."""
    kind = draw(st.sampled_from(KINDS))
    n = draw(st.sampled_from(dims))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    prob = make_problem(kind, n, rng)
    xk = rng.standard_normal(n) * draw(st.sampled_from([0.1, 1.0, 3.0]))
    pk = make_direction(draw(st.sampled_from(["steepest", "scaled", "random"])),
                        prob.grad(xk), rng)
    c1 = draw(st.floats(1e-5, 0.45))
    c2 = c1 + draw(st.floats(0.02, 0.98)) * (1.0 - c1)
    kw = dict(c1=c1, c2=c2)
    if options:
        if draw(st.booleans()):
            kw["gfk"] = prob.grad(xk)
        if draw(st.booleans()):
            kw["old_fval"] = prob.f(xk)
        if draw(st.booleans()):
            kw["old_old_fval"] = prob.f(xk) + draw(st.floats(0.0, 10.0))
        if draw(st.booleans()):
            kw["amax"] = draw(st.floats(0.05, 50.0))
        kw["maxiter"] = draw(st.sampled_from([3, 10, 20]))
    return prob, xk, pk, kw


# ---------------------------------------------------------------------------------------------
# properties, Python callables


@settings(max_examples=1500, **SETTINGS)
@given(searches())
def test_wolfe_values_and_counts_python(case):
    prob, xk, pk, kw = case
    f, g = Counted(prob.f), Counted(prob.grad)
    x_before, p_before = xk.copy(), pk.copy()
    out, rec = run(line_search, f, g, xk, pk, **kw)
    np.testing.assert_array_equal(xk, x_before)
    np.testing.assert_array_equal(pk, p_before)
    check_search(prob.f, prob.grad, xk, pk, kw, out, rec)
    _, fc, gc = out[:3]
    gfk_given = "gfk" in kw
    # the gradient at xk, when computed here, is not counted (as in SciPy)
    assert g.calls == gc + (0 if gfk_given else 1)
    assert f.calls == fc
    # a strong-Wolfe search evaluates the gradient only where Armijo has passed
    assert gc <= fc


@settings(max_examples=400, **SETTINGS)
@given(searches(dims=(1,), options=False), st.sampled_from([None, 0.5, 2.0]))
def test_wolfe_1d_python(case, amax):
    prob, xk, pk, kw = case
    if amax is not None:
        kw["amax"] = amax
    out, rec = run(line_search, prob.f, prob.grad, xk, pk, **kw)
    check_search(prob.f, prob.grad, xk, pk, kw, out, rec)


@pytest.mark.parametrize("old_fval_given", [False, True], ids=["old_fval=None", "old_fval"])
@pytest.mark.parametrize("gfk_given", [False, True], ids=["gfk=None", "gfk"])
@pytest.mark.parametrize("impl", ["fastnewton", "scipy"])
def test_counts_exact(impl, gfk_given, old_fval_given, request):
    """fc, gc equal the calls received, minus the uncounted gradient at xk when gfk is
    omitted. old_fval omitted: f(xk) is counted -- SciPy's actual behaviour, checked too."""
    ls = line_search if impl == "fastnewton" else scipy.optimize.line_search
    rng = np.random.default_rng(7)
    mismatches = []
    for i in range(40):
        prob = make_problem(KINDS[i % 4], 1 + i % 6, rng)
        xk = rng.standard_normal(prob.n)
        pk = make_direction(["steepest", "scaled", "random"][i % 3], prob.grad(xk), rng)
        kw = {}
        if gfk_given:
            kw["gfk"] = prob.grad(xk)
        if old_fval_given:
            kw["old_fval"] = prob.f(xk)
        f, g = Counted(prob.f), Counted(prob.grad)
        (alpha, fc, gc, *_), _ = run(ls, f, g, xk, pk, **kw)
        expect = (fc, gc + (0 if gfk_given else 1))
        if (f.calls, g.calls) != expect:
            mismatches.append((i, (f.calls, g.calls), expect))
    assert not mismatches, f"(case, calls received, fc/gc implied): {mismatches[:5]}"


def test_fd_gradient_when_myfprime_is_none():
    """Python f without a gradient: central differences. fc counts every call of f except
    the 2n of the (uncounted, as with a gradient callable) difference gradient at xk; gc = 0."""
    rng = np.random.default_rng(3)
    for i in range(12):
        prob = make_problem(KINDS[i % 4], 1 + i % 5, rng)
        xk = rng.standard_normal(prob.n)
        pk = -prob.grad(xk)
        f = Counted(prob.f)
        out, rec = run(line_search, f, None, xk, pk)
        alpha, fc, gc = out[:3]
        assert f.calls == fc + 2 * prob.n and gc == 0
        if alpha is not None:
            check_search(prob.f, prob.grad, xk, pk, {}, out, rec, exact=False)
            # strong Wolfe holds for the true gradient, up to the finite-difference error
            dphi0 = prob.grad(xk) @ pk
            dphia = prob.grad(xk + alpha * pk) @ pk
            assert abs(dphia) <= 0.9 * abs(dphi0) + 1e-6 * np.abs(pk).sum()


def test_args_are_passed():
    prob = make_problem("quartic", 4, np.random.default_rng(5))
    seen = []

    def f(x, a, b):
        seen.append((a, b))
        return prob.f(x)

    def g(x, a, b):
        seen.append((a, b))
        return prob.grad(x)

    xk = np.linspace(-1.0, 1.0, 4)
    pk = -prob.grad(xk)
    ours = line_search(f, g, xk, pk, args=("A", 2))
    assert seen and set(seen) == {("A", 2)}
    theirs = scipy.optimize.line_search(prob.f, prob.grad, xk, pk)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-10)


def test_gradient_as_list_and_integer_inputs():
    """myfprime may return a list and xk / pk may be integer, as SciPy allows."""
    f = lambda x: float((x[0] - 3.0) ** 2 + 2.0 * (x[1] + 1.0) ** 2)      # noqa: E731
    g = lambda x: [2.0 * (x[0] - 3.0), 4.0 * (x[1] + 1.0)]                 # noqa: E731
    xk, pk = np.array([0, 0]), np.array([1, -1])
    ours = line_search(f, g, xk, pk)
    theirs = scipy.optimize.line_search(f, g, xk, pk)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12)
    assert ours[1:3] == theirs[1:3]
    assert isinstance(ours[5], np.ndarray) and ours[5].dtype == np.float64
    np.testing.assert_array_equal(ours[5], np.asarray(theirs[5], dtype=float))


# ---------------------------------------------------------------------------------------------
# parity with scipy.optimize.line_search


def _parity_cases():
    """A fixed, varied set of (id, problem, xk, pk, kwargs) searches."""
    rng = np.random.default_rng(2024)
    option_sets = [
        lambda prob, xk: {},
        lambda prob, xk: {"old_old_fval": prob.f(xk) + abs(rng.standard_normal())},
        lambda prob, xk: {"amax": float(rng.uniform(0.1, 2.0))},
        lambda prob, xk: {"c2": 0.1},
        lambda prob, xk: {"c1": 0.3, "c2": 0.5},
        lambda prob, xk: {"gfk": prob.grad(xk), "old_fval": prob.f(xk)},
        lambda prob, xk: {"extra_condition": _bound_condition(float(rng.uniform(0.05, 1.5)))},
        lambda prob, xk: {"extra_condition": _decrease_condition(prob.f(xk))},
    ]
    cases = []
    for i in range(320):
        kind = KINDS[i % 4]
        n = (1, 2, 5, 10)[i // 4 % 4]
        prob = make_problem(kind, n, rng)
        xk = 2.0 * rng.standard_normal(n)
        mode = ("steepest", "random", "scaled")[i // 16 % 3]
        pk = make_direction(mode, prob.grad(xk), rng)
        kw = option_sets[i // 40 % len(option_sets)](prob, xk)
        cases.append((f"{i}-{kind}-n{n}-{mode}-{sorted(kw)}", prob, xk, pk, kw))
    return cases


class _bound_condition:
    """extra_condition accepting steps up to a bound, recording its calls."""

    def __init__(self, bound):
        self.bound = bound
        self.calls = []

    def fresh(self):
        return _bound_condition(self.bound)

    def __call__(self, alpha, x, f, g):
        self.calls.append((float(alpha), np.array(x), float(f), np.array(g)))
        return alpha <= self.bound


class _decrease_condition(_bound_condition):
    """extra_condition asking for a decrease of at least 1e-3 |f0| + 1e-3."""

    def __init__(self, f0):
        super().__init__(None)
        self.f0 = f0

    def fresh(self):
        return _decrease_condition(self.f0)

    def __call__(self, alpha, x, f, g):
        self.calls.append((float(alpha), np.array(x), float(f), np.array(g)))
        return f <= self.f0 - 1e-3 * abs(self.f0) - 1e-3


PARITY_CASES = _parity_cases()


def _fresh(kw):
    kw = dict(kw)
    if "extra_condition" in kw:
        kw["extra_condition"] = kw["extra_condition"].fresh()
    return kw


def _succeeded(out):
    # SciPy (and ours) return a step with new_slope None when the bracketing ran out of trials:
    # that step was never checked, so it is a failure here.
    return out[0] is not None and out[5] is not None


def test_parity_with_scipy():
    """Every element of the tuple against what scipy.optimize.line_search returns."""
    matched, both_succeeded, report = 0, 0, []
    for name, prob, xk, pk, kw in PARITY_CASES:
        kw_o, kw_s = _fresh(kw), _fresh(kw)
        ours, rec_o = run(line_search, prob.f, prob.grad, xk, pk, **kw_o)
        theirs, rec_s = run(scipy.optimize.line_search, prob.f, prob.grad, xk, pk, **kw_s)
        check_search(prob.f, prob.grad, xk, pk, kw, ours, rec_o)
        a_o, fc_o, gc_o, nf_o, of_o, g_o = ours
        a_s, fc_s, gc_s, nf_s, of_s, g_s = theirs
        assert of_o == of_s, name                        # old_fval
        if g_o is None:                                  # failure: warnings, like SciPy's
            assert len(ls_warnings(rec_o)) in (1, 2)
        if not _succeeded(theirs):
            assert ls_warnings(rec_s)
            continue
        assert isinstance(g_s, np.ndarray) and g_s.shape == xk.shape   # SciPy: a gradient too
        if g_o is None:
            report.append((name, "ours failed", a_s))
            continue
        both_succeeded += 1
        if abs(a_o - a_s) <= 1e-10 * abs(a_s):
            matched += 1
            assert (fc_o, gc_o) == (fc_s, gc_s), name
            assert nf_o == pytest.approx(nf_s, rel=1e-9, abs=1e-12), name
            np.testing.assert_allclose(g_o, g_s, rtol=1e-8, atol=1e-10, err_msg=name)
            if "extra_condition" in kw:                  # the same calls, same arguments
                calls_o, calls_s = kw_o["extra_condition"].calls, kw_s["extra_condition"].calls
                assert len(calls_o) == len(calls_s), name
                for (ao, xo, fo, go), (as_, xs, fs, gs) in zip(calls_o, calls_s):
                    assert ao == pytest.approx(as_, rel=1e-10)
                    np.testing.assert_allclose(xo, xs, rtol=1e-10, atol=1e-12)
                    np.testing.assert_allclose(go, gs, rtol=1e-8, atol=1e-10)
        else:
            report.append((name, a_o, a_s))
    assert both_succeeded >= 0.8 * len(PARITY_CASES)
    assert matched >= 0.8 * both_succeeded, report
    # more ours-only failures than a handful would be a regression against SciPy
    assert sum(1 for r in report if r[1] == "ours failed") <= 0.02 * len(PARITY_CASES), report


def _reference_line_search():
    """scipy.optimize.line_search with its two known deviations from ours removed, compiled
    from SciPy's own source into a private namespace (SciPy itself is left untouched):

    * the zoom's interpolation guards use ``delta * dalpha`` with dalpha = a_hi - a_lo signed,
      so when a_hi < a_lo they admit trial steps next to -- or outside -- the interval;
      N&W (and ours) measure the guard on |dalpha|;
    * the zoom makes up to 11 trials (``i > maxiter`` with its own maxiter = 10); ours makes
      `maxiter` (10 by default).
    """
    import scipy.optimize._linesearch as L
    edits = {
        "cchk = delta1 * dalpha": "cchk = delta1 * abs(dalpha)",
        "qchk = delta2 * dalpha": "qchk = delta2 * abs(dalpha)",
        "if (i > maxiter):": "if (i >= maxiter):",
    }
    try:
        zoom = textwrap.dedent(inspect.getsource(L._zoom))
        rest = [textwrap.dedent(inspect.getsource(fn))
                for fn in (L.scalar_search_wolfe2, L.line_search_wolfe2)]
    except (AttributeError, OSError, TypeError):
        pytest.skip("SciPy's line search source is not available")
    for old, new in edits.items():
        if zoom.count(old) != 1:
            pytest.skip(f"SciPy's _zoom changed ({old!r} not found): reference not built")
        zoom = zoom.replace(old, new)
    ns = dict(vars(L))
    for src in [zoom] + rest:
        exec(compile(src, L.__file__, "exec"), ns)
    return ns["line_search_wolfe2"]


def test_parity_exact_with_corrected_scipy():
    """Without SciPy's two deviations, the two implementations take the same path: same step,
    counts, values, gradients, failures -- on all cases but rounding accidents.

    Such an accident: a trial step from the cubic interpolant (-B + sqrt(B^2 - 3 A C)) / 3A
    when phi is (nearly) quadratic, A ~ 0 is rounding noise and the numerator cancels; the
    two codes round A and B differently (SciPy's 2x2 product goes through BLAS) and land
    on different, both valid, steps. One of the 320 cases here (88) does that; at most 1% may.
    """
    reference = _reference_line_search()
    diverged = []
    for name, prob, xk, pk, kw in PARITY_CASES:
        kw_o, kw_s = _fresh(kw), _fresh(kw)
        ours, _ = run(line_search, prob.f, prob.grad, xk, pk, **kw_o)
        theirs, _ = run(reference, prob.f, prob.grad, xk, pk, **kw_s)
        if not _succeeded(theirs):
            assert not _succeeded(ours), (name, ours, theirs)
            assert ours[0] == theirs[0] and ours[3] == theirs[3], (name, ours, theirs)
            continue
        assert _succeeded(ours), (name, theirs)
        if ours[0] != pytest.approx(theirs[0], rel=1e-10, abs=0):
            diverged.append((name, ours[0], theirs[0]))
            assert_strong_wolfe(prob.f, prob.grad, xk, pk, ours[0], kw.get("c1", 1e-4),
                                kw.get("c2", 0.9))
            continue
        assert ours[1:3] == theirs[1:3], (name, ours[1:3], theirs[1:3])
        assert ours[3] == pytest.approx(theirs[3], rel=1e-9, abs=1e-12), name
        np.testing.assert_allclose(ours[5], theirs[5], rtol=1e-8, atol=1e-10, err_msg=name)
        if "extra_condition" in kw:
            assert len(kw_o["extra_condition"].calls) == len(kw_s["extra_condition"].calls)
    assert len(diverged) <= 0.01 * len(PARITY_CASES), diverged


@pytest.mark.parametrize("c1,c2", [(0.5, 0.5), (0.6, 0.5), (0.0, 0.5), (-1e-4, 0.9),
                                   (1e-4, 1.0), (1e-4, 1.5), (math.nan, 0.9), (1e-4, math.nan)])
def test_bad_wolfe_parameters(c1, c2):
    f = Counted(lambda x: float(x @ x))
    g = Counted(lambda x: 2.0 * x)
    for ls in (line_search, scipy.optimize.line_search):
        with pytest.raises(ValueError):
            ls(f, g, np.ones(2), -np.ones(2), gfk=2.0 * np.ones(2), old_fval=2.0, c1=c1, c2=c2)
    with pytest.raises(ValueError):
        line_search(f, g, np.ones(2), -np.ones(2), c1=c1, c2=c2)
    # ours validates before evaluating anything (SciPy calls the gradient first)
    ours_f, ours_g = Counted(f.fun), Counted(g.fun)
    with pytest.raises(ValueError):
        line_search(ours_f, ours_g, np.ones(2), -np.ones(2), c1=c1, c2=c2)
    assert ours_f.calls == ours_g.calls == 0


# ---------------------------------------------------------------------------------------------
# C objectives (scipy.LowLevelCallable)


_P_DOUBLE = ctypes.POINTER(ctypes.c_double)


class LSLib:
    """tests/cobjectives_ls.c, compiled and loaded."""

    def __init__(self, path, voidp):
        self.path = path
        self.voidp = voidp                   # array -> void* (tests/_cbuild.py)
        self.lib = ctypes.CDLL(path)
        lib = self.lib
        lib.family_fg.argtypes = [ctypes.c_int, _P_DOUBLE, _P_DOUBLE, ctypes.c_void_p]
        lib.family_fg.restype = ctypes.c_double
        lib.family_f.argtypes = [ctypes.c_int, _P_DOUBLE, ctypes.c_void_p]
        lib.family_f.restype = ctypes.c_double

    def family(self, prob, value_only=False):
        """(LowLevelCallable, f, grad): the C objective and ctypes evaluators of it."""
        params = prob.params()
        ud = self.voidp(params)              # keeps params alive
        fn = self.lib.family_f if value_only else self.lib.family_fg
        llc = LowLevelCallable(fn, ud)
        return llc, *self.evaluators("family_fg", ud, prob.n)

    def evaluators(self, name, ud, n):
        fg = getattr(self.lib, name)

        def f(x):
            x = np.ascontiguousarray(x, dtype=np.float64)
            return fg(n, x.ctypes.data_as(_P_DOUBLE), None, ud)

        def grad(x):
            x = np.ascontiguousarray(x, dtype=np.float64)
            g = np.empty(n)
            fg(n, x.ctypes.data_as(_P_DOUBLE), g.ctypes.data_as(_P_DOUBLE), ud)
            return g

        return f, grad


@pytest.fixture(scope="session")
def lslib(cbuild, tmp_path_factory):
    path = cbuild.compile_shared(tmp_path_factory.mktemp("cobjectives_ls"), source=LS_SOURCE)
    return LSLib(path, cbuild._voidp)


def test_c_family_matches_python_twin(lslib):
    rng = np.random.default_rng(11)
    for i in range(20):
        prob = make_problem(KINDS[i % 4], 1 + i % 7, rng)
        _, cf, cg = lslib.family(prob)
        x = rng.standard_normal(prob.n)
        assert cf(x) == pytest.approx(prob.f(x), rel=1e-13, abs=1e-13)
        np.testing.assert_allclose(cg(x), prob.grad(x), rtol=1e-12, atol=1e-13)


@settings(max_examples=800, **SETTINGS)
@given(case=searches())
def test_wolfe_values_lowlevelcallable(lslib, case):
    prob, xk, pk, kw = case
    llc, cf, cg = lslib.family(prob)
    # gfk / old_fval, when given, are the C objective's own numbers
    if "gfk" in kw:
        kw["gfk"] = cg(xk)
    if "old_fval" in kw:
        kw["old_fval"] = cf(xk)
    if "old_old_fval" in kw:
        kw["old_old_fval"] = cf(xk) + (kw["old_old_fval"] - prob.f(xk))
    out, rec = run(line_search, llc, None, xk, pk, **kw)
    check_search(cf, cg, xk, pk, kw, out, rec)
    # value and gradient come together from a C objective: one of each per trial step
    alpha, fc, gc = out[:3]
    computed_f0 = 1 if kw.get("old_fval") is None else 0
    unchecked = alpha is not None and out[5] is None     # its f alone (as SciPy's)
    assert fc == gc + computed_f0 + unchecked


@settings(max_examples=300, **SETTINGS)
@given(seed=st.integers(0, 2**32 - 1), n=st.sampled_from([2, 3, 6]),
       gfk_given=st.booleans(), old_fval_given=st.booleans())
def test_counts_exact_lowlevelcallable(cobj, seed, n, gfk_given, old_fval_given):
    """Counted C Rosenbrock (tests/cobjectives.c): fc, gc equal the C calls, as for Python."""
    llc, counts = cobj.counted_rosen()
    rng = np.random.default_rng(seed)
    xk = rng.uniform(-2.0, 2.0, n)
    g0 = scipy.optimize.rosen_der(xk)
    pk = make_direction(["steepest", "random"][seed % 2], g0, rng)
    kw = {}
    if gfk_given:
        kw["gfk"] = g0
    if old_fval_given:
        kw["old_fval"] = scipy.optimize.rosen(xk)
    counts[:] = 0
    out, rec = run(line_search, llc, None, xk, pk, **kw)
    alpha, fc, gc = out[:3]
    if gfk_given or not old_fval_given:
        assert counts[0] == fc
    else:   # the C function computes f with the (uncounted) gradient at xk: it cannot skip it
        assert counts[0] == fc + 1
    assert counts[1] == gc + (0 if gfk_given else 1)
    if alpha is not None:
        ours_py, _ = run(line_search, scipy.optimize.rosen, scipy.optimize.rosen_der, xk, pk,
                         **kw)
        assert ours_py[0] == pytest.approx(alpha, rel=1e-10)


def test_lowlevelcallable_value_only(lslib):
    """A value-only C objective: gradients from central differences; Wolfe up to their error."""
    rng = np.random.default_rng(12)
    successes = 0
    for i in range(16):
        prob = make_problem(KINDS[i % 4], 1 + i % 5, rng)
        llc, cf, cg = lslib.family(prob, value_only=True)
        xk = rng.standard_normal(prob.n)
        pk = -cg(xk)
        out, rec = run(line_search, llc, None, xk, pk)
        if out[0] is None:
            continue
        successes += 1
        check_search(cf, cg, xk, pk, {}, out, rec, exact=False)
        assert out[2] == 0                       # no gradient calls: the C function has none
    assert successes >= 12


def test_lowlevelcallable_rejects_myfprime(cobj):
    with pytest.raises(ValueError, match="myfprime"):
        line_search(cobj.rosen(), scipy.optimize.rosen_der, np.zeros(3), np.ones(3))


def test_thread_pool_lowlevelcallable(lslib):
    """Concurrent searches on C objectives give exactly the serial results."""
    rng = np.random.default_rng(13)
    jobs = []
    for i in range(24):
        prob = make_problem(KINDS[i % 4], 1 + i % 10, rng)
        llc, cf, cg = lslib.family(prob)
        xk = rng.standard_normal(prob.n)
        jobs.append((llc, xk, -cg(xk)))

    def one(job):
        llc, xk, pk = job
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LineSearchWarning)
            return line_search(llc, None, xk, pk)

    serial = [one(j) for j in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            parallel = list(pool.map(one, jobs))
            for s, p in zip(serial, parallel):
                assert s[:5] == p[:5]
                assert (s[5] is None and p[5] is None) or np.array_equal(s[5], p[5])


def test_gil_released_during_lowlevelcallable_search(cobj):
    """Deterministic, no timing: every call of the objective waits until a Python thread has
    answered it (gated_rosen_fg, tests/cobjectives.c; its controls are in test_minimize.py:
    a call holding the GIL is never answered), and the thread can answer only while it holds
    the GIL. A search that doubles its step many times makes every call, none waiting out
    its limit, with the ungated search's result: the GIL was free during each evaluation."""
    n = 6
    xk = np.zeros(n)
    pk = np.full(n, 2.0 ** -12)         # rosen decreases along pk up to alpha ~ 2^12
    counted, counts = cobj.counted_rosen()
    ref = line_search(counted, None, xk, pk, c2=1e-3, maxiter=25)
    assert ref[0] is not None and counts[0] >= 10
    llc, gate = cobj.gated_rosen()
    with gate.answering():
        out = line_search(llc, None, xk, pk, c2=1e-3, maxiter=25)
    assert out[:5] == ref[:5]
    np.testing.assert_array_equal(out[5], ref[5])
    assert gate.calls == counts[0] and gate.timeouts == 0, (gate.calls, gate.timeouts)


# ---------------------------------------------------------------------------------------------
# edge cases


@pytest.mark.parametrize("how", ["ascent", "orthogonal", "zero"])
def test_non_descent_direction(how):
    rng = np.random.default_rng(21)
    prob = make_problem("quadratic", 4, rng)
    xk = rng.standard_normal(4)
    g0 = prob.grad(xk)
    pk = {"ascent": g0, "zero": np.zeros(4),
          "orthogonal": np.array([g0[1], -g0[0], 0.0, 0.0])}[how]
    assert g0 @ pk >= 0
    # gfk and old_fval given: nothing at all is evaluated
    f, g = Counted(prob.f), Counted(prob.grad)
    out, rec = run(line_search, f, g, xk, pk, gfk=g0, old_fval=prob.f(xk))
    assert out == (None, 0, 0, None, prob.f(xk), None)
    assert f.calls == 0 and g.calls == 0
    assert len(ls_warnings(rec)) == 1
    # nothing given: f and the gradient at xk only, f counted
    f, g = Counted(prob.f), Counted(prob.grad)
    out, rec = run(line_search, f, g, xk, pk)
    assert out == (None, 1, 0, None, prob.f(xk), None)
    assert f.calls == 1 and g.calls == 1
    assert len(ls_warnings(rec)) == 1


@pytest.mark.parametrize("order", [">f8", "<f8"])
def test_inputs_in_either_byte_order(order):
    """xk, pk and gfk as non-native float64 give the search of their native copies."""
    rng = np.random.default_rng(5)
    prob = make_problem("quadratic", 6, rng)
    xk = rng.standard_normal(6)
    gk = prob.grad(xk)
    want = line_search(prob.f, prob.grad, xk, -gk, gfk=gk)
    got = line_search(prob.f, prob.grad, xk.astype(order), (-gk).astype(order),
                      gfk=gk.astype(order))
    assert got[:5] == want[:5] and np.array_equal(got[5], want[5])


def test_warning_points_at_the_callers_line():
    """As SciPy's (stacklevel=2 in Python), the warning names the line that called
    line_search, not a line inside fastnewton."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        line_search(lambda x: x @ x, lambda x: 2.0 * x, np.ones(3), np.ones(3))
    (w,) = [r for r in rec if issubclass(r.category, LineSearchWarning)]
    assert os.path.abspath(w.filename) == os.path.abspath(__file__)


def test_non_descent_lowlevelcallable(cobj):
    llc, counts = cobj.counted_rosen()
    xk = np.array([-1.2, 1.0, 0.5])
    pk = scipy.optimize.rosen_der(xk)             # ascent
    out, rec = run(line_search, llc, None, xk, pk)
    assert out[0] is None and out[1:3] == (1, 0) and len(ls_warnings(rec)) == 1
    assert list(counts) == [1, 1]                  # f and g at xk, nothing else


UNBOUNDED = {
    "linear": (lambda x: float(-x[0] - 0.5 * x[1]), lambda x: np.array([-1.0, -0.5])),
    "cubic": (lambda x: float(-x[0] ** 3 - x[0] - x[1] ** 2),
              lambda x: np.array([-3.0 * x[0] ** 2 - 1.0, -2.0 * x[1]])),
    "exp-overflow": (lambda x: float(-np.exp(x[0] + x[1])),
                     lambda x: -np.exp(x[0] + x[1]) * np.ones(2)),
}


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize("maxiter", [1, 5, 10, 40, 200])
@pytest.mark.parametrize("name", sorted(UNBOUNDED))
def test_unbounded_below(name, maxiter):
    """No strong-Wolfe step exists: SciPy's answers, in at most ~2 maxiter evaluations: after
    maxiter bracketing trials that all lowered f, the next trial step 2^maxiter, unchecked,
    with its f, no gradient and two warnings; None and one warning when a non-finite f
    (exp-overflow) sent the search to the zoom, which fails."""
    fun, grad = UNBOUNDED[name]
    f, g = Counted(fun), Counted(grad)
    xk, pk = np.array([0.5, 0.1]), np.array([1.0, 1.0])
    out, rec = run(line_search, f, g, xk, pk, maxiter=maxiter)
    alpha, fc, gc, new_fval, old_fval, new_slope = out
    assert new_slope is None and old_fval == fun(xk)
    if alpha is None:
        assert new_fval is None and len(ls_warnings(rec)) == 1
    else:
        assert alpha == 2.0 ** maxiter and new_fval == fun(xk + alpha * pk)
        assert len(ls_warnings(rec)) == 2
    # bracketing: maxiter trial steps (+ the unchecked one); a non-finite value sends it to
    # zoom: maxiter more
    assert fc <= 2 + 2 * maxiter and gc <= 2 * maxiter
    assert f.calls == fc and g.calls == gc + 1


def _nonfinite_beyond(center, threshold, bad):
    """0.5 |x - center|^2 where x[0] <= threshold, `bad` (nan / inf / -inf) beyond."""
    def f(x):
        return bad if x[0] > threshold else float(0.5 * np.sum((x - center) ** 2))

    def g(x):
        return np.full_like(x, bad) if x[0] > threshold else x - center

    return f, g


@settings(max_examples=600, **SETTINGS)
@given(m=st.floats(0.2, 10.0), t=st.floats(0.2, 10.0), scale=st.floats(-2.0, 2.0),
       c2=st.floats(0.05, 0.95), bad=st.sampled_from([math.nan, math.inf, -math.inf]),
       n=st.sampled_from([1, 3]), maxiter=st.sampled_from([10, 30]))
def test_nonfinite_beyond_threshold(m, t, scale, c2, bad, n, maxiter):
    """f is non-finite for x[0] > t; the minimizer along p is at x[0] = m, inside or beyond.
    The result is a finite strong-Wolfe point or a clean failure, never a non-finite value."""
    center = np.zeros(n)
    center[0] = m
    if n > 1:
        center[1:] = np.linspace(-1.0, 1.0, n - 1)
    fun, grad = _nonfinite_beyond(center, t, bad)
    xk = np.zeros(n)
    pk = (center - xk) * 10.0 ** scale
    kw = dict(c2=c2, maxiter=maxiter)
    out, rec = run(line_search, fun, grad, xk, pk, **kw)
    alpha, fc, gc, new_fval, old_fval, new_slope = out
    if alpha is not None:
        assert math.isfinite(new_fval) and (xk + alpha * pk)[0] <= t
        assert np.all(np.isfinite(new_slope))
    check_search(fun, grad, xk, pk, kw, out, rec)
    assert fc <= 1 + 2 * maxiter


def test_nonfinite_first_trial_is_recovered():
    """f = nan two thirds of the way to the first trial step; the minimizer lies inside the
    finite region: ours finds it, where SciPy -- whose comparisons are all False on nan --
    returns a step with a nan value."""
    fun, grad = _nonfinite_beyond(np.array([1.5]), 2.0, math.nan)
    xk, pk = np.array([0.0]), np.array([4.0])
    ours, rec = run(line_search, fun, grad, xk, pk)
    check_search(fun, grad, xk, pk, {}, ours, rec)
    assert ours[0] is not None and abs(ours[0] * 4.0 - 1.5) < 0.75
    theirs, _ = run(scipy.optimize.line_search, fun, grad, xk, pk)
    assert theirs[0] is None or not math.isfinite(theirs[3])


@pytest.mark.parametrize("scale", [1e-10, 1e10])
@pytest.mark.parametrize("kind", KINDS)
def test_extreme_direction_scales(kind, scale):
    """p = 1e-10 (-g) or 1e10 (-g): the step must grow or shrink by ~10 orders of magnitude.
    Doubling from 1 takes ~33 steps; so does the zoom from [0, 1], whose interpolation
    guards (N&W: a trial within 10-20% of an end becomes a bisection) reject the tiny
    interpolated step. With maxiter = 10 that is a clean failure (or a Wolfe step), with
    maxiter = 60 a Wolfe step. (SciPy's zoom ignores maxiter and stops after 11 trials.)"""
    rng = np.random.default_rng(31)
    for n in (1, 4, 10):
        prob = make_problem(kind, n, rng)
        xk = rng.standard_normal(n)
        pk = -prob.grad(xk) * scale
        for maxiter in (10, 60):
            kw = dict(maxiter=maxiter)
            out, rec = run(line_search, prob.f, prob.grad, xk, pk, **kw)
            check_search(prob.f, prob.grad, xk, pk, kw, out, rec)
            assert out[1] <= 1 + 2 * maxiter
            if maxiter == 60:
                assert out[0] is not None
                assert 1e-3 < out[0] * scale < 1e2    # the step along -g, ~ 1 / curvature


def test_tiny_direction_needs_doubling():
    """p = 1e-10 (-g) on a quadratic: ~33 doublings; 10 are not enough (SciPy's unchecked
    step 2^10 after them), 60 are."""
    prob = Family("quadratic", np.array([2.0, 3.0]), np.array([1.0, -2.0]))
    xk = np.array([1.0, 1.0])
    pk = -prob.grad(xk) * 1e-10
    out, rec = run(line_search, prob.f, prob.grad, xk, pk)
    assert out[0] == 1024.0 and out[5] is None and len(ls_warnings(rec)) == 2
    assert out[1] == 1 + 10 + 1
    out, rec = run(line_search, prob.f, prob.grad, xk, pk, maxiter=60)
    check_search(prob.f, prob.grad, xk, pk, {}, out, rec)
    assert out[0] > 1e8


def test_old_old_fval_sets_first_step():
    """alpha0 = min(1, 2.02 (f0 - f_prev) / dphi0), as in SciPy: with the exact decrease of a
    quadratic's minimizer step the first trial lands on it, one evaluation."""
    prob = Family("quadratic", np.array([4.0]), np.array([0.0]))
    xk, pk = np.array([1.0]), np.array([-1.0])           # phi(a) = 2 (1 - a)^2
    f0, dphi0 = prob.f(xk), float(prob.grad(xk) @ pk)
    old_old = f0 - 0.5 * dphi0 / 2.02                     # alpha0 = 0.5
    f, g = Counted(prob.f), Counted(prob.grad)
    out, rec = run(line_search, f, g, xk, pk, old_old_fval=old_old, gfk=prob.grad(xk),
                   old_fval=f0)
    theirs, _ = run(scipy.optimize.line_search, prob.f, prob.grad, xk, pk,
                    old_old_fval=old_old, gfk=prob.grad(xk), old_fval=f0)
    assert out[0] == pytest.approx(0.5, rel=1e-12) and out[1:3] == (1, 1)
    assert out[:3] == pytest.approx(theirs[:3])


def test_amax_caps_the_step():
    prob = Family("quadratic", np.array([1.0, 1.0]), np.array([0.0, 0.0]))
    xk = np.array([3.0, -4.0])
    pk = -prob.grad(xk) * 0.01                           # minimizer at alpha = 100
    for amax in (0.5, 1.0, 3.0, 50.0, 100.0, 1e3):
        out, rec = run(line_search, prob.f, prob.grad, xk, pk, amax=amax, c2=0.5, maxiter=20)
        check_search(prob.f, prob.grad, xk, pk, dict(amax=amax, c2=0.5), out, rec)
        # strong Wolfe with c2 = 0.5 needs alpha >= 50
        assert (out[0] is None) == (amax < 50.0)
        if out[0] is not None:
            assert out[0] <= amax


def test_extra_condition_forces_smaller_step():
    """0.5 |x - c|^2 from 0 along c / 0.8: alpha = 1 is strong Wolfe (past the minimizer 0.8);
    a condition rejecting alpha > 0.95 makes the zoom return the minimizer instead."""
    c = np.array([0.8, -1.6, 2.4])
    prob = Family("quadratic", np.ones(3), -c)           # 0.5 |x|^2 - c.x
    xk, pk = np.zeros(3), c / 0.8
    plain, _ = run(line_search, prob.f, prob.grad, xk, pk)
    assert plain[0] == 1.0
    for ls in (line_search, scipy.optimize.line_search):
        cond = _bound_condition(0.95)
        out, rec = run(ls, prob.f, prob.grad, xk, pk, extra_condition=cond)
        if ls is line_search:
            check_search(prob.f, prob.grad, xk, pk, {}, out, rec)
        assert out[0] == pytest.approx(0.8, rel=1e-12)
        assert [a for a, *_ in cond.calls] == pytest.approx([1.0, 0.8])
        # called with (alpha, x, f, g) at strong-Wolfe points, consistent with each other
        for alpha, x, fx, gx in cond.calls:
            np.testing.assert_array_equal(x, xk + alpha * pk)
            assert fx == prob.f(x)
            np.testing.assert_array_equal(gx, prob.grad(x))
            assert_strong_wolfe(prob.f, prob.grad, xk, pk, alpha, 1e-4, 0.9)
    # a condition nothing satisfies: a clean failure
    out, rec = run(line_search, prob.f, prob.grad, xk, pk, extra_condition=lambda *a: False)
    assert out[0] is None and len(ls_warnings(rec)) == 1


@settings(max_examples=300, **SETTINGS)
@given(case=searches(options=False), frac=st.floats(0.1, 1.0))
def test_extra_condition_honoured(case, frac):
    """Whatever the condition, a returned step satisfies it, and it saw the right numbers."""
    prob, xk, pk, kw = case
    plain, _ = run(line_search, prob.f, prob.grad, xk, pk, **kw)
    if plain[5] is None:                # failed (alpha None or SciPy's unchecked step)
        return
    bound = frac * plain[0]
    calls = []

    def cond(alpha, x, f, g):
        calls.append((alpha, x.copy(), f, g.copy()))
        x[:] = np.nan                  # scribbling on the arguments must not hurt the search
        g[:] = np.nan
        return alpha <= bound

    out, rec = run(line_search, prob.f, prob.grad, xk, pk, extra_condition=cond, **kw)
    check_search(prob.f, prob.grad, xk, pk, kw, out, rec)
    assert calls and calls[0][0] == plain[0]
    if out[5] is not None:              # a strong-Wolfe step (not SciPy's unchecked one)
        assert out[0] <= bound and calls[-1][0] == out[0]
    for alpha, x, fx, gx in calls:
        np.testing.assert_array_equal(x, xk + alpha * pk)
        assert fx == prob.f(x)
        np.testing.assert_array_equal(gx, prob.grad(x))


class Boom(Exception):
    pass


@pytest.mark.parametrize("where", ["f at xk", "f at a trial", "fprime at xk",
                                   "fprime at a trial", "extra_condition"])
@pytest.mark.parametrize("exc_type", [Boom, KeyboardInterrupt])
def test_user_exceptions_propagate_unchanged(where, exc_type):
    prob = make_problem("quartic", 3, np.random.default_rng(41))
    xk = np.array([0.5, -0.3, 1.0])
    pk = -prob.grad(xk)
    exc = exc_type("from user code")
    state = {"f": 0, "g": 0}

    def f(x):
        state["f"] += 1
        if (where == "f at xk" and state["f"] == 1) or (where == "f at a trial"
                                                       and state["f"] == 3):
            raise exc
        return prob.f(x)

    def g(x):
        state["g"] += 1
        if (where == "fprime at xk" and state["g"] == 1) or (where == "fprime at a trial"
                                                            and state["g"] == 2):
            raise exc
        return prob.grad(x)

    def cond(alpha, x, fx, gx):
        raise exc

    kw = {"extra_condition": cond} if where == "extra_condition" else {}
    if where == "f at a trial":
        kw["maxiter"] = 30
        pk = pk * 1e-3                  # several trial steps before any acceptance
    with pytest.raises(exc_type) as info:
        line_search(f, g, xk, pk, **kw)
    assert info.value is exc
    # and the search stopped right there
    if where == "f at a trial":
        assert state["f"] == 3
    # a later call is unaffected by the stored exception
    out = line_search(prob.f, prob.grad, xk, -prob.grad(xk))
    assert out[0] is not None


def test_inputs_not_modified_and_callable_may_keep_x():
    prob = make_problem("trig", 5, np.random.default_rng(42))
    xk = np.linspace(-1.0, 1.0, 5)
    gfk = prob.grad(xk)
    pk = -gfk
    copies = xk.copy(), pk.copy(), gfk.copy()
    kept = []

    def f(x):
        kept.append(x)
        v = prob.f(x)
        x[:] = 1e300                    # the callable scribbles on the x it was given
        return v

    def g(x):
        v = prob.grad(x)
        x[:] = -1e300
        return v

    out = line_search(f, g, xk, pk, gfk=gfk)
    np.testing.assert_array_equal(xk, copies[0])
    np.testing.assert_array_equal(pk, copies[1])
    np.testing.assert_array_equal(gfk, copies[2])
    assert len({id(x) for x in kept}) == len(kept)      # a fresh array per call
    ref = line_search(prob.f, prob.grad, xk, pk, gfk=gfk)
    assert out[:5] == ref[:5]
    np.testing.assert_array_equal(out[5], ref[5])


BAD_POINTS = {
    "nan": np.array([1.0, np.nan]),
    "inf": np.array([np.inf, 1.0]),
    "2-D": np.ones((2, 1)),
    "empty": np.array([]),
    "scalar": np.float64(1.0),
    "complex": np.array([1.0 + 0j, 2.0]),
    "length 3": np.ones(3),
    "strings": np.array(["a", "b"]),
    "ragged": [[1.0], [1.0, 2.0]],
}


@pytest.mark.parametrize("which", ["xk", "pk"])
@pytest.mark.parametrize("bad", sorted(BAD_POINTS))
def test_bad_points(which, bad):
    f = Counted(lambda x: float(np.sum(x ** 2)))
    g = Counted(lambda x: 2.0 * x)
    args = {"xk": np.ones(2), "pk": -np.ones(2)}
    args[which] = BAD_POINTS[bad]
    with pytest.raises(ValueError, match=which if bad != "length 3" else "shape"):
        line_search(f, g, args["xk"], args["pk"])
    assert f.calls == 0 and g.calls == 0


@pytest.mark.parametrize("kw,match", [
    (dict(gfk=np.ones(3)), "gfk"),
    (dict(gfk=np.array([np.nan, 1.0])), "gradient"),
    (dict(old_fval=math.nan), "f\\(xk\\)"),
    (dict(amax=0.0), "amax"),
    (dict(amax=-1.0), "amax"),
    (dict(maxiter=0), "maxiter"),
])
def test_bad_options(kw, match):
    with pytest.raises(ValueError, match=match):
        line_search(lambda x: float(x @ x), lambda x: 2.0 * x, np.ones(2), -np.ones(2), **kw)


@pytest.mark.parametrize("bad", ["f", "g"])
def test_nonfinite_start(bad):
    f = (lambda x: math.nan) if bad == "f" else (lambda x: float(x @ x))
    g = (lambda x: np.array([np.inf, 0.0])) if bad == "g" else (lambda x: 2.0 * x)
    with pytest.raises(ValueError, match="not finite"):
        line_search(f, g, np.ones(2), -np.ones(2))


def test_wrong_gradient_shape():
    with pytest.raises(ValueError, match="shape"):
        line_search(lambda x: float(x @ x), lambda x: np.ones(3), np.ones(2), -np.ones(2))


def test_public_name():
    assert fastnewton.line_search is line_search
    assert "line_search" in fastnewton.__all__
    assert list(inspect.signature(line_search).parameters) == \
        list(inspect.signature(scipy.optimize.line_search).parameters)
