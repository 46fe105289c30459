"""Public finite-difference derivatives: ``gradient`` and ``hessian``."""
import numpy as np

from . import _fdiff
from ._objective import make_objective
from ._validate import (as_point, check_finite_grad, check_finite_value, fd_method,
                        rel_step_value)

__all__ = ["gradient", "hessian"]


def gradient(fun, x, args=(), method="central", rel_step=None):
    """Gradient of a scalar function by finite differences, computed in a compiled kernel.

    Parameters
    ----------
    fun : callable or scipy.LowLevelCallable
        ``fun(x, *args) -> float``, or a LowLevelCallable with one of the signatures in
        ``fastnewton._objective.ACCEPTED_SIGNATURES`` (its gradient argument, if any, is not
        used: the derivative is approximated from values). A C objective runs without the GIL.
    x : array_like, shape (n,)
        Point of evaluation. Converted to float64; never modified.
    args : tuple, optional
        Extra arguments passed to `fun`.
    method : {'central', 'forward'}, optional
        Central differences (2n evaluations, error O(eps^(2/3))) or forward differences
        (n + 1 evaluations, error O(eps^(1/2))). '3-point' and '2-point' are synonyms.
    rel_step : float, optional
        Relative step r: coordinate i moves by r * max(1, |x_i|), rounded so the step is
        exactly representable. Default: eps^(1/3) central, eps^(1/2) forward.

    Returns
    -------
    g : ndarray, shape (n,)

    Raises
    ------
    ValueError
        For an x that is not a finite real 1-D array, f(x) not finite, a bad method or
        rel_step. Any exception raised by `fun` propagates unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnewton import gradient
    >>> np.round(gradient(lambda x: x @ x, [1.0, 2.0]), 6)
    array([2., 4.])
    """
    x = as_point(x, "x")
    method = fd_method(method)
    r = rel_step_value(rel_step)
    obj = make_objective(fun, x.shape[0], args)
    f0 = _fdiff._f0(obj, x)
    check_finite_value(f0, "f(x)")
    return _fdiff._gradient(obj, x, f0, method, r)


def hessian(fun, x, args=(), jac=None, method="central", rel_step=None):
    """Hessian of a scalar function by finite differences, computed in a compiled kernel.

    With a gradient (``jac`` callable or True, or a LowLevelCallable that computes one) the
    Hessian comes from differences of gradients: n (forward) or 2n (central) gradient
    evaluations. Without one it comes from values by the four-point formula (2n^2 values,
    step eps^(1/4); `method` is then not used). Either way the result is exactly symmetric.

    Parameters
    ----------
    fun : callable or scipy.LowLevelCallable
        ``fun(x, *args) -> float`` (or ``-> (float, gradient)`` with ``jac=True``).
    x : array_like, shape (n,)
        Point of evaluation; converted to float64, never modified.
    args : tuple, optional
        Extra arguments passed to `fun` and `jac`.
    jac : callable, True or None, optional
        ``jac(x, *args) -> ndarray (n,)``; True if `fun` returns ``(f, g)``.
    method : {'central', 'forward'}, optional
        Scheme for the differences of gradients ('3-point', '2-point' are synonyms).
    rel_step : float, optional
        Relative step; default eps^(1/3) central, eps^(1/2) forward, eps^(1/4) from values.

    Returns
    -------
    H : ndarray, shape (n, n)

    Raises
    ------
    ValueError
        For a bad x, a gradient of the wrong shape, f(x) or the gradient at x not finite, a
        bad method or rel_step, or an unsupported LowLevelCallable signature. Any exception
        raised by `fun` or `jac` propagates unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnewton import hessian
    >>> H = hessian(lambda x: x[0]**2 * x[1], [1.0, 2.0], jac=lambda x: np.array([2*x[0]*x[1], x[0]**2]))
    >>> np.round(H, 6)
    array([[4., 2.],
           [2., 0.]])
    """
    x = as_point(x, "x")
    method = fd_method(method)
    r = rel_step_value(rel_step)
    obj = make_objective(fun, x.shape[0], args, jac)
    if obj.has_grad:
        g0 = np.empty_like(x)
        f0 = _fdiff._fg0(obj, x, g0)
        check_finite_value(f0, "f(x)")
        check_finite_grad(g0, "the gradient at x")
        return _fdiff._hessian_from_grad(obj, x, g0, method, r)
    f0 = _fdiff._f0(obj, x)
    check_finite_value(f0, "f(x)")
    return _fdiff._hessian_from_values(obj, x, f0, r)
