"""Iteration loops (nogil, allocation-free): Newton, BFGS, L-BFGS and SR1 on one machinery.

Design
------
Every method iterates x_{k+1} = x_k + alpha_k p_k with alpha_k from the shared strong-Wolfe
line search (started at alpha = 1, the natural step of a Newton-type model; at the very
first quasi-Newton iteration, where the model is the identity, at min(1, 1/||g||), as SciPy's
BFGS does). Only the direction p_k differs (Nocedal & Wright, *Numerical Optimization*, 2nd
ed., chapters 3, 6, 7):

* Newton: H_k exact, or finite differences of the gradient (of values without one); factor
  H_k + tau_k I = L L^T by the modified Cholesky of Alg. 3.3 (tau_k = 0 when H_k is positive
  definite) and solve (H_k + tau_k I) p_k = -g_k: a descent direction, the pure Newton step
  near a minimizer, so convergence is locally quadratic.
* BFGS: p_k = -H_k g_k with the inverse approximation H updated by (6.17)
      H+ = (I - rho s y^T) H (I - rho y s^T) + rho s s^T,   rho = 1 / y^T s,
  written as one symmetric rank-2 BLAS update H+ = H + s w^T + w s^T with u = H y and
  w = ((rho + rho^2 y^T u) / 2) s - rho u. H_0 = I, rescaled to (s^T y / y^T y) I before the
  first update (6.20).
* L-BFGS: the two-loop recursion (Alg. 7.4) over the last m pairs in circular buffers, with
  H_0 = gamma I, gamma = s^T y / y^T y of the newest pair: O(mn) per iteration.
* SR1: B+ = B + v v^T / (v^T s), v = y - B s (6.24), skipped unless
  |s^T v| >= r ||s|| ||v|| (6.26). B may be indefinite, so the step solves
  (B + tau I) p = -g with the same modified Cholesky as Newton, which keeps p a descent
  direction (a line-search method rather than a trust region, so one step machinery serves
  all four methods). B may also be nearly singular, making p huge, so the first trial step
  is capped at ten times the length of the previous step: a trust radius in effect.

A BFGS or L-BFGS update is skipped (and counted) unless s^T y exceeds the rounding it carries:
    s^T y > (n + 10) eps sum_i |s_i| (|g_i| + |g+_i|)   (curvature_floor),
the bound on the error of the computed s^T y from gradients each good to a few ulps (10
ulps of noise allowed) and a dot product of n terms (gamma_n): below it, even the sign of
s^T y is rounding and 1 / s^T y garbage. Under the strong Wolfe conditions
s^T y >= (1 - c2) |g^T s| > 0, so the test only guards rounding. (Dennis & Schnabel's
cosine test s^T y > sqrt(eps) ||s|| ||y||, used before, is not about rounding: for y = B s
the cosine of s and y can be as small as 2 / sqrt(cond B), so on an ill-conditioned problem
it throws away exact curvature pairs. On Powell's badly scaled function, cond B ~ 1e18 at
the minimizer, it skipped every pair from some iteration on, leaving BFGS to crawl with a
frozen H until maxiter, or not, depending on the last bits of the BLAS kernel in use.)

Step safeguards: the Newton trial step is capped at 1e3 max(1, ||x||) (a nearly singular but
positive definite H gives an enormous p), SR1's as above; when the line search finds no
decrease along p, steepest descent is tried once from a fresh first step min(1, 1/||g||).

The line search runs with f_noise = 10 ulps of |f|: a step that fails Armijo only by
rounding is taken if the curvature condition holds (see _linesearch), so a solve is not
stopped by f having converged to its last digits before the gradient reaches gtol.

Stopping: ||g|| <= gtol (status 0; the max norm unless opt.gnorm_ord says otherwise);
maxiter iterations, or an iteration that leaves more than maxfun values computed (1); the line
search fails along the method's direction and along steepest descent (2); a non-finite Hessian
(3); the iteration hook asks to stop (4); a step that changes x by at most xtol relative, or
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

Memory: the caller allocates once x, g (n), mat (mat_size: n*n; (4kd+3) n for a given band;
2*m*n + 2m for L-BFGS) and work (work_size); nothing is allocated inside the loop. Matrices are C-ordered; LAPACK's and
BLAS's 'U' is their lower triangle, the one every update keeps.
"""
from libc.math cimport fabs, fmax, sqrt, isfinite, pow, NAN, INFINITY
from libc.float cimport DBL_EPSILON
from libc.string cimport memcpy, memset
from scipy.linalg.cython_blas cimport dsymv, dsyr2

from fastnewton._objective cimport (fn_objective, FD_CENTRAL, FN_CONVERGED, FN_MAXITER,
                                   FN_LINESEARCH_FAILED, FN_NONFINITE, FN_CALLBACK_STOP,
                                   FN_CONVERGED_STEP, FN_USER_ERROR, FN_UNBOUNDED)
