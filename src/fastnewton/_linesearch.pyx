"""Strong-Wolfe line search (nogil, allocation-free).

Design
------
Along a descent direction p from x, phi(alpha) = f(x + alpha p) with phi'(0) = g^T p < 0. A
step alpha satisfies the strong Wolfe conditions when

    phi(alpha) <= phi(0) + c1 alpha phi'(0)         (sufficient decrease, Armijo)
    |phi'(alpha)| <= c2 |phi'(0)|                     (curvature),   0 < c1 < c2 < 1.

Algorithm: Nocedal & Wright, *Numerical Optimization*, 2nd ed., Alg. 3.5 (bracketing) and
Alg. 3.6 (zoom), with the zoom's trial step from a safeguarded cubic interpolation through
phi(lo), phi'(lo), phi(hi) and the previous endpoint, falling back to a quadratic through
phi(lo), phi'(lo), phi(hi), and to bisection when either lands too close to an end of the
interval (within 20% / 10% of its length). The bracketing phase starts at the caller's
alpha0 and doubles the step (capped at amax).

Why this one rather than More-Thuente: it is the algorithm SciPy's ``line_search`` uses, so
``fastnewton.line_search`` can be a drop-in with the same acceptance behaviour and comparable
evaluation counts, and its logic needs only function values at rejected points: the gradient
is computed only where the Armijo test has passed, which saves evaluations when the
objective can give f without g (a separate ``jac``, or a finite-difference gradient).
Objectives that always produce f and g together are evaluated that way, once per trial.

Near the end of a solve f can stop changing in its last digits while the gradient still
shows the way: with ``f_noise > 0`` (the solvers set a few ulps of |f|) a trial step whose f
fails Armijo by no more than that is accepted if the curvature condition holds there
(Hager & Zhang's approximate Wolfe conditions). ``fastnewton.line_search`` keeps f_noise = 0.

Guards: a direction with phi'(0) >= 0 is reported (FN_NOT_DESCENT) without evaluating
anything; a trial step whose point x + alpha p overflows, whose phi is not finite, or whose
gradient has a non-finite entry counts as "too far" (it becomes the upper end of the
bracket, and the next trial is found by bisection), so no step with a non-finite f or
gradient is ever accepted (SciPy's search treats a NaN slope the same way: it never passes
the curvature test); a user error in the objective stops the search at once
(FN_USER_ERROR). On failure (FN_LINESEARCH_FAILED) the result holds the best point seen
(lowest finite f below phi(0)) with its gradient, if that is finite, or alpha = 0.

For the solvers' test of an objective unbounded below, the result also says how often the
bracketing phase doubled the step when it ran out of trial steps without a bracket
(res.doublings: f fell at least as fast as the Armijo line and the slope stayed steeper
than c2 phi'(0) all the way) and whether some trial f was -inf (res.f_minus_inf).

Shape: reverse communication
----------------------------
The search never calls the objective. ``ls_start`` sets up an ``ls_state`` and returns its
first request (an ``fn_request``: f at the trial point, f and g there, or g alone where f is
known); the caller evaluates and hands the value to ``ls_tell``, which runs the algorithm on
to its next request, or to REQ_DONE. This is the shape of L-BFGS-B's ``setulb`` (its
``task`` string) and ARPACK's ``ido``, written here as a small state machine: ``stage`` names
the point of Alg. 3.5/3.6 the search waits at, and the loop variables live in the state. The
engine (_engine.pyx) drives one search per iteration this way, forwarding its requests;
``wolfe_search`` below is the direct loop (request, evaluate through an fn_objective, tell)
that ``fastnewton.line_search`` uses. The arithmetic and acceptance rules are those of the
loop this replaced, step for step: the same trial steps, the same evaluations.
"""
from libc.math cimport fabs, sqrt, isfinite, INFINITY, NAN

from fastnewton._objective cimport (fn_objective, FN_LINESEARCH_FAILED, FN_NOT_DESCENT,
                                   FN_USER_ERROR, REQ_DONE, REQ_F, REQ_FG, REQ_G)
from fastnewton._fdiff cimport fn_serve
from fastnewton._linalg cimport all_finite, dot

cdef double CUBIC_GUARD = 0.2
cdef double QUAD_GUARD = 0.1

