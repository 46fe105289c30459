"""The iteration engine: one solve's state in one struct, advanced by ask/tell (nogil,
allocation-free).

Every method iterates x_{k+1} = x_k + alpha_k p_k with alpha_k from the shared strong-Wolfe
line search (_linesearch.pyx); only the direction p_k differs, and the method supplies it
through its ``method_ops`` table (_newton.pyx, _quasi_newton.pyx; the registry is
_methods.pyx). This module holds what all methods share: the stopping tests, the first-step
policy, the steepest-descent fallback, step acceptance and the test for f unbounded below.
Nocedal & Wright, *Numerical Optimization*, 2nd ed., ch. 3 (line-search methods).

Reverse communication
---------------------
The engine never calls the objective. ``engine_start`` takes x0, g0 = grad f(x0), f(x0) and a
workspace and returns the first request (``fn_request``); the caller serves it and calls
``engine_tell(e, f, status)``, which runs the iteration on to the next request:

* REQ_F / REQ_FG / REQ_G: the line search's (forwarded as they are): f at e.xt, f and the
  gradient (into e.gt), or the gradient alone where f = e.ls.f_req is known.
* REQ_HESS: the method's model at e.x (Newton's Hessian). Served by the method's own
  ``evaluate`` through an fn_objective (the finite-difference Hessians stay in the _fdiff
  kernels: one request per Hessian), or by a caller that has the Hessian.
* REQ_ITER: an iteration is complete (e.x, e.f, e.g are the new iterate); tell 0 to go on,
  FN_CALLBACK_STOP to stop. This is where a callback runs.
* REQ_DONE: e.status says why the solve stopped.

A non-zero status told with any request stops the solve with that status (FN_USER_ERROR: the
objective raised), x kept at the last accepted iterate. The caller also keeps e.nfev current
(values computed, for maxfun). This is the design of L-BFGS-B's ``setulb`` (the ``task``
string: 'FG', 'NEW_X', 'CONV...') and ARPACK's ``ido``, written for this loop:
``stage`` says where ``engine_tell`` resumes, and everything the loop carries lives in the
struct, so a caller can advance many solves side by side (a lockstep batch evaluating all
their requests in one vectorized call) or from another process. ``engine_run`` is the
direct driver: requests served through an fn_objective, without the GIL; ``minimize`` and the
C-objective path use it.

The iteration
-------------
Each iteration: the method's direction (Newton asks REQ_HESS first); if g^T p is not negative
and finite (rounding destroyed descent), steepest descent, and a learning method forgets its
model. The first trial step is alpha = 1, the natural step of a Newton-type model, except:
a fresh model (nothing learnt yet: the identity) starts at min(1, 1/||p||), as SciPy's BFGS
does; Newton's step is capped at STEP_MAX max(1, ||x||) (a nearly singular but positive
definite H gives an enormous p: Dennis & Schnabel's maximum step); SR1's at ten times the
last step (B may be nearly singular: a trust radius in effect). When the line search finds no
decrease along p from a model that has learnt something (or Newton's), steepest descent is
tried once from a fresh first step min(1, 1/||g||).

The line search runs with f_noise = 10 ulps of |f|: a step that fails Armijo only by
rounding is taken if the curvature condition holds (see _linesearch), so a solve is not
stopped by f having converged to its last digits before the gradient reaches gtol.

Stopping: ||g|| <= gtol (status 0; the max norm unless opt.gnorm_ord says otherwise);
maxiter iterations, or an iteration that leaves more than maxfun values computed (1); the line
search fails along the method's direction and along steepest descent (2); a non-finite Hessian
(3); the caller stops at REQ_ITER (4); a step that changes x by at most xtol relative, or
(SciPy's tests) whose length is at most xrtol (xrtol + ||x||), or that lowers f by at most
ftol max(|f|, |f_new|, 1) (5); f appears unbounded below (9, below). Every stop leaves the
best point found in x (the iterates decrease f monotonically) with its f and g, all finite:
the line search never accepts a point where x, f or a gradient entry is not finite (such a
trial is "too far"), and a gradient with a non-finite entry never passes the gtol test (its
norm reads it as inf, where a plain max would read NaN as 0).

Unbounded below (status 9): the solve stops when
  (a) some trial f is -inf (f has overflowed below every float), or
  (b) in UNBOUNDED_RUNS = 3 successive iterations
      (i) the line search ran out of trial steps while still stretching the step: it
          doubled its first trial step (the method's own, or its capped length) at least
          UNBOUNDED_DOUBLINGS = 10 times, every trial satisfying Armijo (f falling at least
          linearly, c1 alpha phi'(0)) with the slope still steeper than c2 phi'(0)
          (res.doublings), and
      (ii) f is below f0 - |f0| (f0 = f(x0); for f0 > 0: below zero).
Why: along a descent direction of a function bounded below, a strong Wolfe step exists
(Nocedal & Wright, Lemma 3.1) and the bracketing phase finds it once the step passes the
region where f stops falling steeply. A first step short by a factor over 1000 happens (a
first iteration, a stale quasi-Newton scale, a capped step), but the accepted step then
teaches the model that scale; when instead the slope stays steep (within c2 of its start at
every trial) out to 1000 times the first trial step at three successive points, each that
far beyond the last, f falls linearly over ever longer ranges. (ii) asks f itself to agree:
it has fallen by more than its own size, which a function bounded below by 0 (any sum of
squares) never does; (i) alone was seen to stop SR1 on sums of squares started far out,
whose shifted (indefinite) models and capped steps keep the first trial short while f
falls steeply over a wide range.
A linear f stops after 3 to 6 iterations (60 to 120 evaluations) rather than running 200 n
iterations of ever longer steps. SNOPT's "unbounded objective value" and "unbounded step
size" tests (Gill, Murray & Saunders, User's Guide for SNOPT 7) judge the same evidence
against absolute limits (|f| > 1e15, alpha ||p|| > 1e18); (b) needs no scale of x, and of f
only its sign relative to f0. The point returned is the best finite one. With
ls_maxiter <= 10 a search cannot double its step 10 times, and only (a) applies.

Memory: the caller allocates x, g (n) and one workspace of engine_carve(...).size doubles:
p, xt, gt, then the method's part, whose carving is the method's own layout function; nothing
is allocated inside the loop.
"""
from libc.math cimport fabs, fmax, sqrt, isfinite, pow, INFINITY
from libc.float cimport DBL_EPSILON
from libc.string cimport memcpy