from fastnewton._fdiff cimport (fd_hessian_grad, fd_hessian_values, fd_hessian_band, fn_g,
                                default_rel_step)
from fastnewton._linalg cimport (modified_chol, chol_solve, all_finite, modified_band_chol,
                                 band_chol_solve, dot)
from fastnewton._linesearch cimport ls_params, ls_result, wolfe_search

cdef double STEP_MAX = 1e3
cdef double F_NOISE_ULPS = 10.0
cdef int UNBOUNDED_DOUBLINGS = 10
cdef int UNBOUNDED_RUNS = 3


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


cdef double _gnorm(int n, const double *g, double ord) noexcept nogil:
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


cdef inline void _identity(int n, double *a, double d) noexcept nogil:
    cdef Py_ssize_t i, nn = n
    memset(a, 0, nn * nn * sizeof(double))
    for i in range(nn):
        a[i * nn + i] = d


cdef Py_ssize_t mat_size(int method, int n, int m, int kd) noexcept nogil:
    """Doubles of `mat` that solve() needs. A banded Newton Hessian (half-bandwidth kd >= 0)
    keeps there its band ((kd+1) n), the CPR columns ((2kd+1) n) and a backup of the band
    for the result ((kd+1) n): (4kd+3) n, which fits in the n*n of a dense Hessian whenever
    BAND_AUTO picks a band (4kd + 2 < n), so learning a band costs no memory."""
    cdef Py_ssize_t nn = n
    if method == METHOD_LBFGS:
        return 2 * <Py_ssize_t>m * nn + 2 * m
    if method == METHOD_NEWTON and kd >= 0:
        return (4 * <Py_ssize_t>kd + 3) * nn
    return nn * nn


cdef Py_ssize_t work_size(int method, int n, int m, int kd) noexcept nogil:
    """Doubles of `work` that solve() needs: p, x_trial, g_trial, then per method. (kd is
    unused: a banded Newton keeps its band, columns and backup in `mat`; see mat_size.)"""
    cdef Py_ssize_t nn = n
    if method == METHOD_NEWTON:
        return 7 * nn                       # + 4n finite differences (first n: diag backup)
    if method == METHOD_BFGS:
        return 6 * nn                       # + s, y, u
    if method == METHOD_SR1:
        return 7 * nn + nn * nn             # + s, y, v, diag backup, and the factor (n*n)
    return 3 * nn + 2 * <Py_ssize_t>m       # L-BFGS: + rho, alpha


# ---------------------------------------------------------------------------------------------
# The updates (exposed to tests through the Python entry points below)

cdef double curvature_floor(int n, const double *s, const double *g0,
                            const double *g1) noexcept nogil:
    """(n + 10) eps sum_i |s_i| (|g0_i| + |g1_i|): a bound on the rounding in s^T y computed
    from y = g1 - g0, gradients with a few ulps of error each (see the module docstring)."""
    cdef int i
    cdef double t = 0.0
    for i in range(n):
        t += fabs(s[i]) * (fabs(g0[i]) + fabs(g1[i]))
    return (n + 10.0) * DBL_EPSILON * t


cdef bint bfgs_update(int n, double *h, const double *s, const double *y, double *u,
                      double sy_min) noexcept nogil:
    """Inverse BFGS update of h (lower triangle, C order) in place; False (skipped) unless
    s^T y > sy_min."""
    cdef double sy = dot(n, s, y), rho, yu, c, one = 1.0, zero = 0.0
    cdef int inc = 1, i
    cdef char uplo = b'U'
    if not (sy > sy_min and sy > 0.0):
        return False
    rho = 1.0 / sy
    # u = H y
    dsymv(&uplo, &n, &one, h, &n, <double *>y, &inc, &zero, u, &inc)
    yu = dot(n, y, u)
    c = 0.5 * (rho + rho * rho * yu)
    # u = c s - rho u   (u becomes w)
    for i in range(n):
        u[i] = c * s[i] - rho * u[i]
    # H = H + s w^T + w s^T        (h changed in place, lower triangle)
    dsyr2(&uplo, &n, &one, <double *>s, &inc, u, &inc, h, &n)
    return True


cdef bint sr1_update(int n, double *b, const double *s, const double *y, double *v,
                     double r) noexcept nogil:
    """SR1 update of b (lower triangle, C order) in place; False if skipped by (6.26)."""
    cdef double sv, vv, one = 1.0, minus = -1.0, half
    cdef int inc = 1, i
    cdef char uplo = b'U'
    # v = y - B s
    for i in range(n):
        v[i] = y[i]
    dsymv(&uplo, &n, &minus, b, &n, <double *>s, &inc, &one, v, &inc)
    sv = dot(n, s, v)
    vv = dot(n, v, v)
    if not (fabs(sv) >= r * sqrt(dot(n, s, s) * vv)) or vv == 0.0:
        return False
    # B = B + v v^T / (v^T s)  written as the rank-2 form (v/2)(v/sv)^T + (v/sv)(v/2)^T
    half = 0.5 / sv
    dsyr2(&uplo, &n, &half, v, &inc, v, &inc, b, &n)
    return True


