"""Public ``minimize``: SciPy's calling convention over the compiled iteration loops."""
import inspect
import math
import numbers
from collections.abc import Mapping

import numpy as np
from scipy import LowLevelCallable
from scipy.optimize import Bounds, LbfgsInvHessProduct, OptimizeResult
from scipy.sparse import issparse
from scipy.sparse.linalg import LinearOperator

from . import _api, _fdiff, _sparse_newton
from ._objective import fd_scheme, fn_status, make_objective, real_value
from ._validate import (C_INT_MAX, SSIZE_MAX, as_point, check_finite_grad,
                        check_finite_value, fd_method, integer, real_number, rel_step_value,
                        wolfe_params)
from ._validate import shown as shown_value

__all__ = ["minimize", "scipy_method"]

MESSAGES = {
    fn_status.FN_CONVERGED:
        "Optimization terminated successfully: the gradient's norm is below gtol.",
    fn_status.FN_MAXITER: "Maximum number of iterations has been exceeded.",
    fn_status.FN_LINESEARCH_FAILED:
        "The line search could not find a step satisfying the strong Wolfe conditions "
        "(along the Newton/quasi-Newton direction or steepest descent); x is the best point "
        "found.",
    fn_status.FN_NONFINITE:
        "A non-finite value was met (in the Hessian); x is the best point found.",
    fn_status.FN_CALLBACK_STOP: "`callback` raised `StopIteration`.",
    fn_status.FN_CONVERGED_STEP:
        "Optimization terminated successfully: the last step changed x (xtol, xrtol) or f "
        "(ftol) by no more than the tolerance.",
    fn_status.FN_UNBOUNDED:
        "f appears unbounded below: f fell steeply along every step stretched as far as the "
        "line search goes, in several successive iterations (or f was -inf); x is the best "
        "finite point found.",
}
# FN_MAXITER when the evaluation budget, not maxiter, ended the solve (SciPy's text)
MAXFUN_MESSAGE = "Maximum number of function evaluations has been exceeded."

# Options every method takes, with their defaults (None: decided per problem, or off).
_COMMON = {
    "gtol": 1e-5,          # stop when the gradient's norm (below) is <= gtol
    "norm": math.inf,      # order of that norm (SciPy's BFGS): inf max|g_i|, -inf min|g_i|
    "maxiter": None,       # default 200 * n
    "maxfun": None,        # stop (status 1) after an iteration that takes nfev above maxfun
    "xtol": 0.0,           # stop (status 5) when a step moves each x_i by <= xtol*max(1,|x_i|)
    "xrtol": 0.0,          # stop (status 5) when ||step||_2 <= xrtol (xrtol + ||x||_2)
    "ftol": None,          # stop (status 5) when (f - f_new) <= ftol max(|f|, |f_new|, 1)
    "c1": 1e-4,            # Armijo parameter of the strong-Wolfe line search
    "c2": 0.9,             # curvature parameter
    "ls_maxiter": 20,      # trial steps allowed in each line-search phase
    "amax": None,          # largest step length (None: unbounded)
    "eps": None,           # with jac None: forward differences with this absolute step
    "finite_diff_rel_step": None,  # relative step of a finite-difference gradient
    "return_all": False,   # res.allvecs: x0 and every iterate
    "disp": False,         # print one line per iteration and a summary
}
_CHOL_BETA = 1e-3         # Newton, SR1: the modified Cholesky's smallest relative shift
_METHOD_OPTIONS = {
    "newton": dict(_COMMON, fd="central", rel_step=None, chol_beta=_CHOL_BETA,
                   hess_bandwidth="auto", hess_sparsity=None),
    "bfgs": dict(_COMMON, hess_inv0=None),
    "lbfgs": dict(_COMMON, memory=10),
    "sr1": dict(_COMMON, chol_beta=_CHOL_BETA, skip_r=1e-8),
    # cg_maxiter None: 20 n (why: _newton_cg.pyx); fd 'forward': one gradient per
    # Hessian-vector product
    "newton-cg": dict(_COMMON, fd="forward", rel_step=None, cg_maxiter=None, forcing="sqrt"),
}
# SciPy's names for some of the options above (L-BFGS-B's), per method
_SCIPY_NAMES = {"lbfgs": {"maxcor": "memory", "maxls": "ls_maxiter", "iprint": "disp"}}
# SciPy's spellings of the same methods
_ALIASES = {"l-bfgs": "lbfgs", "l_bfgs": "lbfgs", "l-bfgs-b": "lbfgs", "newton_cg": "newton-cg",
            "newtoncg": "newton-cg"}
_DEFAULT_METHOD = "newton"
# Newton with the default hess_bandwidth='auto' and nothing else said of the Hessian (no hess,
# hessp or pattern) starts from a dense finite-difference Hessian: 8 n^2 bytes, 2n gradients
# and n^3 / 3 flops to factor. Above this n (0.8 GB, ~3e11 flops) that first Hessian would
# dominate or exhaust memory, so minimize solves by Newton-CG instead, which needs O(n) memory
# and one gradient per Hessian-vector product, and says so in res.message. An explicit
# hess_bandwidth=None keeps the dense path (a ValueError where it does not fit in memory).
_AUTO_DENSE_MAX_N = 10_000


