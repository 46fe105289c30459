"""Iteration loops (nogil, allocation-free): Newton's method with a modified Cholesky step.

Design
------
Relaxed Newton (Nocedal & Wright, *Numerical Optimization*, 2nd ed., ch. 3.4): at x_k with
gradient g_k and Hessian H_k (exact, or finite differences of the gradient, or of values when
there is no gradient), factor H_k + tau_k I = L L^T by the modified Cholesky of Alg. 3.3
(tau_k = 0 when H_k is positive definite), solve for p_k = -(H_k + tau_k I)^{-1} g_k, a descent
direction, and take x_{k+1} = x_k + alpha_k p_k with alpha_k from the strong-Wolfe line search
started at alpha = 1, so the pure Newton step is taken near a minimizer and convergence is
locally quadratic.

Stopping: max|g| <= gtol (status 0); maxiter iterations (1); the line search fails along both
the Newton direction and, as a fallback, steepest descent (2); a non-finite Hessian (3); the
iteration hook asks to stop (4); a step that changes x by at most xtol relative (5). Every
stop leaves the best point found in x (the iterates decrease f monotonically) with its f and g.

Memory: the caller allocates everything once (x, g: n; h: n*n; work: 6n); nothing is
allocated inside the loop. h is C-ordered; LAPACK's 'U' is its lower triangle.
"""
from libc.math cimport fabs, fmax, isfinite, NAN
from libc.string cimport memcpy

from fastnewton.fastnewton_h cimport (FN_CONVERGED, FN_MAXITER, FN_LINESEARCH_FAILED,
                                      FN_NONFINITE, FN_CALLBACK_STOP, FN_CONVERGED_STEP,
                                      FN_USER_ERROR, FN_NOT_DESCENT)
from fastnewton._objective cimport fn_objective, obj_f, FD_CENTRAL
from fastnewton._fdiff cimport fn_fg, fd_hessian_grad, fd_hessian_values
from fastnewton._linalg cimport modified_chol, chol_solve, all_finite
from fastnewton._linesearch cimport ls_params, ls_result, wolfe_search


cdef inline double _amax(int n, const double *v) noexcept nogil:
    cdef int i
    cdef double m = 0.0
    for i in range(n):
        if fabs(v[i]) > m:
            m = fabs(v[i])
    return m


cdef inline double _dot(int n, const double *a, const double *b) noexcept nogil:
    cdef int i
    cdef double s = 0.0
    for i in range(n):
        s += a[i] * b[i]
    return s


cdef inline bint _step_vanished(int n, const double *xold, const double *xnew,
                                double xtol) noexcept nogil:
    cdef int i
    for i in range(n):
        if fabs(xnew[i] - xold[i]) > xtol * fmax(1.0, fabs(xold[i])):
            return False
    return True


cdef int _hessian(fn_objective *o, const double *x, double f, const double *g, double *h,
                  double *work, const solve_opts *opt) noexcept nogil:
    """h = Hessian at x: exact, FD of gradients, or FD of values. work: 3n doubles."""
    cdef int n = o.n
    if opt.hess != NULL:
        if opt.hess(n, x, h, opt.hess_data) != 0 or o.error:
            return FN_USER_ERROR
    elif o.value_grad != NULL:
        if fd_hessian_grad(o, x, g, h, opt.fd_method, opt.fd_rel_step,
                           work, work + n, work + 2 * n) != 0:
            return FN_USER_ERROR
    else:
        if fd_hessian_values(o, x, f, h, opt.fd_rel_step, work) != 0:
            return FN_USER_ERROR
    if not all_finite(h, <Py_ssize_t>n * n):
        return FN_NONFINITE
    return 0