cdef void lbfgs_direction(int n, int m, int npairs, int head, const double *S,
                          const double *Y, const double *rho, double *alpha, const double *g,
                          double *p) noexcept nogil:
    """p = -H g by the two-loop recursion over npairs pairs; the newest is in slot head - 1."""
    cdef int k, j, i
    cdef Py_ssize_t off
    cdef double beta, gamma
    for i in range(n):
        p[i] = -g[i]
    for k in range(npairs):                     # newest to oldest
        j = (head - 1 - k + m) % m
        off = <Py_ssize_t>j * n
        alpha[j] = rho[j] * dot(n, S + off, p)
        for i in range(n):
            p[i] -= alpha[j] * Y[off + i]
    if npairs > 0:
        j = (head - 1 + m) % m
        off = <Py_ssize_t>j * n
        gamma = 1.0 / (rho[j] * dot(n, Y + off, Y + off))
        for i in range(n):
            p[i] *= gamma
    for k in range(npairs - 1, -1, -1):         # oldest to newest
        j = (head - 1 - k + m) % m
        off = <Py_ssize_t>j * n
        beta = rho[j] * dot(n, Y + off, p)
        for i in range(n):
            p[i] += (alpha[j] - beta) * S[off + i]


# ---------------------------------------------------------------------------------------------
# The loop

cdef int _bandwidth(int n, const double *h) noexcept nogil:
    """The largest |i - j| with h[i, j] != 0 (0 for a diagonal or zero matrix)."""
    cdef Py_ssize_t i, j, nn = n
    cdef int kd = 0
    for i in range(nn):
        for j in range(i):              # the lower triangle; h is symmetric
            if h[i * nn + j] != 0.0:
                if i - j > kd:
                    kd = <int>(i - j)
                break                   # the first nonzero of row i is its widest
    return kd


cdef inline double _xorshift(unsigned long long *state) noexcept nogil:
    """+1 or -1, from a xorshift64 generator (Marsaglia 2003) whose state the caller owns."""
    cdef unsigned long long s = state[0]
    s ^= s << 13
    s ^= s >> 7
    s ^= s << 17
    state[0] = s
    return 1.0 if (s >> 32) & 1 else -1.0


cdef int _band_probe(fn_objective *o, const double *x, const double *ab, int kd, double r,
                     double *w, unsigned long long *rng) noexcept nogil:
    """Check a banded FD Hessian (ab, 'L' band storage) against one central difference of the
    gradient along a random step: x -+ s with s_i = +-r max(1, |x_i|) (r: the Hessian's own
    relative step) and D = (x + s) - (x - s), 1 when every row agrees,
        |g_i(x + s) - g_i(x - s) - (H D)_i| <= 1e-3 sum_j |H_ij D_j| + 100 eps (|g_i(x + s)| + |g_i(x - s)|),
    0 when a row does not (H has entries outside the band, or the band is wrong), -1 on a user
    error. The difference's own error is relative O(r^2) + O(eps / r), about 1e-10 for
    r = eps^(1/3), so a row off by a thousandth of its band terms has entries the band lacks,
    while a gradient with some noise of its own still passes. A non-finite g at x -+ s proves
    nothing: 1. w: 4n doubles."""
    cdef int n = o.n, i, j, lo, hi
    cdef Py_ssize_t w1 = kd + 1
    cdef double *dx = w
    cdef double *xs = w + n
    cdef double *gp = w + 2 * n
    cdef double *gm = w + 3 * n
    cdef double hv, hij, t, step
    cdef volatile double xt
    for i in range(n):
        step = _xorshift(rng) * r * fmax(1.0, fabs(x[i]))
        xt = x[i] + step
        xs[i] = xt
        dx[i] = xt
    fn_g(o, xs, gp)
    if o.error:
        return -1
    for i in range(n):
        xt = 2.0 * x[i] - dx[i]         # x - s (the same step, mirrored)
        xs[i] = xt
        dx[i] = dx[i] - xt              # D = (x + s) - (x - s), as taken
    fn_g(o, xs, gm)
    if o.error:
        return -1
    for i in range(n):
        if not (isfinite(gp[i]) and isfinite(gm[i])):
            return 1
    for i in range(n):
        hv = 0.0
        t = 0.0
        lo = i - kd if i > kd else 0
        hi = i + kd if i + kd < n - 1 else n - 1
        for j in range(lo, hi + 1):
            hij = ab[j * w1 + (i - j)] if j <= i else ab[i * w1 + (j - i)]
            hv += hij * dx[j]
            t += fabs(hij * dx[j])
        if not (fabs((gp[i] - gm[i]) - hv)
                <= 1e-3 * t + 100.0 * DBL_EPSILON * (fabs(gp[i]) + fabs(gm[i]))):
            return 0
    return 1


