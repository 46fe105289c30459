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
