"""Build the compiled kernels of fastnewton.

Every ``src/fastnewton/_*.pyx`` becomes one extension module. BLAS/LAPACK come through
``scipy.linalg.cython_blas`` / ``cython_lapack`` (function pointers resolved at import), so
nothing links a system BLAS and the wheel depends on numpy and scipy only.

Set ``FASTNEWTON_BOUNDSCHECK=1`` to build with bounds checking on (debug CI runs).
"""
import os
from glob import glob

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_py import build_py

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
    for path in sorted(glob(os.path.join(HERE, "src", "fastnewton", "_*.pyx")))
]



class build_py_with_header(build_py):
    """Also put csrc/fastnewton.h into the built package, beside the .pxd files that include
    it, so that other Cython code can ``cimport fastnewton...`` against an installed wheel
    (``fastnewton.get_include()`` returns that folder)."""

    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "fastnewton")
        self.mkpath(target)
        self.copy_file(os.path.join(HERE, "csrc", "fastnewton.h"), target)


setup(ext_modules=cythonize(extensions, compiler_directives=directives),
      cmdclass={"build_py": build_py_with_header})
