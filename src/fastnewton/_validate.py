"""Input checks shared by every public function (docs/design.md, "Bad input and faults")."""
import math

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


def fd_method(method, name="method"):
    """The fd_scheme code of a finite-difference scheme's name, or ValueError naming `name`."""
    try:
        return _FD_METHODS[method]
    except (KeyError, TypeError):
        raise ValueError(f"{name} must be one of 'central', 'forward' ('3-point', '2-point' "
                         f"are accepted as in SciPy), got {method!r}") from None


def rel_step_value(rel_step):
    """0.0 (the kernels' optimal default) for None, else a positive finite float."""
    if rel_step is None:
        return 0.0
    try:
        r = float(rel_step)
    except (TypeError, ValueError):
        r = math.nan
    if not (r > 0.0 and math.isfinite(r)):
        raise ValueError(f"rel_step must be a positive finite number, got {rel_step!r}")
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