from fastnewton._objective cimport (fn_objective, obj_tick, FN_CONVERGED, FN_MAXITER,
                                   FN_LINESEARCH_FAILED, FN_CALLBACK_STOP, FN_CONVERGED_STEP,
                                   FN_USER_ERROR, FN_UNBOUNDED, REQ_DONE, REQ_F, REQ_FG, REQ_G,
                                   REQ_HESS, REQ_ITER)
from fastnewton._fdiff cimport fn_serve
from fastnewton._linalg cimport dot
from fastnewton._linesearch cimport ls_start, ls_tell

cdef double STEP_MAX = 1e3
cdef double F_NOISE_ULPS = 10.0
cdef int UNBOUNDED_DOUBLINGS = 10
cdef int UNBOUNDED_RUNS = 3

# fn_engine.stage: where engine_tell resumes
cdef enum:
    ENG_TOP = 0               # an iteration begins: the stopping tests, then the direction
    ENG_MODEL = 1             # the method's model (REQ_HESS) is in
    ENG_SEARCH = 2            # the line search is under way
    ENG_ITER = 3              # the caller has seen the new iterate (REQ_ITER)
    ENG_DONE = 4              # stopped: e.status says why; a tell changes nothing


cdef inline double _amax(int n, const double *v) noexcept nogil:
    """max_i |v_i|; inf when some v_i is not finite (NaN compares false, so a plain max would
    read a NaN gradient as converged)."""
    cdef int i
    cdef double m = 0.0
    for i in range(n):
        if not (fabs(v[i]) <= m):
            if not isfinite(v[i]):
                return INFINITY
            m = fabs(v[i])
    return m


cdef double gnorm(int n, const double *g, double ord) noexcept nogil:
    """The norm gtol is compared with (SciPy's vecnorm): max|g_i| for ord = inf, min|g_i| for
    -inf, else (sum |g_i|^ord)^(1/ord); inf (never converged) when some g_i is not finite."""
    cdef int i
    cdef double s
    if ord == INFINITY:
        return _amax(n, g)
    if ord == -INFINITY:
        s = INFINITY
        for i in range(n):
            if not isfinite(g[i]):
                return INFINITY
            s = fabs(g[i]) if fabs(g[i]) < s else s
        return s
    s = 0.0
    for i in range(n):
        s += pow(fabs(g[i]), ord)
    return pow(s, 1.0 / ord)


cdef inline bint _step_vanished(int n, const double *xold, const double *xnew,
                                double xtol) noexcept nogil:
    cdef int i
    for i in range(n):
        if fabs(xnew[i] - xold[i]) > xtol * fmax(1.0, fabs(xold[i])):
            return False
    return True


