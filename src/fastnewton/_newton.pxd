# C-level face of fastnewton/_newton.pyx: Newton's method as an engine plug-in.
from fastnewton._engine cimport fn_engine, method_ops, solve_opts

cdef enum:                    # newton_model.auto_state under BAND_AUTO
    AUTO_FIRST = 0            # no Hessian yet: the first is dense, and its pattern decides
    AUTO_BANDED = 1           # banded, each Hessian checked by a probe
    AUTO_DENSE = 2            # dense for good

# Newton's part of the workspace (newton_carve): this struct, then h, then fdw.
ctypedef struct newton_model:
    double *h                 # the Hessian: n*n C-ordered (factored in place in its lower
                              # triangle, the strict upper one keeping H), or under a band
                              # the band region (newton_band_parts)
    double *fdw               # 4n: finite-difference workspace; its first n keep the diagonal
                              # of a dense H across the factorization
    Py_ssize_t nhev           # Hessians evaluated
    double tau                # the last modified-Cholesky shift
    int band                  # the band the next FD Hessian gets; -1 dense
    int hess_band             # the band of the Hessian held now; -1 dense
    int auto_state            # BAND_AUTO: AUTO_*
    unsigned long long rng    # BAND_AUTO: xorshift state of the band probe (per solve)

# The band region of h for half-bandwidth kd: (4kd + 3) n doubles, which fit in the n*n of a
# dense Hessian whenever BAND_AUTO picks a band (4kd + 2 < n).
ctypedef struct newton_band:
    double *ab                # (kd+1) n: the band, LAPACK 'L' storage, factored in place
    double *cols              # (2kd+1) n: the Curtis-Powell-Reid columns
    double *backup            # (kd+1) n: the band kept for the result

cdef Py_ssize_t newton_carve(int n, const solve_opts *opt, double *base) noexcept nogil
cdef newton_band newton_band_parts(const newton_model *m, int n, int kd) noexcept nogil
cdef void newton_take_hessian(fn_engine *e, const double *h) noexcept nogil
cdef const method_ops *newton_ops() noexcept nogil
cdef int modified_newton_step(int n, double *a, double *diag, const double *g, double *p,
                              double beta, double *tau) noexcept nogil
cdef object dense_from_band(const double *ab, int n, int kd)
cdef dict newton_result(fn_engine *e)
