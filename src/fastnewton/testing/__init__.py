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

Two large-scale problems with sparse Hessians, for n = 10^4 to 10^6, are listed apart in
``LARGE_NAMES`` (``NAMES`` stays the small set): :func:`minimal_surface`, the MINPACK-2
minimal surface area problem with Enneper boundary data on an nx x ny grid, and
:func:`arrowhead`, CUTEst's partially separable ARWHEAD. Their ``Problem.sparsity`` is the
Hessian's sparsity pattern, a ``scipy.sparse`` CSR matrix, ready for a sparse Hessian or a
colouring. ``get("minimal_surface", m * m)`` gives the m x m grid; ``get("arrowhead", n)``
any n >= 2. These two also need SciPy (for their patterns).

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
>>> from fastnewton.testing import LARGE_NAMES, minimal_surface
>>> LARGE_NAMES
('minimal_surface', 'arrowhead')
>>> q = minimal_surface(1000, 1000)
>>> q.n, q.sparsity.nnz
(1000000, 6992002)
"""
from ._problems import LARGE_NAMES, NAMES, Problem, arrowhead, get, minimal_surface

__all__ = ["Problem", "get", "NAMES", "LARGE_NAMES", "minimal_surface", "arrowhead"]
