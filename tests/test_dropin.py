"""fastnewton.minimize as a drop-in for scipy.optimize.minimize: SciPy's signature, arguments
and option names with SciPy's meaning, each checked against SciPy's minimize on the same
inputs.

Where the iterations themselves differ (our line search starts quasi-Newton steps at 1 or
min(1, 1/|g|), SciPy's from an interpolation of the last decrease), the comparison is of the
*meaning*: the stop test an option defines holds at the last iterate and at no earlier one,
for SciPy's run and for ours, on the same problem; or results agree to the solution's
accuracy (gtol-limited: |x - x*| <= ~1e-4 on Rosenbrock at gtol 1e-5 and better).
"""
import ctypes
import inspect
import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse
from scipy import LowLevelCallable
from scipy.optimize import Bounds, rosen, rosen_der, rosen_hess, rosen_hess_prod
from scipy.sparse.linalg import aslinearoperator

from _support import Counted

import fastnewton
from fastnewton import minimize

X0 = np.array([-1.2, 1.0])
QN = [("bfgs", "BFGS"), ("lbfgs", "L-BFGS-B")]


def scipy_min(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # L-BFGS-B's iprint / disp
        return scipy.optimize.minimize(*args, **kw)


# ---------------------------------------------------------------------------------------------
# signature, method=None, bounds, constraints

def test_signature_is_scipys():
    ours = list(inspect.signature(minimize).parameters)
    theirs = list(inspect.signature(scipy.optimize.minimize).parameters)
    assert ours == theirs


def test_method_none_is_newton():
    a = minimize(rosen, X0, jac=rosen_der, method=None)
    b = minimize(rosen, X0, jac=rosen_der, method="newton")
    c = minimize(rosen, X0, jac=rosen_der)
    assert "nhev" in a and a.nit == b.nit == c.nit
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.x, c.x)


@pytest.mark.parametrize("bounds", [None, [(None, None)] * 2, [(-np.inf, np.inf)] * 2,
                                    Bounds(-np.inf, np.inf), Bounds([-np.inf] * 2,
                                                                    [np.inf] * 2)])
@pytest.mark.parametrize("ours,theirs", QN)
def test_no_bounds_and_all_infinite_bounds_are_no_bounds(ours, theirs, bounds):
    """SciPy's L-BFGS-B treats infinite bounds as none (the same result as without);
    ours too, with constraints=() as SciPy code passes it."""
    plain = minimize(rosen, X0, jac=rosen_der, method=ours)
    r = minimize(rosen, X0, jac=rosen_der, method=ours, bounds=bounds, constraints=())
    np.testing.assert_array_equal(r.x, plain.x)
    assert r.nit == plain.nit
    if theirs == "L-BFGS-B":
        s_plain = scipy_min(rosen, X0, jac=rosen_der, method=theirs)
        s = scipy_min(rosen, X0, jac=rosen_der, method=theirs, bounds=bounds, constraints=())
        np.testing.assert_array_equal(s.x, s_plain.x)


@pytest.mark.parametrize("method", ["newton", "bfgs", "lbfgs", "sr1"])
@pytest.mark.parametrize("bounds", [[(-2, 2), (-2, 2)], [(None, 2), (None, None)],
                                    Bounds([-np.inf, 0.0], [np.inf, np.inf])])
def test_finite_bounds_are_refused(method, bounds):
    with pytest.raises(ValueError, match="unconstrained"):
        minimize(rosen, X0, jac=rosen_der, method=method, bounds=bounds)


@pytest.mark.parametrize("constraints", [{"type": "ineq", "fun": lambda x: x[0]},
                                         [{"type": "ineq", "fun": lambda x: x[0]}],
                                         scipy.optimize.LinearConstraint([[1.0, 0.0]], 0, 1)])
def test_constraints_are_refused(constraints):
    with pytest.raises(ValueError, match="unconstrained"):
        minimize(rosen, X0, jac=rosen_der, method="bfgs", constraints=constraints)


def test_scipy_method_takes_the_same_arguments():
    m = fastnewton.scipy_method("lbfgs")
    r = scipy.optimize.minimize(rosen, X0, jac=rosen_der, method=m,
                                bounds=[(None, None)] * 2, options={"maxcor": 5})
    d = minimize(rosen, X0, jac=rosen_der, method="lbfgs", options={"memory": 5})
    np.testing.assert_array_equal(r.x, d.x)
    with pytest.raises(ValueError, match="unconstrained"):
        scipy.optimize.minimize(rosen, X0, jac=rosen_der, method=m, bounds=[(0, 2)] * 2)


