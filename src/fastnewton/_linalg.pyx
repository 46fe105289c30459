"""In-place Cholesky kernels (nogil, allocation-free) over scipy.linalg.cython_lapack.

Design
------
Newton's step solves H p = -g. When H is symmetric positive definite, H = L L^T (LAPACK
``dpotrf``) and two triangular solves (``dpotrs``) give p. When H is indefinite or singular
we use "Cholesky with added multiple of the identity" (Nocedal & Wright, *Numerical
Optimization*, 2nd ed., Alg. 3.3): factor H + tau I with

    tau_0 = 0                        if min_i h_ii > 0
          = -min_i h_ii + beta_s     otherwise,
    tau_{k+1} = max(2 tau_k, beta_s) until dpotrf succeeds,

where beta_s = beta * max(max_i |h_ii|, ||H||_F / n) (beta when H = 0) scales the shift to the
matrix. The Frobenius term keeps beta_s from vanishing when the diagonal is tiny beside the
off-diagonal entries; since every tau > ||H||_F makes H + tau I positive definite, the
doubling then reaches a working shift in at most about log2(n / beta) steps. A beta so small
that this takes more than JUMP_AFTER doublings (beta = 1e-300: about 1000) jumps to
tau = 2 ||H||_F (+ the smallest positive double), which always works, instead of running out
of attempts; every sequence that works within JUMP_AFTER doublings is unchanged. H + tau I is
positive definite, so the step -(H + tau I)^{-1} g is a descent direction.

A failed ``dpotrf`` overwrites part of the working triangle. Instead of a workspace copy of
the matrix, the strict *opposite* triangle (which LAPACK never touches) holds the backup: it
is filled with the mirror of the working triangle before the first attempt, and the
diagonal is kept in a caller-provided vector of length n. For a symmetric input the opposite
triangle therefore ends up with the values it had.

All functions trust their arguments (the Python layer validates) and report failure by
return code: 0 success, > 0 LAPACK's ``info`` (leading minor not positive definite), < 0
bad argument or non-convergence; for the modified factorizations -2 means that the shift
overflowed (beta_s, or its doubling, passed the largest double: a huge beta or A), so that
no finite tau exists in the sequence -- they never factor A + inf I.
"""

from scipy.linalg.cython_lapack cimport dpotrf, dpotrs, dpbtrf, dpbtrs
from scipy.linalg.cython_blas cimport dtrsm
from libc.math cimport fabs, sqrt, isfinite
from libc.string cimport memcpy

# The shift rule (MAX_SHIFTS, JUMP_AFTER, _first_shift, _next_shift) lives in _linalg.pxd,
# shared with the sparse modified Cholesky of _sparse_chol.


cdef int chol_factor(char uplo, int n, double *a) noexcept nogil:
    """Factor the symmetric matrix in `a` (n x n, leading dimension n) in place."""
    cdef int info = 0
    cdef int lda = n if n > 0 else 1
    # a[tri] = cholesky(a)[tri]          (a changed in place)
    dpotrf(&uplo, &n, a, &lda, &info)
    return info


cdef int chol_solve(char uplo, int n, const double *fac, double *b, int nrhs) noexcept nogil:
    """Solve A X = B given chol_factor's output; B is n x nrhs column-major (b changed in place)."""
    cdef int info = 0
    cdef int lda = n if n > 0 else 1
    # b = A^{-1} b                        (b changed in place)
    dpotrs(&uplo, &n, &nrhs, <double *>fac, &lda, b, &lda, &info)
    return info


cdef int chol_solve_rows(char uplo, int n, const double *fac, double *b, int nrhs) noexcept nogil:
    """Solve A X = B where B (n x nrhs) is stored row-major, i.e. solve X^T A = B^T.

    In column-major terms the buffer is M = B^T (nrhs x n) and we form M A^{-1} with two
    right-sided triangular solves, so a C-ordered right-hand side needs no transposed copy.
    """
    cdef double one = 1.0
    cdef int lda = n if n > 0 else 1
    cdef int ldb = nrhs if nrhs > 0 else 1
    cdef char side = b'R'
    cdef char no = b'N'
    cdef char tr = b'T'
    cdef char diag = b'N'
    if n == 0 or nrhs == 0:
        return 0
    if uplo == b'U':
        # A = U^T U:  M = M U^{-1}, then M = M U^{-T}     (b changed in place)
        dtrsm(&side, &uplo, &no, &diag, &nrhs, &n, &one, <double *>fac, &lda, b, &ldb)
        dtrsm(&side, &uplo, &tr, &diag, &nrhs, &n, &one, <double *>fac, &lda, b, &ldb)
    else:
        # A = L L^T:  M = M L^{-T}, then M = M L^{-1}     (b changed in place)
        dtrsm(&side, &uplo, &tr, &diag, &nrhs, &n, &one, <double *>fac, &lda, b, &ldb)
        dtrsm(&side, &uplo, &no, &diag, &nrhs, &n, &one, <double *>fac, &lda, b, &ldb)
    return 0


