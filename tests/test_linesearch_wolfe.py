"""fastnewton.line_search on Python callables: the strong Wolfe conditions and the counts.

Properties (hypothesis: random smooth functions, points, descent directions and c1 < c2):
whenever a step is returned it satisfies both strong Wolfe conditions, recomputed here from the
analytic f and gradient with only a rounding-level slack; the returned value and gradient are f
and grad f at xk + alpha pk; fc, gc equal the calls the callables actually received. Then the
options that steer the search: gradients by differences, args, old_old_fval, amax,
extra_condition.
"""
import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from _support import (KINDS, SETTINGS, Counted, Family, check_search, make_direction,
                      make_problem, run, searches)

from fastnewton import line_search


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