def _method_name(method):
    """The canonical method name (case-insensitive, SciPy's spellings accepted; None: the
    default)."""
    if method is None:
        return _DEFAULT_METHOD
    if not isinstance(method, str):
        raise ValueError(f"method must be a string or None, got {type(method).__name__}")
    meth = _ALIASES.get(method.lower(), method.lower())
    if meth not in _METHOD_OPTIONS:
        raise ValueError(f"unknown method {method!r}; fastnewton's methods are: "
                         f"{', '.join(sorted(_METHOD_OPTIONS))}")
    return meth


def _label(name, shown):
    """How an error message names an option: options['maxcor'] for the caller's spelling."""
    return f"options[{shown.get(name, name)!r}]"


def _number(o, name, shown):
    v = o[name]
    if type(v) is float:                    # the common case, without building the label
        return v
    return real_number(v, _label(name, shown))


def _integer(o, name, shown, lo=0, hi=C_INT_MAX):
    """An integer option in [lo, hi]; hi is what the kernel's field holds (a C int unless
    said otherwise)."""
    v = o[name]
    if type(v) is int and lo <= v <= hi:    # the common case, without building the label
        return v
    return integer(v, _label(name, shown), lo, hi)


def _positive(o, name, shown, finite=True):
    v = _number(o, name, shown)
    if not (v > 0.0 and (math.isfinite(v) or not finite)):
        raise ValueError(f"{_label(name, shown)} must be a positive "
                         f"{'finite ' if finite else ''}number, got {o[name]!r}")
    return v


def _nonnegative(o, name, shown):
    v = _number(o, name, shown)
    if not (v >= 0.0 and math.isfinite(v)):
        raise ValueError(f"{_label(name, shown)} must be a finite number >= 0, "
                         f"got {o[name]!r}")
    return v


def _flag(o, name, shown):
    """A yes/no option: a bool, NumPy's bool or an int (SciPy's disp=1); not an array."""
    v = o[name]
    if type(v) is bool or isinstance(v, (np.bool_, numbers.Integral)):
        return bool(v)
    raise ValueError(f"{_label(name, shown)} must be True or False, got "
                     f"{type(v).__name__} {shown_value(v)}")


def _option_dict(options):
    """A copy of `options` as a dict of string keys, or TypeError naming `options`."""
    if options is None:
        return {}
    if type(options) is not dict and not isinstance(options, Mapping):
        raise TypeError(f"options must be a dict of option values (or None), got "
                        f"{type(options).__name__} {shown_value(options)}")
    options = dict(options)
    for k in options:
        if not isinstance(k, str):
            raise TypeError(f"options: option names must be strings, got "
                            f"{type(k).__name__} {shown_value(k)}")
    return options


