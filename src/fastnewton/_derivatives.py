"""Public finite-difference derivatives: ``gradient`` and ``hessian``.

Both are compiled (fastnewton/_fdiff.pyx), checks and all: for a small C objective the
Python layer's fixed cost would otherwise be most of the time.
"""
from ._fdiff import gradient, hessian

__all__ = ["gradient", "hessian"]
