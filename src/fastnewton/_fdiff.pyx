"""Finite-difference gradient, Hessian and Hessian-vector product kernels (nogil, no allocation).

Design
------
Step sizes (Nocedal & Wright, *Numerical Optimization*, 2nd ed., sec. 8.1; Gill, Murray &
Wright, *Practical Optimization*, sec. 8.6). With machine epsilon eps and a relative step r,
coordinate i moves by h_i = r * max(1, |x_i|), and h_i is then replaced by the exactly
representable (x_i + h_i) - x_i; central quotients divide by (x_i + h_i) - (x_i - h_i) as
computed, so every difference quotient divides by the step really taken.
Truncation error T and rounding error R (|f| ~ L, derivatives of order k bounded by M_k):

  scheme                          r (default)   T              R              total
  forward gradient  (n+1 f)       eps^(1/2)     h M2 / 2       2 eps L / h    O(eps^(1/2))
  central gradient  (2n f)        eps^(1/3)     h^2 M3 / 6     eps L / h      O(eps^(2/3))
  forward Hessian   (n g)         eps^(1/2)     h M3 / 2       2 eps G / h    O(eps^(1/2))
  central Hessian   (2n g)        eps^(1/3)     h^2 M4 / 6     eps G / h      O(eps^(2/3))
  Hessian, values   (2n^2 f)      eps^(1/4)     h^2 M4 / 3     eps L / h^2    O(eps^(1/2))

(G bounds the gradient.) The Hessian from the gradient fills column j from the change of the
gradient along e_j and is then symmetrized, H = (H + H^T) / 2, so it is exactly symmetric.
The Hessian from values uses the four-point formula
  H_ij = [f(x+h_i e_i+h_j e_j) - f(x+h_i e_i-h_j e_j) - f(x-h_i e_i+h_j e_j)
          + f(x-h_i e_i-h_j e_j)] / (4 h_i h_j)
and H_ii = [f(x+2h_i e_i) - 2 f(x) + f(x-2h_i e_i)] / (4 h_i^2), the same formula at i = j.
The Hessian-vector product moves along v with h = r * max(1, ||x||) / ||v||.

Every kernel stops as soon as the objective's error flag is set (a Python callable raised)
and returns FN_USER_ERROR; otherwise 0. Outputs are then partial and must be discarded.
Kernels perturb a caller-provided copy ``xw`` of x, restoring each entry exactly.
"""
from libc.math cimport fabs, sqrt, fmax
from libc.string cimport memcpy

from fastnewton._objective cimport (fn_objective, obj_f, obj_fg, obj_g, FD_FORWARD, FD_CENTRAL,
                                   FN_USER_ERROR, REQ_F, REQ_FG)
from fastnewton._linalg cimport dot

# eps^(1/2), eps^(1/3), eps^(1/4) for IEEE double, eps = 2**-52
cdef double EPS_1_2 = 1.4901161193847656e-08
cdef double EPS_1_3 = 6.055454452393343e-06
cdef double EPS_1_4 = 1.220703125e-04


cdef double default_rel_step(int method, int order) noexcept nogil:
    """order 1: first differences of f or g; order 2: second differences of f."""
    if order == 2:
        return EPS_1_4
    return EPS_1_2 if method == FD_FORWARD else EPS_1_3


cdef int fd_gradient(fn_objective *o, const double *x, double f0, double *g, int method,
                     double rel_step, double *xw) noexcept nogil:
    """g = grad f(x) from values; f0 = f(x) is used by the forward scheme. xw: n doubles."""
    cdef int i, n = o.n
    cdef double h, xi, fp, fm
    cdef double r = rel_step if rel_step > 0.0 else default_rel_step(method, 1)
    memcpy(xw, x, n * sizeof(double))
    for i in range(n):
        xi = x[i]
        h = _step(xi, r)
        xw[i] = xi + h
        fp = obj_f(o, xw)
        if o.error:
            return FN_USER_ERROR
        if method == FD_FORWARD:
            g[i] = (fp - f0) / h
        else:
            xw[i] = xi - h
            fm = obj_f(o, xw)
            if o.error:
                return FN_USER_ERROR
            g[i] = (fp - fm) / ((xi + h) - xw[i])
        xw[i] = xi
    return 0


cdef double fn_fg(fn_objective *o, const double *x, double *g) noexcept nogil:
    """f(x) and its gradient: from the objective, or by finite differences of values.
    Callers test o.error afterwards."""
    cdef double f
    if o.value_grad != NULL:
        return obj_fg(o, x, g)
    f = obj_f(o, x)
    if o.error:
        return f
    fd_gradient(o, x, f, g, o.fd_method, o.fd_rel_step, o.fd_work)
    return f