cdef int _newton_direction(fn_objective *o, const double *x, double f, const double *g,
                           double *h, double *p, double *fdw, const solve_opts *opt,
                           solve_out *out) noexcept nogil:
    """h = Hessian (exact / FD), factor h + tau I in place, p = -(h + tau I)^{-1} g.

    The FD Hessian of a gradient is banded (Curtis-Powell-Reid, 2(2kd+1) gradients) when
    out.band >= 0, else dense (2n). With opt.band == BAND_AUTO the band is learnt: the first
    Hessian is dense, and if its nonzeros lie within kd of the diagonal, kd narrow enough to
    halve the gradients (4 kd + 2 < n), the next ones are banded. A gradient difference is
    exactly zero where g_i does not depend on x_j, so the pattern is structural, except for
    entries that vanish at x0 by accident (x0 = 0, say). So each banded Hessian is checked by
    two more gradients (_band_probe). When a row disagrees, this iteration's Hessian is taken
    dense after all: if it shows a wider band, the solve goes on banded with that; if not,
    the probe's disagreement is not about the band (noise it cannot judge), and the solve
    stays dense for good, as it does when the band grows too wide."""
    cdef int n = o.n, i, kd = out.band, ok
    cdef Py_ssize_t nn = n
    cdef double tau
    cdef bint reinspect = False
    out.nhev += 1
    if kd >= 0:
        # banded: h holds the (kd+1) x n band, then the (2kd+1) n columns, then the (kd+1) n
        # backup that keeps H (see mat_size); fdw is the 4n FD workspace
        if fd_hessian_band(o, x, g, h, kd, opt.fd_method, opt.fd_rel_step, fdw, fdw + nn,
                           fdw + 2 * nn, fdw + 3 * nn, h + (kd + 1) * nn) != 0:
            return FN_USER_ERROR
        if opt.band == BAND_AUTO:
            ok = _band_probe(o, x, h, kd, opt.fd_rel_step if opt.fd_rel_step > 0.0
                             else default_rel_step(FD_CENTRAL, 1), fdw, &out.rng)
            if ok < 0:
                return FN_USER_ERROR
            if ok == 0:
                kd = -1                 # entries outside the band: take this one dense
                reinspect = True
        if kd >= 0:
            if not all_finite(h, (kd + 1) * nn):
                return FN_NONFINITE
            if modified_band_chol(n, kd, h, opt.chol_beta, h + (3 * kd + 2) * nn,
                                  &tau) != 0:
                return FN_NONFINITE
            out.tau = tau
            out.hess_band = kd
            for i in range(n):
                p[i] = -g[i]
            band_chol_solve(n, kd, h, p)
            return 0
    out.hess_band = -1
    if opt.hess != NULL:
        if opt.hess(n, x, h, opt.hess_data) != 0 or o.error:
            return FN_USER_ERROR
    elif o.value_grad != NULL:
        if fd_hessian_grad(o, x, g, h, opt.fd_method, opt.fd_rel_step,
                           fdw, fdw + n, fdw + 2 * n) != 0:
            return FN_USER_ERROR
        if opt.band == BAND_AUTO and out.auto_state != AUTO_DENSE:
            # out.band: -1 before the first Hessian, the band the probe doubted on a retake
            i = _bandwidth(n, h)
            if reinspect and i <= out.band:
                out.auto_state = AUTO_DENSE
            else:
                if i > out.band:
                    out.band = i
                out.auto_state = AUTO_BANDED if 4 * out.band + 2 < n else AUTO_DENSE
            if out.auto_state == AUTO_DENSE:
                out.band = -1                       # from the next Hessian on
    else:
        if fd_hessian_values(o, x, f, h, opt.fd_rel_step, fdw) != 0:
            return FN_USER_ERROR
    if not all_finite(h, <Py_ssize_t>n * n):
        return FN_NONFINITE
    # (h's upper triangle keeps H, fdw[:n] its diagonal)
    return _modified_step(n, h, fdw, g, p, opt, out)


cdef int _modified_step(int n, double *a, double *diag, const double *g, double *p,
                        const solve_opts *opt, solve_out *out) noexcept nogil:
    """p = -(A + tau I)^{-1} g: A + tau I = L L^T by the modified Cholesky, in place in a (its
    upper triangle keeps A, diag its diagonal); out.tau = tau."""
    cdef int i
    cdef double tau
    if modified_chol(b'U', n, a, opt.chol_beta, diag, &tau) != 0:
        return FN_NONFINITE
    out.tau = tau
    for i in range(n):
        p[i] = -g[i]
    chol_solve(b'U', n, a, p, 1)
    return 0


