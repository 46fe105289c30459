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
