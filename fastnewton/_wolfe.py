"""Public strong-Wolfe line search: a drop-in for ``scipy.optimize.line_search``."""
import math
import warnings

import numpy as np
from scipy import LowLevelCallable

from . import _fdiff, _linesearch
from ._objective import make_objective
from ._validate import as_point, check_finite_grad, check_finite_value

try:  # SciPy's own class, so filters users already have for SciPy's search apply
    from scipy.optimize._linesearch import LineSearchWarning
except ImportError:  # pragma: no cover - private location moved
    class LineSearchWarning(RuntimeWarning):
        pass

__all__ = ["line_search", "LineSearchWarning"]

_FAILED = 2          # FN_LINESEARCH_FAILED
_NOT_DESCENT = 7     # FN_NOT_DESCENT


def check_wolfe_params(c1, c2):
    """0 < c1 < c2 < 1, as floats, or ValueError."""
    c1, c2 = float(c1), float(c2)
    if not (0.0 < c1 < c2 < 1.0):
        raise ValueError(f"the Wolfe parameters must satisfy 0 < c1 < c2 < 1, got c1={c1}, c2={c2}")
    return c1, c2


def line_search(f, myfprime, xk, pk, gfk=None, old_fval=None, old_old_fval=None, args=(),
                c1=1e-4, c2=0.9, amax=None, extra_condition=None, maxiter=10):
    """Find a step length satisfying the strong Wolfe conditions, in a compiled kernel.

    Same signature, return values and failure behaviour as ``scipy.optimize.line_search``
    (Nocedal & Wright Alg. 3.5/3.6, the algorithm SciPy uses), so code switches by changing
    the import. The search loop runs without the GIL; with a ``scipy.LowLevelCallable``
    objective no Python is called at all.

    Parameters
    ----------
    f : callable or scipy.LowLevelCallable
        ``f(x, *args) -> float``; or a LowLevelCallable with signature
        ``double (int, double *, double *, void *)`` (value and gradient; then `myfprime`
        may be None) or ``double (int, double *, void *)``.
    myfprime : callable or None
        ``myfprime(x, *args) -> ndarray``, the gradient. None: the objective's own gradient
        (a LowLevelCallable's), else central finite differences of `f`.
    xk, pk : array_like, shape (n,)
        Current point and search direction (finite, real). Never modified.
    gfk : ndarray, optional
        Gradient at `xk`; computed (and not counted, as in SciPy) if omitted.
    old_fval : float, optional
        f(xk); computed (and counted in `fc`) if omitted.
    old_old_fval : float, optional
        f at the point before `xk`, used to guess the first step as SciPy does:
        ``min(1, 2.02 (old_fval - old_old_fval) / (gfk . pk))``, else 1.
    args : tuple, optional
        Extra arguments for `f` and `myfprime`.
    c1, c2 : float, optional
        Armijo and curvature parameters, ``0 < c1 < c2 < 1`` (else ValueError).
    amax : float, optional
        Largest step allowed.
    extra_condition : callable, optional
        ``extra_condition(alpha, x, f, g) -> bool``, checked at each strong-Wolfe point; a
        step is accepted only if it returns True.
    maxiter : int, optional
        Trial steps allowed in each phase (bracketing, zoom).

    Returns
    -------
    alpha : float or None
        The step, satisfying the strong Wolfe conditions; None when the search failed (a
        ``LineSearchWarning`` is issued, as SciPy does). Unlike SciPy, which after
        `maxiter` bracketing steps returns the last trial step without checking it, this
        function never returns a step that fails the conditions.
    fc : int
        Number of function evaluations made.
    gc : int
        Number of gradient evaluations made (an objective that computes f and g together
        counts one of each per trial step).
    new_fval : float or None
        f at ``xk + alpha pk``.
    old_fval : float
        f at `xk`.
    new_slope : ndarray or None
        The gradient at ``xk + alpha pk`` -- what SciPy's function returns in this place,
        despite the name.

    Raises
    ------
    ValueError
        For bad `xk` / `pk` (not 1-D, empty, complex, non-finite, different lengths), c1 and
        c2 outside ``0 < c1 < c2 < 1``, a bad amax or maxiter, f(xk) or the gradient at xk
        not finite, a gradient of the wrong shape, or an unsupported LowLevelCallable.
        Exceptions raised by `f`, `myfprime` or `extra_condition` propagate unchanged.
    """
    xk = as_point(xk, "xk")
    pk = as_point(pk, "pk")
    n = xk.shape[0]
    if pk.shape != xk.shape:
        raise ValueError(f"pk must have the shape of xk, {xk.shape}, got {pk.shape}")
    c1, c2 = check_wolfe_params(c1, c2)
    if amax is None:
        amax_v = math.inf
    else:
        amax_v = float(amax)
        if not amax_v > 0.0:
            raise ValueError(f"amax must be positive, got {amax!r}")
    maxiter = int(maxiter)
    if maxiter < 1:
        raise ValueError(f"maxiter must be at least 1, got {maxiter}")
    if myfprime is not None and not callable(myfprime):
        raise ValueError(f"myfprime must be callable or None, got {type(myfprime).__name__}")
    jac = myfprime if myfprime is not None else None
    if isinstance(f, LowLevelCallable) and myfprime is not None:
        raise ValueError("myfprime must be None with a LowLevelCallable f: the C function "
                         "computes the gradient")
    obj = make_objective(f, n, args, jac)

    fc0 = 0
    if gfk is None:
        gfk = np.empty(n)
        if old_fval is None:
            old_fval = _fdiff._fg0(obj, xk, gfk)   # f counted (as SciPy does), g not
            fc0 = 1
        else:
            _fdiff._g0(obj, xk, gfk)
    else:
        gfk = np.array(gfk, dtype=np.float64)
        if gfk.shape != (n,):
            raise ValueError(f"gfk must have shape ({n},), got {gfk.shape}")
        if old_fval is None:
            old_fval = _fdiff._f0(obj, xk)
            fc0 = 1
    obj.reset_counts()
    old_fval = float(old_fval)
    check_finite_value(old_fval, "f(xk)")
    check_finite_grad(gfk, "the gradient at xk")

    dphi0 = float(np.dot(gfk, pk))
    alpha0 = 1.0
    if old_old_fval is not None and dphi0 != 0.0:
        alpha0 = min(1.0, 1.01 * 2.0 * (old_fval - float(old_old_fval)) / dphi0)
        if alpha0 < 0.0 or not math.isfinite(alpha0):
            alpha0 = 1.0
    if alpha0 == 0.0:
        warnings.warn("Rounding errors prevent the line search from converging",
                      LineSearchWarning, stacklevel=2)
        return None, fc0, 0, None, old_fval, None

    status, alpha, fnew, _slope, _xnew, gnew = _linesearch._run(
        obj, xk, pk, old_fval, dphi0, alpha0, c1, c2, amax_v, maxiter, extra_condition)
    fc, gc = fc0 + obj.nfev, obj.njev
    if status != 0:
        why = ("pk is not a descent direction (gfk . pk >= 0)" if status == _NOT_DESCENT
               else "The line search algorithm did not converge")
        warnings.warn(why, LineSearchWarning, stacklevel=2)
        return None, fc, gc, None, old_fval, None
    return alpha, fc, gc, fnew, old_fval, gnew
