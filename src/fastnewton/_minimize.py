"""Public ``minimize``: SciPy's calling convention over the compiled iteration loops."""
import inspect
import math

import numpy as np
from scipy.optimize import LbfgsInvHessProduct, OptimizeResult

from . import _fdiff, _solvers
from ._objective import make_objective
from ._validate import as_point, check_finite_grad, check_finite_value, fd_method
from ._wolfe import check_wolfe_params

__all__ = ["minimize", "scipy_method"]

MESSAGES = {
    0: "Optimization terminated successfully: the gradient's infinity norm is below gtol.",
    1: "Maximum number of iterations has been exceeded.",
    2: "The line search could not find a step satisfying the strong Wolfe conditions "
       "(along the Newton/quasi-Newton direction or steepest descent); x is the best point "
       "found.",
    3: "A non-finite value was met (in the Hessian); x is the best point found.",
    4: "Stopped by the callback.",
    5: "Optimization terminated: the last step changed x by no more than xtol.",
    9: "f appears unbounded below: f fell steeply along every step stretched as far as the "
       "line search goes, in several successive iterations (or f was -inf); x is the best "
       "finite point found.",
}

# Options every method takes, with their defaults (None: decided per problem).
_COMMON = {
    "gtol": 1e-5,          # stop when max|g_i| <= gtol
    "maxiter": None,       # default 200 * n
    "xtol": 0.0,           # stop (status 5) when a step moves each x_i by <= xtol*max(1,|x_i|)
    "c1": 1e-4,            # Armijo parameter of the strong-Wolfe line search
    "c2": 0.9,             # curvature parameter
    "ls_maxiter": 20,      # trial steps allowed in each line-search phase
    "amax": None,          # largest step length (None: unbounded)
    "disp": False,         # print one line per iteration and a summary
}
_METHOD_OPTIONS = {
    "newton": dict(_COMMON, fd="central", rel_step=None, chol_beta=1e-3,
                   hess_bandwidth="auto"),
    "bfgs": dict(_COMMON),
    "lbfgs": dict(_COMMON, memory=10),
    "sr1": dict(_COMMON, chol_beta=1e-3, skip_r=1e-8),
}
# SciPy's spellings of the same methods
_ALIASES = {"l-bfgs": "lbfgs", "l_bfgs": "lbfgs", "l-bfgs-b": "lbfgs"}


def _method_name(method):
    """The canonical method name (case-insensitive, SciPy's spellings accepted)."""
    if not isinstance(method, str):
        raise ValueError(f"method must be a string, got {type(method).__name__}")
    meth = _ALIASES.get(method.lower(), method.lower())
    if meth not in _METHOD_OPTIONS:
        raise ValueError(f"unknown method {method!r}; fastnewton's methods are: "
                         f"{', '.join(sorted(_METHOD_OPTIONS))}")
    return meth


