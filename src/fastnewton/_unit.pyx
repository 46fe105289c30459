"""Python entry points to single kernels, for the unit tests (tests/) and nothing else: the
kernel modules keep only what the package itself calls.

Each function runs one kernel on arrays the caller made, as the solvers would call it.
"""
import numpy as np
from fastnewton._objective cimport Objective
from fastnewton._validate import fd_method
from fastnewton._fdiff cimport fd_hessian_grad, fd_hessp, fd_hessian_band
from fastnewton._linalg cimport modified_band_chol, band_chol_solve
from fastnewton._newton cimport dense_from_band
from fastnewton._quasi_newton cimport bfgs_update, sr1_update, curvature_floor


# ---- _fdiff

def _hessian_from_grad(Objective o, const double[::1] x, const double[::1] g0, str method,
                       double rel_step):
    cdef int m = fd_method(method)
    cdef Py_ssize_t n = x.shape[0]
    cdef double[:, ::1] h = np.empty((n, n))
    cdef double[:, ::1] work = np.empty((3, n))
    with nogil:
        fd_hessian_grad(&o.c, &x[0], &g0[0], &h[0, 0], m, rel_step,
                        &work[0, 0], &work[1, 0], &work[2, 0])
    o.check()
    return h.base


def _hessp(Objective o, const double[::1] x, const double[::1] g0, const double[::1] v,
           str method, double rel_step):
    cdef int m = fd_method(method)
    cdef Py_ssize_t n = x.shape[0]
    cdef double[::1] out = np.empty(n)
    cdef double[:, ::1] work = np.empty((2, n))
    with nogil:
        fd_hessp(&o.c, &x[0], &g0[0], &v[0], &out[0], m, rel_step, &work[0, 0], &work[1, 0])
    o.check()
    return out.base


def _hessian_band(Objective o, const double[::1] x, const double[::1] g0, int kd, str method,
                  double rel_step):
    """The banded FD Hessian as an (n, kd + 1) band array (see fd_hessian_band)."""
    cdef int m = fd_method(method)
    cdef Py_ssize_t n = x.shape[0]
    cdef double[:, ::1] ab = np.empty((n, kd + 1))
    cdef double[:, ::1] work = np.empty((4, n))
    cdef double[::1] cols = np.empty((2 * kd + 1) * n)
    with nogil:
        fd_hessian_band(&o.c, &x[0], &g0[0], &ab[0, 0], kd, m, rel_step, &work[0, 0],
                        &work[1, 0], &work[2, 0], &work[3, 0], &cols[0])
    o.check()
    return ab.base


# ---- _linalg

def _modified_band_cholesky(double[:, ::1] ab, double beta):
    """ab: (n, kd + 1) C array in the band layout of the .pxd; factored in place.
    Returns (info, tau)."""
    cdef int n = <int>ab.shape[0], kd = <int>ab.shape[1] - 1
    cdef double tau = 0.0
    cdef int info
    cdef double[:, ::1] backup = np.empty((max(n, 1), kd + 1))
    with nogil:
        info = modified_band_chol(n, kd, &ab[0, 0], beta, &backup[0, 0], &tau)
    return info, tau


def _band_chol_solve(const double[:, ::1] ab, double[::1] b):
    cdef int n = <int>ab.shape[0], kd = <int>ab.shape[1] - 1, info
    with nogil:
        info = band_chol_solve(n, kd, &ab[0, 0], &b[0])
    return info


# ---- _newton, _quasi_newton

def _dense_from_band(const double[:, ::1] ab):
    """The symmetric n x n matrix whose lower band is ab (row j: H[j + d, j], d = 0..kd)."""
    return dense_from_band(&ab[0, 0], <int>ab.shape[0], <int>ab.shape[1] - 1)


def _bfgs_update(double[:, ::1] h, const double[::1] s, const double[::1] y,
                 double sy_min=0.0):
    """Apply one inverse-BFGS update to the lower triangle of h in place; False if skipped
    (s^T y <= max(sy_min, 0))."""
    cdef double[::1] u = np.empty(s.shape[0])
    return bfgs_update(<int>s.shape[0], &h[0, 0], &s[0], &y[0], &u[0], sy_min)


def _curvature_floor(const double[::1] s, const double[::1] g0, const double[::1] g1):
    """The s^T y below which BFGS and L-BFGS skip a pair (see curvature_floor)."""
    return curvature_floor(<int>s.shape[0], &s[0], &g0[0], &g1[0])


def _sr1_update(double[:, ::1] b, const double[::1] s, const double[::1] y, double r=1e-8):
    """Apply one SR1 update to the lower triangle of b in place; False if skipped."""
    cdef double[::1] v = np.empty(s.shape[0])
    return sr1_update(<int>s.shape[0], &b[0, 0], &s[0], &y[0], &v[0], r)
