# C-level face of fastnewton/_colouring.pyx: star colouring of a symmetric sparsity pattern and
# the coloured (sparse) finite-difference Hessian from gradients.
from fastnewton._objective cimport fn_objective

cdef int star_colour(int n, const int *indptr, const int *indices, const int *order,
                     int *colour, int *mark) noexcept nogil
cdef int star_colour_checked(int n, const int *indptr, const int *indices, const int *order,
                             int *colour, int *mark, int *cnt) noexcept nogil
cdef int distance2_colour(int n, const int *indptr, const int *indices, const int *order,
                          int *colour, int *mark) noexcept nogil
cdef void smallest_last_order(int n, const int *indptr, const int *indices, int *order,
                              int *deg, int *head, int *nxt, int *prv) noexcept nogil
cdef void bfs_order(int n, const int *indptr, const int *indices, int start, int *order,
                    int *seen) noexcept nogil
cdef int recovery_plan(int n, const int *indptr, const int *indices, const int *colour,
                       int ncolours, int *transpose, signed char *own, int *cnt,
                       int *mark, int *cursor) noexcept nogil
cdef int fd_hessian_coloured(fn_objective *o, const double *x, const double *g0,
                             const int *indptr, const int *indices, const int *gptr,
                             const int *gmem, int ngroups, const int *transpose,
                             const signed char *own, double *hval, int method,
                             double rel_step, double *xw, double *gw1, double *gw2,
                             double *steps, double *raw) noexcept nogil

# A pattern made ready once (ColouredPattern): the symmetric closure with the diagonal as sorted
# CSR, the groups as CSR (group c: gmem[gptr[c]:gptr[c+1]]), the recovery plan.
ctypedef struct colour_plan:
    int n
    int ngroups
    Py_ssize_t nnz
    const int *indptr
    const int *indices
    const int *gptr
    const int *gmem
    const int *transpose
    const signed char *own

cdef class ColouredPattern:
    cdef colour_plan c
    cdef readonly object indptr, indices, colours, gptr, gmem, transpose, own
    cdef readonly int ngroups

cdef int fd_hessian_planned(fn_objective *o, const double *x, const double *g0,
                            const colour_plan *P, double *hval, int method, double rel_step,
                            double *work) noexcept nogil