# ls_state.stage: where the search waits (Alg. 3.5 is the bracketing, 3.6 the zoom)
cdef enum:
    LS_BRACKET_TRIAL = 0      # about to try the bracketing step s.a
    LS_BRACKET_F = 1          # f at s.a known
    LS_BRACKET_NOISE = 2      # its gradient known, for the f_noise acceptance
    LS_BRACKET_G = 3          # its gradient known
    LS_ZOOM_TRIAL = 4         # about to pick the next zoom step
    LS_ZOOM_F = 5
    LS_ZOOM_NOISE = 6
    LS_ZOOM_G = 7
    LS_FAIL_G = 8             # failed: the gradient at the best point known


cdef inline double _cubic_min(double a, double fa, double fpa, double b, double fb,
                              double c, double fc) noexcept nogil:
    """Minimizer of the cubic through (a, fa) with slope fpa, (b, fb) and (c, fc); NaN if none."""
    cdef double db = b - a, dc = c - a
    cdef double denom = (db * dc) * (db * dc) * (db - dc)
    cdef double rb = fb - fa - fpa * db, rc = fc - fa - fpa * dc
    cdef double A, B, rad
    if denom == 0.0:
        return NAN
    A = (dc * dc * rb - db * db * rc) / denom
    B = (-dc * dc * dc * rb + db * db * db * rc) / denom
    rad = B * B - 3.0 * A * fpa
    if rad < 0.0 or (A == 0.0 and B <= 0.0):
        return NAN
    # the root (-B + sqrt(rad)) / (3A), in the form that does not cancel: for B > 0 it equals
    # -fpa / (B + sqrt(rad)), which also covers the quadratic limit A -> 0
    if B > 0.0:
        return a - fpa / (B + sqrt(rad))
    return a + (-B + sqrt(rad)) / (3.0 * A)


cdef inline double _quad_min(double a, double fa, double fpa, double b, double fb) noexcept nogil:
    """Minimizer of the quadratic through (a, fa) with slope fpa and (b, fb); NaN if none."""
    cdef double db = b - a
    cdef double B
    if db == 0.0:
        return NAN
    B = (fb - fa - fpa * db) / (db * db)
    if not B > 0.0:
        return NAN
    return a - fpa / (2.0 * B)


cdef bint ls_separate(const fn_objective *o) noexcept nogil:
    """Whether f can be had without g (a separate gradient, or none): then the search asks for
    f alone where Armijo decides, and for g only where Armijo has passed."""
    return o.gradient != NULL or o.value_grad == NULL


# ---- the requests

cdef inline int _ask_f(ls_state *s, double alpha) noexcept nogil:
    """Ask for phi(alpha) (and the gradient, when the objective gives both at once); 0 without
    asking for a point beyond the floats (an overflowing x + alpha p): phi = inf, too far."""
    cdef int i
    for i in range(s.n):
        s.xt[i] = s.x[i] + alpha * s.p[i]
    if not all_finite(s.xt, s.n):
        s.f = INFINITY
        return 0
    s.a_req = alpha
    s.req = REQ_F if s.separate else REQ_FG
    return s.req


cdef inline int _ask_g(ls_state *s, double alpha, double f) noexcept nogil:
    """Ask for the gradient at the point of the last phi request (x_out holds it), unless gt
    already holds it; 0 when it does."""
    if s.g_alpha == alpha:
        return 0
    s.a_req = alpha
    s.f_req = f
    s.req = REQ_G
    return REQ_G


cdef inline double _slope(ls_state *s, double alpha) noexcept nogil:
    """phi'(alpha) from the gradient in gt; NaN when it has a non-finite entry (the point then
    cannot be the best one)."""
    if not all_finite(s.gt, s.n):
        if s.best_alpha == alpha:
            s.best_alpha = s.prev_alpha
            s.best_f = s.prev_f
        return NAN
    return dot(s.n, s.gt, s.p)


cdef inline int _accept(ls_state *s, double alpha, double f, double dphi) noexcept nogil:
    """1 if alpha is a strong-Wolfe point the extra condition (if any) accepts; -1 stop."""
    if not (fabs(dphi) <= -s.prm.c2 * s.dphi0):
        return 0
    if s.prm.extra == NULL:
        return 1
    return s.prm.extra(alpha, s.xt, f, s.gt, s.prm.extra_data)