cdef engine_layout engine_carve(const method_ops *ops, int n, const solve_opts *opt,
                                double *ws) noexcept nogil:
    """The workspace of one solve: p, xt, gt (n each), then the method's part. With ws NULL
    only .size is meaningful (the pointers are left NULL)."""
    cdef engine_layout L
    cdef Py_ssize_t nn = n
    L.size = 3 * nn + ops.carve(n, opt, NULL)
    L.p = L.xt = L.gt = L.model = NULL
    if ws != NULL:
        L.p = ws
        L.xt = ws + nn
        L.gt = ws + 2 * nn
        L.model = ws + 3 * nn
    return L


cdef int _stop(fn_engine *e, int status) noexcept nogil:
    e.status = status
    e.stage = ENG_DONE
    e.req = REQ_DONE
    return REQ_DONE


cdef int engine_start(fn_engine *e, const method_ops *ops, const solve_opts *opt, int n,
                      double *x, double *g, double f, bint separate, double *ws) noexcept nogil:
    """Set up a solve from x (changed in place as the iterates go), its gradient g (likewise)
    and value f, all finite (the caller checks), in the workspace ws of
    engine_carve(ops, n, opt, NULL).size doubles; returns the first request. separate: the
    line search asks for f alone where it needs no gradient (ls_separate: an objective that
    can give f without g), else always for f and g together."""
    cdef engine_layout L = engine_carve(ops, n, opt, ws)
    e.n = n
    e.ops = ops
    e.opt = opt[0]
    e.x = x
    e.g = g
    e.f = f
    e.separate = separate
    e.p = L.p
    e.xt = L.xt
    e.gt = L.gt
    e.model = L.model
    e.status = 0
    e.nit = 0
    e.nfev = 0
    e.nskip = 0
    e.nsteep = 0
    e.fstart = f
    e.slen = 0.0
    e.vanished = False
    ops.carve(n, opt, e.model)
    e.fresh = ops.start(e)
    e.stage = ENG_TOP
    return _advance(e)


cdef int _begin_search(fn_engine *e, double dphi0, double alpha0) noexcept nogil:
    cdef ls_params lsp = e.opt.ls
    # f within a few ulps counts as no worse (see _linesearch)
    lsp.f_noise = F_NOISE_ULPS * DBL_EPSILON * fabs(e.f)
    e.stage = ENG_SEARCH
    e.req = ls_start(&e.ls, e.n, e.x, e.p, e.f, dphi0, alpha0, &lsp, e.separate,
                     e.xt, e.gt)
    return e.req


cdef int _steepest_retry(fn_engine *e) noexcept nogil:
    """No decrease along the method's direction: try steepest descent, with the first trial
    step of a fresh start, min(1, 1/|g|) (the failed length may be the problem)."""
    cdef int i, n = e.n
    cdef double t
    for i in range(n):
        e.p[i] = -e.g[i]
    t = sqrt(dot(n, e.g, e.g))
    e.retry = True
    return _begin_search(e, -t * t, 1.0 / t if t > 1.0 else 1.0)


cdef int _search(fn_engine *e) noexcept nogil:
    """The direction is in e.p: check descent, pick the first trial step, start the search."""
    cdef int i, n = e.n
    cdef double dphi0 = dot(n, e.g, e.p), alpha0 = 1.0, t, smax
    if not (dphi0 < 0.0 and isfinite(dphi0)):
        # rounding destroyed descent: steepest descent, and forget a learnt model
        for i in range(n):
            e.p[i] = -e.g[i]
        dphi0 = dot(n, e.g, e.p)
        if e.ops.forget != NULL:
            e.ops.forget(e)
            e.fresh = True
    if e.ops.step_cap == CAP_X:
        t = sqrt(dot(n, e.p, e.p))
        smax = STEP_MAX * fmax(1.0, sqrt(dot(n, e.x, e.x)))
        if t > smax:
            alpha0 = smax / t
    elif e.fresh:
        t = sqrt(dot(n, e.p, e.p))
        alpha0 = 1.0 / t if t > 1.0 else 1.0
    elif e.ops.step_cap == CAP_LAST:
        t = sqrt(dot(n, e.p, e.p))
        if t > 10.0 * e.slen:
            alpha0 = 10.0 * e.slen / t
    e.retry = False
    return _begin_search(e, dphi0, alpha0)


