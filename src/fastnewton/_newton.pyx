"""Newton's method as an engine plug-in (nogil, allocation-free): the Hessian, exact or by
finite differences (dense, or banded with the band learnt and probed), and the step from its
modified Cholesky factorization.

Nocedal & Wright, *Numerical Optimization*, 2nd ed.: H_k exact, or finite differences of the
gradient (8.1-8.7; of values without one, (8.9)); factor H_k + tau_k I = L L^T by the modified
Cholesky of Alg. 3.3 (tau_k = 0 when H_k is positive definite) and solve
(H_k + tau_k I) p_k = -g_k: a descent direction, the pure Newton step near a minimizer, so
convergence is locally quadratic. The engine caps the first trial step (CAP_X: a nearly
singular but positive definite H gives an enormous p).

The Hessian is the engine's REQ_HESS: ``newton_evaluate`` serves it through the objective
(one request per Hessian, its gradients computed by the _fdiff kernels), or a caller that has
H hands it over with ``newton_take_hessian``; ``newton_direction`` then factors and solves.

Banded Hessians. The FD Hessian of a gradient is banded (Curtis, Powell & Reid, J. Inst. Maths
Applics 13, 1974: columns more than 2kd apart share a gradient, 2(2kd+1) gradients for
central differences) when the model's band is >= 0, else dense (2n). With opt.band ==
BAND_AUTO the band is learnt: the first Hessian is dense, and if its nonzeros lie within kd
of the diagonal, kd narrow enough to halve the gradients (4 kd + 2 < n), the next ones are
banded. A gradient difference is exactly zero where g_i does not depend on x_j, so the
pattern is structural, except for entries that vanish at x0 by accident (x0 = 0, say). So
each banded Hessian is checked by two more gradients (_band_probe). When a row disagrees,
this iteration's Hessian is taken dense after all: if it shows a wider band, the solve goes
on banded with that; if not, the probe's disagreement is not about the band (noise it cannot
judge), and the solve stays dense for good, as it does when the band grows too wide.
"""
from libc.math cimport fabs, fmax, isfinite
from libc.float cimport DBL_EPSILON
from libc.string cimport memcpy

from fastnewton._objective cimport (fn_objective, FD_CENTRAL, FN_NONFINITE, FN_USER_ERROR)
from fastnewton._fdiff cimport (fd_hessian_grad, fd_hessian_values, fd_hessian_band, fn_g,
                                default_rel_step)
from fastnewton._linalg cimport (modified_chol, chol_solve, all_finite, modified_band_chol,
                                 band_chol_solve)
from fastnewton._engine cimport BAND_AUTO, CAP_X, method_table

cdef Py_ssize_t MODEL_DOUBLES = (sizeof(newton_model) + sizeof(double) - 1) // sizeof(double)


cdef Py_ssize_t newton_carve(int n, const solve_opts *opt, double *base) noexcept nogil:
    """Newton's part of the workspace: the model struct, h (n*n; (4kd + 3) n for a given band
    kd >= 0, no n x n at all), fdw (4n). Returns its size in doubles; with base not NULL
    also places the struct there with its pointers set."""
    cdef Py_ssize_t nn = n, hsize
    cdef newton_model *m = <newton_model *>base
    hsize = (4 * <Py_ssize_t>opt.band + 3) * nn if opt.band >= 0 else nn * nn
    if base != NULL:
        m.h = base + MODEL_DOUBLES
        m.fdw = m.h + hsize
    return MODEL_DOUBLES + hsize + 4 * nn


cdef newton_band newton_band_parts(const newton_model *m, int n, int kd) noexcept nogil:
    """The band region of m.h for half-bandwidth kd (see newton_band in _newton.pxd)."""
    cdef newton_band b
    cdef Py_ssize_t nn = n
    b.ab = m.h
    b.cols = m.h + (kd + 1) * nn
    b.backup = m.h + (3 * <Py_ssize_t>kd + 2) * nn
    return b


