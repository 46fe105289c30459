"""The iteration engine driven by hand, through its ask/tell interface (fastnewton._api.AskTell).

The engine never calls the objective: it asks for f and g at a point, for f alone, for g
alone where f is known, for Newton's Hessian, and reports each completed iteration. Served
here by plain NumPy functions, it must walk exactly the iterates ``minimize`` walks when the
same functions are handed to it (``minimize`` runs the same engine with the direct driver):
the same arithmetic in the same order, so the iterates agree bit for bit, and so do the
counts of values asked for.
"""
import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der, rosen_hess

from fastnewton import minimize, testing
from fastnewton._api import AskTell
from fastnewton._objective import fn_status

METHODS = ("newton", "bfgs", "lbfgs", "sr1")


def _drive(method, fun, grad, hess, x0, separate, options=None, stop_at=None):
    """Serve every request of an AskTell solve; returns (engine, iterates, values asked)."""
    eng = AskTell(method, x0, fun(x0), grad(x0), options=options, separate=separate)
    iterates, asked = [], {"f": 0, "fg": 0, "g": 0, "hess": 0}
    kind, x = eng.ask()
    while kind != "done":
        asked[kind] = asked.get(kind, 0) + 1
        if kind == "fg":
            kind, x = eng.tell(f=fun(x), g=grad(x))
        elif kind == "f":
            kind, x = eng.tell(f=fun(x))
        elif kind == "g":
            # the gradient where f is already known: the engine says what f it has there
            assert eng.known_f == fun(x)
            kind, x = eng.tell(g=grad(x))
        elif kind == "hess":
            kind, x = eng.tell(h=hess(x))
        else:
            assert kind == "iter"
            iterates.append(x)
            np.testing.assert_array_equal(eng.g, grad(x))
            assert eng.f == fun(x)
            kind, x = eng.tell(stop=stop_at is not None and len(iterates) == stop_at)
    return eng, iterates, asked


def _minimize_path(method, fun, grad, hess, x0, jac_true, options=None):
    xs = []
    if jac_true:
        res = minimize(lambda x: (fun(x), grad(x)), x0, jac=True, method=method,
                       hess=hess, options=options, callback=lambda xk: xs.append(xk.copy()))
    else:
        res = minimize(fun, x0, jac=grad, method=method, hess=hess, options=options,
                       callback=lambda xk: xs.append(xk.copy()))
    return res, xs


@pytest.mark.parametrize("separate", [True, False], ids=["f-then-g", "f-and-g"])
@pytest.mark.parametrize("method", METHODS)
def test_engine_by_hand_walks_minimizes_iterates(method, separate):
    x0 = np.array([-1.2, 1.0, -1.2, 1.0, 0.5])
    hess = rosen_hess if method == "newton" else None
    eng, iterates, asked = _drive(method, rosen, rosen_der, rosen_hess, x0, separate)
    res, xs = _minimize_path(method, rosen, rosen_der, hess, x0, jac_true=not separate)
    assert res.status == 0 and eng.status == fn_status.FN_CONVERGED
    assert len(iterates) == len(xs) == res.nit == eng.nit > 5
    for k, (mine, theirs) in enumerate(zip(iterates, xs)):
        np.testing.assert_array_equal(mine, theirs, err_msg=f"iterate {k + 1}")
    kind, x = eng.ask()
    np.testing.assert_array_equal(x, res.x)
    assert eng.f == res.fun
    # values asked = values minimize computed (its count includes f(x0), computed by us)
    assert asked["f"] + asked["fg"] + 1 == res.nfev
    if separate:
        assert asked["fg"] == 0 and asked["g"] > 0
    else:
        assert asked["f"] == asked["g"] == 0
    assert asked["hess"] == (res.nhev if method == "newton" else 0)


