"""Standard unconstrained test problems, for tests, demos and benchmarks.

This subpackage is not part of the solvers: it is the problem set that fastnewton's own tests,
its ``python -m fastnewton demo`` and its benchmarks run on, shipped so that users can run the
same problems against fastnewton, SciPy or anything else. It needs only NumPy.

The set is that of Moré, Garbow & Hillstrom, "Testing Unconstrained Optimization Software",
ACM TOMS 7(1):17-41, 1981 (their problems 1-32 and 35), written from the published formulas in
vectorized NumPy, with analytic gradients and, for most, analytic Hessians; plus
``chained_rosenbrock`` (the form of ``scipy.optimize.rosen``), a dense symmetric positive
definite ``quadratic`` and a two-variable ``nonconvex_saddle`` whose Hessian is indefinite at
its starting point.

Examples
--------
>>> from fastnewton import minimize
>>> from fastnewton.testing import NAMES, get
>>> len(NAMES)
36
>>> p = get("extended_rosenbrock", 10)
>>> p.n, p.fstar
(10, 0.0)
>>> res = minimize(p.fun, p.x0, jac=p.grad, method="newton")
>>> bool(res.success)
True
"""
from ._problems import NAMES, Problem, get

__all__ = ["Problem", "get", "NAMES"]