cdef inline newton_model *_model(fn_engine *e) noexcept nogil:
    return <newton_model *>e.model


cdef bint _start(fn_engine *e) noexcept nogil:
    cdef newton_model *m = _model(e)
    m.nhev = 0
    m.tau = 0.0
    m.band = e.opt.band if e.opt.band >= 0 else -1
    m.hess_band = -1
    m.auto_state = AUTO_FIRST
    m.rng = 0x9E3779B97F4A7C15ULL
    return False                        # the model is evaluated, never learnt: never fresh


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


cdef int newton_evaluate(fn_objective *o, fn_engine *e) noexcept nogil:
    """REQ_HESS through the objective: the Hessian at e.x into the model (exact / FD, banded
    or dense as the model's band says, the band learnt under BAND_AUTO); 0 or FN_USER_ERROR."""
    cdef newton_model *m = _model(e)
    cdef const solve_opts *opt = &e.opt
    cdef int n = e.n, kd = m.band, ok, w
    cdef Py_ssize_t nn = n
    cdef newton_band b
    cdef bint reinspect = False
    cdef double *fdw = m.fdw
    m.nhev += 1
    if kd >= 0:
        b = newton_band_parts(m, n, kd)
        if fd_hessian_band(o, e.x, e.g, b.ab, kd, opt.fd_method, opt.fd_rel_step, fdw,
                           fdw + nn, fdw + 2 * nn, fdw + 3 * nn, b.cols) != 0:
            return FN_USER_ERROR
        if opt.band == BAND_AUTO:
            ok = _band_probe(o, e.x, b.ab, kd, opt.fd_rel_step if opt.fd_rel_step > 0.0
                             else default_rel_step(FD_CENTRAL, 1), fdw, &m.rng)
            if ok < 0:
                return FN_USER_ERROR
            if ok == 0:
                kd = -1                 # entries outside the band: take this one dense
                reinspect = True
        if kd >= 0:
            m.hess_band = kd
            return 0
    m.hess_band = -1
    if opt.hess != NULL:
        if opt.hess(n, e.x, m.h, opt.hess_data) != 0 or o.error:
            return FN_USER_ERROR
    elif o.value_grad != NULL:
        if fd_hessian_grad(o, e.x, e.g, m.h, opt.fd_method, opt.fd_rel_step,
                           fdw, fdw + n, fdw + 2 * n) != 0:
            return FN_USER_ERROR
        if opt.band == BAND_AUTO and m.auto_state != AUTO_DENSE:
            # m.band: -1 before the first Hessian, the band the probe doubted on a retake
            w = _bandwidth(n, m.h)
            if reinspect and w <= m.band:
                m.auto_state = AUTO_DENSE
            else:
                if w > m.band:
                    m.band = w
                m.auto_state = (AUTO_BANDED if 4 * <Py_ssize_t>m.band + 2 < n
                                else AUTO_DENSE)
            if m.auto_state == AUTO_DENSE:
                m.band = -1                         # from the next Hessian on
    else:
        if fd_hessian_values(o, e.x, e.f, m.h, opt.fd_rel_step, fdw) != 0:
            return FN_USER_ERROR
    return 0


cdef void newton_take_hessian(fn_engine *e, const double *h) noexcept nogil:
    """REQ_HESS from a caller that has the Hessian: the dense n x n h (C order, symmetric) is
    copied into the model (which must be dense: band -1)."""
    cdef newton_model *m = _model(e)
    cdef Py_ssize_t nn = e.n
    m.nhev += 1
    m.hess_band = -1
    memcpy(m.h, h, nn * nn * sizeof(double))


