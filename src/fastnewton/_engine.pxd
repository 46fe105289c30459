# C-level face of fastnewton/_engine.pyx: one solve's iteration state, advanced by ask/tell.
# Methods plug in through method_ops (one table per method, registered in _methods.pyx).
from fastnewton.fastnewton_h cimport fn_hessian, fn_hessp
from fastnewton._objective cimport fn_objective
from fastnewton._linesearch cimport ls_params, ls_state

cdef enum:
    BAND_AUTO = -2            # solve_opts.band: detect the Hessian's band, verify it each use

cdef enum:                    # method_ops.step_cap: how the first trial step of a search is capped
    CAP_NONE = 0
    CAP_X = 1                 # at STEP_MAX max(1, |x|) (Newton: a nearly singular H)
    CAP_LAST = 2              # at ten times the last step (SR1: a nearly singular B)

ctypedef struct solve_opts:
    int method                # the registry's code (_methods.pyx)
    int maxiter
    double gtol               # stop when ||g||_gnorm_ord <= gtol
    double gnorm_ord          # order of that norm: INFINITY max|g_i|, -INFINITY min|g_i|, else p
    double xtol               # stop (status 5) when max_i |dx_i| <= xtol * max(1, |x_i|)
    double xrtol              # stop (status 5) when ||dx||_2 <= xrtol (xrtol + ||x_new||_2); 0 off
    double ftol               # stop (status 5) when f - f_new <= ftol max(|f|, |f_new|, 1);
                              # -inf: off
    Py_ssize_t maxfun         # stop (status 1) after an iteration that leaves nfev > maxfun
    const double *h0          # BFGS: the initial inverse Hessian (n*n, s.p.d.); NULL: I, scaled
    int fd_method             # Newton: FD_FORWARD / FD_CENTRAL for finite-difference Hessians
    double fd_rel_step        # 0: the optimal default
    double chol_beta          # Newton, SR1: modified Cholesky's smallest relative shift
    int band                  # Newton: half-bandwidth of a banded FD Hessian; -1 dense;
                              # BAND_AUTO: detect it (see _newton.pyx)
    int memory                # L-BFGS: pairs kept
    double sr1_r              # SR1: skip unless |s.(y - Bs)| >= r |s| |y - Bs|
    ls_params ls
    fn_hessian hess           # Newton: exact Hessian, or NULL for finite differences
    void *hess_data
    const void *sparse        # sparse Newton: its plan (a sparse_newton_plan, _sparse_newton.pxd)
    fn_hessp hessp            # Newton-CG: Hessian-vector products, or NULL for finite
    void *hessp_data          # differences of the gradient (fd_method, fd_rel_step)
    int cg_maxiter            # Newton-CG: CG iterations per Newton iteration
    int forcing               # Newton-CG: the forcing sequence (FORCING_* in _newton_cg.pxd)

cdef struct fn_engine          # defined below; method_ops takes pointers to it

# A method: how it sizes its workspace, starts, turns its model into a direction, learns from a
# step. NULL entries: the method has no such part.
cdef struct method_ops:
    Py_ssize_t (*carve)(int n, const solve_opts *opt, double *base) noexcept nogil
                                                      # its layout: the doubles of its part
                                                      # of the workspace; with base, its
                                                      # struct placed there, pointers set
    bint (*start)(fn_engine *e) noexcept nogil        # the first model (e.model carved);
                                                      # True: fresh (has learnt nothing)
    int (*evaluate)(fn_objective *o, fn_engine *e) noexcept nogil
                                                      # serve REQ_HESS through o; 0 or a
                                                      # status. NULL: never asks for it
    int (*direction)(fn_engine *e) noexcept nogil     # e.p from the model at e.x, e.g;
                                                      # 0 or a status
    void (*forget)(fn_engine *e) noexcept nogil       # drop what was learnt (a restart)
    bint (*learn)(fn_engine *e) noexcept nogil        # from the step x -> xt, g -> gt;
                                                      # False: skipped by its safeguard
    int step_cap                                      # CAP_*

# The state of one solve. engine_start fills it and returns the first request; the caller
# serves e.req (fn_request; REQ_F / REQ_FG / REQ_G at e.xt with the gradient into e.gt and, for
# REQ_G, f there = e.ls.f_req; REQ_HESS at e.x; REQ_ITER: e.x, e.f, e.g are the new iterate)
# and calls engine_tell, until REQ_DONE; e.status then says why it stopped, and e.x, e.g, e.f
# hold the best point found.
cdef struct fn_engine:
    int n
    const method_ops *ops
    solve_opts opt
    double *x                 # the iterate and its gradient (the caller's arrays) and f
    double *g
    double f
    bint separate             # the line search asks for f alone where it can (ls_separate)
    double *p                 # the search direction     (the workspace, engine_layout)
    double *xt                # the line search's trial point: where F / FG / G are asked
    double *gt                # the gradient there
    double *model             # the method's own part of the workspace (its layout)
    int req                   # the pending request (fn_request)
    int stage                 # where engine_tell resumes (the ENG_* stages in _engine.pyx)
    int status                # with REQ_DONE: why the solve stopped (fn_status)
    int nit
    Py_ssize_t nfev           # values computed so far, kept current by the caller (maxfun)
    Py_ssize_t nskip          # quasi-Newton: updates skipped by the safeguards
    bint fresh                # the model has learnt nothing yet
    bint retry                # this iteration's search is the steepest-descent retry
    bint vanished             # the last step met a step or f tolerance
    int nsteep                # successive fully stretched searches (status 9)
    double fstart             # f(x0)
    double slen               # length of the last step
    ls_state ls

ctypedef struct engine_layout:
    double *p                 # n each
    double *xt
    double *gt
    double *model             # the method's part (ops.carve doubles)
    Py_ssize_t size           # doubles in all

# Called at REQ_ITER by engine_run: 0 go on, FN_CALLBACK_STOP stop, FN_USER_ERROR an error
# (recorded by the hook).
ctypedef int (*iter_hook)(int nit, const double *x, double f, const double *g,
                          void *data) noexcept nogil

cdef inline method_ops method_table(
        Py_ssize_t (*carve)(int, const solve_opts *, double *) noexcept nogil,
        bint (*start)(fn_engine *) noexcept nogil,
        int (*evaluate)(fn_objective *, fn_engine *) noexcept nogil,
        int (*direction)(fn_engine *) noexcept nogil,
        void (*forget)(fn_engine *) noexcept nogil,
        bint (*learn)(fn_engine *) noexcept nogil,
        int step_cap) noexcept nogil:
    """A method's table, its entries in the order of method_ops (NULL where it has none)."""
    cdef method_ops t
    t.carve = carve
    t.start = start
    t.evaluate = evaluate
    t.direction = direction
    t.forget = forget
    t.learn = learn
    t.step_cap = step_cap
    return t

cdef engine_layout engine_carve(const method_ops *ops, int n, const solve_opts *opt,
                                double *ws) noexcept nogil
cdef int engine_start(fn_engine *e, const method_ops *ops, const solve_opts *opt, int n,
                      double *x, double *g, double f, bint separate,
                      double *ws) noexcept nogil
cdef int engine_tell(fn_engine *e, double f, int status) noexcept nogil
cdef int engine_run(fn_objective *o, fn_engine *e, iter_hook hook,
                    void *hook_data) noexcept nogil
cdef double gnorm(int n, const double *g, double ord) noexcept nogil