def _options(method, options, tol, n):
    valid = _METHOD_OPTIONS[method]
    options = dict(options or {})
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(map(repr, unknown))} for method "
                        f"{method!r}; valid options are: {', '.join(sorted(valid))}")
    if tol is not None:
        options.setdefault("gtol", tol)
    o = dict(valid, **options)
    o["gtol"] = float(o["gtol"])
    if not o["gtol"] >= 0.0:
        raise ValueError(f"gtol must be >= 0, got {o['gtol']}")
    o["maxiter"] = 200 * n if o["maxiter"] is None else int(o["maxiter"])
    if o["maxiter"] < 0:
        raise ValueError(f"maxiter must be >= 0, got {o['maxiter']}")
    o["xtol"] = float(o["xtol"])
    if not o["xtol"] >= 0.0:
        raise ValueError(f"xtol must be >= 0, got {o['xtol']}")
    o["c1"], o["c2"] = check_wolfe_params(o["c1"], o["c2"])
    o["ls_maxiter"] = int(o["ls_maxiter"])
    if o["ls_maxiter"] < 1:
        raise ValueError(f"ls_maxiter must be >= 1, got {o['ls_maxiter']}")
    o["amax"] = math.inf if o["amax"] is None else float(o["amax"])
    if not o["amax"] > 0.0:
        raise ValueError(f"amax must be positive, got {o['amax']}")
    if "fd" in o:
        o["fd"] = fd_method(o["fd"], "options['fd']")
        o["fd_code"] = 0 if o["fd"] == "forward" else 1
    if "rel_step" in o:
        r = o["rel_step"]
        o["rel_step"] = 0.0 if r is None else float(r)
        if r is not None and not (o["rel_step"] > 0.0 and math.isfinite(o["rel_step"])):
            raise ValueError(f"rel_step must be a positive finite number, got {r!r}")
    if "hess_bandwidth" in o:
        kd = o["hess_bandwidth"]
        if kd is None:
            o["band"] = -1
        elif isinstance(kd, str):
            if kd != "auto":
                raise ValueError(f"hess_bandwidth must be None, 'auto' or an int >= 0, got {kd!r}")
            o["band"] = _solvers.BAND_AUTO_CODE
        else:
            if isinstance(kd, bool) or int(kd) != kd or int(kd) < 0:
                raise ValueError(f"hess_bandwidth must be None, 'auto' or an int >= 0, "
                                 f"got {kd!r}")
            o["band"] = min(int(kd), n - 1)
    if "memory" in o:
        o["memory"] = int(o["memory"])
        if o["memory"] < 1:
            raise ValueError(f"memory must be >= 1, got {o['memory']}")
    if "skip_r" in o:
        o["skip_r"] = float(o["skip_r"])
        if not (0.0 <= o["skip_r"] < 1.0):
            raise ValueError(f"skip_r must be in [0, 1), got {o['skip_r']}")
    if "chol_beta" in o:
        o["chol_beta"] = float(o["chol_beta"])
        if not (o["chol_beta"] > 0.0 and math.isfinite(o["chol_beta"])):
            raise ValueError(f"chol_beta must be a positive finite number, got {o['chol_beta']}")
    return o


class LbfgsInverseHessian(LbfgsInvHessProduct):
    """The L-BFGS inverse Hessian the iteration used: SciPy's ``LbfgsInvHessProduct`` (same
    ``sk``, ``yk``, ``matvec``, ``todense`` interface), but started from gamma I with
    gamma = s^T y / y^T y of the newest pair, as the two-loop recursion of the solver is,
    instead of from I."""

    def _matvec(self, x):
        v = np.asarray(x, dtype=np.float64)
        out = -_solvers._lbfgs_direction(self.sk, self.yk, np.ascontiguousarray(v.ravel()))
        return out.reshape(v.shape)

    def todense(self):
        return np.column_stack([self._matvec(e) for e in np.eye(self.shape[0])])


def _band_to_sparse(band):
    """The symmetric sparse matrix whose lower band is `band` (row j: H[j + d, j])."""
    from scipy.sparse import diags
    n, w = band.shape
    lower = [band[:n - d, d] for d in range(w)]
    return diags(lower[:0:-1] + lower, list(range(-(w - 1), w)), shape=(n, n), format="csr")


def _jac_mode(jac):
    """(jac for make_objective, FD method for a finite-difference gradient)."""
    if jac is None or jac is False:
        return None, "central"
    if isinstance(jac, str):
        return None, fd_method(jac, "jac")
    if jac is True or callable(jac):
        return jac, "central"
    raise ValueError(f"jac must be a callable, True, None, '2-point' or '3-point', got {jac!r}")


def _make_hook(callback, disp):
    """The per-iteration hook: disp printing, then the user's callback (SciPy's two forms:
    callback(intermediate_result) when that is its only parameter's name, else callback(xk))."""
    if callback is None and not disp:
        return None
    new_style = False
    if callback is not None:
        if not callable(callback):
            raise ValueError(f"callback must be callable, got {type(callback).__name__}")
        try:
            new_style = set(inspect.signature(callback).parameters) == {"intermediate_result"}
        except (TypeError, ValueError):
            new_style = False

    def hook(nit, x, f, g):
        if disp:
            print(f"{nit:6d}  f = {f: .10e}  |g|_inf = {np.max(np.abs(g)):.3e}")
        if callback is None:
            return False
        if new_style:
            return callback(intermediate_result=OptimizeResult(x=x, fun=f, jac=g, nit=nit))
        return callback(x)

    return hook