# ---------------------------------------------------------------------------------------------
# tol

@pytest.mark.parametrize("method", ["newton", "bfgs", "sr1"])
def test_tol_is_gtol(method):
    a = minimize(rosen, X0, jac=rosen_der, method=method, tol=1e-3)
    b = minimize(rosen, X0, jac=rosen_der, method=method, options={"gtol": 1e-3})
    np.testing.assert_array_equal(a.x, b.x)
    assert a.nit == b.nit


def test_tol_is_gtol_and_ftol_for_lbfgs_as_in_scipy():
    """SciPy's minimize sets gtol and ftol from tol for L-BFGS-B: the same run as with both
    options, for SciPy and for ours; and for ours not the run with gtol alone."""
    tol = 1e-4
    s_tol = scipy_min(rosen, X0, jac=rosen_der, method="L-BFGS-B", tol=tol)
    s_opt = scipy_min(rosen, X0, jac=rosen_der, method="L-BFGS-B",
                      options={"gtol": tol, "ftol": tol})
    np.testing.assert_array_equal(s_tol.x, s_opt.x)
    o_tol = minimize(rosen, X0, jac=rosen_der, method="lbfgs", tol=tol)
    o_opt = minimize(rosen, X0, jac=rosen_der, method="lbfgs", options={"gtol": tol, "ftol": tol})
    o_gtol = minimize(rosen, X0, jac=rosen_der, method="lbfgs", options={"gtol": tol})
    np.testing.assert_array_equal(o_tol.x, o_opt.x)
    assert o_tol.status == 5 and o_tol.nit < o_gtol.nit


# ---------------------------------------------------------------------------------------------
# L-BFGS-B's names

def test_maxcor_maxls_are_memory_and_ls_maxiter():
    a = minimize(rosen, X0, jac=rosen_der, method="L-BFGS-B", options={"maxcor": 3, "maxls": 7})
    b = minimize(rosen, X0, jac=rosen_der, method="lbfgs",
                 options={"memory": 3, "ls_maxiter": 7})
    np.testing.assert_array_equal(a.x, b.x)
    assert a.hess_inv.sk.shape[0] == 3
    s = scipy_min(rosen, X0, jac=rosen_der, method="L-BFGS-B", options={"maxcor": 3, "maxls": 7})
    assert s.hess_inv.sk.shape[0] <= 3
    np.testing.assert_allclose(a.x, s.x, atol=1e-4)
    with pytest.raises(ValueError, match="same option"):
        minimize(rosen, X0, jac=rosen_der, method="lbfgs", options={"maxcor": 3, "memory": 3})
    with pytest.raises(ValueError, match="maxcor"):
        minimize(rosen, X0, jac=rosen_der, method="lbfgs", options={"maxcor": 0})


def _reductions(fs):
    return [(a - b) / max(abs(a), abs(b), 1.0) for a, b in zip(fs, fs[1:])]


def test_ftol_means_scipys_relative_reduction():
    """ftol = 1e-4 with a tiny gtol: SciPy's L-BFGS-B and ours both stop at the first step whose
    relative reduction (f_k - f_k+1) / max(|f_k|, |f_k+1|, 1) is <= ftol (SciPy computes the
    threshold as (ftol / eps) eps: a 1e-12 relative slack)."""
    ftol = 1e-4
    for lib, meth in ((scipy_min, "L-BFGS-B"), (minimize, "lbfgs")):
        fs = [rosen(X0)]
        r = lib(rosen, X0, jac=rosen_der, method=meth,
                callback=lambda xk: fs.append(rosen(xk)), options={"ftol": ftol, "gtol": 1e-12})
        red = _reductions(fs)
        assert r.success and len(red) == r.nit
        assert red[-1] <= ftol * (1 + 1e-12), (meth, red[-3:])
        assert min(red[:-1]) > ftol, (meth, red)
    assert r.status == 5


def test_lbfgs_default_has_no_ftol():
    """Without ftol (or tol) ours runs to gtol; SciPy's default 2.2e-9 is not applied."""
    r = minimize(rosen, X0, jac=rosen_der, method="lbfgs", options={"gtol": 1e-10})
    assert r.status == 0 and np.max(np.abs(r.jac)) <= 1e-10


