# C-level face of fastnewton/_linalg.pyx: in-place Cholesky kernels for other modules to cimport.
#
# Triangles: `uplo` is LAPACK's (Fortran) view. For a C-ordered n x n buffer pass b'U': LAPACK then
# reads and writes what C code calls the *lower* triangle, and the factor L satisfies A = L L^T
# in C indexing. For a Fortran-ordered buffer pass b'L' for the same meaning.

cdef int chol_factor(char uplo, int n, double *a) noexcept nogil
cdef int chol_solve(char uplo, int n, const double *fac, double *b, int nrhs) noexcept nogil
cdef int chol_solve_rows(char uplo, int n, const double *fac, double *b, int nrhs) noexcept nogil
cdef int modified_chol(char uplo, int n, double *a, double beta, double *diag_work,
                       double *tau) noexcept nogil
cdef bint all_finite(const double *x, Py_ssize_t size) noexcept nogil

# Banded symmetric matrices, LAPACK 'L' band storage in a C array: ab[j * (kd + 1) + d] holds
# A[j + d, j] for d = 0..kd (entries past the end unused).
cdef int band_chol_solve(int n, int kd, const double *ab, double *b) noexcept nogil
cdef int modified_band_chol(int n, int kd, double *ab, double beta, double *backup,
                            double *tau) noexcept nogil


cdef inline double dot(int n, const double *a, const double *b) noexcept nogil:
    """sum_i a_i b_i, the one dot product of the kernels: four partial sums, so that the
    compiler keeps several multiply-adds in flight (no BLAS call: the vectors are short)."""
    cdef int i, n4 = n - n % 4
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    for i in range(0, n4, 4):
        s0 += a[i] * b[i]
        s1 += a[i + 1] * b[i + 1]
        s2 += a[i + 2] * b[i + 2]
        s3 += a[i + 3] * b[i + 3]
    for i in range(n4, n):
        s0 += a[i] * b[i]
    return (s0 + s1) + (s2 + s3)


# The shift rule of modified_chol (module docstring of _linalg.pyx), the one copy, shared by the
# dense, banded and sparse (_sparse_chol) modified factorizations.
# The shift tau is doubled at most MAX_SHIFTS times. beta_s >= beta ||H||_F / n, so a finite
# matrix needs about log2(n / beta) doublings; after JUMP_AFTER of them the shift jumps to
# 2 ||H||_F, which works for any finite H: reaching the limit means non-finite values.
cdef enum:
    MAX_SHIFTS = 200
    JUMP_AFTER = 100


cdef inline double _first_shift(double dmin, double dmax, double fnorm, Py_ssize_t n,
                               double beta, double *beta_s) noexcept nogil:
    """beta_s (written to *beta_s) = beta * max(max|a_ii|, ||A||_F / n), or beta for A = 0;
    returns tau_0 = 0 if min a_ii > 0, else beta_s - min a_ii. dmin, dmax: min a_ii and
    max |a_ii|; fnorm is ||A||_F. Either may overflow for a huge beta or A: the callers then
    stop (no finite shift)."""
    cdef double scale = fnorm / n
    if dmax > scale:
        scale = dmax
    if scale == 0.0:
        scale = 1.0
    beta_s[0] = beta * scale
    return 0.0 if dmin > 0.0 else beta_s[0] - dmin


cdef inline double _next_shift(double t, double scale, double fro, int k) noexcept nogil:
    """tau_{k+1} = max(2 tau_k, beta_s), or 2 ||H||_F once JUMP_AFTER doublings failed
    (k counts the failed attempts from 0; scale is beta_s, fro is ||H||_F)."""
    t = 2.0 * t if 2.0 * t > scale else scale
    if k + 1 == JUMP_AFTER and t < 2.0 * fro:
        t = 2.0 * fro + 5e-324
    return t