cdef void fn_g(fn_objective *o, const double *x, double *g) noexcept nogil:
    """The gradient alone, however the objective can give it most cheaply."""
    cdef double f
    if o.value_grad != NULL:
        obj_g(o, x, g)
    else:
        f = obj_f(o, x)
        if not o.error:
            fd_gradient(o, x, f, g, o.fd_method, o.fd_rel_step, o.fd_work)


cdef void fn_g_at(fn_objective *o, const double *x, double f, double *g) noexcept nogil:
    """The gradient at x where f = f(x) is already known: the objective's gradient alone when
    it has one, else finite differences reusing f. Callers test o.error afterwards."""
    if o.value_grad != NULL:
        obj_g(o, x, g)
    else:
        fd_gradient(o, x, f, g, o.fd_method, o.fd_rel_step, o.fd_work)


cdef double fn_serve(fn_objective *o, int req, const double *x, double f, double *g) noexcept nogil:
    """Serve one evaluation request of the ask/tell protocol through the objective: REQ_F (f
    at x, returned), REQ_FG (f returned, the gradient into g), REQ_G (the gradient into g at
    an x whose f is known and passed in; f returned unchanged). Callers test o.error
    afterwards. The one place the line search and the engine meet an objective."""
    if req == REQ_F:
        return obj_f(o, x)
    if req == REQ_FG:
        return fn_fg(o, x, g)
    fn_g_at(o, x, f, g)
    return f


cdef int fd_hessian_grad(fn_objective *o, const double *x, const double *g0, double *h,
                         int method, double rel_step, double *xw, double *gw1,
                         double *gw2) noexcept nogil:
    """h (n x n, symmetric) from gradients; g0 = grad f(x) for the forward scheme.
    xw, gw1, gw2: n doubles each (gw2 unused by the forward scheme)."""
    cdef int i, j, n = o.n
    cdef Py_ssize_t nn = n
    cdef double step, xj, inv, v
    cdef double r = rel_step if rel_step > 0.0 else default_rel_step(method, 1)
    memcpy(xw, x, n * sizeof(double))
    for j in range(n):
        xj = x[j]
        step = _step(xj, r)
        xw[j] = xj + step
        fn_g(o, xw, gw1)
        if o.error:
            return FN_USER_ERROR
        if method == FD_FORWARD:
            inv = 1.0 / step
            for i in range(n):
                h[j * nn + i] = (gw1[i] - g0[i]) * inv
        else:
            xw[j] = xj - step
            fn_g(o, xw, gw2)
            if o.error:
                return FN_USER_ERROR
            inv = 1.0 / ((xj + step) - xw[j])
            for i in range(n):
                h[j * nn + i] = (gw1[i] - gw2[i]) * inv
        xw[j] = xj
    _symmetrize(h, n)
    return 0


cdef void _symmetrize(double *h, int n) noexcept nogil:
    """H = (H + H^T) / 2 in place, the same number written to both halves; in square tiles
    so the transposed accesses stay in cache."""
    cdef Py_ssize_t nn = n, bi, bj, i, j, iend, jend
    cdef double v
    for bi in range(0, nn, 32):
        iend = bi + 32 if bi + 32 < nn else nn
        for bj in range(bi, nn, 32):
            jend = bj + 32 if bj + 32 < nn else nn
            for i in range(bi, iend):
                for j in range(bj if bj > i + 1 else i + 1, jend):
                    v = 0.5 * (h[i * nn + j] + h[j * nn + i])
                    h[i * nn + j] = v
                    h[j * nn + i] = v