@pytest.mark.parametrize("jac", [rosen_der, None])
@pytest.mark.parametrize("maxfun", [10, 25])
def test_maxfun_means_scipys_budget(jac, maxfun):
    """maxfun: the solve stops (status 1) after the first iteration that leaves more than maxfun
    values of f computed (finite-difference ones counted), as SciPy's L-BFGS-B does: the count
    was <= maxfun after the previous iteration and is > maxfun at the end, and res.nfev is the
    number of calls of fun."""
    for lib, meth in ((scipy_min, "L-BFGS-B"), (minimize, "lbfgs")):
        f = Counted(rosen)
        seen = [1]                       # f(x0)
        r = lib(f, X0, jac=jac, method=meth, callback=lambda xk: seen.append(f.calls),
                options={"maxfun": maxfun})
        assert r.status == 1 and not r.success
        assert r.nfev == f.calls > maxfun
        assert seen[-1] == f.calls and seen[-2] <= maxfun, (meth, seen)
    assert r.message == fastnewton._minimize.MAXFUN_MESSAGE
    assert "function evaluations" in r.message


@pytest.mark.parametrize("jac,opts", [(rosen_der, {}), ("cs", {}), (None, {"eps": 1e-7})])
def test_maxfun_for_bfgs_and_newton(jac, opts):
    """The budget counts every value of f, those of a complex-step or eps gradient too: the
    count was <= maxfun after the previous iteration."""
    for method in ("bfgs", "newton"):
        f = Counted(rosen)
        seen = []
        r = minimize(f, X0, jac=jac, method=method, options=dict(opts, maxfun=12),
                     callback=lambda xk: seen.append(f.calls))
        assert r.status == 1 and r.nfev == f.calls > 12 and "evaluations" in r.message
        assert len(seen) == 1 or seen[-2] <= 12


@pytest.mark.parametrize("opts,prints", [({"iprint": -1}, False), ({"iprint": 0}, True),
                                         ({"iprint": 1}, True),
                                         ({"iprint": 1, "disp": None}, True),
                                         ({"iprint": 1, "disp": False}, False),
                                         ({"iprint": -1, "disp": True}, True)])
def test_iprint(capsys, opts, prints):
    """SciPy's L-BFGS-B: iprint < 0 silent, >= 0 prints; disp, unless None, overrides it."""
    r = minimize(rosen, X0, jac=rosen_der, method="L-BFGS-B", options=opts)
    out = capsys.readouterr().out
    assert bool(out) == prints
    if prints:
        assert r.message in out


@pytest.mark.parametrize("name,value", [("finite_diff_rel_step", [1e-3, 1e-3]),
                                        ("finite_diff_rel_step", -1.0), ("eps", 0.0),
                                        ("eps", [1e-8] * 3), ("xrtol", -1.0), ("ftol", "x"),
                                        ("maxfun", -1), ("maxfun", 2.5), ("maxfun", "x"),
                                        ("norm", np.nan), ("maxls", 0), ("maxcor", None)])
def test_scipy_option_values_are_checked(name, value):
    with pytest.raises(ValueError, match=name):
        minimize(rosen, X0, jac=rosen_der, method="lbfgs", options={name: value})


# ---------------------------------------------------------------------------------------------
# finite-difference gradients: eps, finite_diff_rel_step, 'cs'

@pytest.mark.parametrize("ours,theirs", QN)
def test_eps_is_the_absolute_forward_step(ours, theirs):
    """options eps with jac None: forward differences with that absolute step, SciPy's
    meaning; res.jac is then SciPy's approx_fprime(x, f, eps) at res.x (the same formula on
    the same numbers), and SciPy's run with the same eps reaches the same point to FD
    accuracy."""
    eps = 1e-7
    f = Counted(rosen)
    r = minimize(f, X0, method=ours, options={"eps": eps})
    assert r.success and r.nfev == f.calls
    np.testing.assert_allclose(r.jac, scipy.optimize.approx_fprime(r.x, rosen, eps),
                               rtol=1e-12, atol=1e-15)
    s = scipy_min(rosen, X0, method=theirs, options={"eps": eps})
    np.testing.assert_allclose(r.x, s.x, atol=1e-3)
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-3)


