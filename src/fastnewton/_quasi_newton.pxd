# C-level face of fastnewton/_quasi_newton.pyx: BFGS, L-BFGS and SR1 as engine plug-ins.
from fastnewton._engine cimport fn_engine, method_ops, solve_opts

# BFGS's part of the workspace (bfgs_carve): this struct, then h, s, y, u.
ctypedef struct bfgs_model:
    double *h                 # n*n: the inverse Hessian approximation (lower triangle, C order)
    double *s                 # n each: the step, the gradient change, scratch for H y
    double *y
    double *u

# SR1's: this struct, then b, s, y, v, diag, fac.
ctypedef struct sr1_model:
    double *b                 # n*n: the Hessian approximation B (lower triangle)
    double *s                 # n each: step, gradient change, y - B s, the diagonal backup
    double *y
    double *v
    double *diag
    double *fac               # n*n: B + tau I factored (B itself is kept for updates)
    double tau                # the last modified-Cholesky shift

# L-BFGS's: this struct, then S, Y (m*n each: ring buffers of pairs, row j = slot j), rho,
# alpha (m each).
ctypedef struct lbfgs_model:
    double *S
    double *Y
    double *rho               # 1 / s_j^T y_j
    double *alpha             # the two-loop recursion's coefficients
    int m                     # slots
    int npairs                # pairs stored; the newest is at slot (head - 1) mod m
    int head

cdef Py_ssize_t bfgs_carve(int n, const solve_opts *opt, double *base) noexcept nogil
cdef Py_ssize_t sr1_carve(int n, const solve_opts *opt, double *base) noexcept nogil
cdef Py_ssize_t lbfgs_carve(int n, const solve_opts *opt, double *base) noexcept nogil
cdef double curvature_floor(int n, const double *s, const double *g0,
                            const double *g1) noexcept nogil
cdef bint bfgs_update(int n, double *h, const double *s, const double *y, double *u,
                      double sy_min) noexcept nogil
cdef bint sr1_update(int n, double *b, const double *s, const double *y, double *v,
                     double r) noexcept nogil
cdef void lbfgs_direction(int n, int m, int npairs, int head, const double *S,
                          const double *Y, const double *rho, double *alpha, const double *g,
                          double *p) noexcept nogil
cdef const method_ops *bfgs_ops() noexcept nogil
cdef const method_ops *sr1_ops() noexcept nogil
cdef const method_ops *lbfgs_ops() noexcept nogil
cdef dict bfgs_result(fn_engine *e)
cdef dict sr1_result(fn_engine *e)
cdef dict lbfgs_result(fn_engine *e)