cdef int fd_hessian_band(fn_objective *o, const double *x, const double *g0, double *ab,
                         int kd, int method, double rel_step, double *xw, double *gw1,
                         double *gw2, double *steps, double *cols) noexcept nogil:
    """A Hessian known to be banded (H_ij = 0 for |i - j| > kd) from 2 kd + 1 (forward) or
    2 (2 kd + 1) (central) gradients instead of n or 2n (Curtis, Powell & Reid 1974):
    columns j = c, c + 2kd+1, c + 2(2kd+1), ... share no row of the band, so one gradient
    difference along all of them at once yields each one's column. Written symmetrized into
    ab in LAPACK 'L' band storage (ab[j*(kd+1) + d] = H[j+d, j]). Workspaces: xw, gw1, gw2,
    steps (n each), cols ((2kd+1) n: cols[j*(2kd+1) + kd + i - j] = H[i, j] before symmetrizing).
    """
    cdef int n = o.n, c, j, i, ilo, ihi, d
    cdef Py_ssize_t w = kd + 1, wc = 2 * <Py_ssize_t>kd + 1
    cdef int ng = <int>wc if wc < n else n      # (2 kd + 1 in Py_ssize_t: kd may pass 2^30)
    cdef double r = rel_step if rel_step > 0.0 else default_rel_step(method, 1)
    cdef double denom
    memcpy(xw, x, n * sizeof(double))
    for c in range(ng):
        j = c
        while j < n:                    # the columns of group c: j = c (mod 2kd+1)
            steps[j] = _step(x[j], r)
            xw[j] = x[j] + steps[j]
            j += ng
        fn_g(o, xw, gw1)
        if o.error:
            return FN_USER_ERROR
        if method == FD_CENTRAL:
            j = c
            while j < n:
                xw[j] = x[j] - steps[j]
                j += ng
            fn_g(o, xw, gw2)
            if o.error:
                return FN_USER_ERROR
        j = c
        while j < n:
            if method == FD_CENTRAL:
                denom = (x[j] + steps[j]) - xw[j]
            else:
                denom = steps[j]
            ilo = j - kd if j - kd > 0 else 0
            ihi = j + kd if j + kd < n - 1 else n - 1
            for i in range(ilo, ihi + 1):
                cols[j * wc + kd + i - j] = (gw1[i] - (gw2[i] if method == FD_CENTRAL
                                                        else g0[i])) / denom
            xw[j] = x[j]
            j += ng
    # symmetrize into the band: H[j+d, j] <- (H[j+d, j] + H[j, j+d]) / 2
    for j in range(n):
        for d in range(kd + 1):
            if j + d < n:
                ab[j * w + d] = 0.5 * (cols[j * wc + kd + d] + cols[(j + d) * wc + kd - d])
            else:
                ab[j * w + d] = 0.0     # past the matrix: unused by LAPACK, but kept defined
    return 0


cdef int fd_hessian_values(fn_objective *o, const double *x, double f0, double *h,
                           double rel_step, double *xw) noexcept nogil:
    """h (n x n, symmetric) from values only by the four-point formula; f0 = f(x)."""
    cdef int i, j, n = o.n
    cdef Py_ssize_t nn = n
    cdef double hi, hj, xi, xj, fpp, fpm, fmp, fmm, v
    cdef double r = rel_step if rel_step > 0.0 else default_rel_step(FD_CENTRAL, 2)
    memcpy(xw, x, n * sizeof(double))
    for i in range(n):
        xi = x[i]
        hi = _step(xi, r)
        # diagonal: step 2 h_i on each side
        xw[i] = xi + 2.0 * hi
        fpp = obj_f(o, xw)
        xw[i] = xi - 2.0 * hi
        fmm = obj_f(o, xw)
        xw[i] = xi
        if o.error:
            return FN_USER_ERROR
        h[i * nn + i] = ((fpp - f0) + (fmm - f0)) / (4.0 * hi * hi)
        for j in range(i + 1, n):
            xj = x[j]
            hj = _step(xj, r)
            xw[i] = xi + hi
            xw[j] = xj + hj
            fpp = obj_f(o, xw)
            xw[j] = xj - hj
            fpm = obj_f(o, xw)
            xw[i] = xi - hi
            fmm = obj_f(o, xw)
            xw[j] = xj + hj
            fmp = obj_f(o, xw)
            xw[i] = xi
            xw[j] = xj
            if o.error:
                return FN_USER_ERROR
            v = ((fpp - fpm) - (fmp - fmm)) / (4.0 * hi * hj)
            h[i * nn + j] = v
            h[j * nn + i] = v
    return 0


cdef int fd_hessp(fn_objective *o, const double *x, const double *g0, const double *v,
                  double *out, int method, double rel_step, double *xw, double *gw) noexcept nogil:
    """out = H(x) v from one (forward, needs g0) or two (central) gradients. xw, gw: n doubles."""
    cdef int i, n = o.n
    cdef double vnorm = sqrt(dot(n, v, v)), xnorm = dot(n, x, x), step, inv
    cdef double r = rel_step if rel_step > 0.0 else default_rel_step(method, 1)
    if vnorm == 0.0:
        for i in range(n):
            out[i] = 0.0
        return 0
    step = r * fmax(1.0, sqrt(xnorm)) / vnorm
    for i in range(n):
        xw[i] = x[i] + step * v[i]
    fn_g(o, xw, out)
    if o.error:
        return FN_USER_ERROR
    if method == FD_FORWARD:
        inv = 1.0 / step
        for i in range(n):
            out[i] = (out[i] - g0[i]) * inv
    else:
        for i in range(n):
            xw[i] = x[i] - step * v[i]
        fn_g(o, xw, gw)
        if o.error:
            return FN_USER_ERROR
        inv = 0.5 / step
        for i in range(n):
            out[i] = (out[i] - gw[i]) * inv
    return 0


