"""The shipped .pxd files (and fastnewton.h beside them, found through
``fastnewton.get_include()``) let other Cython code cimport the kernels and call them as C.
Builds a tiny extension against the installed package in a subprocess and runs it."""
import os
import subprocess
import sys
import textwrap

import numpy as np

import fastnewton

CONSUMER = textwrap.dedent('''
    # cython: language_level=3
    from fastnewton._linalg cimport modified_chol, chol_solve

    def shifted_solve(double[:, ::1] a, double[::1] b):
        """Factor a + tau I (lower triangle in C order) and solve; returns tau."""
        cdef double tau = 0.0
        cdef double[::1] diag = b.copy()
        cdef int n = <int>a.shape[0]
        with nogil:
            if modified_chol(b'U', n, &a[0, 0], 1e-3, &diag[0], &tau) != 0:
                tau = -1.0
            else:
                chol_solve(b'U', n, &a[0, 0], &b[0], 1)
        return tau
''')

SETUP = textwrap.dedent('''
    import sys
    import numpy, fastnewton
    from setuptools import Extension, setup
    from Cython.Build import cythonize
    ext = Extension("consumer", ["consumer.pyx"],
                    include_dirs=[fastnewton.get_include(), numpy.get_include()])
    setup(ext_modules=cythonize([ext], include_path=[fastnewton.get_include()]),
          script_args=["build_ext", "--inplace", "-q"])
''')


def test_a_cython_extension_can_cimport_the_kernels(tmp_path):
    (tmp_path / "consumer.pyx").write_text(CONSUMER)
    (tmp_path / "build_consumer.py").write_text(SETUP)
    env = dict(os.environ)
    # the .pxd files are found on sys.path, next to the installed package
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(fastnewton.__file__))
    build = subprocess.run([sys.executable, "build_consumer.py"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        import consumer
    finally:
        sys.path.remove(str(tmp_path))
    rng = np.random.default_rng(3)
    m = rng.standard_normal((6, 6))
    A = m @ m.T - 3.0 * np.eye(6)                      # indefinite
    rhs = rng.standard_normal(6)
    a, x = A.copy(), rhs.copy()
    tau = consumer.shifted_solve(a, x)                 # x is solved in place
    assert tau > 0.0
    assert np.linalg.eigvalsh(A + tau * np.eye(6))[0] > 0.0
    np.testing.assert_allclose((A + tau * np.eye(6)) @ x, rhs, rtol=1e-10, atol=1e-12)