cdef inline bint _noise_eligible(ls_state *s, double f) noexcept nogil:
    """A step whose f fails Armijo only by rounding (f <= phi(0) + f_noise) is accepted when
    the curvature condition holds there: the "approximate Wolfe" idea of Hager & Zhang
    (SIAM J. Optim. 16, 2005), for the end of a solve, where f has stopped changing in its
    last digits but the gradient still carries information."""
    return s.prm.f_noise > 0.0 and isfinite(f) and f <= s.f0 + s.prm.f_noise


cdef int _noise_verdict(ls_state *s, double a, double f) noexcept nogil:
    """The gradient asked for the f_noise acceptance is in: REQ_DONE when the search ends at
    a (accepted, or the extra condition stopped it), else -1 (rejected: the search goes on)."""
    cdef int acc = _accept(s, a, f, _slope(s, a))
    if acc == 1:
        return _succeed(s, a, f, dot(s.n, s.gt, s.p))
    if acc < 0:
        return _done(s, FN_USER_ERROR)
    return -1


# ---- the ends

cdef int _done(ls_state *s, int status) noexcept nogil:
    s.status = status
    s.req = REQ_DONE
    s.res.f_minus_inf = s.f_minus_inf
    return REQ_DONE


cdef int _succeed(ls_state *s, double alpha, double f, double dphi) noexcept nogil:
    s.res.alpha = alpha
    s.res.f = f
    s.res.slope = dphi
    s.res.grad_valid = 1
    return _done(s, 0)


cdef int _fail(ls_state *s) noexcept nogil:
    """Failure: hand back the best point seen, with its gradient (asked for if need be)."""
    cdef int i
    s.res.slope = NAN
    s.res.grad_valid = 0
    if s.best_alpha > 0.0:
        for i in range(s.n):
            s.xt[i] = s.x[i] + s.best_alpha * s.p[i]
        s.stage = LS_FAIL_G
        if _ask_g(s, s.best_alpha, s.best_f):
            return REQ_G
    return _fail_end(s)


cdef int _fail_end(ls_state *s) noexcept nogil:
    cdef int i
    if s.best_alpha > 0.0 and not all_finite(s.gt, s.n):
        s.best_alpha = 0.0
    if s.best_alpha > 0.0:
        s.res.alpha = s.best_alpha
        s.res.f = s.best_f
        s.res.slope = dot(s.n, s.gt, s.p)
        s.res.grad_valid = 1
    else:
        s.res.alpha = 0.0
        s.res.f = s.f0
        for i in range(s.n):
            s.xt[i] = s.x[i]
    return _done(s, FN_LINESEARCH_FAILED)


cdef inline void _zoom_from(ls_state *s, double a_lo, double f_lo, double d_lo, double a_hi,
                            double f_hi) noexcept nogil:
    """Enter N&W Alg. 3.6: a strong-Wolfe step lies between a_lo and a_hi, where a_lo
    satisfies Armijo with the lowest f so far and d_lo (a_hi - a_lo) < 0."""
    s.a_lo, s.f_lo, s.d_lo = a_lo, f_lo, d_lo
    s.a_hi, s.f_hi = a_hi, f_hi
    s.a_rec, s.f_rec = 0.0, s.f0
    s.i = 0
    s.stage = LS_ZOOM_TRIAL


cdef inline void _zoom_next(ls_state *s, double a_hi, double f_hi) noexcept nogil:
    """The zoom's trial s.a was rejected: it (or the bracket end told) becomes the new far end."""
    s.a_rec, s.f_rec = s.a_hi, s.f_hi
    s.a_hi, s.f_hi = a_hi, f_hi
    s.i += 1
    s.stage = LS_ZOOM_TRIAL


# ---- the machine