# ---------------------------------------------------------------------------------------------
# Python entry points: the public gradient and hessian (fastnewton.gradient, .hessian),
# compiled so that their checks and set-up cost C calls, and helpers for the other modules and
# the tests. Each allocates its output and workspaces once, runs the kernel without the GIL
# where that pays, then re-raises a user error.

import numpy as np
cimport numpy as cnp
from libc.math cimport isfinite
from fastnewton._objective cimport Objective, vec_data, fast_point
from fastnewton._objective import make_objective
from fastnewton._validate import (check_finite_grad, check_finite_value, fd_method,
                                  rel_step_value)
from fastnewton._linalg cimport all_finite

cnp.import_array()


def gradient(fun, x, args=(), method="central", rel_step=None):
    """Gradient of a scalar function by finite differences, computed in a compiled kernel.

    Parameters
    ----------
    fun : callable or scipy.LowLevelCallable
        ``fun(x, *args) -> float``, or a LowLevelCallable with signature
        ``double (int, double *, double *, void *)`` or ``double (int, double *, void *)``
        (``const double *`` for x is accepted too; a gradient argument is passed NULL: the
        derivative is approximated from values). A C objective runs without the GIL.
    x : array_like, shape (n,)
        Point of evaluation. Converted to float64; never modified.
    args : tuple, optional
        Extra arguments passed to `fun`.
    method : {'central', 'forward'}, optional
        Central differences (2n evaluations, error O(eps^(2/3))) or forward differences
        (n + 1 evaluations, error O(eps^(1/2))). '3-point' and '2-point' are synonyms.
    rel_step : float, optional
        Relative step r: coordinate i moves by ``r * max(1, |x_i|)``, rounded so the step
        is exactly representable. Default: eps^(1/3) central, eps^(1/2) forward.

    Returns
    -------
    g : ndarray, shape (n,)

    Raises
    ------
    ValueError
        For an x that is not a finite real 1-D array, f(x) not finite, a bad method or
        rel_step. Any exception raised by `fun` propagates unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnewton import gradient
    >>> np.round(gradient(lambda x: x @ x, [1.0, 2.0]), 6)
    array([2., 4.])
    """
    cdef Objective obj
    cdef Py_ssize_t n
    cdef double f0, r
    cdef int m
    x = fast_point(x, "x")
    m = fd_method(method)
    r = rel_step_value(rel_step)
    n = cnp.PyArray_SIZE(<cnp.ndarray>x)
    obj = make_objective(fun, n, args)
    cdef double *px = vec_data(x, n)
    g = np.empty(n)
    xw = np.empty(n)
    cdef double *pg = vec_data(g, n)
    cdef double *pw = vec_data(xw, n)
    if obj.release_gil:
        with nogil:
            f0 = obj_f(&obj.c, px)
            if isfinite(f0):
                fd_gradient(&obj.c, px, f0, pg, m, r, pw)
    else:
        f0 = obj_f(&obj.c, px)
        if isfinite(f0):
            fd_gradient(&obj.c, px, f0, pg, m, r, pw)
    obj.check()
    if not isfinite(f0):
        check_finite_value(f0, "f(x)")
    return g


