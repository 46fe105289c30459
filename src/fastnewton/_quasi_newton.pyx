"""Quasi-Newton methods as engine plug-ins (nogil, allocation-free): BFGS, L-BFGS and SR1
learn the curvature from steps (Nocedal & Wright, *Numerical Optimization*, 2nd ed., ch. 6-7).

* BFGS: p_k = -H_k g_k with the inverse approximation H updated by (6.17)
      H+ = (I - rho s y^T) H (I - rho y s^T) + rho s s^T,   rho = 1 / y^T s,
  written as one symmetric rank-2 BLAS update H+ = H + s w^T + w s^T with u = H y and
  w = ((rho + rho^2 y^T u) / 2) s - rho u. H_0 = I, rescaled to (s^T y / y^T y) I before the
  first update (6.20).
* L-BFGS: the two-loop recursion (Alg. 7.4) over the last m pairs in ring buffers, with
  H_0 = gamma I, gamma = s^T y / y^T y of the newest pair: O(mn) per iteration. A pair is
  pushed at the head slot and kept only if it passes the curvature test below.
* SR1: B+ = B + v v^T / (v^T s), v = y - B s (6.24), skipped unless
  |s^T v| >= r ||s|| ||v|| (6.26). B may be indefinite, so the step solves
  (B + tau I) p = -g with the same modified Cholesky as Newton (_newton.modified_newton_step),
  which keeps p a descent direction (a line-search method rather than a trust region, so one
  engine serves all four methods). B may also be nearly singular, making p huge, so the
  engine caps the first trial step at ten times the length of the previous step (CAP_LAST).

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

When the engine restarts from steepest descent (rounding destroyed descent), the model
forgets: BFGS and SR1 return to I, L-BFGS drops its pairs. Matrices are C-ordered; LAPACK's
and BLAS's 'U' is their lower triangle, the one every update keeps.
"""
from libc.math cimport fabs, sqrt
from libc.float cimport DBL_EPSILON
from libc.string cimport memcpy, memset
from scipy.linalg.cython_blas cimport dsymv, dsyr2

from fastnewton._linalg cimport dot
from fastnewton._engine cimport CAP_NONE, CAP_LAST, method_table
from fastnewton._newton cimport modified_newton_step


cdef inline void _identity(int n, double *a, double d) noexcept nogil:
    cdef Py_ssize_t i, nn = n
    memset(a, 0, nn * nn * sizeof(double))
    for i in range(nn):
        a[i * nn + i] = d


cdef inline Py_ssize_t _doubles(size_t nbytes) noexcept nogil:
    return (nbytes + sizeof(double) - 1) // sizeof(double)


# ---- the layouts: one function per method carves its part of the workspace

cdef Py_ssize_t bfgs_carve(int n, const solve_opts *opt, double *base) noexcept nogil:
    """[bfgs_model][h: n*n][s][y][u: n each]; its size in doubles; with base, the struct
    placed there with its pointers set."""
    cdef Py_ssize_t nn = n, head = _doubles(sizeof(bfgs_model))
    cdef bfgs_model *m = <bfgs_model *>base
    if base != NULL:
        m.h = base + head
        m.s = m.h + nn * nn
        m.y = m.s + nn
        m.u = m.y + nn
    return head + nn * nn + 3 * nn


cdef Py_ssize_t sr1_carve(int n, const solve_opts *opt, double *base) noexcept nogil:
    """[sr1_model][b: n*n][s][y][v][diag: n each][fac: n*n]."""
    cdef Py_ssize_t nn = n, head = _doubles(sizeof(sr1_model))
    cdef sr1_model *m = <sr1_model *>base
    if base != NULL:
        m.b = base + head
        m.s = m.b + nn * nn
        m.y = m.s + nn
        m.v = m.y + nn
        m.diag = m.v + nn
        m.fac = m.diag + nn
    return head + 2 * nn * nn + 4 * nn