def test_finite_diff_rel_step():
    """jac='2-point' with finite_diff_rel_step r: h_i = r max(1, |x_i|), SciPy's step (at
    x > 0, where SciPy's sign(x) is +1): res.jac is SciPy's approx_derivative there."""
    r_step = 1e-4
    r = minimize(rosen, X0, jac="2-point", method="bfgs",
                 options={"finite_diff_rel_step": r_step})
    assert np.all(r.x > 0)
    expected = scipy.optimize.approx_fprime(r.x, rosen, r_step * np.maximum(1.0, np.abs(r.x)))
    np.testing.assert_allclose(r.jac, expected, rtol=1e-10, atol=1e-12)
    default = minimize(rosen, X0, jac="2-point", method="bfgs")
    assert not np.array_equal(default.x, r.x)


@pytest.mark.parametrize("method,scipy_method", [("newton", "BFGS"), ("bfgs", "BFGS"),
                                                 ("lbfgs", "L-BFGS-B"), ("sr1", "BFGS")])
def test_complex_step_gradient(method, scipy_method):
    """jac='cs': the gradient Im f(x + i h e_i) / h is exact to rounding, so the solve matches
    one with the analytic gradient to rounding, and SciPy's 'cs' solve reaches the same x."""
    f = Counted(rosen)
    r = minimize(f, X0, jac="cs", method=method)
    exact = minimize(rosen, X0, jac=rosen_der, method=method)
    assert r.success and r.nit == exact.nit
    np.testing.assert_allclose(r.x, exact.x, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(r.jac, rosen_der(r.x), rtol=1e-12,
                               atol=1e-12 * np.abs(rosen_der(r.x)).max() + 1e-300)
    assert r.nfev == f.calls
    s = scipy_min(rosen, X0, jac="cs", method=scipy_method)   # (Newton-CG refuses 'cs')
    np.testing.assert_allclose(r.x, s.x, atol=1e-4)


def test_complex_step_refusals():
    with pytest.raises(ValueError, match="complex"):            # a fun that drops Im
        minimize(lambda x: np.real(rosen(x)), X0, jac="cs", method="bfgs")
    proto = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, ctypes.POINTER(ctypes.c_double),
                             ctypes.c_void_p)
    cfun = proto(lambda n, x, data: 0.0)         # never called: refused before
    llc = LowLevelCallable(cfun)
    with pytest.raises(ValueError, match="LowLevelCallable"):
        minimize(llc, X0, jac="cs")


# ---------------------------------------------------------------------------------------------
# BFGS's names: norm, xrtol, hess_inv0, c1/c2, return_all

@pytest.mark.parametrize("norm", [1, 2, np.inf, -np.inf])
def test_norm_is_the_order_of_the_gtol_norm(norm):
    """SciPy's BFGS and ours stop at the first iterate whose gradient norm of that order is
    <= gtol (and SciPy's vecnorm is the norm)."""
    gtol = 1e-3
    for lib, meth in ((scipy_min, "BFGS"), (minimize, "bfgs")):
        ns = []
        r = lib(rosen, X0, jac=rosen_der, method=meth, options={"norm": norm, "gtol": gtol},
                callback=lambda xk: ns.append(np.linalg.norm(rosen_der(xk), norm)))
        assert r.status == 0
        assert ns[-1] <= gtol and min(ns[:-1]) > gtol, (meth, ns)
        assert len(ns) == r.nit
    with pytest.raises(ValueError, match="norm"):
        minimize(rosen, X0, jac=rosen_der, method="bfgs", options={"norm": 0})


def test_xrtol_means_scipys_step_test():
    """xrtol: stop when ||x_k+1 - x_k||_2 <= xrtol (xrtol + ||x_k+1||_2), SciPy's BFGS test:
    it holds at the last step and at no earlier one, for both (SciPy says status 0, ours 5;
    both success)."""
    xrtol = 1e-2
    for lib, meth in ((scipy_min, "BFGS"), (minimize, "bfgs")):
        r = lib(rosen, X0, jac=rosen_der, method=meth,
                options={"xrtol": xrtol, "return_all": True, "gtol": 1e-12})
        xs = r.allvecs
        margin = [np.linalg.norm(b - a) - xrtol * (xrtol + np.linalg.norm(b))
                  for a, b in zip(xs, xs[1:])]
        assert r.success and margin[-1] <= 0 and min(margin[:-1]) > 0, (meth, margin)
    assert r.status == 5