cdef inline Py_ssize_t _tri_index(char uplo, Py_ssize_t n, Py_ssize_t i, Py_ssize_t j) noexcept nogil:
    # Offset of column-major element (i, j) of the working triangle, i.e. i >= j for 'L',
    # i <= j for 'U'; the caller passes (row, col) with row >= col in the working triangle's
    # own orientation and we map it.
    if uplo == b'L':
        return i + j * n      # (i, j), i >= j
    return j + i * n          # (j, i), upper


cdef int modified_chol(char uplo, int n, double *a, double beta, double *diag_work,
                       double *tau) noexcept nogil:
    """Factor A + tau I in place with the smallest tau of the geometric sequence that works.

    `a` is n x n column-major with working triangle `uplo`; on success it holds the Cholesky
    factor of A + tau I in that triangle, the opposite strict triangle holds the mirror of A's
    working triangle, and tau[0] is the shift used (0 for positive definite A).
    Returns 0 on success, -1 if no shift in MAX_SHIFTS doublings worked (non-finite input),
    -2 if the shift overflowed before one worked (a restored `a`, tau[0] = 0).
    """
    cdef Py_ssize_t i, j, nn = n
    cdef double dmin, dmax, fro, scale, t, v, dmax_all = 0.0
    cdef int info, k

    tau[0] = 0.0
    if n == 0:
        return 0
    # Back up the working triangle into the opposite one, and the diagonal into diag_work.
    dmin = a[0]
    dmax = 0.0
    fro = 0.0
    for j in range(nn):
        for i in range(j + 1, nn):
            v = a[_tri_index(uplo, nn, i, j)]
            a[_tri_index(uplo, nn, j, i)] = v      # mirror: the opposite strict triangle
            fro += 2.0 * v * v
            if fabs(v) > dmax_all:
                dmax_all = fabs(v)
        v = a[j + j * nn]
        if fabs(v) > dmax_all:
            dmax_all = fabs(v)
        diag_work[j] = v
        fro += v * v
        if v < dmin:
            dmin = v
        if fabs(v) > dmax:
            dmax = fabs(v)
    # fro becomes ||A||_F; when the sum of squares overflowed (entries beyond ~1e154) or may
    # have underflowed (all entries below ~1e-150) it is summed again scaled by the largest
    # |a_ij|, so that only a norm beyond the float range is inf, and only A = 0 gives 0
    if not isfinite(fro) or 0.0 < dmax_all < 1e-150:
        fro = 0.0
        for j in range(nn):
            for i in range(j, nn):
                v = a[_tri_index(uplo, nn, i, j)] / dmax_all
                fro += v * v if i == j else 2.0 * v * v
        fro = dmax_all * sqrt(fro)
    else:
        fro = sqrt(fro)
    t = _first_shift(dmin, dmax, fro, nn, beta, &scale)
    for k in range(MAX_SHIFTS):
        if not isfinite(t) or not isfinite(scale):
            return -2               # the shift overflowed: no finite tau
        if t != 0.0:
            for j in range(nn):
                a[j + j * nn] = diag_work[j] + t
        info = chol_factor(uplo, n, a)
        if info == 0:
            tau[0] = t
            return 0
        if info < 0:
            return info
        # Restore the working triangle from the backup and raise the shift.
        for j in range(nn):
            for i in range(j + 1, nn):
                a[_tri_index(uplo, nn, i, j)] = a[_tri_index(uplo, nn, j, i)]
            a[j + j * nn] = diag_work[j]
        t = _next_shift(t, scale, fro, k)
    return -1


cdef int band_chol_solve(int n, int kd, const double *ab, double *b) noexcept nogil:
    """Solve A x = b (b changed in place) given modified_band_chol's factor."""
    cdef int info = 0, one = 1, ldab = kd + 1
    cdef char uplo = b'L'
    # b = A^{-1} b                        (b changed in place)
    dpbtrs(&uplo, &n, &kd, &one, <double *>ab, &ldab, b, &n, &info)
    return info


