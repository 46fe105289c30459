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
"""
from libc.math cimport fabs, sqrt, isfinite, INFINITY, NAN

from fastnewton._objective cimport (fn_objective, obj_f, obj_fg, FN_LINESEARCH_FAILED,
                                   FN_NOT_DESCENT, FN_USER_ERROR)
from fastnewton._fdiff cimport fn_g_at, fn_fg, fn_g
from fastnewton._linalg cimport all_finite, dot

cdef double CUBIC_GUARD = 0.2
cdef double QUAD_GUARD = 0.1


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


cdef struct _search:
    # everything the two phases share; lives on the stack of wolfe_search
    fn_objective *o
    const double *x
    const double *p
    double *xt
    double *gt
    const ls_params *prm
    double f0
    double dphi0
    bint separate        # f can be had without g
    double g_alpha       # the step at which gt holds the gradient (NaN: none)
    double best_alpha    # lowest finite f seen so far, and where
    double best_f
    double prev_alpha    # the best before it (restored if best's gradient is not finite)
    double prev_f
    bint f_minus_inf     # some trial f was -inf


cdef inline double _phi(_search *s, double alpha) noexcept nogil:
    """phi(alpha); also the gradient when the objective gives both at once. A point beyond
    the floats (an overflowing x + alpha p) is not evaluated: phi = inf, too far."""
    cdef int i, n = s.o.n
    cdef double f
    for i in range(n):
        s.xt[i] = s.x[i] + alpha * s.p[i]
    if not all_finite(s.xt, n):
        return INFINITY
    if s.separate:
        f = obj_f(s.o, s.xt)
    else:
        f = obj_fg(s.o, s.xt, s.gt)
        s.g_alpha = alpha
    if isfinite(f):
        if f < s.best_f:
            s.prev_f = s.best_f
            s.prev_alpha = s.best_alpha
            s.best_f = f
            s.best_alpha = alpha
    elif f < 0.0:
        s.f_minus_inf = True
    return f


cdef inline double _dphi(_search *s, double alpha, double f) noexcept nogil:
    """phi'(alpha) at the point _phi was last called at (x_out already holds it); NaN when
    the gradient there has a non-finite entry (the point then cannot be the best one)."""
    if s.g_alpha != alpha:
        fn_g_at(s.o, s.xt, f, s.gt)
        s.g_alpha = alpha
    if not all_finite(s.gt, s.o.n):
        if s.best_alpha == alpha:
            s.best_alpha = s.prev_alpha
            s.best_f = s.prev_f
        return NAN
    return dot(s.o.n, s.gt, s.p)


cdef inline int _accept(_search *s, double alpha, double f, double dphi) noexcept nogil:
    """1 if alpha is a strong-Wolfe point the extra condition (if any) accepts; -1 stop."""
    if not (fabs(dphi) <= -s.prm.c2 * s.dphi0):
        return 0
    if s.prm.extra == NULL:
        return 1
    return s.prm.extra(alpha, s.xt, f, s.gt, s.prm.extra_data)


cdef inline int _noise_accept(_search *s, double alpha, double f) noexcept nogil:
    """A step whose f fails Armijo only by rounding (f <= phi(0) + f_noise) is accepted when
    the curvature condition holds there: the "approximate Wolfe" idea of Hager & Zhang
    (SIAM J. Optim. 16, 2005), for the end of a solve, where f has stopped changing in its
    last digits but the gradient still carries information. 1 accept, 0 no, -1 stop."""
    cdef double d
    if not (s.prm.f_noise > 0.0 and isfinite(f) and f <= s.f0 + s.prm.f_noise):
        return 0
    d = _dphi(s, alpha, f)
    if s.o.error:
        return -1
    return _accept(s, alpha, f, d)      # 0 for a NaN d


cdef int _finish(_search *s, int status, double alpha, double f, double dphi,
                 ls_result *res) noexcept nogil:
    cdef int i
    res.f_minus_inf = s.f_minus_inf
    if status == 0:
        res.alpha = alpha
        res.f = f
        res.slope = dphi
        res.grad_valid = 1
        return 0
    if status == FN_USER_ERROR or s.o.error:
        return FN_USER_ERROR
    # failure: hand back the best point seen, with its gradient (if finite)
    res.slope = NAN
    res.grad_valid = 0
    if s.best_alpha > 0.0:
        for i in range(s.o.n):
            s.xt[i] = s.x[i] + s.best_alpha * s.p[i]
        if s.g_alpha != s.best_alpha:
            fn_g_at(s.o, s.xt, s.best_f, s.gt)
            s.g_alpha = s.best_alpha
            if s.o.error:
                return FN_USER_ERROR
        if not all_finite(s.gt, s.o.n):
            s.best_alpha = 0.0
    if s.best_alpha > 0.0:
        res.alpha = s.best_alpha
        res.f = s.best_f
        res.slope = dot(s.o.n, s.gt, s.p)
        res.grad_valid = 1
    else:
        res.alpha = 0.0
        res.f = s.f0
        for i in range(s.o.n):
            s.xt[i] = s.x[i]
    return status


cdef int _zoom(_search *s, double a_lo, double f_lo, double d_lo, double a_hi, double f_hi,
               ls_result *res) noexcept nogil:
    """N&W Alg. 3.6: a strong-Wolfe step in the interval between a_lo and a_hi, where a_lo
    satisfies Armijo with the lowest f so far and d_lo (a_hi - a_lo) < 0."""
    cdef double a_rec = 0.0, f_rec = s.f0
    cdef double a_j, f_j, d_j, lo, hi, width
    cdef int j, acc
    for j in range(s.prm.maxiter):
        width = a_hi - a_lo
        lo = a_lo if width > 0.0 else a_hi
        hi = a_hi if width > 0.0 else a_lo
        a_j = NAN
        if j > 0 and isfinite(f_hi) and isfinite(f_rec):
            a_j = _cubic_min(a_lo, f_lo, d_lo, a_hi, f_hi, a_rec, f_rec)
            if not (a_j > lo + CUBIC_GUARD * fabs(width) and a_j < hi - CUBIC_GUARD * fabs(width)):
                a_j = NAN
        if a_j != a_j and isfinite(f_hi):
            a_j = _quad_min(a_lo, f_lo, d_lo, a_hi, f_hi)
            if not (a_j > lo + QUAD_GUARD * fabs(width) and a_j < hi - QUAD_GUARD * fabs(width)):
                a_j = NAN
        if a_j != a_j:
            a_j = a_lo + 0.5 * width
        if a_j == a_lo or a_j == a_hi:
            break                       # the interval is below rounding: no progress possible
        f_j = _phi(s, a_j)
        if s.o.error:
            return FN_USER_ERROR
        if not isfinite(f_j) or f_j > s.f0 + s.prm.c1 * a_j * s.dphi0 or f_j >= f_lo:
            acc = _noise_accept(s, a_j, f_j)
            if acc == 1:
                return _finish(s, 0, a_j, f_j, dot(s.o.n, s.gt, s.p), res)
            if acc < 0:
                return _finish(s, FN_USER_ERROR, 0.0, 0.0, 0.0, res)
            a_rec, f_rec = a_hi, f_hi
            a_hi, f_hi = a_j, f_j
            continue
        d_j = _dphi(s, a_j, f_j)
        if s.o.error:
            return FN_USER_ERROR
        if d_j != d_j:                  # a non-finite gradient: too far
            a_rec, f_rec = a_hi, f_hi
            a_hi, f_hi = a_j, INFINITY
            continue
        acc = _accept(s, a_j, f_j, d_j)
        if acc == 1:
            return _finish(s, 0, a_j, f_j, d_j, res)
        if acc < 0:
            return _finish(s, FN_USER_ERROR, 0.0, 0.0, 0.0, res)
        if d_j * (a_hi - a_lo) >= 0.0:
            a_rec, f_rec = a_hi, f_hi
            a_hi, f_hi = a_lo, f_lo
        else:
            a_rec, f_rec = a_lo, f_lo
        a_lo, f_lo, d_lo = a_j, f_j, d_j
    return _finish(s, FN_LINESEARCH_FAILED, 0.0, 0.0, 0.0, res)


cdef int wolfe_search(fn_objective *o, const double *x, const double *p, double f0,
                      double dphi0, double alpha0, const ls_params *prm, double *x_out,
                      double *g_out, ls_result *res) noexcept nogil:
    """Find alpha with x_out = x + alpha p satisfying the strong Wolfe conditions.

    f0 = f(x), dphi0 = grad f(x) . p. On return 0, x_out, g_out and res describe the accepted
    point; otherwise the status says why (FN_NOT_DESCENT, FN_LINESEARCH_FAILED with the best
    point seen in x_out / res, FN_USER_ERROR).
    """
    cdef _search s
    cdef double a_prev = 0.0, f_prev = f0, d_prev = dphi0
    cdef double a = alpha0, f, d
    cdef double amax = prm.amax if prm.amax > 0.0 else INFINITY
    cdef int i, acc
    s.o = o
    s.x = x
    s.p = p
    s.xt = x_out
    s.gt = g_out
    s.prm = prm
    s.f0 = f0
    s.dphi0 = dphi0
    s.separate = o.gradient != NULL or o.value_grad == NULL
    s.g_alpha = NAN
    s.best_alpha = 0.0
    s.best_f = f0
    s.prev_alpha = 0.0
    s.prev_f = f0
    s.f_minus_inf = False
    res.alpha = 0.0
    res.f = f0
    res.slope = dphi0
    res.grad_valid = 0
    res.next_alpha = 0.0
    res.doublings = 0
    res.f_minus_inf = 0
    if not (dphi0 < 0.0):
        return _finish(&s, FN_NOT_DESCENT, 0.0, 0.0, 0.0, res)
    if a > amax:
        a = amax
    for i in range(prm.maxiter):
        if not (a > 0.0):
            break
        f = _phi(&s, a)
        if o.error:
            return FN_USER_ERROR
        if not isfinite(f) or f > f0 + prm.c1 * a * dphi0 or (i > 0 and f >= f_prev):
            acc = _noise_accept(&s, a, f)
            if acc == 1:
                return _finish(&s, 0, a, f, dot(o.n, s.gt, p), res)
            if acc < 0:
                return _finish(&s, FN_USER_ERROR, 0.0, 0.0, 0.0, res)
            return _zoom(&s, a_prev, f_prev, d_prev, a, f, res)
        d = _dphi(&s, a, f)
        if o.error:
            return FN_USER_ERROR
        if d != d:                      # a non-finite gradient: too far
            return _zoom(&s, a_prev, f_prev, d_prev, a, INFINITY, res)
        acc = _accept(&s, a, f, d)
        if acc == 1:
            return _finish(&s, 0, a, f, d, res)
        if acc < 0:
            return _finish(&s, FN_USER_ERROR, 0.0, 0.0, 0.0, res)
        if d >= 0.0:
            return _zoom(&s, a, f, d, a_prev, f_prev, res)
        if a >= amax:
            break                       # cannot extend beyond amax
        a_prev, f_prev, d_prev = a, f, d
        a = 2.0 * a if 2.0 * a < amax else amax
        if i == prm.maxiter - 1:
            # out of trial steps, every one of them steeply downhill (Armijo held and the
            # slope stayed below c2 phi'(0)): report how far the step was stretched, and the
            # step the bracketing would try next (2 alpha, capped at amax), unevaluated
            acc = _finish(&s, FN_LINESEARCH_FAILED, 0.0, 0.0, 0.0, res)
            res.doublings = prm.maxiter - 1
            res.next_alpha = a
            return acc
    if i == prm.maxiter - 1 and a > 0.0:
        res.next_alpha = a              # all trials used, the last at amax
    return _finish(&s, FN_LINESEARCH_FAILED, 0.0, 0.0, 0.0, res)


# ---------------------------------------------------------------------------------------------
# Python entry points: the public line_search (fastnewton.line_search), written
# here so that its checks and set-up cost a few C calls rather than Python ones.

import warnings

import numpy as np
cimport numpy as cnp
from scipy import LowLevelCallable
from fastnewton._objective cimport Objective, vec_data, fast_point, native_vector
from fastnewton._objective import make_objective
from fastnewton._validate import check_finite_grad, check_finite_value

try:  # SciPy's own class, so filters users already have for SciPy's search apply
    from scipy.optimize._linesearch import LineSearchWarning
except ImportError:  # pragma: no cover - private location moved
    class LineSearchWarning(RuntimeWarning):
        pass

cnp.import_array()


def check_wolfe_params(c1, c2):
    """0 < c1 < c2 < 1, as floats, or ValueError."""
    c1, c2 = float(c1), float(c2)
    if not (0.0 < c1 < c2 < 1.0):
        raise ValueError(f"the Wolfe parameters must satisfy 0 < c1 < c2 < 1, got c1={c1}, c2={c2}")
    return c1, c2


def line_search(f, myfprime, xk, pk, gfk=None, old_fval=None, old_old_fval=None, args=(),
                c1=1e-4, c2=0.9, amax=None, extra_condition=None, maxiter=10):
    """Find a step length satisfying the strong Wolfe conditions, in a compiled kernel.

    Same signature, return values and failure behaviour as ``scipy.optimize.line_search``
    (Nocedal & Wright Alg. 3.5/3.6, the algorithm SciPy uses), so code switches by changing
    the import. The search loop runs without the GIL; with a ``scipy.LowLevelCallable``
    objective no Python is called at all.

    Parameters
    ----------
    f : callable or scipy.LowLevelCallable
        ``f(x, *args) -> float``; or a LowLevelCallable with signature
        ``double (int, double *, double *, void *)`` (value and gradient; then `myfprime`
        may be None) or ``double (int, double *, void *)``.
    myfprime : callable or None
        ``myfprime(x, *args) -> ndarray``, the gradient. None: the objective's own gradient
        (a LowLevelCallable's), else central finite differences of `f`.
    xk, pk : array_like, shape (n,)
        Current point and search direction (finite, real). Never modified.
    gfk : ndarray, optional
        Gradient at `xk`; computed (and not counted, as in SciPy) if omitted.
    old_fval : float, optional
        f(xk); computed (and counted in `fc`) if omitted.
    old_old_fval : float, optional
        f at the point before `xk`, used to guess the first step as SciPy does:
        ``min(1, 2.02 (old_fval - old_old_fval) / (gfk . pk))``, else 1.
    args : tuple, optional
        Extra arguments for `f` and `myfprime`.
    c1, c2 : float, optional
        Armijo and curvature parameters, ``0 < c1 < c2 < 1`` (else ValueError).
    amax : float, optional
        Largest step allowed.
    extra_condition : callable, optional
        ``extra_condition(alpha, x, f, g) -> bool``, checked at each strong-Wolfe point; a
        step is accepted only if it returns True.
    maxiter : int, optional
        Trial steps allowed in each phase (bracketing, zoom).

    Returns
    -------
    alpha : float or None
        The step, satisfying the strong Wolfe conditions; or, as SciPy's does, after
        `maxiter` bracketing trials that all lowered f with phi' < 0 and none satisfied the
        conditions (f unbounded below along pk, say), the next trial step (twice the last,
        capped at `amax`) **unchecked**, with two "did not converge" ``LineSearchWarning``s;
        None when the search failed otherwise (zoom exhausted, `amax` reached with trials
        left, pk not a descent direction, `old_old_fval` equal to `old_fval`), with a
        ``LineSearchWarning`` whose text starts as SciPy's does.
    fc : int
        Number of function evaluations made.
    gc : int
        Number of gradient evaluations made (an objective that computes f and g together
        counts one of each per trial step). The gradient at `xk`, when computed here, is not
        counted, as in SciPy. On success and on the unchecked-step return the counts equal
        SciPy's for a separate `myfprime`; after a failed zoom they differ (SciPy's zoom
        makes up to 11 trials whatever `maxiter` is, this one `maxiter`, plus possibly one
        gradient at the best point seen), and for a non-descent pk this function evaluates
        nothing.
    new_fval : float or None
        f at ``xk + alpha pk`` (f(xk) when `old_old_fval` equals `old_fval`, as in SciPy).
    old_fval : float
        f at `xk`.
    new_slope : ndarray or None
        The gradient at ``xk + alpha pk`` -- what SciPy's function returns in this place,
        despite the name; None unless the conditions hold there.

    Raises
    ------
    ValueError
        For bad `xk` / `pk` (not 1-D, empty, complex, non-finite, different lengths), c1 and
        c2 outside ``0 < c1 < c2 < 1``, a bad amax or maxiter, f(xk) or the gradient at xk
        not finite, a gradient of the wrong shape, or an unsupported LowLevelCallable.
        Exceptions raised by `f`, `myfprime` or `extra_condition` propagate unchanged.
    """
    cdef Objective obj
    cdef Py_ssize_t n
    cdef double c1v, c2v, amax_v, f0, dphi0, alpha0
    cdef int maxit, fc0 = 0, status
    cdef double *pg
    xk = fast_point(xk, "xk")
    pk = fast_point(pk, "pk")
    n = cnp.PyArray_SIZE(<cnp.ndarray>xk)
    if pk.shape != xk.shape:
        raise ValueError(f"pk must have the shape of xk, {xk.shape}, got {pk.shape}")
    c1v, c2v = check_wolfe_params(c1, c2)
    if amax is None:
        amax_v = INFINITY
    else:
        amax_v = float(amax)
        if not amax_v > 0.0:
            raise ValueError(f"amax must be positive, got {amax!r}")
    maxiter = int(maxiter)
    if maxiter < 1:
        raise ValueError(f"maxiter must be at least 1, got {maxiter}")
    maxit = maxiter
    if myfprime is not None and not callable(myfprime):
        raise ValueError(f"myfprime must be callable or None, got {type(myfprime).__name__}")
    if myfprime is not None and isinstance(f, LowLevelCallable):
        raise ValueError("myfprime must be None with a LowLevelCallable f: the C function "
                         "computes the gradient")
    obj = make_objective(f, n, args, myfprime)
    cdef double *px = vec_data(xk, n)
    cdef double *pp = vec_data(pk, n)

    if gfk is None:
        gfk = np.empty(n)
        pg = vec_data(gfk, n)
        if old_fval is None:                    # f counted (as SciPy does), g not
            if obj.release_gil:
                with nogil:
                    f0 = fn_fg(&obj.c, px, pg)
            else:
                f0 = fn_fg(&obj.c, px, pg)
            old_fval = f0
            fc0 = 1
        elif obj.release_gil:
            with nogil:
                fn_g(&obj.c, px, pg)
        else:
            fn_g(&obj.c, px, pg)
        obj.check()
    else:
        if not (native_vector(gfk) and cnp.PyArray_NDIM(<cnp.ndarray>gfk) == 1):
            gfk = np.array(gfk, dtype=np.float64)
        if gfk.shape != (n,):
            raise ValueError(f"gfk must have shape ({n},), got {gfk.shape}")
        if old_fval is None:
            if obj.release_gil:
                with nogil:
                    f0 = obj_f(&obj.c, px)
            else:
                f0 = obj_f(&obj.c, px)
            obj.check()
            old_fval = f0
            fc0 = 1
        pg = vec_data(gfk, n)
    obj.c.nfev = 0
    obj.c.njev = 0
    f0 = float(old_fval)
    if not isfinite(f0):
        check_finite_value(f0, "f(xk)")
    if not all_finite(pg, n):
        check_finite_grad(gfk, "the gradient at xk")

    dphi0 = dot(<int>n, pg, pp)
    alpha0 = 1.0
    if old_old_fval is not None and dphi0 != 0.0:
        alpha0 = min(1.0, 1.01 * 2.0 * (f0 - float(old_old_fval)) / dphi0)
        if alpha0 < 0.0 or not isfinite(alpha0):
            alpha0 = 1.0
    if alpha0 == 0.0:               # old_old_fval == old_fval: SciPy's two warnings
        warnings.warn("Rounding errors prevent the line search from converging",
                      LineSearchWarning, stacklevel=1)
        warnings.warn(_NOT_CONVERGED, LineSearchWarning, stacklevel=1)
        return None, fc0, 0, f0, f0, None

    status, alpha, fnew, _slope, _xnew, gnew, anext = _run(obj, xk, pk, f0, dphi0, alpha0,
                                                           c1v, c2v, amax_v, maxit,
                                                           extra_condition)
    if status == 0:
        return alpha, fc0 + obj.c.nfev, obj.c.njev, fnew, f0, gnew
    if anext > 0.0:
        # every bracketing trial used, none bracketing: SciPy evaluates the next trial step
        # and returns it unchecked, with its f and no gradient, warning twice
        xn = xk + anext * pk
        fnew = _f_at(obj, xn)
        warnings.warn(_NOT_CONVERGED, LineSearchWarning, stacklevel=1)
        warnings.warn(_NOT_CONVERGED, LineSearchWarning, stacklevel=1)
        return anext, fc0 + obj.c.nfev, obj.c.njev, fnew, f0, None
    warnings.warn(_NOT_CONVERGED + (" (pk is not a descent direction: gfk . pk >= 0)"
                                    if status == FN_NOT_DESCENT else ""),
                  LineSearchWarning, stacklevel=1)
    return None, fc0 + obj.c.nfev, obj.c.njev, None, f0, None


_NOT_CONVERGED = "The line search algorithm did not converge"      # SciPy's text


def _f_at(Objective obj, x):
    """f(x) through the objective (counted), its exception re-raised."""
    cdef double *px = vec_data(x, obj.c.n)
    cdef double fx
    if obj.release_gil:
        with nogil:
            fx = obj_f(&obj.c, px)
    else:
        fx = obj_f(&obj.c, px)
    obj.check()
    return fx


cdef class _Extra:
    """A Python extra_condition(alpha, x, f, g) -> bool, called at strong-Wolfe points."""
    cdef Objective obj
    cdef object fn

    cdef int call(self, double alpha, const double *x, double f, const double *g) noexcept:
        # Runs with the GIL; an exception is stored on the objective and stops the search.
        cdef Py_ssize_t n = self.obj.c.n
        try:
            xa = np.asarray(<const double[:n]>x).copy()
            ga = np.asarray(<const double[:n]>g).copy()
            return 1 if self.fn(alpha, xa, f, ga) else 0
        except BaseException as e:
            self.obj.exc = e
            self.obj.c.error = 1
            return -1


cdef int _py_extra(double alpha, const double *x, double f, const double *g,
                   void *data) noexcept nogil:
    with gil:
        return (<_Extra>data).call(alpha, x, f, g)


def _run(Objective obj, x, p, double f0, double dphi0, double alpha0, double c1, double c2,
         double amax, int maxiter, extra_condition):
    """Run wolfe_search (without the GIL where that pays); returns
    (status, alpha, f, slope, x_new, g_new)."""
    cdef Py_ssize_t n = obj.c.n
    cdef double *px = vec_data(x, n)
    cdef double *pp = vec_data(p, n)
    xt = np.empty(n)
    gt = np.empty(n)
    cdef double *pxt = vec_data(xt, n)
    cdef double *pgt = vec_data(gt, n)
    cdef ls_params prm
    cdef ls_result res
    cdef int status
    cdef _Extra extra = None
    prm.c1 = c1
    prm.c2 = c2
    prm.amax = amax
    prm.maxiter = maxiter
    prm.f_noise = 0.0          # the public search keeps Armijo strict, as SciPy's does
    prm.extra = NULL
    prm.extra_data = NULL
    if extra_condition is not None:
        extra = _Extra()
        extra.obj = obj
        extra.fn = extra_condition
        prm.extra = &_py_extra
        prm.extra_data = <void *>extra
    if obj.release_gil:
        with nogil:
            status = wolfe_search(&obj.c, px, pp, f0, dphi0, alpha0, &prm, pxt, pgt, &res)
    else:   # a small Python objective: keeping the GIL saves a hand-over per evaluation
        status = wolfe_search(&obj.c, px, pp, f0, dphi0, alpha0, &prm, pxt, pgt, &res)
    obj.check()
    return (status, res.alpha, res.f, res.slope, xt, gt if res.grad_valid else None,
            res.next_alpha)