@pytest.mark.parametrize("method", METHODS)
def test_engine_by_hand_on_mgh_problems(method):
    """Three problems of different shape (banded, dense, badly scaled), same iterates."""
    for name in ("extended_rosenbrock", "brown_almost_linear", "powell_badly_scaled"):
        p = testing.get(name)
        hess = p.hess if method == "newton" else None
        if method == "newton" and hess is None:
            continue
        eng, iterates, _ = _drive(method, p.fun, p.grad, hess, p.x0, separate=True)
        res, xs = _minimize_path(method, p.fun, p.grad, hess, p.x0, jac_true=False)
        assert eng.status == res.status and eng.nit == res.nit, name
        for mine, theirs in zip(iterates, xs):
            np.testing.assert_array_equal(mine, theirs, err_msg=name)


def test_stopping_at_an_iteration_ends_with_status_4_there():
    x0 = np.array([-1.2, 1.0])
    eng, iterates, _ = _drive("bfgs", rosen, rosen_der, None, x0, True, stop_at=3)
    assert eng.status == fn_status.FN_CALLBACK_STOP and eng.nit == 3
    kind, x = eng.ask()
    assert kind == "done"
    np.testing.assert_array_equal(x, iterates[-1])
    with pytest.raises(RuntimeError, match="ended"):
        eng.tell()


def test_options_reach_the_engine():
    """maxiter stops the hand-driven solve exactly where it stops minimize."""
    x0 = np.array([-1.2, 1.0, 0.3])
    eng, iterates, _ = _drive("lbfgs", rosen, rosen_der, None, x0, True,
                              options={"maxiter": 4, "memory": 2})
    res, xs = _minimize_path("lbfgs", rosen, rosen_der, None, x0, jac_true=False,
                             options={"maxiter": 4, "memory": 2})
    assert eng.status == res.status == fn_status.FN_MAXITER
    assert len(iterates) == 4
    np.testing.assert_array_equal(iterates[-1], res.x)
    S, Y = eng.result()["pairs"]
    assert S.shape == (2, 3)            # memory 2: the two newest pairs
    np.testing.assert_array_equal(S[-1], xs[-1] - xs[-2])


@pytest.mark.parametrize("maxfun", [5, 17, 30])
def test_maxfun_counts_f0_as_minimize_does(maxfun):
    x0 = np.array([-1.2, 1.0, 0.3])
    eng, iterates, asked = _drive("bfgs", rosen, rosen_der, None, x0, True,
                                  options={"maxfun": maxfun})
    res, xs = _minimize_path("bfgs", rosen, rosen_der, None, x0, jac_true=False,
                             options={"maxfun": maxfun})
    assert eng.status == res.status == fn_status.FN_MAXITER
    assert eng.nit == res.nit and asked["f"] + 1 == res.nfev > maxfun
    np.testing.assert_array_equal(iterates[-1], res.x)


def test_bad_start_is_refused():
    with pytest.raises(ValueError, match="g0"):
        AskTell("bfgs", [1.0, 2.0], 1.0, [1.0])
    with pytest.raises(ValueError, match="f0"):
        AskTell("bfgs", [1.0, 2.0], float("nan"), [1.0, 1.0])


def test_told_values_follow_the_objectives_rule():
    """What a caller tells is checked as an objective's return is: real numbers only."""
    eng = AskTell("bfgs", [1.0, 2.0], 5.0, [2.0, 4.0])
    kind, x = eng.ask()
    assert kind == "fg"
    with pytest.raises(TypeError, match="f"):
        eng.tell(f=1.0 + 2.0j, g=[1.0, 1.0])
    with pytest.raises(TypeError, match="g"):
        eng.tell(f=1.0, g=np.array([1.0, 1.0j]))
    with pytest.raises(ValueError, match="g must have 2 entries"):
        eng.tell(f=1.0, g=[1.0, 1.0, 1.0])
    kind, _ = eng.tell(f=10**400, g=[1.0, 1.0])      # too large for a float: inf, too far
    assert kind in ("f", "fg")