def _quadratic():
    A = np.diag([1.0, 2.0, 3.0])
    b = np.array([1.0, -1.0, 0.5])
    x0 = np.array([0.3, -0.2, 0.1]) + np.linalg.solve(A, b)
    H0 = np.linalg.inv(A) + 0.05 * np.array([[2.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 2.0]])
    return (lambda x: float(0.5 * x @ A @ x - b @ x)), (lambda x: A @ x - b), x0, H0


def test_hess_inv0_sets_the_first_step_as_in_scipy():
    """With hess_inv0 = H0 the first direction is -H0 g0. On this quadratic both searches
    accept the unit step (SciPy's first trial min(1, 1.01 |g0| / g0.H0 g0) is 1 here), so
    the first iterate is x0 - H0 g0 for both -- the identity's first iterate differs."""
    f, g, x0, H0 = _quadratic()
    expected = x0 - H0 @ g(x0)
    firsts = {}
    for lib, meth in ((scipy_min, "BFGS"), (minimize, "bfgs")):
        xs = []
        r = lib(f, x0, jac=g, method=meth, options={"hess_inv0": H0},
                callback=lambda xk: xs.append(np.copy(xk)))
        assert r.success
        firsts[meth] = xs[0]
    np.testing.assert_allclose(firsts["BFGS"], expected, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(firsts["bfgs"], expected, rtol=1e-14, atol=1e-15)
    xs = []
    minimize(f, x0, jac=g, method="bfgs", callback=lambda xk: xs.append(np.copy(xk)))
    assert np.max(np.abs(xs[0] - expected)) > 1e-3


@pytest.mark.parametrize("bad", ["not_pd", "not_symmetric", "shape", "nan"])
def test_hess_inv0_is_validated(bad):
    f, g, x0, H0 = _quadratic()
    h = {"not_pd": -H0, "not_symmetric": H0 + np.triu(np.ones((3, 3)), 1),
         "shape": np.eye(2), "nan": np.where(np.eye(3) > 0, np.nan, H0)}[bad]
    h_before = h.copy()
    with pytest.raises(ValueError, match="hess_inv0"):
        minimize(f, x0, jac=g, method="bfgs", options={"hess_inv0": h})
    assert np.array_equal(h, h_before, equal_nan=True)      # the caller's array untouched
    if bad == "not_pd":                          # SciPy refuses it too
        with pytest.raises(ValueError):
            scipy_min(f, x0, jac=g, method="BFGS", options={"hess_inv0": h})


@pytest.mark.parametrize("method", ["newton", "bfgs", "lbfgs", "sr1"])
def test_return_all(method):
    """res.allvecs: x0, then every iterate (nit + 1 points, f decreasing, the last is res.x),
    as SciPy's BFGS returns it."""
    r = minimize(rosen, X0, jac=rosen_der, method=method, options={"return_all": True})
    s = scipy_min(rosen, X0, jac=rosen_der, method="BFGS", options={"return_all": True})
    for res in (r, s):
        assert len(res.allvecs) == res.nit + 1
        np.testing.assert_array_equal(res.allvecs[0], X0)
        np.testing.assert_array_equal(res.allvecs[-1], res.x)
        fs = [rosen(x) for x in res.allvecs]
        assert all(b <= a for a, b in zip(fs, fs[1:]))
    assert "allvecs" not in minimize(rosen, X0, jac=rosen_der, method=method)


@pytest.mark.parametrize("ours,theirs", QN)
def test_common_scipy_options_together(ours, theirs):
    """The options SciPy's method documents, given together, as SciPy code passes them: the
    same solution as SciPy's to gtol accuracy."""
    opts = {"BFGS": dict(gtol=1e-8, norm=np.inf, maxiter=500, disp=False, return_all=False,
                         xrtol=0, c1=1e-4, c2=0.9, hess_inv0=None, finite_diff_rel_step=None),
            "L-BFGS-B": dict(maxcor=10, ftol=1e-15, gtol=1e-8, eps=1e-8, maxfun=15000,
                             maxiter=15000, iprint=-1, maxls=20,
                             finite_diff_rel_step=None)}[theirs]
    r = minimize(rosen, X0, jac=rosen_der, method=ours, options=opts)
    s = scipy_min(rosen, X0, jac=rosen_der, method=theirs, options=opts)
    assert r.success and s.success
    np.testing.assert_allclose(r.x, s.x, atol=1e-6)


def test_newton_takes_scipy_names():
    r = minimize(rosen, X0, jac=rosen_der, method="newton",
                 options={"xtol": 1e-12, "return_all": True, "eps": 1e-8})
    assert r.success and len(r.allvecs) == r.nit + 1


def test_unknown_option_is_still_a_type_error():
    with pytest.raises(TypeError, match="maxcor"):
        minimize(rosen, X0, jac=rosen_der, method="bfgs", options={"maxcor": 3})


# ---------------------------------------------------------------------------------------------
# callback

@pytest.mark.parametrize("ours,theirs", QN)
@pytest.mark.parametrize("style", ["xk", "intermediate_result"])
def test_callback_return_value_is_ignored(ours, theirs, style):
    """A callback returning True does not stop SciPy's BFGS / L-BFGS-B, nor ours."""
    calls = []
    if style == "xk":
        def cb(xk):
            calls.append(1)
            return True
    else:
        def cb(intermediate_result):
            calls.append(1)
            return True
    plain = minimize(rosen, X0, jac=rosen_der, method=ours)
    r = minimize(rosen, X0, jac=rosen_der, method=ours, callback=cb)
    assert r.status == 0 and r.nit == plain.nit == len(calls)
    calls.clear()
    s_plain = scipy_min(rosen, X0, jac=rosen_der, method=theirs)
    s = scipy_min(rosen, X0, jac=rosen_der, method=theirs, callback=cb)
    assert s.success and s.nit == s_plain.nit == len(calls)


@pytest.mark.parametrize("ours,theirs", QN + [("newton", "Newton-CG")])
def test_stop_iteration_message_is_scipys(ours, theirs):
    """StopIteration stops after that iteration with SciPy's message; SciPy reports status
    99, ours 4 (one status table, shared with the C header)."""
    def cb(intermediate_result):
        seen.append(1)
        if len(seen) == 3:
            raise StopIteration

    results = {}
    for lib, meth in ((scipy_min, theirs), (minimize, ours)):
        seen = []
        results[meth] = lib(rosen, X0, jac=rosen_der, method=meth, callback=cb,
                            **({"hess": rosen_hess} if meth == "Newton-CG" else {}))
        assert len(seen) == 3 and results[meth].nit == 3 and not results[meth].success
    assert results[ours].message == results[theirs].message == "`callback` raised `StopIteration`."
    assert results[theirs].status == 99 and results[ours].status == 4


# ---------------------------------------------------------------------------------------------
# hess: sparse, np.matrix, LinearOperator; hessp

@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
@pytest.mark.parametrize("kind", ["csr", "csc", "coo_array", "matrix", "linear_operator"])
def test_hess_of_other_types_is_densified(kind):
    conv = {"csr": scipy.sparse.csr_matrix, "csc": scipy.sparse.csc_matrix,
            "coo_array": scipy.sparse.coo_array, "matrix": np.asmatrix,
            "linear_operator": aslinearoperator}[kind]
    dense = minimize(rosen, X0, jac=rosen_der, hess=rosen_hess)
    r = minimize(rosen, X0, jac=rosen_der, hess=lambda x: conv(rosen_hess(x)))
    np.testing.assert_array_equal(r.x, dense.x)
    assert r.nit == dense.nit and type(r.hess) is np.ndarray
    if kind != "linear_operator":
        s = scipy_min(rosen, X0, jac=rosen_der, hess=lambda x: conv(rosen_hess(x)),
                      method="Newton-CG")
        np.testing.assert_allclose(r.x, s.x, atol=1e-4)


def test_hessp_builds_the_hessian():
    """hessp for Newton: H from the n products H e_i (exact for SciPy's rosen_hess_prod), so
    the solve is the one with hess; SciPy's Newton-CG with hessp reaches the same x."""
    x0 = np.array([-1.2, 1.0, 0.8, -0.5])
    with_h = minimize(rosen, x0, jac=rosen_der, hess=rosen_hess)
    with_p = minimize(rosen, x0, jac=rosen_der, hessp=rosen_hess_prod)
    np.testing.assert_array_equal(with_p.x, with_h.x)
    np.testing.assert_array_equal(with_p.hess, with_h.hess)
    s = scipy_min(rosen, x0, jac=rosen_der, hessp=rosen_hess_prod, method="Newton-CG")
    np.testing.assert_allclose(with_p.x, s.x, atol=1e-4)
    with pytest.raises(ValueError, match="hessp"):
        minimize(rosen, x0, jac=rosen_der, hessp=rosen_hess_prod, method="bfgs")
