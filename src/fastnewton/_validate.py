"""Input checks shared by every public function (docs/design.md, "Bad input and faults")."""
import math
import numbers
import operator
import sys

import numpy as np

from ._linalg import _all_finite
from ._objective import fd_scheme

# the names of the finite-difference schemes (SciPy's too) and the kernels' codes for them
_FD_METHODS = {"forward": fd_scheme.FD_FORWARD, "2-point": fd_scheme.FD_FORWARD,
               "central": fd_scheme.FD_CENTRAL, "3-point": fd_scheme.FD_CENTRAL}


def as_point(x, name="x0"):
    """A fresh float64 1-D copy of `x`, or ValueError naming `name` and what is wrong.

    The copy means the caller's array is never modified, whatever the solver does.
    """
    if type(x) is np.ndarray and x.dtype == np.float64 and x.ndim == 1 and x.size:
        a = x.copy()                       # the common case, without the general checks
        if _all_finite(a):
            return a
    try:
        a = np.asarray(x)
    except Exception as e:  # ragged lists and the like
        raise ValueError(f"{name} must be a 1-D array of real numbers: {e}") from None
    if np.iscomplexobj(a):
        raise ValueError(f"{name} must be real, got complex dtype {a.dtype}")
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {a.shape}"
                         + (" (use np.atleast_1d for a scalar)" if a.ndim == 0 else ""))
    if a.size == 0:
        raise ValueError(f"{name} must not be empty")
    a = np.array(a, dtype=np.float64, order="C", copy=True)
    bad = ~np.isfinite(a)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be finite, but {name}[{i}] = {a[i]}")
    return a


C_INT_MAX = 2**31 - 1          # the kernels' C int fields (maxiter, ls_maxiter, memory, ...)
SSIZE_MAX = sys.maxsize        # their Py_ssize_t fields (maxfun)


def shown(v, width=60):
    """repr(v), cut to `width` characters: error messages quote what they were given."""
    r = repr(v)
    return r if len(r) <= width else r[:width - 3] + "..."


def real_number(v, name):
    """v as a Python float, or ValueError naming `name`: a real number (Python's or NumPy's;
    not a bool, not a string) or a 0-d real array. A number too large for a float (the int
    10**400) is refused, not rounded to inf; inf and nan are returned as they are, for the
    caller's range check."""
    if type(v) is float:
        return v
    if (isinstance(v, numbers.Real) and not isinstance(v, bool)
            or isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iuf"):
        try:
            return float(v)
        except OverflowError:
            raise ValueError(f"{name} must be a number that fits in a float (at most "
                             f"{sys.float_info.max:.4g}), got {shown(v)}") from None
    raise ValueError(f"{name} must be a real number, got {type(v).__name__} {shown(v)}")


def integer(v, name, lo=0, hi=C_INT_MAX):
    """v as a Python int in [lo, hi], or ValueError naming `name`, the range and v. Accepted:
    an int (NumPy's too, or a 0-d integer array) or an integral float (100.0); refused: bool,
    inf, nan, 2.5, strings, arrays. `hi` is the largest value the kernel's field holds
    (C_INT_MAX for a C int, SSIZE_MAX for a Py_ssize_t)."""
    i = None
    if not isinstance(v, (bool, np.bool_)):
        try:
            i = operator.index(v)
        except TypeError:
            try:
                if isinstance(v, numbers.Real) and float(v).is_integer():
                    i = int(v)
            except (TypeError, ValueError, OverflowError):
                pass
    rng = "a C int" if hi == C_INT_MAX else "a Py_ssize_t" if hi == SSIZE_MAX else None
    what = f"an integer in [{lo}, {hi}]" + (f" (the kernel holds it in {rng})" if rng else "")
    if i is None:
        raise ValueError(f"{name} must be {what}, got {type(v).__name__} {shown(v)}")
    if not lo <= i <= hi:
        raise ValueError(f"{name} must be {what}, got {shown(v)}")
    return i


def wolfe_params(c1, c2, name1="c1", name2="c2"):
    """0 < c1 < c2 < 1, as floats, or ValueError naming them."""
    c1, c2 = real_number(c1, name1), real_number(c2, name2)
    if not (0.0 < c1 < c2 < 1.0):
        raise ValueError(f"the Wolfe parameters must satisfy 0 < {name1} < {name2} < 1, got "
                         f"{name1}={c1}, {name2}={c2}")
    return c1, c2


def fd_method(method, name="method"):
    """The fd_scheme code of a finite-difference scheme's name, or ValueError naming `name`."""
    try:
        return _FD_METHODS[method]
    except (KeyError, TypeError):
        raise ValueError(f"{name} must be one of 'central', 'forward' ('3-point', '2-point' "
                         f"are accepted as in SciPy), got {method!r}") from None


def rel_step_value(rel_step, name="rel_step"):
    """0.0 (the kernels' optimal default) for None, else a positive finite float."""
    if rel_step is None:
        return 0.0
    try:
        r = real_number(rel_step, name)
    except ValueError:
        r = math.nan
    if not (r > 0.0 and math.isfinite(r)):
        raise ValueError(f"{name} must be a positive finite number, got {shown(rel_step)}")
    return r


def check_finite_value(f, what="f(x0)"):
    if not math.isfinite(f):
        raise ValueError(f"{what} is not finite ({f}): cannot start from this point")


def check_finite_grad(g, what="the gradient at x0"):
    if _all_finite(g):
        return
    bad = ~np.isfinite(g)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{what} is not finite: component {i} is {g[i]}")
