"""Line-search Newton-CG (truncated Newton) as an engine plug-in (nogil, allocation-free):
the Newton system H_k p = -g_k solved inexactly by conjugate gradients on Hessian-vector
products, never forming H_k.

Nocedal & Wright, *Numerical Optimization*, 2nd ed., section 7.1, Algorithm 7.1 (line-search
Newton-CG). Each iteration runs CG on H_k p = -g_k from z_0 = 0, r_0 = g_k, d_0 = -g_k:

    alpha_j = r_j^T r_j / d_j^T H d_j,   z_{j+1} = z_j + alpha_j d_j,   r_{j+1} = r_j + alpha_j H d_j,
    beta_{j+1} = r_{j+1}^T r_{j+1} / r_j^T r_j,   d_{j+1} = -r_{j+1} + beta_{j+1} d_j,

and stops at the first of

* ||r_{j+1}||_2 <= eta_k ||g_k||_2 (the inexact-Newton condition (7.2)): p = z_{j+1};
* d_j^T H d_j <= 0 (negative curvature: H is not positive definite along d_j): p = z_j, or
  on the first CG step (j = 0, z_0 = 0) steepest descent. N&W take p = -g there; here
  p = (g^T g / |g^T H g|) (-g) when g^T H g < 0, the step at which the model's curvature
  term equals its slope term in size (SciPy's Newton-CG scales it so too), and -g when
  g^T H g = 0. The first trial step is capped by the engine (CAP_X) either way;
* the quadratic model q(z) = g^T z + z^T H z / 2 stalls, from the 10th CG iteration on:
  j (q_j - q_{j-1}) >= c q_j with c = 0.5, the last step's decrease below half the average
  decrease so far (Nash & Sofer, "Assessing a search direction within a truncated-Newton
  method", Oper. Res. Lett. 9 (1990) 219-221; the decrease is alpha_j r_j^T r_j / 2, free
  from CG's own numbers): p = the last z. Why: on an ill-conditioned H with
  finite-difference products the residual test may never be met (the products' noise is a
  floor under ||r||), and CG would run to the cap for nothing (below);
* cg_maxiter iterations: p = the last z.

Every z_j with j >= 1 is a descent direction (N&W section 7.1: z_j minimizes the quadratic
model over a Krylov space containing g_k, along directions of positive curvature, so
g_k^T z_j = -r_0^T z_j < 0), and so is the steepest-descent step: an indefinite H_k still
gives a descent step, and the line search on top (the engine's strong-Wolfe search, first
trial step 1, capped at 1000 max(1, ||x||) as Newton's) makes the iteration globally
convergent (N&W Theorem 3.2: the directions satisfy the angle condition when the CG
iterations are bounded and H_k is uniformly positive definite near the iterates).

Forcing sequence. The local rate follows eta_k (N&W Theorem 7.2): eta_k -> 0 gives superlinear
convergence, eta_k = O(||g_k||) quadratic. Three choices (option ``forcing``):

* 'sqrt' (the default): N&W (7.3), eta_k = min(0.5, sqrt(||g_k||)), superlinear (the rule of
  SciPy's newton-cg, which measures it in the 1-norm; here the 2-norm).
* 'ew2': Eisenstat & Walker, "Choosing the forcing terms in an inexact Newton method", SIAM J.
  Sci. Comput. 17 (1996) 16-32, choice 2 with their safeguard:
      eta_0 = 0.5;  eta_k = gamma (||g_k|| / ||g_{k-1}||)^alpha,  gamma = 0.9, alpha = 2;
      if gamma eta_{k-1}^alpha > 0.1:  eta_k = max(eta_k, gamma eta_{k-1}^alpha);
      eta_k = min(eta_k, eta_max),  eta_max = 0.9.
  Loose while the gradient falls slowly, tight once it falls fast; r-order 2 locally (their
  Theorem 2.3); the safeguard stops eta from dropping after one lucky step (oversolving).
* 'ew1': their choice 1, eta_k = | ||g_k|| - ||g_{k-1} + a H_{k-1} p_{k-1}|| | / ||g_{k-1}||
  (a the step length taken; the linear model's gradient (1 - a) g + a r from g^T g, g^T r,
  r^T r kept at the end of CG), safeguarded by eta_{k-1}^((1 + sqrt 5) / 2) when that
  exceeds 0.1, eta_0 = 0.5, at most eta_max.

Why 'sqrt' by default: over the 36 problems of fastnewton.testing plus extended Rosenbrock
and Broyden tridiagonal at n = 10^4 (forward-difference products, gtol 1e-5), 'sqrt' took
1,296 iterations and 3,560 products in all, 'ew2' 1,734 and 3,937, 'ew1' 1,897 and 5,762,
all failing only on meyer. Choice 2 falls into a loop on valleys: slow progress keeps eta near
eta_max, CG stops after a step or two, progress stays slow (chained_rosenbrock, n = 10: 563
iterations against 84; 'ew2' with eta_max = 0.5 instead took 1,376 and 3,988 in all). 'ew2' does better where
the gradient falls fast (Broyden tridiagonal at n = 10^6: 10 iterations and 35 products against
13 and 29) and on some ill-conditioned runs.

Every choice then takes eta_k = min(eta_max, max(eta_k, 0.5 gtol / ||g_k||_2)) when gtol is measured in a
norm no larger than the 2-norm (the max norm, or p >= 2): CG need not make the linear model's
gradient r much smaller than gtol, since the solve stops there (Kelley, *Iterative Methods for
Linear and Nonlinear Equations*, SIAM 1995, (6.20), the same guard against oversolving at the
last iteration).

CG iteration cap (option ``cg_maxiter``, default 20 n, SciPy's): the forcing term, not the cap,
is what ends CG; the cap is the safeguard for a CG that cannot reach it. In exact arithmetic
CG ends within n steps, but in floating point, on an ill-conditioned H and with
finite-difference products, it needs several times n: a cap near n truncates every step and
the outer iteration crawls. Measured on discrete_boundary_value, n = 100 (cond H ~ 1e7),
gtol 1e-10, forward-difference products: cap n: 1867 iterations, 82,962 products; 2n: 162,
13,661; 5n and 20n: 5 iterations, 1,378 products (n = 1000, gtol 1e-8: cap n 47 iterations,
20n 3). Those runs predate the stall test; the cap alone is no guard at large n:
discrete_boundary_value at n = 10^4 (cond H ~ 1e15), gtol 1e-9, ran one CG of 200,000
products (29 s) that never met its residual test. With the stall test: 3,551 products in all,
0.4 s. The test starts at the 10th CG iteration because from the first it cut short useful CG
runs on the small problems: over the 36 problems above plus the two at n = 10^4, 11,192
iterations instead of 1,296; from the 10th, 1,301 and 3,611 products (against 3,560 without
it). It costs some small ill-conditioned runs (discrete_boundary_value, n = 100, gtol 1e-10:
19,718 products against 1,378). Each CG iteration counts toward the signal poll, so a long CG
run stays interruptible; a caller who wants a hard bound sets cg_maxiter.

Hessian-vector products. REQ_HESS is where the objective is reachable (``evaluate`` gets the
fn_objective), so ``newton_cg_evaluate`` runs the whole CG loop there and leaves p in the
model; ``newton_cg_direction`` hands it over. The products come from the fn_hessp of
solve_opts (a user's hessp, or the H of a user's hess, evaluated once per iterate, behind the
trampoline in _api.pyx), else from one forward difference of the gradient per product
(_fdiff.fd_hessp, step r max(1, ||x||) / ||v||, r = eps^(1/2); central: two gradients, r =
eps^(1/3)), counted in nfev / njev like Newton's finite-difference Hessians. A non-finite
product (d^T H d not finite) stops the solve with FN_NONFINITE; each CG iteration counts
toward the objective's signal poll (obj_tick).
"""
from libc.math cimport sqrt, pow, fabs, fmax, fmin, isfinite, INFINITY
from libc.string cimport memcpy, memset

