"""fastnewton.line_search at the edges: non-descent directions, unbounded and non-finite
objectives, extreme scales, exceptions from user code, bad parameters and inputs (a ValueError
before anything is evaluated, the caller's arrays untouched).
"""
import inspect
import math
import os
import warnings

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from _support import (KINDS, SETTINGS, Counted, Family, LineSearchWarning, check_search,
                      ls_warnings, make_problem, run)

import fastnewton
from fastnewton import line_search


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


def test_extra_condition_returning_an_array_names_it():
    import fastnewton
    f = lambda x: float(x @ x)
    g = lambda x: 2.0 * x
    x = np.array([1.0, 1.0])
    with pytest.raises(TypeError, match="extra_condition must return a bool"):
        fastnewton.line_search(f, g, x, -g(x), extra_condition=lambda a, x, f, g: g > 0)