cdef int _sr1_direction(int n, const double *b, double *fac, const double *g, double *p,
                        double *diag, const solve_opts *opt, solve_out *out) noexcept nogil:
    """p = -(B + tau I)^{-1} g, factoring a copy of B (B itself is kept for updates)."""
    memcpy(fac, b, <Py_ssize_t>n * n * sizeof(double))
    return _modified_step(n, fac, diag, g, p, opt, out)


cdef int solve(fn_objective *o, double *x, double *g, double *mat, double *work,
               const solve_opts *opt, solve_out *out) noexcept nogil:
    """Minimize from x (changed in place) by opt.method. On entry g holds the gradient at x
    and out.f the value (both finite, checked by the caller)."""
    cdef int n = o.n, i, j, status, ret, method = opt.method, m = opt.memory
    cdef Py_ssize_t nn = n
    cdef bint vanished, fresh = True        # fresh: the model has learned nothing yet
    cdef int nsteep = 0                     # successive fully stretched searches (status 9)
    cdef double *p = work
    cdef double *xt = work + nn
    cdef double *gt = work + 2 * nn
    cdef double *aux = work + 3 * nn
    cdef double *S = mat                    # L-BFGS buffers
    cdef double *Y = mat + <Py_ssize_t>m * n
    cdef double *rho = mat + 2 * <Py_ssize_t>m * n
    cdef double *lalpha = rho + m
    cdef double f = out.f, dphi0, alpha0, t, sy, smax, slen = 0.0, fstart = out.f
    cdef ls_result res
    cdef ls_params lsp = opt.ls
    cdef char uplo = b'U'
    out.nit = 0
    out.nhev = 0
    out.nskip = 0
    out.npairs = 0
    out.head = 0
    out.tau = 0.0
    out.band = opt.band if opt.band >= 0 else -1
    out.hess_band = -1
    out.auto_state = AUTO_FIRST
    out.rng = 0x9E3779B97F4A7C15ULL
    if method == METHOD_BFGS or method == METHOD_SR1:
        _identity(n, mat, 1.0)
    if method == METHOD_BFGS and opt.h0 != NULL:
        memcpy(mat, opt.h0, nn * nn * sizeof(double))     # the caller's model: not rescaled
        fresh = False
    while True:
        if _gnorm(n, g, opt.gnorm_ord) <= opt.gtol:
            status = FN_CONVERGED
            break
        if out.nit >= opt.maxiter or (out.nit > 0 and o.nfev > opt.maxfun):
            status = FN_MAXITER
            break
        # ---- the direction
        status = 0
        if method == METHOD_NEWTON:
            status = _newton_direction(o, x, f, g, mat, p, aux, opt, out)
        elif method == METHOD_BFGS:
            # p = -H g
            t = -1.0
            dphi0 = 0.0
            i = 1
            dsymv(&uplo, &n, &t, mat, &n, g, &i, &dphi0, p, &i)
        elif method == METHOD_LBFGS:
            lbfgs_direction(n, m, out.npairs, out.head, S, Y, rho, lalpha, g, p)
        else:
            status = _sr1_direction(n, mat, aux + 4 * nn, g, p, aux + 3 * nn, opt, out)
        if status != 0:
            break
        dphi0 = dot(n, g, p)
        if not (dphi0 < 0.0 and isfinite(dphi0)):
            # rounding destroyed descent: steepest descent, and forget a quasi-Newton model
            for i in range(n):
                p[i] = -g[i]
            dphi0 = dot(n, g, p)
            if method == METHOD_BFGS or method == METHOD_SR1:
                _identity(n, mat, 1.0)
            out.npairs = 0
            fresh = True
        alpha0 = 1.0
        if method == METHOD_NEWTON:
            # a nearly singular (positive definite) H can make p enormous: let the first trial
            # step go at most STEP_MAX * max(1, |x|) (Dennis & Schnabel's maximum step)
            t = sqrt(dot(n, p, p))
            smax = STEP_MAX * fmax(1.0, sqrt(dot(n, x, x)))
            if t > smax:
                alpha0 = smax / t
        elif fresh:
            t = sqrt(dot(n, p, p))
            alpha0 = 1.0 / t if t > 1.0 else 1.0
        elif method == METHOD_SR1:
            # B may be nearly singular along some direction, making p huge: let the first
            # trial step grow at most tenfold over the last step (a trust radius in effect)
            t = sqrt(dot(n, p, p))
            if t > 10.0 * slen:
                alpha0 = 10.0 * slen / t
        # ---- the step; f within a few ulps counts as no worse (see _linesearch)
        lsp.f_noise = F_NOISE_ULPS * DBL_EPSILON * fabs(f)
        status = wolfe_search(o, x, p, f, dphi0, alpha0, &lsp, xt, gt, &res)
        if (status == FN_LINESEARCH_FAILED and res.alpha == 0.0
                and (method == METHOD_NEWTON or not fresh)):
            # no decrease along the method's direction: try steepest descent, with the first
            # trial step of a fresh start, min(1, 1/|g|) (the failed length may be the problem)
            for i in range(n):
                p[i] = -g[i]
            t = sqrt(dot(n, g, g))
            status = wolfe_search(o, x, p, f, -t * t, 1.0 / t if t > 1.0 else 1.0, &lsp,
                                  xt, gt, &res)
        if status == FN_USER_ERROR:
            break
        if status != 0 and not (res.alpha > 0.0 and res.grad_valid):
            # (not-descent included): x is the best point
            status = FN_UNBOUNDED if res.f_minus_inf else FN_LINESEARCH_FAILED
            break
        # ---- learn from the step: s = x_t - x, y = g_t - g
        if method == METHOD_LBFGS:
            j = out.head
            for i in range(n):
                S[<Py_ssize_t>j * n + i] = xt[i] - x[i]
                Y[<Py_ssize_t>j * n + i] = gt[i] - g[i]
            sy = dot(n, S + <Py_ssize_t>j * n, Y + <Py_ssize_t>j * n)
            if sy > 0.0 and sy > curvature_floor(n, S + <Py_ssize_t>j * n, g, gt):
                rho[j] = 1.0 / sy
                out.head = (j + 1) % m
                if out.npairs < m:
                    out.npairs += 1
                fresh = False
            else:
                out.nskip += 1
        elif method == METHOD_BFGS or method == METHOD_SR1:
            for i in range(n):
                aux[i] = xt[i] - x[i]
                aux[nn + i] = gt[i] - g[i]
            if fresh:
                # scale the identity to the curvature just seen (N&W 6.20)
                sy = dot(n, aux, aux + nn)
                if sy > 0.0:
                    t = dot(n, aux + nn, aux + nn)
                    _identity(n, mat, sy / t if method == METHOD_BFGS else t / sy)
            if method == METHOD_BFGS:
                ret = bfgs_update(n, mat, aux, aux + nn, aux + 2 * nn,
                                  curvature_floor(n, aux, g, gt))
            else:
                ret = sr1_update(n, mat, aux, aux + nn, aux + 2 * nn, opt.sr1_r)
            if ret:
                fresh = False
            else:
                out.nskip += 1
        # ---- accept: x <- x + alpha p (or the best point a failed search found)
        out.nit += 1
        slen = res.alpha * sqrt(dot(n, p, p))
        vanished = (_step_vanished(n, x, xt, opt.xtol)
                    or (opt.xrtol > 0.0
                        and slen <= opt.xrtol * (opt.xrtol + sqrt(dot(n, xt, xt))))
                    or f - res.f <= opt.ftol * fmax(fmax(fabs(f), fabs(res.f)), 1.0))
        memcpy(x, xt, nn * sizeof(double))
        memcpy(g, gt, nn * sizeof(double))
        f = res.f
        if opt.hook != NULL:
            ret = opt.hook(out.nit, x, f, g, opt.hook_data)
            if ret != 0:
                status = FN_CALLBACK_STOP if ret > 0 else FN_USER_ERROR
                break
        # ---- f unbounded below? (module docstring)
        if res.doublings >= UNBOUNDED_DOUBLINGS and f < fstart - fabs(fstart):
            nsteep += 1
        else:
            nsteep = 0
        if res.f_minus_inf or nsteep >= UNBOUNDED_RUNS:
            status = FN_UNBOUNDED
            break
        if vanished:
            status = (FN_CONVERGED if _gnorm(n, g, opt.gnorm_ord) <= opt.gtol
                      else FN_CONVERGED_STEP)
            break
    out.f = f
    out.status = status
    return status


