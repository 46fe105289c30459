# C-level face of fastnewton/_solvers.pyx: the iteration loops, sharing one options/result pair.
from fastnewton.fastnewton_h cimport fn_hessian
from fastnewton._objective cimport fn_objective
from fastnewton._linesearch cimport ls_params

# Called after every iteration: 0 go on, 1 stop (status 4), -1 stop on an error (recorded).
ctypedef int (*iter_hook)(int nit, const double *x, double f, const double *g,
                          void *data) noexcept nogil

ctypedef struct solve_opts:
    int maxiter
    double gtol               # stop when max_i |g_i| <= gtol
    double xtol               # stop (status 5) when max_i |dx_i| <= xtol * max(1, |x_i|)
    int fd_method             # FD_FORWARD / FD_CENTRAL for finite-difference Hessians
    double fd_rel_step        # 0: the optimal default
    double chol_beta          # modified Cholesky: smallest shift, relative to the diagonal
    ls_params ls
    fn_hessian hess           # exact Hessian, or NULL for finite differences
    void *hess_data
    iter_hook hook            # NULL for none
    void *hook_data

ctypedef struct solve_out:
    int status
    int nit
    Py_ssize_t nhev
    double f
    double tau                # the last modified-Cholesky shift (Newton)

cdef int newton_solve(fn_objective *o, double *x, double *g, double *h, double *work,
                      const solve_opts *opt, solve_out *out) noexcept nogil