cdef int newton_direction(fn_engine *e) noexcept nogil:
    """p = -(H + tau I)^{-1} g from the Hessian in the model; 0 or FN_NONFINITE."""
    cdef newton_model *m = _model(e)
    cdef int n = e.n, i, kd = m.hess_band
    cdef Py_ssize_t nn = n
    cdef newton_band b
    if kd >= 0:
        b = newton_band_parts(m, n, kd)
        if not all_finite(b.ab, (kd + 1) * nn):
            return FN_NONFINITE
        if modified_band_chol(n, kd, b.ab, e.opt.chol_beta, b.backup, &m.tau) != 0:
            return FN_NONFINITE
        for i in range(n):
            e.p[i] = -e.g[i]
        band_chol_solve(n, kd, b.ab, e.p)
        return 0
    if not all_finite(m.h, nn * nn):
        return FN_NONFINITE
    # (h's upper triangle keeps H, fdw[:n] its diagonal)
    return modified_newton_step(n, m.h, m.fdw, e.g, e.p, e.opt.chol_beta, &m.tau)


cdef int modified_newton_step(int n, double *a, double *diag, const double *g, double *p,
                              double beta, double *tau) noexcept nogil:
    """p = -(A + tau I)^{-1} g: A + tau I = L L^T by the modified Cholesky (Alg. 3.3), in
    place in a (its upper triangle keeps A, diag its diagonal); 0 or FN_NONFINITE. SR1
    (_quasi_newton.pyx) steps the same way on its B."""
    cdef int i
    if modified_chol(b'U', n, a, beta, diag, tau) != 0:
        return FN_NONFINITE
    for i in range(n):
        p[i] = -g[i]
    chol_solve(b'U', n, a, p, 1)
    return 0


cdef method_ops OPS = method_table(newton_carve, _start, newton_evaluate, newton_direction,
                                   NULL, NULL, CAP_X)


cdef const method_ops *newton_ops() noexcept nogil:
    return &OPS


# ---- the result (with the GIL): what minimize reports of the model

import numpy as np
cimport numpy as cnp
from fastnewton._objective cimport FN_NONFINITE as _NONFINITE

cnp.import_array()


cdef object dense_from_band(const double *ab, int n, int kd):
    """The symmetric n x n matrix whose lower band is ab (row j: H[j + d, j], d = 0..kd)."""
    cdef Py_ssize_t j, d, nn = n, w = kd + 1
    H = np.zeros((n, n))
    cdef double *h = <double *>cnp.PyArray_DATA(H)
    with nogil:
        for j in range(nn):
            for d in range(w):
                if j + d < nn:
                    h[(j + d) * nn + j] = ab[j * w + d]
                    h[j * nn + j + d] = ab[j * w + d]
    return H


cdef dict newton_result(fn_engine *e):
    """nhev, and 'hess': the last Hessian evaluated (dense), or None (none evaluated, or not
    finite); under a band given by the caller, 'hess_band' instead: its (n, kd + 1) band (row
    j: H[j + d, j]), which minimize turns into a sparse matrix."""
    cdef newton_model *m = _model(e)
    cdef int n = e.n, kd = m.hess_band
    cdef Py_ssize_t nn = n, i, j
    cdef newton_band b
    cdef double *h
    out = {"nhev": m.nhev, "hess": None}
    if m.nhev == 0 or e.status == _NONFINITE:
        return out
    if kd >= 0:
        b = newton_band_parts(m, n, kd)        # the backup kept H
        if e.opt.band == BAND_AUTO:
            # the caller asked for no band: the dense array (a sparse matrix and its
            # toarray() cost more than a small solve)
            out["hess"] = dense_from_band(b.backup, n, kd)
        else:
            out["hess_band"] = np.asarray(<double[:nn * (kd + 1)]>b.backup).reshape(n, kd + 1).copy()
        return out
    # the strict upper triangle kept H, fdw[:n] its diagonal
    H = np.empty((n, n))
    h = <double *>cnp.PyArray_DATA(H)
    with nogil:
        for i in range(n):
            for j in range(i, n):
                h[i * nn + j] = m.h[i * nn + j]
                h[j * nn + i] = m.h[i * nn + j]
            h[i * nn + i] = m.fdw[i]
    out["hess"] = H
    return out
