# C-level face of fastnewton/_newton_cg.pyx: line-search Newton-CG (truncated Newton) as an
# engine plug-in.
from fastnewton._engine cimport fn_engine, method_ops, solve_opts

cdef enum:                    # solve_opts.forcing: the forcing sequence eta_k
    FORCING_EW2 = 0           # Eisenstat & Walker's choice 2, safeguarded
    FORCING_SQRT = 1          # Nocedal & Wright (7.3): min(0.5, sqrt(||g||)) (SciPy's rule)
    FORCING_EW1 = 2           # Eisenstat & Walker's choice 1, safeguarded

cdef enum:                    # newton_cg_model.last_exit: how the last CG run ended
    CG_RESIDUAL = 0           # ||r|| <= eta ||g||
    CG_CURVATURE = 1          # d^T H d <= 0 met
    CG_MAXITER = 2            # cg_maxiter iterations
    CG_STALLED = 3            # the quadratic model stopped falling (Nash & Sofer's test)

# Newton-CG's part of the workspace (newton_cg_carve): this struct, then z, r, d, hd (n each),
# fdw (2n). O(n) doubles: no n x n matrix anywhere.
ctypedef struct newton_cg_model:
    double *z                 # the CG iterate: the step newton_cg_direction hands over
    double *r                 # the residual H z + g
    double *d                 # the CG direction
    double *hd                # H d
    double *fdw               # 2n: the finite-difference product's workspace
    double eta                # the forcing term of the last CG run
    double gprev              # ||g||_2 at the previous iterate; -1 before the first
    double gg, gr, rr         # g^T g, g^T r, r^T r at the end of the last CG run (r = g + H z):
                              # the linear model's gradient along the step, for choice 1
    Py_ssize_t nhev           # Hessian-vector products
    Py_ssize_t ncg            # CG iterations, all runs
    Py_ssize_t ncurv          # CG runs stopped by negative (or zero) curvature
    int last_exit             # CG_*

cdef Py_ssize_t newton_cg_carve(int n, const solve_opts *opt, double *base) noexcept nogil
cdef int truncated_cg(int n, const double *g, double eta, int maxiter,
                      double *z, double *r, double *d, double *hd,
                      int (*product)(const double *v, double *out,
                                     void *data) noexcept nogil,
                      void *data, Py_ssize_t *ncg, int *exit) noexcept nogil
cdef const method_ops *newton_cg_ops() noexcept nogil
cdef dict newton_cg_result(fn_engine *e)
