"""fastnewton.line_search against scipy.optimize.line_search on every return path of SciPy's
function (scalar_search_wolfe2 / line_search_wolfe2 / _zoom), on identical inputs.

For each path: the six return values (alpha, fc, gc, new_fval, old_fval, new_slope) and the
LineSearchWarnings (count, text). The evaluation counts agree except where stated, with the
reason:

* SciPy's zoom makes up to 11 trial steps whatever `maxiter` is (its own ``maxiter = 10`` and
  a ``i > maxiter`` test); ours makes `maxiter`. So after a failed zoom SciPy's fc exceeds
  ours by 11 - maxiter (here every zoom trial fails Armijo, so no gradients are involved).
* At `amax` with trials left, SciPy repeats the step amax (one more f) and then zooms on the
  empty interval [amax, amax] (11 more f) before failing; ours stops there.
* For a direction that is not one of descent, SciPy searches anyway (and fails); ours
  evaluates nothing.
* When old_old_fval == old_fval, SciPy evaluates f at alpha = 0 (one f) before giving up.

The gradient at xk, when the caller does not give gfk, is not counted by either (SciPy calls
myfprime directly there); f(xk), when old_fval is not given, is counted by both.
"""
import warnings

import numpy as np
import pytest
import scipy.optimize

from fastnewton import line_search
from fastnewton._linesearch import LineSearchWarning

NOT_CONVERGED = "The line search algorithm did not converge"


class Counted:
    def __init__(self, fun):
        self.fun, self.calls = fun, 0

    def __call__(self, x, *args):
        self.calls += 1
        return self.fun(x, *args)


def run(ls, f, g, *args, **kw):
    """(result, [(category, text)] of the warnings, f calls, g calls)."""
    fc, gc = Counted(f), Counted(g)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = ls(fc, gc, *args, **kw)
    return out, [(w.category, str(w.message)) for w in rec], fc.calls, gc.calls


def both(f, g, xk, pk, **kw):
    return (run(scipy.optimize.line_search, f, g, xk, pk, **kw),
            run(line_search, f, g, xk, pk, **kw))


def assert_same_values(ours, theirs):
    """alpha, new_fval, old_fval exactly (the same arithmetic on the same numbers), new_slope
    as arrays; not the counts."""
    assert (ours[0] is None) == (theirs[0] is None)
    if theirs[0] is not None:
        assert float(ours[0]) == float(theirs[0])
    assert (ours[3] is None) == (theirs[3] is None)
    if theirs[3] is not None:
        assert float(ours[3]) == float(theirs[3])
    assert float(ours[4]) == float(theirs[4])
    assert (ours[5] is None) == (theirs[5] is None)
    if theirs[5] is not None:
        np.testing.assert_array_equal(np.asarray(ours[5], dtype=float),
                                      np.asarray(theirs[5], dtype=float))


# an indefinite quadratic: along pk = e_2 it is unbounded below, phi'(alpha) = -alpha
_A = np.diag([1.0, -1.0])


def _indef_f(x):
    return float(0.5 * x @ _A @ x)


def _indef_g(x):
    return _A @ x


_XK, _PK = np.array([1.0, 1.0]), np.array([0.0, 1.0])


@pytest.mark.parametrize("kw", [{"amax": 512}, {}, {"maxiter": 3}, {"maxiter": 1},
                                {"gfk": np.array([1.0, -1.0]), "old_fval": 0.0}])
def test_bracketing_exhausted_returns_the_next_trial_step_unchecked(kw):
    """All maxiter bracketing trials lower f with phi' < 0 and none meets the curvature
    condition: SciPy returns the next trial step (2^maxiter, or amax = 512 reached at the last
    trial), its f, new_slope None, and warns twice. The same here, counts included."""
    (theirs, w_s, f_s, g_s), (ours, w_o, f_o, g_o) = both(_indef_f, _indef_g, _XK, _PK, **kw)
    assert theirs[0] is not None and theirs[5] is None          # SciPy's path, as described
    assert_same_values(ours, theirs)
    maxiter = kw.get("maxiter", 10)
    assert ours[0] == min(2.0 ** maxiter, kw.get("amax", np.inf))
    assert ours[3] == _indef_f(_XK + ours[0] * _PK)
    assert ours[1:3] == theirs[1:3]
    assert (f_o, g_o) == (f_s, g_s)
    assert w_o == w_s == [(LineSearchWarning, NOT_CONVERGED)] * 2


def test_amax_reached_with_trials_left_fails_as_scipy():
    """amax = 100 is reached at the 8th of 10 trials: SciPy then zooms on [amax, amax] and
    fails (None, one warning); so does ours, without those 12 evaluations."""
    (theirs, w_s, _, _), (ours, w_o, _, _) = both(_indef_f, _indef_g, _XK, _PK, amax=100)
    assert theirs[0] is None
    assert_same_values(ours, theirs)
    assert w_o == w_s == [(LineSearchWarning, NOT_CONVERGED)]
    # trials 1, 2, ..., 64, 100 (+ f(xk)): 8 f and 8 g here; SciPy: + f(amax) + 11 zoom trials
    assert ours[1:3] == (1 + 8, 8)
    assert theirs[1:3] == (ours[1] + 1 + 11, ours[2])


@pytest.mark.parametrize("maxiter", [10, 5])
def test_zoom_exhausted(maxiter):
    """A gradient that disagrees with f (phi' = -100 everywhere): the bracket [1, 2] is found
    and the zoom never meets the curvature condition. Both: None, one warning."""
    f = lambda x: float(x[0] ** 2)                  # noqa: E731
    g = lambda x: np.array([100.0])                 # noqa: E731  (wrong on purpose)
    xk, pk, gfk = np.array([1.0]), np.array([-1.0]), np.array([2.0])
    (theirs, w_s, _, _), (ours, w_o, _, _) = both(f, g, xk, pk, gfk=gfk, maxiter=maxiter)
    assert theirs[0] is None
    assert_same_values(ours, theirs)
    assert w_o == w_s == [(LineSearchWarning, NOT_CONVERGED)]
    assert ours[2] == theirs[2]
    assert theirs[1] - ours[1] == 11 - maxiter