# ---------------------------------------------------------------------------------------------
# Python entry points for fastnewton/_minimize.py (which validates and builds the result).

import numpy as np
from fastnewton._objective cimport Objective
from fastnewton._blas_threads cimport blas_limit, blas_limit_enter, blas_limit_leave


cdef class _PyHessian:
    """hess(x, *args) -> (n, n) array-like, behind the fn_hessian ABI."""
    cdef Objective obj
    cdef object fn

    cdef int call(self, const double *x, double *h) noexcept:
        cdef Py_ssize_t n = self.obj.c.n
        cdef double[:, ::1] hv
        try:
            xa = np.asarray(<const double[:n]>x).copy()
            ha = np.asarray(self.fn(xa, *self.obj.args), dtype=np.float64)
            if ha.shape != (n, n):
                raise ValueError(f"the Hessian must have shape ({n}, {n}), got {ha.shape}")
            hv = np.ascontiguousarray(0.5 * (ha + ha.T))   # both triangles count
            memcpy(h, &hv[0, 0], n * n * sizeof(double))
            return 0
        except BaseException as e:
            self.obj.exc = e
            self.obj.c.error = 1
            return -1


cdef int _py_hessian(int n, const double *x, double *h, void *data) noexcept nogil:
    with gil:
        return (<_PyHessian>data).call(x, h)