cdef Py_ssize_t lbfgs_carve(int n, const solve_opts *opt, double *base) noexcept nogil:
    """[lbfgs_model][S: m*n][Y: m*n][rho: m][alpha: m], m = opt.memory. The products are
    Py_ssize_t: m*n can pass 2^31."""
    cdef Py_ssize_t nn = n, mm = opt.memory, head = _doubles(sizeof(lbfgs_model))
    cdef lbfgs_model *m = <lbfgs_model *>base
    if base != NULL:
        m.S = base + head
        m.Y = m.S + mm * nn
        m.rho = m.Y + mm * nn
        m.alpha = m.rho + mm
        m.m = opt.memory
    return head + 2 * mm * nn + 2 * mm


# ---- the updates

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


cdef inline void _step_pair(fn_engine *e, double *s, double *y) noexcept nogil:
    """s = xt - x, y = gt - g: what the step taught."""
    cdef int i
    for i in range(e.n):
        s[i] = e.xt[i] - e.x[i]
        y[i] = e.gt[i] - e.g[i]


cdef inline void _scale_first(fn_engine *e, double *a, const double *s, const double *y,
                              bint inverse) noexcept nogil:
    """Before the first update: the identity scaled to the curvature just seen (N&W 6.20),
    s^T y / y^T y for an inverse model, its reciprocal for B."""
    cdef double sy = dot(e.n, s, y), yy
    if sy > 0.0:
        yy = dot(e.n, y, y)
        _identity(e.n, a, sy / yy if inverse else yy / sy)


# ---- BFGS

cdef inline bfgs_model *_bfgs(fn_engine *e) noexcept nogil:
    return <bfgs_model *>e.model


cdef bint _bfgs_start(fn_engine *e) noexcept nogil:
    cdef bfgs_model *m = _bfgs(e)
    if e.opt.h0 != NULL:
        memcpy(m.h, e.opt.h0, <Py_ssize_t>e.n * e.n * sizeof(double))   # the caller's model:
        return False                                                     # not rescaled
    _identity(e.n, m.h, 1.0)
    return True


cdef int _bfgs_direction(fn_engine *e) noexcept nogil:
    """p = -H g."""
    cdef bfgs_model *m = _bfgs(e)
    cdef double minus = -1.0, zero = 0.0
    cdef int inc = 1
    cdef char uplo = b'U'
    dsymv(&uplo, &e.n, &minus, m.h, &e.n, e.g, &inc, &zero, e.p, &inc)
    return 0


cdef void _bfgs_forget(fn_engine *e) noexcept nogil:
    _identity(e.n, _bfgs(e).h, 1.0)


cdef bint _bfgs_learn(fn_engine *e) noexcept nogil:
    cdef bfgs_model *m = _bfgs(e)
    _step_pair(e, m.s, m.y)
    if e.fresh:
        _scale_first(e, m.h, m.s, m.y, True)
    return bfgs_update(e.n, m.h, m.s, m.y, m.u, curvature_floor(e.n, m.s, e.g, e.gt))


# ---- SR1

cdef inline sr1_model *_sr1(fn_engine *e) noexcept nogil:
    return <sr1_model *>e.model


cdef bint _sr1_start(fn_engine *e) noexcept nogil:
    cdef sr1_model *m = _sr1(e)
    m.tau = 0.0
    _identity(e.n, m.b, 1.0)
    return True


cdef int _sr1_direction(fn_engine *e) noexcept nogil:
    """p = -(B + tau I)^{-1} g, factoring a copy of B (B itself is kept for updates)."""
    cdef sr1_model *m = _sr1(e)
    memcpy(m.fac, m.b, <Py_ssize_t>e.n * e.n * sizeof(double))
    return modified_newton_step(e.n, m.fac, m.diag, e.g, e.p, e.opt.chol_beta, &m.tau)


cdef void _sr1_forget(fn_engine *e) noexcept nogil:
    _identity(e.n, _sr1(e).b, 1.0)


cdef bint _sr1_learn(fn_engine *e) noexcept nogil:
    cdef sr1_model *m = _sr1(e)
    _step_pair(e, m.s, m.y)
    if e.fresh:
        _scale_first(e, m.b, m.s, m.y, False)
    return sr1_update(e.n, m.b, m.s, m.y, m.v, e.opt.sr1_r)


