"""The shipped .pxd files (and fastnewton.h beside them, found through
``fastnewton.get_include()``) let other Cython code cimport the kernels and call them as C,
through the public ``fastnewton.cython_api``. Builds a tiny extension against the installed
package in a subprocess and runs it: a modified-Cholesky solve, and a whole BFGS solve driven
through the engine's ask/tell interface without the GIL, its objective in the extension."""
import os
import subprocess
import sys
import textwrap

import numpy as np

import fastnewton

CONSUMER = textwrap.dedent('''
    # cython: language_level=3
    import numpy as np
    from libc.math cimport INFINITY
    from fastnewton.cython_api cimport (modified_chol, chol_solve, fn_engine, solve_opts,
                                        method_entry, method_named, engine_carve,
                                        engine_start, engine_tell, REQ_DONE, REQ_FG, REQ_ITER,
                                        FD_CENTRAL)

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


    cdef double rosen(int n, const double *x, double *g) noexcept nogil:
        cdef double f = 0.0, t
        cdef int i
        for i in range(n):
            g[i] = 0.0
        for i in range(n - 1):
            t = x[i + 1] - x[i] * x[i]
            f += 100.0 * t * t + (1.0 - x[i]) * (1.0 - x[i])
            g[i] += -400.0 * x[i] * t - 2.0 * (1.0 - x[i])
            g[i + 1] += 200.0 * t
        return f


    def bfgs_by_hand(double[::1] x, double gtol):
        """Minimize Rosenbrock from x (in place) by BFGS, serving the engine's requests here;
        returns (status, nit, values computed)."""
        cdef int n = <int>x.shape[0], req
        cdef solve_opts opt
        cdef fn_engine e
        cdef const method_entry *bfgs = method_named(b"bfgs")
        cdef double[::1] g = x.copy()
        cdef double[::1] ws
        cdef double f
        cdef long nfev = 1
        opt.maxiter = 1000
        opt.gtol = gtol
        opt.gnorm_ord = INFINITY
        opt.xtol = 0.0
        opt.xrtol = 0.0
        opt.ftol = -INFINITY
        opt.maxfun = 1 << 30
        opt.h0 = NULL
        opt.fd_method = FD_CENTRAL
        opt.fd_rel_step = 0.0
        opt.chol_beta = 0.0
        opt.band = -1
        opt.memory = 0
        opt.sr1_r = 0.0
        opt.ls.c1 = 1e-4
        opt.ls.c2 = 0.9
        opt.ls.amax = INFINITY
        opt.ls.maxiter = 20
        opt.ls.f_noise = 0.0
        opt.ls.extra = NULL
        opt.ls.extra_data = NULL
        opt.hess = NULL
        opt.hess_data = NULL
        if bfgs == NULL:
            raise LookupError("no method called bfgs")
        ws = np.empty(engine_carve(bfgs.ops, n, &opt, NULL).size)
        with nogil:
            f = rosen(n, &x[0], &g[0])
            req = engine_start(&e, bfgs.ops, &opt, n, &x[0], &g[0], f, False, &ws[0])
            while req != REQ_DONE:
                f = 0.0
                if req == REQ_FG:
                    f = rosen(n, e.xt, e.gt)
                    nfev += 1
                    e.nfev = nfev
                elif req != REQ_ITER:
                    with gil:
                        raise AssertionError(f"unexpected request {req}")
                req = engine_tell(&e, f, 0)
        return e.status, e.nit, nfev
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

    # BFGS through the engine, from Cython, to Rosenbrock's minimizer: near x* = 1 the
    # Hessian's smallest eigenvalue is about 0.4, so |g|_inf <= 1e-8 puts x within ~1e-7
    x = np.array([-1.2, 1.0, -1.2, 1.0])
    status, nit, nfev = consumer.bfgs_by_hand(x, 1e-8)
    assert status == 0
    np.testing.assert_allclose(x, np.ones(4), atol=1e-7)
    assert 10 < nit < nfev < 200