cdef class _PyHook:
    """hook(nit, x, f, g), its return value ignored (SciPy's callback rule); raising
    StopIteration stops the solve (status 4)."""
    cdef Objective obj
    cdef object fn

    cdef int call(self, int nit, const double *x, double f, const double *g) noexcept:
        cdef Py_ssize_t n = self.obj.c.n
        try:
            xa = np.asarray(<const double[:n]>x).copy()
            ga = np.asarray(<const double[:n]>g).copy()
            self.fn(nit, xa, f, ga)
            return 0
        except StopIteration:
            return 1
        except BaseException as e:
            self.obj.exc = e
            self.obj.c.error = 1
            return -1


cdef int _py_hook(int nit, const double *x, double f, const double *g, void *data) noexcept nogil:
    with gil:
        return (<_PyHook>data).call(nit, x, f, g)


cdef int _fill_opts(solve_opts *opt, int method, Objective obj, dict o, hess, hook,
                    list keep) except -1:
    cdef _PyHessian ph
    cdef _PyHook pk
    cdef const double[:, ::1] h0v
    opt.method = method
    opt.maxiter = o["maxiter"]
    opt.gtol = o["gtol"]
    opt.gnorm_ord = o["norm"]
    opt.xtol = o["xtol"]
    opt.xrtol = o["xrtol"]
    opt.ftol = o["ftol"]
    opt.maxfun = o["maxfun"]
    opt.h0 = NULL
    if o.get("hess_inv0") is not None:
        h0v = o["hess_inv0"]        # C-contiguous float64 (n, n), checked by _minimize
        keep.append(o["hess_inv0"])
        opt.h0 = &h0v[0, 0]
    # the method's own options, validated and defaulted by _minimize._options; the fields of
    # options other methods have are set to values no kernel reads for this method (-1 for
    # band: no band)
    opt.fd_method = o["fd"] if "fd" in o else FD_CENTRAL
    opt.fd_rel_step = o["rel_step"] if "rel_step" in o else 0.0
    opt.chol_beta = o["chol_beta"] if "chol_beta" in o else 0.0
    opt.band = o["band"] if "band" in o else -1
    opt.memory = o["memory"] if "memory" in o else 0
    opt.sr1_r = o["skip_r"] if "skip_r" in o else 0.0
    opt.ls.c1 = o["c1"]
    opt.ls.c2 = o["c2"]
    opt.ls.amax = o["amax"]
    opt.ls.maxiter = o["ls_maxiter"]
    opt.ls.f_noise = 0.0
    opt.ls.extra = NULL
    opt.ls.extra_data = NULL
    opt.hess = NULL
    opt.hess_data = NULL
    opt.hook = NULL
    opt.hook_data = NULL
    if hess is not None:
        ph = _PyHessian()
        ph.obj = obj
        ph.fn = hess
        keep.append(ph)
        opt.hess = &_py_hessian
        opt.hess_data = <void *>ph
    if hook is not None:
        pk = _PyHook()
        pk.obj = obj
        pk.fn = hook
        keep.append(pk)
        opt.hook = &_py_hook
        opt.hook_data = <void *>pk
    return 0


BAND_AUTO_CODE = BAND_AUTO      # options["band"]: learn the Hessian's band (Python's name)

METHODS = {"newton": METHOD_NEWTON, "bfgs": METHOD_BFGS, "lbfgs": METHOD_LBFGS,
           "sr1": METHOD_SR1}


def _dense_from_band(const double[:, ::1] ab):
    """The symmetric n x n matrix whose lower band is ab (row j: H[j + d, j], d = 0..kd)."""
    cdef Py_ssize_t n = ab.shape[0], w = ab.shape[1], j, d
    H = np.zeros((n, n))
    cdef double[:, ::1] h = H
    with nogil:
        for j in range(n):
            for d in range(w):
                if j + d < n:
                    h[j + d, j] = ab[j, d]
                    h[j, j + d] = ab[j, d]
    return H


def _full_from_lower(double[:, ::1] a):
    """Fill the strict upper triangle of a from its lower one, in place; returns a."""
    cdef Py_ssize_t i, j, n = a.shape[0]
    with nogil:
        for i in range(n):
            for j in range(i):
                a[j, i] = a[i, j]
    return a.base if a.base is not None else np.asarray(a)


