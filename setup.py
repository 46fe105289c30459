"""Build the compiled kernels of fastnewton.

Every ``src/fastnewton/_*.pyx`` becomes one extension module; Cython's own utility code
(memoryviews, type imports) is compiled once, into ``fastnewton._cyutility``, which they all
share (Cython >= 3.1), instead of into each. BLAS/LAPACK come through
``scipy.linalg.cython_blas`` / ``cython_lapack`` (function pointers resolved at import), so
nothing links a system BLAS and the wheel depends on numpy and scipy only.

Wheels stay small: on GCC/clang the extensions are built without debug information (``-g0``
after Python's own ``-g``) and, on Linux and other ELF platforms, linked stripped (``-s``); on
macOS the linker drops local symbols and debug notes (``-Wl,-S,-x``). MSVC builds keep the
compiler's defaults (release builds there carry no debug information in the .pyd).

Set ``FASTNEWTON_BOUNDSCHECK=1`` to build with bounds checking on and debug information kept
(debug CI runs).

Set ``FASTNEWTON_ASAN=1`` (GCC or clang) to build with AddressSanitizer: ``-fsanitize=address
-fno-omit-frame-pointer -O1 -g``, linked with ``-fsanitize=address`` and not stripped. The
build then goes to ``build/asan/`` so that it never mixes with a normal build's objects, and
the extensions load only into a Python started with the ASan runtime preloaded::

    FASTNEWTON_ASAN=1 pip install --no-build-isolation --no-deps --force-reinstall .
    LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 pytest ...

(``detect_leaks=0``: CPython keeps memory until exit by design). ``.ci/run`` does this.
"""
import os
import sys
from glob import glob

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build import build
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
debug = os.environ.get("FASTNEWTON_BOUNDSCHECK", "0") == "1"
asan = os.environ.get("FASTNEWTON_ASAN", "0") == "1"

directives = {
    "language_level": 3,
    "boundscheck": debug,
    "wraparound": False,
    "initializedcheck": debug,
    "cdivision": True,
}

SHARED_UTILITY = "fastnewton._cyutility"

extensions = [
    Extension(
        "fastnewton." + os.path.splitext(os.path.basename(path))[0],
        sources=[os.path.relpath(path, HERE)],
        include_dirs=["csrc", np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    for path in sorted(glob(os.path.join(HERE, "src", "fastnewton", "_*.pyx")))
] + [
    # Cython's utility code (memoryviews, type imports, ...) once, shared by every module
    # above, instead of a copy in each: the wheel is about half the size
    Extension(SHARED_UTILITY, sources=["src/fastnewton/_cyutility.c"], include_dirs=[np.get_include()],
              define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]),
]


class build_ext_small(build_ext):
    """Optimization and size flags chosen by the compiler actually used (MSVC rejects -O3)."""

    def build_extensions(self):
        if self.compiler.compiler_type in ("unix", "mingw32", "cygwin"):   # GCC or clang
            compile_args = ["-O3"] if debug else ["-O3", "-g0"]
            if asan:
                compile_args = ["-O1", "-g", "-fsanitize=address", "-fno-omit-frame-pointer"]
                link_args = ["-fsanitize=address"]
            elif debug:
                link_args = []
            elif sys.platform == "darwin":
                link_args = ["-Wl,-S,-x"]      # ld64: no debug notes, no local symbols
            else:
                link_args = ["-s"]             # ELF: strip the symbol table and debug sections
            for ext in self.extensions:
                ext.extra_compile_args = compile_args + list(ext.extra_compile_args)
                ext.extra_link_args = link_args + list(ext.extra_link_args)
        super().build_extensions()


class build_apart(build):
    """With FASTNEWTON_ASAN=1, build under build/asan/: an instrumented object or module must
    never be taken for an up-to-date normal one (or the other way round)."""

    def finalize_options(self):
        if asan and self.build_base == "build":
            self.build_base = os.path.join("build", "asan")
        super().finalize_options()


class build_py_with_header(build_py):
    """Also put csrc/fastnewton.h into the built package, beside the .pxd files that include
    it, so that other Cython code can ``cimport fastnewton...`` against an installed wheel
    (``fastnewton.get_include()`` returns that folder)."""

    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "fastnewton")
        self.mkpath(target)
        self.copy_file(os.path.join(HERE, "csrc", "fastnewton.h"), target)


setup(ext_modules=cythonize(extensions, compiler_directives=directives,
                            shared_utility_qualified_name=SHARED_UTILITY),
      cmdclass={"build": build_apart, "build_py": build_py_with_header,
                "build_ext": build_ext_small})
