"""Build the compiled kernels of fastnewton.

Every ``fastnewton/_*.pyx`` becomes one extension module. BLAS/LAPACK come through
``scipy.linalg.cython_blas`` / ``cython_lapack`` (function pointers resolved at import), so
nothing links a system BLAS and the wheel depends on numpy and scipy only.

Set ``FASTNEWTON_BOUNDSCHECK=1`` to build with bounds checking on (debug CI runs).
"""
import os
from glob import glob

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
debug = os.environ.get("FASTNEWTON_BOUNDSCHECK", "0") == "1"

directives = {
    "language_level": 3,
    "boundscheck": debug,
    "wraparound": False,
    "initializedcheck": debug,
    "cdivision": True,
}

extensions = [
    Extension(
        "fastnewton." + os.path.splitext(os.path.basename(path))[0],
        sources=[os.path.relpath(path, HERE)],
        include_dirs=["csrc", np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"],
    )
    for path in sorted(glob(os.path.join(HERE, "fastnewton", "_*.pyx")))
]

setup(ext_modules=cythonize(extensions, compiler_directives=directives))