# ---- L-BFGS

cdef inline lbfgs_model *_lbfgs(fn_engine *e) noexcept nogil:
    return <lbfgs_model *>e.model


cdef bint _lbfgs_start(fn_engine *e) noexcept nogil:
    cdef lbfgs_model *m = _lbfgs(e)
    m.npairs = 0
    m.head = 0
    return True


cdef int _lbfgs_direction(fn_engine *e) noexcept nogil:
    cdef lbfgs_model *m = _lbfgs(e)
    lbfgs_direction(e.n, m.m, m.npairs, m.head, m.S, m.Y, m.rho, m.alpha, e.g, e.p)
    return 0


cdef void _lbfgs_forget(fn_engine *e) noexcept nogil:
    _lbfgs(e).npairs = 0


cdef bint _lbfgs_learn(fn_engine *e) noexcept nogil:
    """Push (s, y) into the head slot; keep it (advance the head) only if s^T y passes the
    curvature floor."""
    cdef lbfgs_model *m = _lbfgs(e)
    cdef int n = e.n, j = m.head
    cdef Py_ssize_t off = <Py_ssize_t>j * n
    cdef double sy
    _step_pair(e, m.S + off, m.Y + off)
    sy = dot(n, m.S + off, m.Y + off)
    if not (sy > 0.0 and sy > curvature_floor(n, m.S + off, e.g, e.gt)):
        return False
    m.rho[j] = 1.0 / sy
    m.head = (j + 1) % m.m
    if m.npairs < m.m:
        m.npairs += 1
    return True


# ---- the tables

cdef method_ops BFGS_OPS = method_table(bfgs_carve, _bfgs_start, NULL, _bfgs_direction,
                                        _bfgs_forget, _bfgs_learn, CAP_NONE)
cdef method_ops SR1_OPS = method_table(sr1_carve, _sr1_start, NULL, _sr1_direction,
                                       _sr1_forget, _sr1_learn, CAP_LAST)
cdef method_ops LBFGS_OPS = method_table(lbfgs_carve, _lbfgs_start, NULL, _lbfgs_direction,
                                         _lbfgs_forget, _lbfgs_learn, CAP_NONE)


cdef const method_ops *bfgs_ops() noexcept nogil:
    return &BFGS_OPS


cdef const method_ops *sr1_ops() noexcept nogil:
    return &SR1_OPS


cdef const method_ops *lbfgs_ops() noexcept nogil:
    return &LBFGS_OPS


# ---- the results (with the GIL): what minimize reports of the model

import numpy as np
cimport numpy as cnp

cnp.import_array()


cdef object _full_from_lower(const double *a, int n):
    """A new symmetric n x n array from the lower triangle of a."""
    cdef Py_ssize_t i, j, nn = n
    A = np.empty((n, n))
    cdef double *out = <double *>cnp.PyArray_DATA(A)
    with nogil:
        for i in range(nn):
            for j in range(i + 1):
                out[i * nn + j] = a[i * nn + j]
                out[j * nn + i] = a[i * nn + j]
    return A


cdef dict bfgs_result(fn_engine *e):
    """'hess_inv': the inverse Hessian approximation H."""
    return {"hess_inv": _full_from_lower(_bfgs(e).h, e.n)}


cdef dict sr1_result(fn_engine *e):
    """'hess': the Hessian approximation B."""
    return {"hess": _full_from_lower(_sr1(e).b, e.n)}


cdef dict lbfgs_result(fn_engine *e):
    """'pairs': (S, Y), the stored pairs as rows, oldest first."""
    cdef lbfgs_model *m = _lbfgs(e)
    cdef Py_ssize_t n = e.n, mm = m.m
    order = [(m.head - m.npairs + i) % m.m for i in range(m.npairs)]
    S = np.asarray(<double[:mm * n]>m.S).reshape(mm, n)[order]
    Y = np.asarray(<double[:mm * n]>m.Y).reshape(mm, n)[order]
    return {"pairs": (S, Y)}