cdef int _accept_step(fn_engine *e) noexcept nogil:
    """The search has ended: learn from its step and take it, or stop."""
    cdef int n = e.n, status = e.ls.status
    cdef Py_ssize_t nn = n
    cdef double fnew = e.ls.res.f
    if (status == FN_LINESEARCH_FAILED and e.ls.res.alpha == 0.0 and not e.fresh
            and not e.retry):
        return _steepest_retry(e)
    if status == FN_USER_ERROR:
        return _stop(e, status)
    if status != 0 and not (e.ls.res.alpha > 0.0 and e.ls.res.grad_valid):
        # (not-descent included): x is the best point
        return _stop(e, FN_UNBOUNDED if e.ls.res.f_minus_inf else FN_LINESEARCH_FAILED)
    if e.ops.learn != NULL:
        if e.ops.learn(e):
            e.fresh = False
        else:
            e.nskip += 1
    e.nit += 1
    e.slen = e.ls.res.alpha * sqrt(dot(n, e.p, e.p))
    e.vanished = (_step_vanished(n, e.x, e.xt, e.opt.xtol)
                  or (e.opt.xrtol > 0.0
                      and e.slen <= e.opt.xrtol * (e.opt.xrtol + sqrt(dot(n, e.xt, e.xt))))
                  or e.f - fnew <= e.opt.ftol * fmax(fmax(fabs(e.f), fabs(fnew)), 1.0))
    memcpy(e.x, e.xt, nn * sizeof(double))
    memcpy(e.g, e.gt, nn * sizeof(double))
    e.f = fnew
    e.stage = ENG_ITER
    e.req = REQ_ITER
    return REQ_ITER


cdef int _after_iteration(fn_engine *e) noexcept nogil:
    """The caller has seen the iterate: is f unbounded below (module docstring), has the step
    vanished? Else on to the next iteration."""
    if e.ls.res.doublings >= UNBOUNDED_DOUBLINGS and e.f < e.fstart - fabs(e.fstart):
        e.nsteep += 1
    else:
        e.nsteep = 0
    if e.ls.res.f_minus_inf or e.nsteep >= UNBOUNDED_RUNS:
        return _stop(e, FN_UNBOUNDED)
    if e.vanished:
        return _stop(e, FN_CONVERGED if gnorm(e.n, e.g, e.opt.gnorm_ord) <= e.opt.gtol
                     else FN_CONVERGED_STEP)
    e.stage = ENG_TOP
    return _advance(e)


cdef int _direction(fn_engine *e) noexcept nogil:
    cdef int status = e.ops.direction(e)
    if status != 0:
        return _stop(e, status)
    return _search(e)


cdef int _advance(fn_engine *e) noexcept nogil:
    """A new iteration: the stopping tests, then the method's direction."""
    if gnorm(e.n, e.g, e.opt.gnorm_ord) <= e.opt.gtol:
        return _stop(e, FN_CONVERGED)
    if e.nit >= e.opt.maxiter or (e.nit > 0 and e.nfev > e.opt.maxfun):
        return _stop(e, FN_MAXITER)
    if e.ops.evaluate != NULL:
        e.stage = ENG_MODEL
        e.req = REQ_HESS
        return REQ_HESS
    return _direction(e)


cdef int engine_tell(fn_engine *e, double f, int status) noexcept nogil:
    """Take the answer to e.req (f for REQ_F / REQ_FG, the gradient in e.gt; the Hessian in
    the method's model) and go on to the next request. status != 0 stops the solve with it.
    Once stopped, the engine stays stopped with its status."""
    if e.stage == ENG_DONE:
        return REQ_DONE
    if status != 0:
        return _stop(e, status)
    if e.stage == ENG_SEARCH:
        e.req = ls_tell(&e.ls, f)
        if e.req != REQ_DONE:
            return e.req
        return _accept_step(e)
    if e.stage == ENG_MODEL:
        return _direction(e)
    return _after_iteration(e)          # ENG_ITER


cdef int engine_run(fn_objective *o, fn_engine *e, iter_hook hook,
                    void *hook_data) noexcept nogil:
    """The direct driver: serve every request through o (the method's evaluate for REQ_HESS,
    hook at REQ_ITER if not NULL) until the solve stops; returns its status. Each iteration
    counts toward o's signal poll (obj_tick), so a C objective's solve sees Ctrl-C between
    iterations however few evaluations they take."""
    cdef int req = e.req, status
    cdef double f
    while req != REQ_DONE:
        status = 0
        f = 0.0
        if req == REQ_ITER:
            obj_tick(o)
            if o.error:
                status = FN_USER_ERROR
            elif hook != NULL:
                status = hook(e.nit, e.x, e.f, e.g, hook_data)
        elif req == REQ_HESS:
            status = e.ops.evaluate(o, e)
        else:
            f = fn_serve(o, req, e.xt, e.ls.f_req, e.gt)
            if o.error:
                status = FN_USER_ERROR
        e.nfev = o.nfev
        req = engine_tell(e, f, status)
    return e.status