cdef int _run(ls_state *s) noexcept nogil:
    """Go on from s.stage until the next request or the end."""
    cdef double a, f, d, width, lo, hi
    cdef int acc
    while True:
        a = s.a
        f = s.f
        if s.stage == LS_BRACKET_TRIAL:
            if not (a > 0.0):
                return _fail(s)
            s.stage = LS_BRACKET_F
            if _ask_f(s, a):
                return s.req
        elif s.stage == LS_BRACKET_F:
            if not isfinite(f) or f > s.f0 + s.prm.c1 * a * s.dphi0 or (s.i > 0 and f >= s.f_prev):
                if _noise_eligible(s, f):
                    s.stage = LS_BRACKET_NOISE
                    if _ask_g(s, a, f):
                        return REQ_G
                else:
                    _zoom_from(s, s.a_prev, s.f_prev, s.d_prev, a, f)
            else:
                s.stage = LS_BRACKET_G
                if _ask_g(s, a, f):
                    return REQ_G
        elif s.stage == LS_BRACKET_NOISE:
            if _noise_verdict(s, a, f) == REQ_DONE:
                return REQ_DONE
            _zoom_from(s, s.a_prev, s.f_prev, s.d_prev, a, f)
        elif s.stage == LS_BRACKET_G:
            d = _slope(s, a)
            if d != d:                      # a non-finite gradient: too far
                _zoom_from(s, s.a_prev, s.f_prev, s.d_prev, a, INFINITY)
                continue
            acc = _accept(s, a, f, d)
            if acc == 1:
                return _succeed(s, a, f, d)
            if acc < 0:
                return _done(s, FN_USER_ERROR)
            if d >= 0.0:
                _zoom_from(s, a, f, d, s.a_prev, s.f_prev)
                continue
            if a >= s.amax:                 # cannot extend beyond amax
                if s.i == s.prm.maxiter - 1:
                    s.res.next_alpha = a    # all trials used, the last at amax
                return _fail(s)
            s.a_prev, s.f_prev, s.d_prev = a, f, d
            s.a = 2.0 * a if 2.0 * a < s.amax else s.amax
            if s.i == s.prm.maxiter - 1:
                # out of trial steps, every one of them steeply downhill (Armijo held and the
                # slope stayed below c2 phi'(0)): report how far the step was stretched, and
                # the step the bracketing would try next (2 alpha, capped at amax), unevaluated
                s.res.doublings = s.prm.maxiter - 1
                s.res.next_alpha = s.a
                return _fail(s)
            s.i += 1
            s.stage = LS_BRACKET_TRIAL
        elif s.stage == LS_ZOOM_TRIAL:
            if s.i >= s.prm.maxiter:
                return _fail(s)
            width = s.a_hi - s.a_lo
            lo = s.a_lo if width > 0.0 else s.a_hi
            hi = s.a_hi if width > 0.0 else s.a_lo
            a = NAN
            if s.i > 0 and isfinite(s.f_hi) and isfinite(s.f_rec):
                a = _cubic_min(s.a_lo, s.f_lo, s.d_lo, s.a_hi, s.f_hi, s.a_rec, s.f_rec)
                if not (a > lo + CUBIC_GUARD * fabs(width) and a < hi - CUBIC_GUARD * fabs(width)):
                    a = NAN
            if a != a and isfinite(s.f_hi):
                a = _quad_min(s.a_lo, s.f_lo, s.d_lo, s.a_hi, s.f_hi)
                if not (a > lo + QUAD_GUARD * fabs(width) and a < hi - QUAD_GUARD * fabs(width)):
                    a = NAN
            if a != a:
                a = s.a_lo + 0.5 * width
            if a == s.a_lo or a == s.a_hi:
                return _fail(s)             # the interval is below rounding: no progress
            s.a = a
            s.stage = LS_ZOOM_F
            if _ask_f(s, a):
                return s.req
        elif s.stage == LS_ZOOM_F:
            if not isfinite(f) or f > s.f0 + s.prm.c1 * a * s.dphi0 or f >= s.f_lo:
                if _noise_eligible(s, f):
                    s.stage = LS_ZOOM_NOISE
                    if _ask_g(s, a, f):
                        return REQ_G
                else:
                    _zoom_next(s, a, f)
            else:
                s.stage = LS_ZOOM_G
                if _ask_g(s, a, f):
                    return REQ_G
        elif s.stage == LS_ZOOM_NOISE:
            if _noise_verdict(s, a, f) == REQ_DONE:
                return REQ_DONE
            _zoom_next(s, a, f)
        elif s.stage == LS_ZOOM_G:
            d = _slope(s, a)
            if d != d:                      # a non-finite gradient: too far
                _zoom_next(s, a, INFINITY)
                continue
            acc = _accept(s, a, f, d)
            if acc == 1:
                return _succeed(s, a, f, d)
            if acc < 0:
                return _done(s, FN_USER_ERROR)
            if d * (s.a_hi - s.a_lo) >= 0.0:
                s.a_rec, s.f_rec = s.a_hi, s.f_hi
                s.a_hi, s.f_hi = s.a_lo, s.f_lo
            else:
                s.a_rec, s.f_rec = s.a_lo, s.f_lo
            s.a_lo, s.f_lo, s.d_lo = a, f, d
            s.i += 1
            s.stage = LS_ZOOM_TRIAL
        else:                               # LS_FAIL_G
            return _fail_end(s)