cdef int modified_band_chol(int n, int kd, double *ab, double beta, double *backup,
                            double *tau) noexcept nogil:
    """modified_chol for a banded matrix in 'L' band storage (see the .pxd): the same shift
    rule and sequence; `backup` ((kd + 1) * n doubles) keeps A, and holds it on return."""
    cdef Py_ssize_t j, d, w = kd + 1, nn = n
    cdef double dmin, dmax = 0.0, fro = 0.0, scale, t, v, amax = 0.0
    cdef int info = 0, k, ldab = kd + 1
    cdef char uplo = b'L'
    tau[0] = 0.0
    if n == 0:
        return 0
    memcpy(backup, ab, w * nn * sizeof(double))
    dmin = ab[0]
    for j in range(nn):
        v = ab[j * w]
        fro += v * v
        if v < dmin:
            dmin = v
        if fabs(v) > dmax:
            dmax = fabs(v)
        for d in range(1, w):
            if j + d < nn:
                fro += 2.0 * ab[j * w + d] * ab[j * w + d]
                if fabs(ab[j * w + d]) > amax:
                    amax = fabs(ab[j * w + d])
    # fro becomes ||A||_F, rescaled as in modified_chol when the sum of squares overflowed
    # or may have underflowed
    if dmax > amax:
        amax = dmax
    if not isfinite(fro) or 0.0 < amax < 1e-150:
        fro = 0.0
        for j in range(nn):
            for d in range(w):
                if j + d < nn:
                    v = ab[j * w + d] / amax
                    fro += v * v if d == 0 else 2.0 * v * v
        fro = amax * sqrt(fro)
    else:
        fro = sqrt(fro)
    t = _first_shift(dmin, dmax, fro, nn, beta, &scale)
    for k in range(MAX_SHIFTS):
        if not isfinite(t) or not isfinite(scale):
            return -2               # the shift overflowed: no finite tau
        if t != 0.0:
            for j in range(nn):
                ab[j * w] = backup[j * w] + t
        # ab = cholesky(A + t I) in band storage      (ab changed in place)
        dpbtrf(&uplo, &n, &kd, ab, &ldab, &info)
        if info == 0:
            tau[0] = t
            return 0
        if info < 0:
            return info
        memcpy(ab, backup, w * nn * sizeof(double))
        t = _next_shift(t, scale, fro, k)
    return -1


cdef bint all_finite(const double *x, Py_ssize_t size) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(size):
        if not isfinite(x[i]):
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Python entry points, used by fastnewton/linalg.py (which validates shapes, dtypes and order).

import numpy as np

from fastnewton._blas_threads cimport blas_limit, blas_limit_enter, blas_limit_leave


def _cho_solve_inplace(double[:, ::1] a, double[:, ::1] b, bint a_fortran, bint b_rows):
    """a: the matrix buffer seen as C-contiguous (a transposed view for Fortran input);
    b: right-hand sides, column-major (b_rows False) or row-major (b_rows True) n x nrhs."""
    cdef int n = <int>a.shape[0]
    cdef int nrhs = <int>(b.shape[0] if not b_rows else b.shape[1])
    # a C-ordered buffer is Fortran's transpose: LAPACK's 'U' is C's lower triangle.
    cdef char uplo = b'L' if a_fortran else b'U'
    cdef int info
    cdef double *pa = &a[0, 0] if n > 0 else NULL
    cdef double *pb = &b[0, 0] if b.shape[0] > 0 and b.shape[1] > 0 else NULL
    cdef blas_limit lim
    blas_limit_enter(&lim, n)
    with nogil:
        info = chol_factor(uplo, n, pa)
        if info == 0 and pb != NULL:
            if b_rows:
                info = chol_solve_rows(uplo, n, pa, pb, nrhs)
            else:
                info = chol_solve(uplo, n, pa, pb, nrhs)
        blas_limit_leave(&lim)
    return info


def _modified_cholesky(double[:, ::1] a, bint a_fortran, double beta):
    cdef int n = <int>a.shape[0]
    cdef char uplo = b'L' if a_fortran else b'U'
    cdef double tau = 0.0
    cdef int info
    cdef double[::1] diag = memoryview(bytearray(8 * max(n, 1))).cast('d')
    cdef double *pa = &a[0, 0] if n > 0 else NULL
    cdef blas_limit lim
    blas_limit_enter(&lim, n)
    with nogil:
        info = modified_chol(uplo, n, pa, beta, &diag[0], &tau)
        blas_limit_leave(&lim)
    return info, tau


def _all_finite(const double[::1] x):
    cdef bint ok
    with nogil:
        ok = all_finite(&x[0], x.shape[0]) if x.shape[0] > 0 else True
    return ok