from fastnewton._objective cimport (fn_objective, obj_tick, FN_NONFINITE, FN_USER_ERROR)
from fastnewton._fdiff cimport fd_hessp
from fastnewton._linalg cimport dot
from fastnewton._engine cimport CAP_X, method_table

cdef Py_ssize_t MODEL_DOUBLES = ((sizeof(newton_cg_model) + sizeof(double) - 1)
                                 // sizeof(double))
cdef double EW_GAMMA = 0.9
cdef double EW_ALPHA = 2.0
cdef double EW_ETA0 = 0.5
cdef double EW_SAFEGUARD = 0.1
cdef double ETA_MAX = 0.9
cdef double NS_C = 0.5                              # Nash & Sofer's c_q
cdef int NS_MIN = 10
cdef double EW1_GUARD_EXP = 1.618033988749895     # (1 + sqrt 5) / 2


cdef Py_ssize_t newton_cg_carve(int n, const solve_opts *opt, double *base) noexcept nogil:
    """Newton-CG's part of the workspace: the model struct, z, r, d, hd (n each), fdw (2n).
    Returns its size in doubles; with base not NULL also places the struct there with its
    pointers set."""
    cdef Py_ssize_t nn = n
    cdef newton_cg_model *m = <newton_cg_model *>base
    if base != NULL:
        m.z = base + MODEL_DOUBLES
        m.r = m.z + nn
        m.d = m.r + nn
        m.hd = m.d + nn
        m.fdw = m.hd + nn
    return MODEL_DOUBLES + 6 * nn


cdef inline newton_cg_model *_model(fn_engine *e) noexcept nogil:
    return <newton_cg_model *>e.model


cdef bint _start(fn_engine *e) noexcept nogil:
    cdef newton_cg_model *m = _model(e)
    m.eta = EW_ETA0
    m.gprev = -1.0
    m.nhev = 0
    m.ncg = 0
    m.ncurv = 0
    m.last_exit = CG_RESIDUAL
    return False                        # evaluated at each iterate, never learnt


cdef int truncated_cg(int n, const double *g, double eta, int maxiter,
                      double *z, double *r, double *d, double *hd,
                      int (*product)(const double *v, double *out,
                                     void *data) noexcept nogil,
                      void *data, Py_ssize_t *ncg, int *exit) noexcept nogil:
    """Algorithm 7.1's inner loop (module docstring): z ~ -H^{-1} g by CG from z = 0 until
    ||r|| <= eta ||g||, negative curvature or maxiter iterations; product(v, out, data) puts
    H v into out (0, or a status that stops the loop and is returned). ncg counts the
    iterations (products), exit says how it ended (CG_*). Returns 0, a product's status, or
    FN_NONFINITE (d^T H d not finite). z, r, d, hd: n doubles each."""
    cdef int i, j, status
    cdef Py_ssize_t nn = n
    cdef double rr, rr_new, curv, alpha, beta, tol, q = 0.0, dq
    memset(z, 0, nn * sizeof(double))
    for i in range(n):
        r[i] = g[i]
        d[i] = -g[i]
    rr = dot(n, r, r)
    tol = eta * sqrt(rr)
    exit[0] = CG_MAXITER
    for j in range(maxiter):
        status = product(d, hd, data)
        ncg[0] += 1
        if status != 0:
            return status
        curv = dot(n, d, hd)            # finite only if every entry of hd is (0 * inf = NaN)
        if not isfinite(curv):
            return FN_NONFINITE
        if curv <= 0.0:
            exit[0] = CG_CURVATURE
            if j == 0:
                # steepest descent, scaled by the size of the curvature met (z = 0 so far);
                # r follows z (r = g + H z)
                alpha = rr / -curv if curv < 0.0 else 1.0
                for i in range(n):
                    z[i] = alpha * d[i]
                    r[i] += alpha * hd[i]
            return 0
        alpha = rr / curv
        for i in range(n):
            z[i] += alpha * d[i]
            r[i] += alpha * hd[i]
        rr_new = dot(n, r, r)
        if sqrt(rr_new) <= tol:
            exit[0] = CG_RESIDUAL
            return 0
        # the quadratic model q(z) = g^T z + z^T H z / 2 falls by alpha r^T r / 2 per step
        dq = -0.5 * alpha * rr
        q += dq
        if j + 1 >= NS_MIN and (j + 1) * dq >= NS_C * q:       # both sides <= 0
            exit[0] = CG_STALLED
            return 0
        beta = rr_new / rr
        rr = rr_new
        for i in range(n):
            d[i] = -r[i] + beta * d[i]
    return 0


ctypedef struct _product_ctx:
    fn_objective *o
    fn_engine *e
    newton_cg_model *m


cdef int _product(const double *v, double *out, void *data) noexcept nogil:
    """H(e.x) v: the solve's fn_hessp, else a finite difference of the gradient; 0 or
    FN_USER_ERROR. Counts the product, and one unit of work for the signal poll."""
    cdef _product_ctx *c = <_product_ctx *>data
    cdef fn_engine *e = c.e
    cdef fn_objective *o = c.o
    cdef int n = e.n
    c.m.nhev += 1
    obj_tick(o)
    if o.error:
        return FN_USER_ERROR
    if e.opt.hessp != NULL:
        if e.opt.hessp(n, e.x, v, out, e.opt.hessp_data) != 0 or o.error:
            return FN_USER_ERROR
        return 0
    if fd_hessp(o, e.x, e.g, v, out, e.opt.fd_method, e.opt.fd_rel_step,
                c.m.fdw, c.m.fdw + n) != 0 or o.error:
        return FN_USER_ERROR
    return 0


cdef double _forcing(fn_engine *e, newton_cg_model *m, double gn) noexcept nogil:
    """eta_k for the iterate whose gradient has 2-norm gn (module docstring)."""
    cdef double eta, guard, a, lin
    if e.opt.forcing == FORCING_SQRT:
        eta = fmin(0.5, sqrt(gn))
    elif m.gprev < 0.0:
        eta = EW_ETA0
    elif e.opt.forcing == FORCING_EW1:
        # | ||g_k|| - ||g_{k-1} + a H p_{k-1}|| | / ||g_{k-1}||, a the step length taken:
        # g + a H p = (1 - a) g + a r
        a = e.ls.res.alpha
        lin = sqrt(fmax(0.0, (1.0 - a) * (1.0 - a) * m.gg + 2.0 * a * (1.0 - a) * m.gr
                        + a * a * m.rr))
        eta = fabs(gn - lin) / m.gprev
        guard = pow(m.eta, EW1_GUARD_EXP)
        if guard > EW_SAFEGUARD:
            eta = fmax(eta, guard)
    else:
        eta = EW_GAMMA * pow(gn / m.gprev, EW_ALPHA)
        guard = EW_GAMMA * pow(m.eta, EW_ALPHA)
        if guard > EW_SAFEGUARD:
            eta = fmax(eta, guard)
    if e.opt.gnorm_ord == INFINITY or e.opt.gnorm_ord >= 2.0:
        eta = fmax(eta, 0.5 * e.opt.gtol / gn)
    if not (eta <= ETA_MAX):            # NaN too (gn = 0 is caught by the gtol test before)
        eta = ETA_MAX
    return eta


cdef int newton_cg_evaluate(fn_objective *o, fn_engine *e) noexcept nogil:
    """REQ_HESS through the objective: the CG loop at e.x, its step left in the model's z;
    0, FN_USER_ERROR or FN_NONFINITE."""
    cdef newton_cg_model *m = _model(e)
    cdef _product_ctx ctx
    cdef int status
    cdef double gn = sqrt(dot(e.n, e.g, e.g))
    m.eta = _forcing(e, m, gn)
    m.gprev = gn
    ctx.o = o
    ctx.e = e
    ctx.m = m
    status = truncated_cg(e.n, e.g, m.eta, e.opt.cg_maxiter, m.z, m.r, m.d, m.hd,
                          _product, &ctx, &m.ncg, &m.last_exit)
    if m.last_exit == CG_CURVATURE:
        m.ncurv += 1
    m.gg = gn * gn
    m.gr = dot(e.n, e.g, m.r)
    m.rr = dot(e.n, m.r, m.r)
    return status


cdef int newton_cg_direction(fn_engine *e) noexcept nogil:
    """p = the CG step newton_cg_evaluate left in the model."""
    cdef newton_cg_model *m = _model(e)
    memcpy(e.p, m.z, <Py_ssize_t>e.n * sizeof(double))
    return 0


cdef method_ops OPS = method_table(newton_cg_carve, _start, newton_cg_evaluate,
                                   newton_cg_direction, NULL, NULL, CAP_X)


cdef const method_ops *newton_cg_ops() noexcept nogil:
    return &OPS


# ---- the result (with the GIL): what minimize reports of the model

cdef dict newton_cg_result(fn_engine *e):
    """nhev (Hessian-vector products), ncg (CG iterations, all runs), ncurv (CG runs stopped
    by negative curvature)."""
    cdef newton_cg_model *m = _model(e)
    return {"nhev": m.nhev, "ncg": m.ncg, "ncurv": m.ncurv}