cdef int ls_start(ls_state *s, int n, const double *x, const double *p, double f0,
                  double dphi0, double alpha0, const ls_params *prm, bint separate,
                  double *xt, double *gt) noexcept nogil:
    """Begin a search for alpha with xt = x + alpha p satisfying the strong Wolfe conditions,
    f0 = f(x), dphi0 = grad f(x) . p; returns the first request (REQ_DONE at once, with
    FN_NOT_DESCENT, when dphi0 >= 0: nothing is evaluated)."""
    s.n = n
    s.x = x
    s.p = p
    s.xt = xt
    s.gt = gt
    s.prm = prm[0]
    s.f0 = f0
    s.dphi0 = dphi0
    s.amax = prm.amax if prm.amax > 0.0 else INFINITY
    s.separate = separate
    s.g_alpha = NAN
    s.best_alpha = 0.0
    s.best_f = f0
    s.prev_alpha = 0.0
    s.prev_f = f0
    s.f_minus_inf = False
    s.status = 0
    s.res.alpha = 0.0
    s.res.f = f0
    s.res.slope = dphi0
    s.res.grad_valid = 0
    s.res.next_alpha = 0.0
    s.res.doublings = 0
    s.res.f_minus_inf = 0
    s.a_prev, s.f_prev, s.d_prev = 0.0, f0, dphi0
    s.i = 0
    s.a = s.amax if alpha0 > s.amax else alpha0     # (a NaN alpha0 stays NaN: no step)
    s.stage = LS_BRACKET_TRIAL
    if not (dphi0 < 0.0):
        _fail(s)                            # best_alpha = 0: the start point, no request
        s.status = FN_NOT_DESCENT
        return REQ_DONE
    return _run(s)


cdef int ls_tell(ls_state *s, double f) noexcept nogil:
    """Take what s.req asked for (f, ignored after REQ_G; the gradient in s.gt) and go on to
    the next request."""
    if s.req == REQ_G:
        s.g_alpha = s.a_req
    else:
        if s.req == REQ_FG:
            s.g_alpha = s.a_req
        if isfinite(f):
            if f < s.best_f:
                s.prev_f = s.best_f
                s.prev_alpha = s.best_alpha
                s.best_f = f
                s.best_alpha = s.a_req
        elif f < 0.0:
            s.f_minus_inf = True
        s.f = f
    return _run(s)


cdef int wolfe_search(fn_objective *o, const double *x, const double *p, double f0,
                      double dphi0, double alpha0, const ls_params *prm, double *x_out,
                      double *g_out, ls_result *res) noexcept nogil:
    """The direct loop: the search of ls_start / ls_tell with every request served through o.

    On return 0, x_out, g_out and res describe the accepted point; otherwise the status says
    why (FN_NOT_DESCENT, FN_LINESEARCH_FAILED with the best point seen in x_out / res,
    FN_USER_ERROR when the objective raised).
    """
    cdef ls_state s
    cdef double f
    cdef int req = ls_start(&s, o.n, x, p, f0, dphi0, alpha0, prm, ls_separate(o), x_out,
                            g_out)
    while req != REQ_DONE:
        f = fn_serve(o, req, s.xt, s.f_req, s.gt)
        if o.error:
            return FN_USER_ERROR
        req = ls_tell(&s, f)
    res[0] = s.res
    return s.status