def minimize(fun, x0, args=(), method="newton", jac=None, hess=None, tol=None, callback=None,
             options=None):
    """Minimize a smooth function of n variables; SciPy's ``minimize`` calling convention.

    The iteration runs in a compiled loop without the GIL; the GIL is taken only to call
    Python functions (`fun`, `jac`, `hess`, `callback`). With a ``scipy.LowLevelCallable``
    objective and no Python `hess` or `callback`, the whole solve runs without the GIL.

    Parameters
    ----------
    fun : callable or scipy.LowLevelCallable
        ``fun(x, *args) -> float`` (``-> (float, ndarray)`` with ``jac=True``), or a
        LowLevelCallable with signature ``double (int, double *, double *, void *)`` (value
        and gradient; grad may be NULL) or ``double (int, double *, void *)`` (value only).
    x0 : array_like, shape (n,)
        Starting point: real and finite. Converted to float64; never modified.
    args : tuple, optional
        Extra arguments passed to `fun`, `jac` and `hess`.
    method : str, optional
        ``'newton'`` (default), ``'bfgs'``, ``'lbfgs'`` (also ``'l-bfgs-b'``: no bounds),
        ``'sr1'``; case-insensitive.
    jac : callable, bool, str or None, optional
        Gradient ``jac(x, *args) -> ndarray (n,)``, or True if `fun` returns ``(f, g)``.
        None, '3-point': central differences of `fun`; '2-point': forward differences.
    hess : callable or None, optional
        ``hess(x, *args) -> ndarray (n, n)``. None: finite differences of the gradient
        (scheme by option ``fd``), or of values when there is no gradient.
    tol : float, optional
        Sets ``gtol`` unless the options give it.
    callback : callable, optional
        Called after each iteration as ``callback(intermediate_result)`` (an
        ``OptimizeResult`` with x, fun, jac, nit) if its only parameter has that name, else
        as ``callback(xk)``. Raising ``StopIteration`` (or returning True) ends the solve
        with status 4.
    options : dict, optional
        Newton: ``gtol`` (1e-5, infinity norm of the gradient), ``maxiter`` (200 n),
        ``xtol`` (0: stop when a step no longer changes x), ``c1`` (1e-4), ``c2`` (0.9),
        ``ls_maxiter`` (20), ``amax`` (None), ``fd`` ('central' or 'forward'), ``rel_step``
        (None: optimal), ``chol_beta`` (1e-3: the modified Cholesky's smallest shift,
        relative to the Hessian's diagonal), ``hess_bandwidth`` ('auto', the default: the first
        finite-difference Hessian is dense, and when all its nonzeros lie within k of the
        diagonal, with 4k + 2 < n, the later ones are banded, each checked against a central
        difference of the gradient along a random step (two more gradients); a row that
        disagrees has that Hessian retaken dense, and the solve goes on banded with the
        wider band it shows, or dense for good; None: always dense; an int k: banded from
        the start, the caller vouching that H_ij = 0 for |i - j| > k, unchecked, and no
        n x n matrix is allocated. A banded Hessian costs 2(2k + 1) gradients instead of 2n,
        and its factorization O(n k^2) instead of O(n^3). Bands need `jac` and no `hess`;
        'auto' is then dense), ``disp`` (False). BFGS: the common options. L-BFGS: also
        ``memory`` (10). SR1: also ``chol_beta`` and ``skip_r`` (1e-8). An unknown name is a
        TypeError.

    Returns
    -------
    res : scipy.optimize.OptimizeResult
        ``x``, ``fun``, ``jac`` (gradient at x), ``nit``, ``nfev``, ``njev``, ``status``,
        ``success``, ``message``; Newton adds ``hess`` (the last Hessian evaluated, at the
        iterate before x; sparse CSR with an int ``hess_bandwidth``) and ``nhev``, BFGS
        ``hess_inv`` (dense), L-BFGS ``hess_inv`` (a ``LbfgsInvHessProduct`` from the gamma I
        start the iteration used), SR1 ``hess`` (the approximation B). Status codes:
        0 gradient tolerance, 1 maxiter, 2 line search failed, 3 non-finite value, 4 stopped
        by callback, 5 step tolerance. Any stop returns the best point found.

    Raises
    ------
    ValueError
        For a bad x0 (not 1-D, empty, complex, non-finite), f(x0) or the gradient at x0 not
        finite, a gradient or Hessian of the wrong shape, an unknown method, an unsupported
        LowLevelCallable, or an option out of range.
    TypeError
        For an unknown option name.
    """
    x = as_point(x0, "x0")
    n = x.shape[0]
    meth = _method_name(method)
    opts = _options(meth, options, tol, n)
    jac_obj, grad_fd = _jac_mode(jac)
    if hess is not None and meth != "newton":
        raise ValueError(f"method {method!r} learns the Hessian from steps: hess must be None")
    if hess is not None and not callable(hess):
        if isinstance(hess, str):
            opts["fd"] = fd_method(hess, "hess")
            opts["fd_code"] = 0 if opts["fd"] == "forward" else 1
            hess = None
        else:
            raise ValueError(f"hess must be a callable, None, '2-point' or '3-point', "
                             f"got {hess!r}")
    obj = make_objective(fun, n, args, jac_obj)
    obj.set_fd(grad_fd, 0.0)
    band_auto = opts.get("band") == _solvers.BAND_AUTO_CODE
    if hess is not None or not obj.has_grad:
        if band_auto:
            opts["band"] = -1       # no finite-difference Hessian of a gradient to learn from
        elif opts.get("band", -1) != -1:
            raise ValueError("options['hess_bandwidth'] needs a gradient (jac) and no hess: "
                             "it sets up the finite-difference Hessian of the gradient")

    g = np.empty(n)
    f = _fdiff._fg0(obj, x, g)
    check_finite_value(f, "f(x0)")
    check_finite_grad(g, "the gradient at x0")

    hook = _make_hook(callback, opts["disp"])
    out = _solvers._solve(meth, obj, x, g, f, opts, hess, hook)
    status, f = out["status"], out["f"]
    res = OptimizeResult(x=x, fun=f, jac=g, nit=out["nit"], nfev=obj.nfev, njev=obj.njev,
                         status=status, success=status in (0, 5), message=MESSAGES[status])
    if meth == "newton":
        if "hess_band" in out:
            res.hess = _band_to_sparse(out["hess_band"])
            if band_auto:           # the caller asked for no band: the dense type, always
                res.hess = res.hess.toarray()
        else:
            res.hess = out["hess"]
        res.nhev = out["nhev"]
    elif meth == "bfgs":
        res.hess_inv = out["hess_inv"]
    elif meth == "sr1":
        res.hess = out["hess"]
    else:
        S, Y = out["pairs"]
        res.hess_inv = LbfgsInverseHessian(S, Y) if len(S) else None
    if opts["disp"]:
        print(res.message)
        print(f"         Current function value: {f:.6e}")
        print(f"         Iterations: {res.nit}")
        print(f"         Function evaluations: {obj.nfev}")
        print(f"         Gradient evaluations: {obj.njev}")
        if "nhev" in res:
            print(f"         Hessian evaluations: {res.nhev}")
    return res


def scipy_method(method="newton"):
    """A callable to pass as ``scipy.optimize.minimize(..., method=scipy_method('newton'))``.

    SciPy calls a custom method with its own keywords; bounds, constraints and hessp are not
    supported here (ValueError when given), ``tol`` becomes ``gtol``, and other keywords are
    fastnewton's options.
    """
    meth = _method_name(method)

    def _fastnewton_method(fun, x0, args=(), jac=None, hess=None, hessp=None, bounds=None,
                           constraints=(), callback=None, tol=None, **options):
        if bounds is not None:
            raise ValueError("fastnewton methods are unconstrained: bounds are not supported")
        if constraints:
            raise ValueError("fastnewton methods are unconstrained: constraints are not "
                             "supported")
        if hessp is not None:
            raise ValueError("fastnewton methods do not take hessp; pass hess or nothing")
        return minimize(fun, x0, args=args, method=meth, jac=jac, hess=hess, tol=tol,
                        callback=callback, options=options)

    _fastnewton_method.__name__ = f"fastnewton_{meth}"
    return _fastnewton_method