def _solve(str method, Objective obj, double[::1] x, double[::1] g, double f0, dict options,
           hess, hook):
    """Run solve() (without the GIL where that pays). x, g: in/out. Returns a dict: status, nit, nhev, nskip,
    f, and the method's model: 'hess' (Newton: the last Hessian evaluated, dense, or None
    when it was banded by a given hess_bandwidth and 'hess_band' holds its (n, kd + 1) band;
    SR1: B), 'hess_inv' (BFGS), or
    'pairs' (L-BFGS: (S, Y), oldest first)."""
    cdef int meth = METHODS[method]
    cdef int n = <int>x.shape[0]
    cdef solve_opts opt
    cdef solve_out out
    cdef list keep = []
    cdef blas_limit lim
    cdef int m, band, kd
    cdef double[::1] mat, work
    _fill_opts(&opt, meth, obj, options, hess, hook, keep)
    m = opt.memory
    band = opt.band
    kd = band if band >= 0 else -1      # BAND_AUTO: a dense mat holds any band it picks
    mat = np.empty(mat_size(meth, n, m, kd))
    work = np.empty(work_size(meth, n, m, kd))
    out.f = f0
    blas_limit_enter(&lim, n)   # one BLAS thread for a small solve (_blas_threads)
    if obj.release_gil:
        with nogil:
            solve(&obj.c, &x[0], &g[0], &mat[0], &work[0], &opt, &out)
    else:   # a small Python objective: keeping the GIL saves a hand-over per evaluation
        solve(&obj.c, &x[0], &g[0], &mat[0], &work[0], &opt, &out)
    blas_limit_leave(&lim)      # solve() cannot raise: obj.check() raises what it caught
    obj.check()
    result = {"status": out.status, "nit": out.nit, "nhev": out.nhev, "nskip": out.nskip,
              "f": out.f, "tau": out.tau}
    M = np.asarray(mat)
    kd = out.hess_band
    if meth == METHOD_NEWTON and kd >= 0:
        result["hess"] = None
        if out.nhev > 0 and out.status != FN_NONFINITE:
            # the band backup kept H: row j holds H[j + d, j], d = 0..kd
            ab = np.asarray(mat[(3 * kd + 2) * n:(4 * kd + 3) * n]).reshape(n, kd + 1)
            if band == BAND_AUTO:
                # the caller asked for no band: the dense array, made here in a loop (a
                # sparse matrix and its toarray() cost more than a small solve)
                result["hess"] = _dense_from_band(ab)
            else:
                result["hess_band"] = ab.copy()
    elif meth == METHOD_NEWTON:
        if out.nhev > 0 and out.status != FN_NONFINITE:
            # the strict upper triangle kept H; the diagonal backup is work[3n:4n]
            H = np.triu(M.reshape(n, n), 1)
            H += H.T
            H[np.diag_indices(n)] = np.asarray(work[3 * n:4 * n])
            result["hess"] = H
        else:
            result["hess"] = None
    elif meth == METHOD_BFGS:
        result["hess_inv"] = _full_from_lower(M.reshape(n, n))
    elif meth == METHOD_SR1:
        result["hess"] = _full_from_lower(M.reshape(n, n))
    else:
        k = out.npairs
        order = [(out.head - k + i) % m for i in range(k)]
        S = M[:m * n].reshape(m, n)[order].copy()
        Y = M[m * n:2 * m * n].reshape(m, n)[order].copy()
        result["pairs"] = (S, Y)
    return result


# ---- the updates alone, for tests

def _bfgs_update(double[:, ::1] h, const double[::1] s, const double[::1] y,
                 double sy_min=0.0):
    """Apply one inverse-BFGS update to the lower triangle of h in place; False if skipped
    (s^T y <= max(sy_min, 0))."""
    cdef double[::1] u = np.empty(s.shape[0])
    return bfgs_update(<int>s.shape[0], &h[0, 0], &s[0], &y[0], &u[0], sy_min)


def _curvature_floor(const double[::1] s, const double[::1] g0, const double[::1] g1):
    """The s^T y below which BFGS and L-BFGS skip a pair (see curvature_floor)."""
    return curvature_floor(<int>s.shape[0], &s[0], &g0[0], &g1[0])


def _sr1_update(double[:, ::1] b, const double[::1] s, const double[::1] y, double r=1e-8):
    """Apply one SR1 update to the lower triangle of b in place; False if skipped."""
    cdef double[::1] v = np.empty(s.shape[0])
    return sr1_update(<int>s.shape[0], &b[0, 0], &s[0], &y[0], &v[0], r)


def _lbfgs_direction(const double[:, ::1] S, const double[:, ::1] Y, const double[::1] g):
    """-H g by the two-loop recursion over the pairs (rows, oldest first)."""
    cdef int k = <int>S.shape[0], n = <int>S.shape[1], i
    cdef double[::1] rho = np.empty(max(k, 1))
    cdef double[::1] alpha = np.empty(max(k, 1))
    cdef double[::1] p = np.empty(n)
    for i in range(k):
        rho[i] = 1.0 / dot(n, &S[i, 0], &Y[i, 0])
    lbfgs_direction(n, max(k, 1), k, k % max(k, 1), &S[0, 0] if k else NULL,
                    &Y[0, 0] if k else NULL, &rho[0], &alpha[0], &g[0], &p[0])
    return np.asarray(p)
