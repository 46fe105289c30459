"""fastnewton: compiled Newton and quasi-Newton minimization with SciPy's calling convention."""
from . import linalg
from ._derivatives import gradient, hessian
from ._minimize import minimize, scipy_method
from ._wolfe import line_search

__version__ = "0.1.0"
__all__ = ["gradient", "hessian", "line_search", "linalg", "minimize", "scipy_method"]