def hessian(fun, x, args=(), jac=None, method="central", rel_step=None, sparsity=None):
    """Hessian of a scalar function by finite differences, computed in a compiled kernel.

    With a gradient (``jac`` callable or True, or a LowLevelCallable that computes one) the
    Hessian comes from differences of gradients: n (forward) or 2n (central) gradient
    evaluations. Without one it comes from values by the four-point formula (2n^2 values,
    step eps^(1/4); `method` is then not used). Either way the result is exactly symmetric.

    With a `sparsity` pattern (and a gradient) the columns are grouped by a star colouring
    (`hessian_groups`) and each group costs one (forward) or two (central) gradients instead
    of one or two per column; the result is a ``scipy.sparse.csr_matrix`` holding the
    pattern's symmetric closure and the diagonal, exactly symmetric.

    Parameters
    ----------
    fun : callable or scipy.LowLevelCallable
        ``fun(x, *args) -> float`` (or ``-> (float, gradient)`` with ``jac=True``).
    x : array_like, shape (n,)
        Point of evaluation; converted to float64, never modified.
    args : tuple, optional
        Extra arguments passed to `fun` and `jac`.
    jac : callable, True or None, optional
        ``jac(x, *args) -> ndarray (n,)``; True if `fun` returns ``(f, g)``.
    method : {'central', 'forward'}, optional
        Scheme for the differences of gradients ('3-point', '2-point' are synonyms).
    rel_step : float, optional
        Relative step; default eps^(1/3) central, eps^(1/2) forward, eps^(1/4) from values.
    sparsity : scipy.sparse matrix or array, or array_like, shape (n, n), optional
        The Hessian's sparsity pattern (a sparse matrix's stored entries, a dense array's
        nonzero entries); its symmetric closure is used, and the diagonal always. Needs a
        gradient (`jac`, or a LowLevelCallable that computes one).

    Returns
    -------
    H : ndarray, shape (n, n), or scipy.sparse.csr_matrix with `sparsity`

    Raises
    ------
    ValueError
        For a bad x, a gradient of the wrong shape, f(x) or the gradient at x not finite, a
        bad method or rel_step, an unsupported LowLevelCallable signature, or a `sparsity`
        that is not an n x n matrix or comes without a gradient. Any exception
        raised by `fun` or `jac` propagates unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnewton import hessian
    >>> H = hessian(lambda x: x[0]**2 * x[1], [1.0, 2.0], jac=lambda x: np.array([2*x[0]*x[1], x[0]**2]))
    >>> np.round(H, 6)
    array([[4., 2.],
           [2., 0.]])
    """
    cdef Objective obj
    cdef Py_ssize_t n
    cdef double f0, r
    cdef int m, ok
    x = fast_point(x, "x")
    m = fd_method(method)
    r = rel_step_value(rel_step)
    n = cnp.PyArray_SIZE(<cnp.ndarray>x)
    obj = make_objective(fun, n, args, jac)
    if sparsity is not None:
        if not obj.has_grad:
            raise ValueError("sparsity needs a gradient: pass jac (a callable, or True with "
                             "fun returning (f, g)), or a LowLevelCallable computing one")
        from fastnewton._colouring import _hessian_sparse
        return _hessian_sparse(obj, x, sparsity, m, r)
    cdef double *px = vec_data(x, n)
    h = np.empty((n, n))
    work = np.empty(4 * n if obj.has_grad else n)
    cdef double *ph = <double *>cnp.PyArray_DATA(<cnp.ndarray>h)
    cdef double *pw = vec_data(work, work.shape[0])
    if obj.has_grad:
        # f and g at x first (work[3n:] holds g): both must be finite to go on
        if obj.release_gil:
            with nogil:
                ok = _hessian_checked(&obj.c, px, ph, m, r, pw, &f0)
        else:
            ok = _hessian_checked(&obj.c, px, ph, m, r, pw, &f0)
        obj.check()
        if not isfinite(f0):
            check_finite_value(f0, "f(x)")
        if not ok:
            check_finite_grad(work[3 * n:], "the gradient at x")
        return h
    if obj.release_gil:
        with nogil:
            f0 = obj_f(&obj.c, px)
            if isfinite(f0):
                fd_hessian_values(&obj.c, px, f0, ph, r, pw)
    else:
        f0 = obj_f(&obj.c, px)
        if isfinite(f0):
            fd_hessian_values(&obj.c, px, f0, ph, r, pw)
    obj.check()
    if not isfinite(f0):
        check_finite_value(f0, "f(x)")
    return h


cdef int _hessian_checked(fn_objective *o, const double *x, double *h, int m, double r,
                          double *w, double *f0) noexcept nogil:
    """f0 = f(x) and g = w[3n:4n] = grad f(x); if both are finite, h = the FD Hessian of
    the gradient (w[:3n] its workspace) and 1; else 0, with nothing more evaluated."""
    cdef Py_ssize_t n = o.n
    f0[0] = fn_fg(o, x, w + 3 * n)
    if o.error or not isfinite(f0[0]) or not all_finite(w + 3 * n, n):
        return 0
    fd_hessian_grad(o, x, w + 3 * n, h, m, r, w, w + n, w + 2 * n)
    return 1


def _fg0(Objective o, x, g):
    cdef double *px = vec_data(x, o.c.n)
    cdef double *pg = vec_data(g, o.c.n)
    cdef double f
    with nogil:
        f = fn_fg(&o.c, px, pg)
    o.check()
    return f
