"""fastnewton: compiled Newton and quasi-Newton minimization with SciPy's calling convention."""
from . import linalg

__version__ = "0.1.0"
__all__ = ["linalg"]