def _options(method, options, tol, n):
    """Every option checked and converted once, with its default filled in (docs/design.md,
    "Bad input and faults": each value is a ValueError naming the option when it is not
    what the option takes, or does not fit the kernel's C field)."""
    valid = _METHOD_OPTIONS[method]
    aliases = _SCIPY_NAMES.get(method, {})
    options = _option_dict(options)
    unknown = sorted(set(options) - set(valid) - set(aliases))
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(map(repr, unknown))} for method "
                        f"{method!r}; valid options are: "
                        f"{', '.join(sorted(list(valid) + list(aliases)))}")
    shown = {}                              # our name -> the name the caller used
    if options.get("disp", 0) is None:      # SciPy's L-BFGS-B: None defers to iprint
        del options["disp"]
    if "iprint" in options and "disp" in options:
        del options["iprint"]               # SciPy's L-BFGS-B: disp overrides iprint
    for theirs, ours in aliases.items():
        if theirs in options:
            if ours in options:
                raise ValueError(f"options {theirs!r} and {ours!r} are the same option: "
                                 f"give one")
            v = options.pop(theirs)
            if theirs == "iprint":
                v = integer(v, "options['iprint']", -SSIZE_MAX - 1, SSIZE_MAX) >= 0
            options[ours] = v
            shown[ours] = theirs
    if tol is not None:                     # SciPy's meaning: gtol, and for L-BFGS-B ftol
        real_number(tol, "tol")
        options.setdefault("gtol", tol)
        if method == "lbfgs":
            options.setdefault("ftol", tol)
    o = dict(valid, **options)
    o["gtol"] = _nonnegative(o, "gtol", shown)
    o["norm"] = _number(o, "norm", shown)
    if o["norm"] != o["norm"] or o["norm"] == 0.0:
        raise ValueError(f"options['norm'] must be a nonzero number or +-inf, "
                         f"got {o['norm']!r}")
    o["maxiter"] = (min(200 * n, C_INT_MAX) if o["maxiter"] is None
                    else _integer(o, "maxiter", shown))
    o["maxfun"] = (SSIZE_MAX if o["maxfun"] is None
                   else _integer(o, "maxfun", shown, hi=SSIZE_MAX))
    o["xtol"] = _nonnegative(o, "xtol", shown)
    o["xrtol"] = _nonnegative(o, "xrtol", shown)
    o["ftol"] = -math.inf if o["ftol"] is None else _nonnegative(o, "ftol", shown)
    o["c1"], o["c2"] = wolfe_params(o["c1"], o["c2"], "options['c1']", "options['c2']")
    o["ls_maxiter"] = _integer(o, "ls_maxiter", shown, lo=1)
    o["amax"] = math.inf if o["amax"] is None else _positive(o, "amax", shown, finite=False)
    if o["eps"] is not None:
        try:
            if isinstance(o["eps"], (str, bytes)) or np.iscomplexobj(o["eps"]):
                raise TypeError
            e = np.asarray(o["eps"], dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            e = np.full(1, np.nan)
        if e.ndim > 1 or e.size not in (1, n) or not np.all((e > 0) & np.isfinite(e)):
            raise ValueError(f"options['eps'] must be a positive finite number or n of them, "
                             f"got {shown_value(o['eps'])}")
        o["eps"] = np.broadcast_to(e.reshape(-1), (n,)).copy()
    if o["finite_diff_rel_step"] is not None:
        o["finite_diff_rel_step"] = _positive(o, "finite_diff_rel_step", shown)
    o["return_all"] = _flag(o, "return_all", shown)
    o["disp"] = _flag(o, "disp", shown)
    if o.get("hess_inv0") is not None:
        o["hess_inv0"] = _spd(o["hess_inv0"], n, "options['hess_inv0']")
    if "fd" in o:
        o["fd"] = fd_method(o["fd"], "options['fd']")
    if "rel_step" in o:
        o["rel_step"] = rel_step_value(o["rel_step"], "options['rel_step']")
    if "hess_bandwidth" in o:
        kd = o["hess_bandwidth"]
        if kd is None:
            o["band"] = -1
        elif isinstance(kd, str):
            if kd != "auto":
                raise ValueError(f"options['hess_bandwidth'] must be None, 'auto' or an int "
                                 f">= 0, got {shown_value(kd)}")
            o["band"] = _api.BAND_AUTO_CODE
        else:
            o["band"] = min(_integer(o, "hess_bandwidth", shown), n - 1)
    if o.get("hess_sparsity") is not None:
        S = o["hess_sparsity"]
        if "hess_bandwidth" in options:
            raise ValueError("options['hess_sparsity'] and options['hess_bandwidth'] both "
                             "describe the Hessian's pattern: give one")
        if isinstance(S, numbers.Integral) and not isinstance(S, (bool, np.bool_)):
            # a band: the banded path (faster than a general pattern for the same band)
            o["band"] = min(_integer(o, "hess_sparsity", shown), n - 1)
        else:
            o["sparse_plan"] = _sparse_newton.SparseNewtonPlan(S, n, _label("hess_sparsity",
                                                                            shown))
    if "memory" in o:
        o["memory"] = _integer(o, "memory", shown, lo=1)
    if "skip_r" in o:
        o["skip_r"] = _number(o, "skip_r", shown)
        if not (0.0 <= o["skip_r"] < 1.0):
            raise ValueError(f"options['skip_r'] must be in [0, 1), got {o['skip_r']}")
    if "chol_beta" in o:
        o["chol_beta"] = _positive(o, "chol_beta", shown)
    if "cg_maxiter" in o:
        o["cg_maxiter"] = (min(20 * n, C_INT_MAX) if o["cg_maxiter"] is None
                           else _integer(o, "cg_maxiter", shown, lo=1))
    if "forcing" in o:
        if not (isinstance(o["forcing"], str) and o["forcing"] in _api.FORCING_CODES):
            raise ValueError(f"options['forcing'] must be one of "
                             f"{', '.join(map(repr, _api.FORCING_CODES))}, got "
                             f"{shown_value(o['forcing'])}")
    return o


def _spd(h, n, name):
    """A C-contiguous float64 copy of h, which must be an (n, n) finite symmetric positive
    definite matrix (symmetric to rounding: |H - H^T| <= 1e-12 max|H|; used as 0.5 (H + H^T))."""
    try:
        h = h.toarray() if hasattr(h, "toarray") else h
        if isinstance(h, (str, bytes)) or np.iscomplexobj(h):
            raise TypeError(f"got {type(h).__name__}")
        a = np.array(h, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as e:
        raise ValueError(f"{name} must be an ({n}, {n}) array of real numbers: {e}") from None
    if a.shape != (n, n):
        raise ValueError(f"{name} must have shape ({n}, {n}), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")
    if np.max(np.abs(a - a.T)) > 1e-12 * np.max(np.abs(a)):
        raise ValueError(f"{name} must be symmetric")
    a = np.ascontiguousarray(0.5 * (a + a.T))
    try:
        np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite") from None
    return a


def _check_unconstrained(method, bounds, constraints):
    """ValueError for real bounds (any finite one) or constraints: every method here is
    unconstrained. None, all-infinite bounds (SciPy's L-BFGS-B accepts (-inf, inf)) and an
    empty constraints sequence pass."""
    if bounds is not None:
        if isinstance(bounds, Bounds):
            lo, hi = bounds.lb, bounds.ub
        else:
            try:
                pairs = [tuple(b) for b in bounds]
                if any(len(b) != 2 for b in pairs):
                    raise ValueError("not a pair")
                lo = [-math.inf if a is None else a for a, _ in pairs]
                hi = [math.inf if b is None else b for _, b in pairs]
            except (TypeError, ValueError):
                raise ValueError("bounds must be None, a scipy.optimize.Bounds or a sequence "
                                 f"of (min, max) pairs, got {bounds!r}") from None
        try:
            lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"bounds must hold numbers or None, got {bounds!r}") from None
        if not (np.all(lo == -math.inf) and np.all(hi == math.inf)):
            raise ValueError(f"method {method!r} is unconstrained: bounds must be None or "
                             f"all infinite")
    if constraints is not None and not (isinstance(constraints, (list, tuple))
                                        and len(constraints) == 0):
        raise ValueError(f"method {method!r} is unconstrained: constraints are not supported")


class LbfgsInverseHessian(LbfgsInvHessProduct):
    """The L-BFGS inverse Hessian the iteration used: SciPy's ``LbfgsInvHessProduct`` (same
    ``sk``, ``yk``, ``matvec``, ``todense`` interface), but started from gamma I with
    gamma = s^T y / y^T y of the newest pair, as the two-loop recursion of the solver is,
    instead of from I."""

    def _matvec(self, x):
        v = np.asarray(x, dtype=np.float64)
        out = -_api.lbfgs_apply(self.sk, self.yk, np.ascontiguousarray(v.ravel()))
        return out.reshape(v.shape)

    def todense(self):
        return np.column_stack([self._matvec(e) for e in np.eye(self.shape[0])])


def _band_to_sparse(band):
    """The symmetric sparse matrix whose lower band is `band` (row j: H[j + d, j])."""
    from scipy.sparse import diags
    n, w = band.shape
    lower = [band[:n - d, d] for d in range(w)]
    return diags(lower[:0:-1] + lower, list(range(-(w - 1), w)), shape=(n, n), format="csr")


def _complex_step_gradient(fun, n, rel_step, tally):
    """jac='cs': g_i = Im f(x + i h_i e_i) / h_i, h_i = r max(1, |x_i|) (r = 1e-20 unless
    finite_diff_rel_step says otherwise): no subtraction, so no cancellation; n values of f
    per gradient, counted by tally[0] (the Objective, once built)."""
    r = 1e-20 if rel_step is None else rel_step

    def grad(x, *a):
        h = r * np.maximum(1.0, np.abs(x))
        z = x.astype(np.complex128)
        g = np.empty(n)
        for i in range(n):
            z[i] = complex(x[i], h[i])
            v = fun(z, *a)
            tally[0].add_nfev(1)
            try:
                va = np.asarray(v)
            except (TypeError, ValueError):     # a tuple (f, g), ragged sequences
                va = None
            if va is None or va.dtype == object or va.size != 1:
                raise TypeError(f"fun must return a scalar (jac='cs': its complex value at a "
                                f"complex x), got {type(v).__name__} {shown_value(v)}")
            if not np.iscomplexobj(va):
                raise ValueError("jac='cs' needs a fun that accepts complex x and returns its "
                                 f"complex value; it returned {type(v).__name__}")
            v = va
            g[i] = float(np.imag(v).reshape(())) / h[i]
            z[i] = x[i]
        return g

    return grad


def _absolute_step_gradient(fun, eps, tally):
    """options['eps'] with jac None (SciPy's meaning): forward differences with the absolute
    step eps_i, (f(x + eps_i e_i) - f(x)) / dx_i with dx_i = (x_i + eps_i) - x_i; f(x) is taken
    from the last call of the returned fun at the same x (the solvers ask for f, then g), else
    computed. Values of f made here are counted by tally[0] (the Objective, once built)."""
    last = [None, 0.0]

    def f(x, *a):
        v = fun(x, *a)
        last[0], last[1] = x.copy(), v
        return v

    def grad(x, *a):
        if last[0] is not None and np.array_equal(last[0], x):
            f0 = real_value(last[1], "fun")
        else:
            f0 = real_value(fun(x, *a), "fun")
            tally[0].add_nfev(1)
        g = np.empty(x.shape[0])
        for i in range(x.shape[0]):
            xi = x.copy()
            xi[i] += eps[i]
            g[i] = (real_value(fun(xi, *a), "fun") - f0) / (xi[i] - x[i])
            tally[0].add_nfev(1)
        return g

    return f, grad


def _gradient(fun, jac, opts, n, tally):
    """(fun, jac for make_objective, FD scheme of a kernel-made gradient); a gradient made in
    Python counts its values of f through tally[0], the Objective (appended once built)."""
    if (isinstance(jac, str) and jac == "cs"
            or (jac is None or jac is False) and opts["eps"] is not None):
        if isinstance(fun, LowLevelCallable):
            raise ValueError("jac='cs' and options['eps'] need a Python fun: a "
                             "LowLevelCallable cannot take complex x or be wrapped")
        if jac == "cs":
            return fun, _complex_step_gradient(fun, n, opts["finite_diff_rel_step"],
                                               tally), fd_scheme.FD_CENTRAL
        f, g = _absolute_step_gradient(fun, opts["eps"], tally)
        return f, g, fd_scheme.FD_FORWARD
    if jac is None or jac is False:
        return fun, None, fd_scheme.FD_CENTRAL
    if isinstance(jac, str):
        return fun, None, fd_method(jac, "jac")
    if jac is True or callable(jac):
        return fun, jac, fd_scheme.FD_CENTRAL
    raise ValueError(f"jac must be a callable, True, None, '2-point', '3-point' or 'cs', "
                     f"got {jac!r}")


def _dense_hessian(hess, hessp, n):
    """hess(x, *args) as a dense ndarray: a scipy.sparse matrix, np.matrix or LinearOperator
    that `hess` returns is densified; without `hess`, the n products hessp(x, e_i, *args) give
    the columns."""
    if hess is not None:
        def dense(x, *a):
            h = hess(x, *a)
            if type(h) is np.ndarray:
                return h
            if issparse(h):
                return h.toarray()
            if isinstance(h, LinearOperator):
                return h.matmat(np.eye(n))
            return np.asarray(h)
        return dense

    def from_products(x, *a):
        return np.column_stack([np.asarray(hessp(x, e, *a), dtype=np.float64).reshape(n)
                                for e in np.eye(n)])
    return from_products


def _make_hook(callback, disp, allvecs):
    """The per-iteration hook: disp printing, `allvecs` recording, then the user's callback
    (SciPy's two forms: callback(intermediate_result) when that is its only parameter's name,
    else callback(xk)). As in SciPy, the callback's return value is ignored; raising
    StopIteration ends the solve (status 4)."""
    if callback is None and not disp and allvecs is None:
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
        if allvecs is not None:
            allvecs.append(x.copy())
        if new_style:
            callback(intermediate_result=OptimizeResult(x=x, fun=f, jac=g, nit=nit))
        elif callback is not None:
            callback(x)

    return hook


def minimize(fun, x0, args=(), method=None, jac=None, hess=None, hessp=None, bounds=None,
             constraints=(), tol=None, callback=None, options=None):
    """Minimize a smooth function of n variables; a drop-in for SciPy's ``minimize``.

    Same signature as ``scipy.optimize.minimize``; the arguments SciPy's BFGS, L-BFGS-B and
    Newton-type methods take have SciPy's meaning here (with SciPy's option names, below).
    The iteration runs in a compiled loop without the GIL; the GIL is taken only to call
    Python functions (`fun`, `jac`, `hess`, `hessp`, `callback`). With a
    ``scipy.LowLevelCallable`` objective and no Python `hess`, `hessp` or `callback`, the whole
    solve runs without the GIL.

    Parameters
    ----------
    fun : callable or scipy.LowLevelCallable
        ``fun(x, *args) -> float`` (``-> (float, ndarray)`` with ``jac=True``), or a
        LowLevelCallable with signature ``double (int, double *, double *, void *)`` (value
        and gradient; grad may be NULL) or ``double (int, double *, void *)`` (value only).
    x0 : array_like, shape (n,)
        Starting point: real and finite. Converted to float64; never modified.
    args : tuple, optional
        Extra arguments passed to `fun`, `jac`, `hess` and `hessp`.
    method : str or None, optional
        ``'newton'`` (None: the default), ``'bfgs'``, ``'lbfgs'`` (also ``'l-bfgs-b'``),
        ``'sr1'``, ``'newton-cg'`` (truncated Newton: CG on Hessian-vector products, O(n)
        memory, no n x n matrix); case-insensitive. SciPy's default is BFGS (L-BFGS-B with bounds); ours is
        Newton because fastnewton exists to make the Newton iteration cheap: with exact or
        finite-difference Hessians it converges quadratically and needs far fewer
        iterations, and a Hessian costs 2n gradients at most (2(2k + 1) for a band of
        half-width k, which 'auto' finds).
    jac : callable, bool, str or None, optional
        Gradient ``jac(x, *args) -> ndarray (n,)``, or True if `fun` returns ``(f, g)``.
        None, '3-point': central differences of `fun` (SciPy's None is forward differences
        with the absolute step ``eps``; give option ``eps`` for exactly that);
        '2-point': forward differences; 'cs': complex step, ``g_i = Im f(x + i h e_i) / h``
        with ``h = 1e-20 max(1, |x_i|)`` (or ``finite_diff_rel_step`` instead of 1e-20), for
        a Python `fun` that accepts complex x (n values of f per gradient, counted in
        ``nfev``; a LowLevelCallable: ValueError).
    hess : callable or None, optional
        Newton and Newton-CG: ``hess(x, *args)`` returning an (n, n) ndarray, np.matrix,
        scipy.sparse matrix or LinearOperator (Newton densifies it; Newton-CG evaluates it
        once per iterate and only multiplies it by vectors). None: finite differences of
        the gradient (scheme by option ``fd``), or of values when there is no gradient;
        also '2-point' / '3-point'. The quasi-Newton methods learn the Hessian from steps: a
        `hess` is a ValueError there (SciPy warns and ignores it).
    hessp : callable or None, optional
        Newton and Newton-CG, when `hess` is None: ``hessp(x, p, *args) -> H p``, an array
        of n entries. Newton builds the Hessian from the n products with the unit vectors
        (n calls per Hessian), then factors it as any other; Newton-CG calls it once per CG
        iteration, and also takes a ``scipy.LowLevelCallable`` with signature
        ``int (int n, const double *x, const double *v, double *hv, void *user_data)``
        (``double *`` for x and v accepted too; returns 0, or non-zero to stop the solve: a
        RuntimeError), called without the GIL. Other methods: ValueError.
    bounds : None, sequence of (min, max) pairs, or scipy.optimize.Bounds, optional
        Accepted only when every bound is infinite (or None), which SciPy's L-BFGS-B treats
        as no bounds; a finite bound is a ValueError: the methods are unconstrained.
    constraints : sequence, optional
        Must be empty (or None): ValueError otherwise.
    tol : float, optional
        SciPy's meaning: sets ``gtol`` unless the options give it, and for L-BFGS also
        ``ftol``.
    callback : callable, optional
        Called after each iteration as ``callback(intermediate_result)`` (an
        ``OptimizeResult`` with x, fun, jac, nit) if its only parameter has that name, else
        as ``callback(xk)``. Its return value is ignored (as in SciPy); raising
        ``StopIteration`` ends the solve with status 4 and SciPy's message.
    options : dict, optional
        Every method: ``gtol`` (1e-5; stop when the gradient's norm is <= gtol), ``norm``
        (inf: the order of that norm, SciPy's BFGS option; -inf is ``min |g_i|``, a number p the
        p-norm), ``maxiter`` (200 n), ``maxfun`` (None: no limit; otherwise, as in SciPy's
        L-BFGS-B, the solve stops with status 1 after the first iteration that leaves
        ``nfev`` above maxfun, so nfev may exceed it by one iteration's evaluations; nfev
        counts every value of f, finite-difference ones included), ``xtol`` (0: stop, status
        5, when a step changes each x_i by at most ``xtol max(1, |x_i|)``), ``xrtol`` (0; SciPy's
        BFGS: stop, status 5, when ``||alpha p||_2 <= xrtol (xrtol + ||x_new||_2)``),
        ``ftol`` (None: off; SciPy's L-BFGS-B: stop, status 5, when
        ``(f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= ftol``; SciPy's default 2.2e-9 is
        not ours, so L-BFGS runs to gtol unless ftol or tol is given), ``c1`` (1e-4),
        ``c2`` (0.9), ``ls_maxiter`` (20 trial steps per line-search phase), ``amax``
        (None), ``eps`` (None; with `jac` None, SciPy's meaning: forward differences with
        this absolute step, a number or n of them), ``finite_diff_rel_step`` (None: the
        optimal step; the relative step ``h_i = r max(1, |x_i|)`` of a finite-difference
        gradient, 'cs' included), ``return_all`` (False; True: ``res.allvecs``, the list of
        x0 and every iterate), ``disp`` (False).

        Newton: also ``fd`` ('central' or 'forward'), ``rel_step`` (None: optimal; the
        Hessian's finite-difference step), ``chol_beta`` (1e-3: the modified Cholesky's
        smallest shift, relative to the Hessian's diagonal), ``hess_bandwidth`` ('auto',
        the default: the first finite-difference Hessian is dense, and when all its nonzeros
        lie within k of the diagonal, with 4k + 2 < n, the later ones are banded, each
        checked against a central difference of the gradient along a random step (two more
        gradients); a row that disagrees has that Hessian retaken dense, and the solve goes
        on banded with the wider band it shows, or dense for good; None: always dense; an
        int k: banded from the start, the caller vouching that ``H[i, j] = 0`` for ``|i - j| > k``,
        unchecked, and no n x n matrix is allocated. A banded Hessian costs 2(2k + 1)
        gradients instead of 2n, and its factorization O(n k^2) instead of O(n^3). Bands
        need `jac` and no `hess`; 'auto' is then dense. Above n = 10,000, 'auto' with no
        `hess`, `hessp` or ``hess_sparsity`` does not start dense: the solve is Newton-CG's
        (``method='newton-cg'``, O(n) memory), and ``res.message`` says so), ``hess_sparsity`` (None; a
        scipy.sparse matrix or 2-D array whose nonzero entries are the Hessian's pattern,
        the symmetric closure and the diagonal added: the Hessian then comes from one
        gradient difference per group of a star colouring of the pattern (two for central
        differences; ``fastnewton.hessian_groups(S)`` tells the count) and the step from a
        sparse modified Cholesky factorization over a fill-reducing ordering, with no n x n
        array anywhere, so n = 10^6 works for a grid's pattern; ``res.hess`` is then a
        scipy.sparse CSR matrix. An int k means the band of half-width k, the banded path
        above. Give it or ``hess_bandwidth``, not both; with `hess`, ValueError). SciPy's
        Newton-CG ``xtol`` (mean
        absolute step) and ``eps`` (its Hessian-vector step) have no exact counterpart:
        here ``xtol`` is the relative test above and ``eps`` the gradient's step.

        BFGS: also ``hess_inv0`` (None: the identity, rescaled by s^T y / y^T y before the
        first update; an (n, n) symmetric positive definite matrix: the initial inverse
        Hessian, used as given, with a first trial step of 1).

        L-BFGS: also ``memory`` (10), with SciPy's L-BFGS-B names ``maxcor`` (= memory),
        ``maxls`` (= ls_maxiter; per phase here), ``iprint`` (>= 0: disp; a `disp` that
        is not None overrides it, as in SciPy).

        SR1: also ``chol_beta`` and ``skip_r`` (1e-8).

        Newton-CG: also ``fd`` ('forward', the default: one gradient per Hessian-vector
        product; 'central': two), ``rel_step`` (None: optimal; the products' relative
        step), ``cg_maxiter`` (None: 20 n; CG iterations per Newton iteration),
        ``forcing`` ('sqrt', the default: CG stops at ``||r|| <= eta ||g||`` with
        ``eta = min(0.5, sqrt(||g||))``, Nocedal & Wright (7.3); 'ew2', 'ew1': Eisenstat and
        Walker's choices 2 and 1). CG also stops at the first direction of negative
        curvature (the first step then is steepest descent) and when the quadratic model
        stalls; the reasoning and measurements open ``_newton_cg.pyx``. SciPy's newton-cg
        ``xtol`` and ``eps`` mean what they mean for every method here (see Newton).

        An unknown name is a TypeError (SciPy warns).

    Returns
    -------
    res : scipy.optimize.OptimizeResult
        ``x``, ``fun``, ``jac`` (gradient at x), ``nit``, ``nfev``, ``njev``, ``status``,
        ``success``, ``message``; Newton adds ``hess`` (the last Hessian evaluated, at the
        iterate before x; sparse CSR with an int ``hess_bandwidth``) and ``nhev``, BFGS
        ``hess_inv`` (dense), L-BFGS ``hess_inv`` (a ``LbfgsInvHessProduct`` from the gamma I
        start the iteration used), SR1 ``hess`` (the approximation B), Newton-CG ``nhev``
        (calls of `hess`, or Hessian-vector products: `hessp` calls or finite differences,
        whose gradients also count in ``njev``), ``ncg`` (CG iterations, one product each)
        and ``ncurv`` (CG runs ended by negative curvature); ``allvecs`` with
        ``return_all``. Status codes: 0 gradient tolerance, 1 maxiter or maxfun, 2 line
        search failed, 3 non-finite value (Newton-CG: in a Hessian-vector product, the
        message names its source), 4 the callback raised StopIteration (SciPy
        overwrites its methods' status with 99 then; ours keeps one table, shared with the
        C header), 5 step or f tolerance (xtol, xrtol, ftol; success, where SciPy says 0),
        9 f appears unbounded below. Any stop returns the best finite point found; no
        result with a non-finite f or gradient says success.

    Raises
    ------
    ValueError
        For a bad x0 (not 1-D, empty, complex, non-finite), f(x0) or the gradient at x0 not
        finite (a number too large for a float, such as the int 10**400, counts as inf),
        a gradient or Hessian of the wrong shape, an unknown method, an unsupported
        LowLevelCallable, finite bounds, constraints, or an option value that is not what
        the option takes (an integer option must fit the kernel's C int, maxfun a
        Py_ssize_t; a real option must be a real number that fits in a float); the message
        names the option.
    TypeError
        For an unknown option name, `options` not a dict or a non-string option name, and
        for a value `fun`, `jac` or `hess` returned that is not real: f must be a real
        number or a size-1 real array, a gradient or Hessian an array of real numbers
        (complex values, strings, None and other objects are refused, naming the callable;
        a pair (f, g) from `fun` needs ``jac=True``).
    """
    x = as_point(x0, "x0")
    n = x.shape[0]
    meth = _method_name(method)
    _check_unconstrained(meth, bounds, constraints)
    opts = _options(meth, options, tol, n)
    tally = []
    fun, jac_obj, grad_fd = _gradient(fun, jac, opts, n, tally)
    if (hess is not None or hessp is not None) and meth not in ("newton", "newton-cg"):
        raise ValueError(f"method {method!r} learns the Hessian from steps: hess and hessp "
                         f"must be None")
    if isinstance(hess, str):
        opts["fd"] = fd_method(hess, "hess")
        hess = None
    elif hess is not None and not callable(hess):
        raise ValueError(f"hess must be a callable, None, '2-point' or '3-point', "
                         f"got {hess!r}")
    if isinstance(hessp, LowLevelCallable):
        if meth != "newton-cg":
            raise ValueError("hessp: a LowLevelCallable is taken by method 'newton-cg' only")
        if not (isinstance(args, tuple) and len(args) == 0):
            raise ValueError("args cannot be used with a LowLevelCallable hessp: pass "
                             "user_data")
        _api.hessp_signature(hessp)
    elif hessp is not None and not callable(hessp):
        raise ValueError(f"hessp must be a callable, a LowLevelCallable or None, got "
                         f"{hessp!r}")
    if meth == "newton" and (hess is not None or hessp is not None):
        hess = _dense_hessian(hess, hessp, n)
        hessp = None
    # Newton-CG: hess (one evaluation per iterate) or hessp, as given, multiplied, never
    # densified (_api._HessProduct); hess first when both are given, as SciPy does
    switched = None
    if (meth == "newton" and n > _AUTO_DENSE_MAX_N and opts["band"] == _api.BAND_AUTO_CODE
            and opts.get("sparse_plan") is None and hess is None and hessp is None):
        meth = "newton-cg"
        switched = (f" (method='newton' at n = {n} with no Hessian, pattern or band given "
                    f"would start from a dense {n} x {n} finite-difference Hessian; solved by "
                    f"Newton-CG instead: give options['hess_sparsity'] for Newton with a "
                    f"sparse Hessian, or method='newton-cg' to choose this)")
        valid = _METHOD_OPTIONS[meth]
        opts = _options(meth, {k: v for k, v in _option_dict(options).items() if k in valid},
                        tol, n)
    obj = make_objective(fun, n, args, jac_obj)
    tally.append(obj)
    obj.set_fd(grad_fd, opts["finite_diff_rel_step"] or 0.0)
    if opts.get("sparse_plan") is not None and hess is not None:
        raise ValueError("options['hess_sparsity'] sets up the finite-difference Hessian of "
                         "the gradient: give it or hess, not both")
    if hess is not None or not obj.has_grad:
        if opts.get("band") == _api.BAND_AUTO_CODE:
            opts["band"] = -1       # no finite-difference Hessian of a gradient to learn from
        elif opts.get("band", -1) != -1:
            raise ValueError("options['hess_bandwidth'] needs a gradient (jac) and no hess: "
                             "it sets up the finite-difference Hessian of the gradient")

    g = np.empty(n)
    f = _fdiff._fg0(obj, x, g)
    check_finite_value(f, "f(x0)")
    check_finite_grad(g, "the gradient at x0")

    allvecs = [x.copy()] if opts["return_all"] else None
    hook = _make_hook(callback, opts["disp"], allvecs)
    kernel = "sparse-newton" if opts.get("sparse_plan") is not None else meth
    out = _api._solve(kernel, obj, x, g, f, opts, hess, hook, hessp)
    status, f = out["status"], out["f"]
    nfev = obj.nfev
    if status == fn_status.FN_USER_ERROR:
        # only a C hessp stops a solve this way without an exception (a Python one raised)
        raise RuntimeError("hessp (a LowLevelCallable) returned a non-zero status: the "
                           "solve stopped at its last iterate")
    message = MESSAGES[status]
    if meth == "newton-cg" and status == fn_status.FN_NONFINITE:
        source = ("hess" if hess is not None else "hessp" if hessp is not None
                  else "finite differences of the gradient")
        message = (f"A non-finite value was met (in a Hessian-vector product from {source}); "
                   f"x is the best point found.")
    if status == fn_status.FN_MAXITER and out["nit"] < opts["maxiter"]:
        message = MAXFUN_MESSAGE
    if switched:
        message += switched
    res = OptimizeResult(x=x, fun=f, jac=g, nit=out["nit"], nfev=nfev, njev=obj.njev,
                         status=status, message=message,
                         success=status in (fn_status.FN_CONVERGED, fn_status.FN_CONVERGED_STEP))
    if allvecs is not None:
        res.allvecs = allvecs
    if meth == "newton":
        # sparse CSR only for a given int hess_bandwidth: under 'auto' _solve expands a
        # banded Hessian into the dense array, so res.hess's type follows what was asked
        res.hess = _band_to_sparse(out["hess_band"]) if "hess_band" in out else out["hess"]
        res.nhev = out["nhev"]
    elif meth == "bfgs":
        res.hess_inv = out["hess_inv"]
    elif meth == "sr1":
        res.hess = out["hess"]
    elif meth == "newton-cg":
        res.nhev = out.get("nhess", out["nhev"])
        res.ncg = out["ncg"]
        res.ncurv = out["ncurv"]
    else:
        S, Y = out["pairs"]
        res.hess_inv = LbfgsInverseHessian(S, Y) if len(S) else None
    if opts["disp"]:
        print(res.message)
        print(f"         Current function value: {f:.6e}")
        print(f"         Iterations: {res.nit}")
        print(f"         Function evaluations: {nfev}")
        print(f"         Gradient evaluations: {obj.njev}")
        if "nhev" in res:
            print(f"         Hessian evaluations: {res.nhev}")
    return res


def scipy_method(method="newton"):
    """A callable to pass as ``scipy.optimize.minimize(..., method=scipy_method('newton'))``.

    SciPy calls a custom method with its own keywords; they mean what they mean in
    ``minimize`` above (bounds must be None or all infinite, constraints empty), ``tol``
    as there, and other keywords are the options.

    Parameters
    ----------
    method : str, optional
        A method name as for `minimize`: ``'newton'`` (default), ``'bfgs'``, ``'lbfgs'``,
        ``'sr1'``, ``'newton-cg'``.

    Returns
    -------
    callable
        The custom method SciPy calls as ``method(fun, x0, args, **kwargs)``; it returns
        `minimize`'s ``OptimizeResult``.
    """
    meth = _method_name(method)

    def _fastnewton_method(fun, x0, args=(), jac=None, hess=None, hessp=None, bounds=None,
                           constraints=(), callback=None, tol=None, **options):
        return minimize(fun, x0, args=args, method=meth, jac=jac, hess=hess, hessp=hessp,
                        bounds=bounds, constraints=constraints, tol=tol, callback=callback,
                        options=options)

    _fastnewton_method.__name__ = f"fastnewton_{meth}"
    return _fastnewton_method