cdef int newton_solve(fn_objective *o, double *x, double *g, double *h, double *work,
                      const solve_opts *opt, solve_out *out) noexcept nogil:
    """Minimize from x (changed in place). On entry g holds the gradient at x and out.f the
    value (both finite, checked by the caller). work: 6n doubles."""
    cdef int n = o.n, i, status
    cdef bint vanished
    cdef double *p = work            # search direction
    cdef double *xt = work + n       # line-search trial point / next iterate
    cdef double *gt = work + 2 * n   # gradient there
    cdef double *fdw = work + 3 * n  # 3n: finite-difference workspace, then diag backup
    cdef double f = out.f, dphi0, tau
    cdef int one = 1
    cdef ls_result res
    out.nit = 0
    out.nhev = 0
    out.tau = 0.0
    while True:
        if _amax(n, g) <= opt.gtol:
            status = FN_CONVERGED
            break
        if out.nit >= opt.maxiter:
            status = FN_MAXITER
            break
        status = _hessian(o, x, f, g, h, fdw, opt)
        out.nhev += 1
        if status != 0:
            break
        # h + tau I = L L^T                    (h changed in place; its upper triangle keeps H)
        if modified_chol(b'U', n, h, opt.chol_beta, fdw, &tau) != 0:
            status = FN_NONFINITE
            break
        out.tau = tau
        # p = -(H + tau I)^{-1} g
        for i in range(n):
            p[i] = -g[i]
        chol_solve(b'U', n, h, p, 1)
        dphi0 = _dot(n, g, p)
        if not (dphi0 < 0.0 and isfinite(dphi0)):
            # rounding destroyed descent: fall back to steepest descent
            for i in range(n):
                p[i] = -g[i]
            dphi0 = _dot(n, g, p)
        status = wolfe_search(o, x, p, f, dphi0, 1.0, &opt.ls, xt, gt, &res)
        if status == FN_LINESEARCH_FAILED and res.alpha == 0.0:
            # no decrease along the Newton direction at all: try steepest descent, scaled so
            # its first trial step has the Newton step's length
            tau = 0.0
            for i in range(n):
                tau += p[i] * p[i]
            tau = (tau / _dot(n, g, g)) ** 0.5
            for i in range(n):
                p[i] = -tau * g[i]
            status = wolfe_search(o, x, p, f, _dot(n, g, p), 1.0, &opt.ls, xt, gt, &res)
        if status == FN_USER_ERROR:
            break
        if status != 0 and not (res.alpha > 0.0 and res.grad_valid):
            status = FN_LINESEARCH_FAILED   # (not-descent included): x is the best point
            break
        # accept: x <- x + alpha p (or the best point a failed search found)
        out.nit += 1
        vanished = _step_vanished(n, x, xt, opt.xtol)
        memcpy(x, xt, n * sizeof(double))
        memcpy(g, gt, n * sizeof(double))
        f = res.f
        if opt.hook != NULL:
            i = opt.hook(out.nit, x, f, g, opt.hook_data)
            if i != 0:
                status = FN_CALLBACK_STOP if i > 0 else FN_USER_ERROR
                break
        if vanished:
            status = FN_CONVERGED if _amax(n, g) <= opt.gtol else FN_CONVERGED_STEP
            break
    out.f = f
    out.status = status
    return status


# ---------------------------------------------------------------------------------------------
# Python entry points for fastnewton/_minimize.py (which validates and builds the result).

import numpy as np
from fastnewton._objective cimport Objective


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
            hv = np.ascontiguousarray(ha)
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
    """hook(nit, x, f, g) -> truthy to stop; StopIteration also stops (status 4)."""
    cdef Objective obj
    cdef object fn

    cdef int call(self, int nit, const double *x, double f, const double *g) noexcept:
        cdef Py_ssize_t n = self.obj.c.n
        try:
            xa = np.asarray(<const double[:n]>x).copy()
            ga = np.asarray(<const double[:n]>g).copy()
            return 1 if self.fn(nit, xa, f, ga) else 0
        except StopIteration:
            return 1
        except BaseException as e:
            self.obj.exc = e
            self.obj.c.error = 1
            return -1


cdef int _py_hook(int nit, const double *x, double f, const double *g, void *data) noexcept nogil:
    with gil:
        return (<_PyHook>data).call(nit, x, f, g)


cdef int _fill_opts(solve_opts *opt, Objective obj, dict o, hess, hook, list keep) except -1:
    cdef _PyHessian ph
    cdef _PyHook pk
    opt.maxiter = o["maxiter"]
    opt.gtol = o["gtol"]
    opt.xtol = o["xtol"]
    opt.fd_method = o["fd_code"]
    opt.fd_rel_step = o["rel_step"]
    opt.chol_beta = o["chol_beta"]
    opt.ls.c1 = o["c1"]
    opt.ls.c2 = o["c2"]
    opt.ls.amax = o["amax"]
    opt.ls.maxiter = o["ls_maxiter"]
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


def _newton(Objective obj, double[::1] x, double[::1] g, double f0, dict options, hess, hook):
    """Run newton_solve without the GIL. x, g: in/out. Returns (status, nit, nhev, f, H)
    where H is the last Hessian evaluated (None if none was)."""
    cdef Py_ssize_t n = x.shape[0]
    cdef double[:, ::1] h = np.empty((n, n))
    cdef double[::1] work = np.empty(6 * n)
    cdef solve_opts opt
    cdef solve_out out
    cdef list keep = []
    cdef Py_ssize_t i, j
    _fill_opts(&opt, obj, options, hess, hook, keep)
    out.f = f0
    with nogil:
        newton_solve(&obj.c, &x[0], &g[0], &h[0, 0], &work[0], &opt, &out)
    obj.check()
    hess_out = None
    if out.nhev > 0 and out.status != FN_NONFINITE:
        # the strict upper triangle kept H; the diagonal backup is work[3n:4n]
        H = np.asarray(h)
        hess_out = np.triu(H, 1)
        hess_out += hess_out.T
        hess_out[np.diag_indices(n)] = np.asarray(work[3 * n:4 * n])
    return out.status, out.nit, out.nhev, out.f, hess_out
