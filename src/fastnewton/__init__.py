"""fastnewton: compiled Newton and quasi-Newton minimization with SciPy's calling convention."""
from . import linalg
from ._fdiff import gradient, hessian
from ._colouring import hessian_groups
from ._api import line_search
from ._minimize import minimize, scipy_method

__version__ = "0.1.0"


def get_include():
    """The folder holding fastnewton.h and the .pxd files, for Cython code that cimports
    fastnewton's kernels.

    Returns
    -------
    str
        Add it to the extension's ``include_dirs`` (and to ``cythonize``'s
        ``include_path``).
    """
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    if os.path.exists(os.path.join(here, "fastnewton.h")):
        return here
    return os.path.join(os.path.dirname(os.path.dirname(here)), "csrc")   # a source checkout


__all__ = ["get_include", "gradient", "hessian", "hessian_groups", "line_search", "linalg", "minimize", "scipy_method"]