def test_not_a_descent_direction():
    """pk uphill: SciPy searches, fails and warns; ours warns at once with SciPy's text plus
    the reason (a warnings filter on SciPy's text, a prefix match, still applies)."""
    f = lambda x: float(x @ x)                      # noqa: E731
    g = lambda x: 2.0 * x                           # noqa: E731
    xk, pk = np.array([1.0, 2.0]), np.array([1.0, 1.0])
    (theirs, w_s, _, _), (ours, w_o, f_o, g_o) = both(f, g, xk, pk)
    assert theirs[0] is None
    assert_same_values(ours, theirs)
    assert w_s == [(LineSearchWarning, NOT_CONVERGED)]
    assert len(w_o) == 1 and w_o[0][0] is LineSearchWarning
    assert w_o[0][1].startswith(NOT_CONVERGED) and "descent" in w_o[0][1]
    assert ours[1:3] == (1, 0) and (f_o, g_o) == (1, 1)    # f(xk), g(xk) only
    assert theirs[1] > ours[1]


def test_extra_condition_refusing_everything():
    f = lambda x: float(x @ x)                      # noqa: E731
    g = lambda x: 2.0 * x                           # noqa: E731
    xk, pk = np.array([1.0, 2.0]), np.array([-1.0, -1.0])
    calls_s, calls_o = [], []
    (theirs, w_s, _, _) = run(scipy.optimize.line_search, f, g, xk, pk,
                              extra_condition=lambda a, x, fx, gx: calls_s.append(a) and False)
    (ours, w_o, _, _) = run(line_search, f, g, xk, pk,
                            extra_condition=lambda a, x, fx, gx: calls_o.append(a) and False)
    assert theirs[0] is None
    assert_same_values(ours, theirs)
    assert w_o == w_s == [(LineSearchWarning, NOT_CONVERGED)]
    assert calls_o and calls_o == calls_s[:len(calls_o)]   # the same strong-Wolfe points seen


def test_extra_condition_refusing_the_first_wolfe_point():
    """The first strong-Wolfe step (alpha = 1) is refused, the search goes on: the same later
    step, values and counts as SciPy's."""
    f = lambda x: float(x @ x) + float(np.sum(np.cos(3 * x)))      # noqa: E731
    g = lambda x: 2.0 * x - 3.0 * np.sin(3 * x)                    # noqa: E731
    xk = np.array([1.0, 2.0])
    pk = -g(xk) / np.linalg.norm(g(xk))
    plain = run(scipy.optimize.line_search, f, g, xk, pk)[0]
    assert plain[0] is not None and plain[5] is not None
    cond = lambda a, x, fx, gx: a != plain[0]                       # noqa: E731
    (theirs, w_s, f_s, g_s), (ours, w_o, f_o, g_o) = both(f, g, xk, pk, extra_condition=cond)
    assert theirs[0] is not None and theirs[0] != plain[0]
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12)
    assert ours[1:3] == theirs[1:3] and (f_o, g_o) == (f_s, g_s)
    assert ours[3] == pytest.approx(theirs[3], rel=1e-12)
    np.testing.assert_allclose(ours[5], theirs[5], rtol=1e-12)
    assert w_o == w_s == []


def test_old_old_fval_equal_to_old_fval():
    """SciPy's first step min(1, 2.02 (f0 - f_prev) / phi'(0)) is 0: 'Rounding errors prevent
    the line search from converging' and 'did not converge'; alpha None, new_fval f(xk).
    (SciPy then returns old_old_fval as old_fval: equal here by construction; ours always
    returns f(xk) there, the documented meaning.)"""
    f = lambda x: float(x @ x)                      # noqa: E731
    g = lambda x: 2.0 * x                           # noqa: E731
    xk, pk = np.array([1.0, 2.0]), np.array([-1.0, -1.0])
    (theirs, w_s, _, _), (ours, w_o, _, _) = both(f, g, xk, pk, old_fval=5.0, old_old_fval=5.0)
    assert_same_values(ours, theirs)
    assert w_o == w_s == [(LineSearchWarning,
                           "Rounding errors prevent the line search from converging"),
                          (LineSearchWarning, NOT_CONVERGED)]
    assert ours[1:3] == (0, 0) and theirs[1:3] == (1, 0)


@pytest.mark.parametrize("given", ["none", "gfk", "old_fval", "both"])
def test_success_path_and_counting_rule(given):
    """A plain success: all six values and both counts equal SciPy's, whichever of gfk and
    old_fval the caller gives (g at xk never counted, f at xk counted when computed)."""
    f = lambda x: float(np.sum((x - 1.0) ** 4) + x @ x)            # noqa: E731
    g = lambda x: 4.0 * (x - 1.0) ** 3 + 2.0 * x                   # noqa: E731
    xk = np.array([-1.0, 0.5, 2.0])
    pk = -g(xk)
    kw = {}
    if given in ("gfk", "both"):
        kw["gfk"] = g(xk)
    if given in ("old_fval", "both"):
        kw["old_fval"] = f(xk)
    (theirs, w_s, f_s, g_s), (ours, w_o, f_o, g_o) = both(f, g, xk, pk, **kw)
    assert theirs[5] is not None
    assert_same_values(ours, theirs)
    assert ours[1:3] == theirs[1:3] and (f_o, g_o) == (f_s, g_s)
    assert w_o == w_s == []
