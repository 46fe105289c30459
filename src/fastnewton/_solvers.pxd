# C-level face of fastnewton/_solvers.pyx: one iteration loop for every method, sharing one
# options/result pair and the same line search, stopping tests and status codes.
from fastnewton.fastnewton_h cimport fn_hessian
from fastnewton._objective cimport fn_objective
from fastnewton._linesearch cimport ls_params

cdef enum:
    METHOD_NEWTON = 0
    METHOD_BFGS = 1
    METHOD_LBFGS = 2
    METHOD_SR1 = 3

cdef enum:
    BAND_AUTO = -2            # solve_opts.band: detect the Hessian's band, verify it each use

cdef enum:                    # solve_out.auto_state under BAND_AUTO
    AUTO_FIRST = 0            # no Hessian yet: the first is dense, and its pattern decides
    AUTO_BANDED = 1           # banded, each Hessian checked by a probe
    AUTO_DENSE = 2            # dense for good

# Called after every iteration: 0 go on, 1 stop (status 4), -1 stop on an error (recorded).
ctypedef int (*iter_hook)(int nit, const double *x, double f, const double *g,
                          void *data) noexcept nogil

ctypedef struct solve_opts:
    int method                # METHOD_*
    int maxiter
    double gtol               # stop when ||g||_gnorm_ord <= gtol
    double gnorm_ord          # order of that norm: INFINITY max|g_i|, -INFINITY min|g_i|, else p
    double xtol               # stop (status 5) when max_i |dx_i| <= xtol * max(1, |x_i|)
    double xrtol              # stop (status 5) when ||dx||_2 <= xrtol (xrtol + ||x_new||_2); 0 off
    double ftol               # stop (status 5) when f - f_new <= ftol max(|f|, |f_new|, 1);
                              # -inf: off
    Py_ssize_t maxfun         # stop (status 1) after an iteration that leaves o.nfev > maxfun
    const double *h0          # BFGS: the initial inverse Hessian (n*n, s.p.d.); NULL: I, scaled
    int fd_method             # Newton: FD_FORWARD / FD_CENTRAL for finite-difference Hessians
    double fd_rel_step        # 0: the optimal default
    double chol_beta          # Newton, SR1: modified Cholesky's smallest relative shift
    int band                  # Newton: half-bandwidth of a banded FD Hessian; -1 dense;
                              # BAND_AUTO: detect it (see _newton_direction)
    int memory                # L-BFGS: pairs kept
    double sr1_r              # SR1: skip unless |s.(y - Bs)| >= r |s| |y - Bs|
    ls_params ls
    fn_hessian hess           # Newton: exact Hessian, or NULL for finite differences
    void *hess_data
    iter_hook hook            # NULL for none
    void *hook_data

ctypedef struct solve_out:
    int status
    int nit
    Py_ssize_t nhev           # Newton: Hessians evaluated
    Py_ssize_t nskip          # quasi-Newton: updates skipped by the safeguards
    int npairs                # L-BFGS: pairs stored; the newest is at slot (head - 1) mod m
    int head
    double f
    double tau                # Newton, SR1: the last modified-Cholesky shift
    int band                  # Newton: the band the next FD Hessian gets; -1 dense
    int hess_band             # Newton: the band of the Hessian held now (in mat); -1 dense
    int auto_state            # BAND_AUTO: AUTO_*
    unsigned long long rng    # BAND_AUTO: xorshift state of the band probe (per solve)

cdef Py_ssize_t mat_size(int method, int n, int m, int kd) noexcept nogil
cdef Py_ssize_t work_size(int method, int n, int m, int kd) noexcept nogil
cdef int solve(fn_objective *o, double *x, double *g, double *mat, double *work,
               const solve_opts *opt, solve_out *out) noexcept nogil
cdef double curvature_floor(int n, const double *s, const double *g0,
                            const double *g1) noexcept nogil
cdef bint bfgs_update(int n, double *h, const double *s, const double *y, double *u,
                      double sy_min) noexcept nogil
cdef bint sr1_update(int n, double *b, const double *s, const double *y, double *v,
                     double r) noexcept nogil
cdef void lbfgs_direction(int n, int m, int npairs, int head, const double *S,
                          const double *Y, const double *rho, double *alpha, const double *g,
                          double *p) noexcept nogil
