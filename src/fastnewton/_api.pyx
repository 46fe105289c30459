"""The Python faces of the kernels: option filling, the direct driver's set-up and result,
the ask/tell class, the public ``line_search``, and the trampolines that put Python callables
behind the kernels' C function pointers.

One trampoline pattern serves every Python callback (a Hessian, Newton-CG's Hessian-vector
products, the iteration hook, the line search's extra condition): a ``_Callback`` subclass holds the Objective and the callable and
has a ``call`` method run with the GIL; a C function with the kernel's signature takes the GIL
and calls it. An exception is stored on the Objective with its error flag up (the kernel then
stops with FN_USER_ERROR) and ``Objective.check`` re-raises it, unchanged, once the kernel has
returned. The kernels themselves (_engine, _linesearch, _newton, _quasi_newton) hold no
Python.
"""
import os
import warnings

import numpy as np
cimport numpy as cnp
from libc.math cimport isfinite, INFINITY
from libc.string cimport memcmp, memcpy
from cpython.pycapsule cimport PyCapsule_GetContext, PyCapsule_GetName, PyCapsule_GetPointer
from scipy import LowLevelCallable
from scipy.sparse import issparse
from scipy.sparse.linalg import LinearOperator

from fastnewton._objective cimport (Objective, vec_data, fast_point, native_vector, obj_f,
                                   real_array, real_value,
                                   fn_objective, FD_CENTRAL, FN_NOT_DESCENT, FN_CALLBACK_STOP,
                                   FN_USER_ERROR, REQ_DONE, REQ_HESS, REQ_ITER, REQ_F, REQ_FG,
                                   REQ_G)
from fastnewton._objective import make_objective
from fastnewton._fdiff cimport fn_fg, fn_g
from fastnewton._linalg cimport all_finite, dot
from fastnewton._linesearch cimport ls_params, ls_result, wolfe_search, ls_separate
from fastnewton._engine cimport (fn_engine, solve_opts, engine_carve, engine_start,
                                 engine_tell, engine_run, BAND_AUTO)
from fastnewton._methods cimport method_entry, method_entry_for
from fastnewton._methods import METHODS
from fastnewton._newton cimport newton_take_hessian
from fastnewton._sparse_newton cimport SparseNewtonPlan
from fastnewton._newton_cg cimport FORCING_EW1, FORCING_EW2, FORCING_SQRT
from fastnewton.fastnewton_h cimport fn_hessp
from fastnewton._quasi_newton cimport lbfgs_direction
from fastnewton._blas_threads cimport blas_limit, blas_limit_enter, blas_limit_leave
from fastnewton._validate import (C_INT_MAX, check_finite_grad, check_finite_value, integer,
                                 real_number, wolfe_params)

try:  # SciPy's own class, so filters users already have for SciPy's search apply
    from scipy.optimize._linesearch import LineSearchWarning
except ImportError:  # pragma: no cover - private location moved
    class LineSearchWarning(RuntimeWarning):
        pass

cnp.import_array()

BAND_AUTO_CODE = BAND_AUTO      # options["band"]: learn the Hessian's band (Python's name)
# Newton-CG's options["forcing"]: the names minimize accepts and the kernel's codes
FORCING_CODES = {"ew1": FORCING_EW1, "ew2": FORCING_EW2, "sqrt": FORCING_SQRT}
# the signatures a LowLevelCallable hessp may have (csrc/fastnewton.h's fn_hessp)
HESSP_SIGNATURES = ("int (int, const double *, const double *, double *, void *)",
                    "int (int, double *, double *, double *, void *)")


def hessp_signature(llc):
    """The normalized signature of a LowLevelCallable hessp, or ValueError naming hessp."""
    sig = " ".join(llc.signature.split())
    if sig not in HESSP_SIGNATURES:
        raise ValueError(f"hessp: unsupported LowLevelCallable signature {sig!r}; accepted "
                         "signatures are: " + "; ".join(HESSP_SIGNATURES))
    return sig


# ---------------------------------------------------------------------------------------------
# The trampolines

cdef class _Callback:
    """A Python callable behind a C function pointer (see the module docstring)."""
    cdef Objective obj
    cdef object fn

    cdef object vec(self, const double *v):
        """A copy of the n doubles at v, for the callable (which may keep it)."""
        cdef Py_ssize_t n = self.obj.c.n
        return np.asarray(<const double[:n]>v).copy()

    cdef int failed(self, BaseException e) noexcept:
        """Record the exception for Objective.check; returns the status the kernel gets."""
        self.obj.exc = e
        self.obj.c.error = 1
        return FN_USER_ERROR


cdef class _Hessian(_Callback):
    """hess(x, *args) -> (n, n) array-like, behind the fn_hessian ABI."""

    cdef int call(self, const double *x, double *h) noexcept:
        cdef Py_ssize_t n = self.obj.c.n
        cdef double[:, ::1] hv
        cdef object ha
        try:
            ha = real_array(self.fn(self.vec(x), *self.obj.args), "hess")
            if ha.shape != (n, n):
                raise ValueError(f"hess: the Hessian must have shape ({n}, {n}), "
                                 f"got {ha.shape}")
            hv = np.ascontiguousarray(0.5 * (ha + ha.T))   # both triangles count
            memcpy(h, &hv[0, 0], n * n * sizeof(double))
            return 0
        except BaseException as e:
            return self.failed(e)


cdef int _hessian_c(int n, const double *x, double *h, void *data) noexcept nogil:
    with gil:
        return (<_Hessian>data).call(x, h)


cdef class _HessProduct(_Callback):
    """Newton-CG's products behind the fn_hessp ABI: hessp(x, v, *args) -> H v, or, from a
    hess(x, *args) returning an (n, n) ndarray, np.matrix, scipy.sparse matrix or
    LinearOperator, H evaluated once per iterate and multiplied (never densified). x is
    handed over as one copy per iterate, made again whenever the kernel's x differs from it
    (a callable that changes its x gets a fresh one); v as a fresh copy per product."""
    cdef object xa                      # the copy of x the callable sees
    cdef object H                       # from_hess: the Hessian at xa
    cdef bint from_hess
    cdef str name                       # 'hessp' or 'hess', for messages
    cdef public Py_ssize_t nhess        # from_hess: Hessians evaluated

    cdef object _matrix(self, h):
        """hess's value as something that multiplies a vector, checked."""
        cdef Py_ssize_t n = self.obj.c.n
        cdef object a
        if issparse(h) or isinstance(h, LinearOperator):
            if h.shape != (n, n):
                raise ValueError(f"hess: the Hessian must have shape ({n}, {n}), "
                                 f"got {h.shape}")
            if np.dtype(h.dtype).kind not in "iuf":
                raise TypeError(f"hess must return real numbers, got a "
                                f"{type(h).__name__} of dtype {h.dtype}")
            return h
        a = real_array(h, "hess")
        if a.shape != (n, n):
            raise ValueError(f"hess: the Hessian must have shape ({n}, {n}), got {a.shape}")
        return a

    cdef int call(self, const double *x, const double *v, double *out) noexcept:
        cdef Py_ssize_t n = self.obj.c.n
        cdef cnp.ndarray hv
        try:
            if (self.xa is None
                    or memcmp(x, cnp.PyArray_DATA(<cnp.ndarray>self.xa), n * sizeof(double))):
                xa = self.vec(x)
                if self.from_hess:
                    self.nhess += 1
                    self.H = self._matrix(self.fn(xa, *self.obj.args))
                self.xa = xa
            va = self.vec(v)
            if self.from_hess:
                p = self.H.matvec(va) if isinstance(self.H, LinearOperator) else self.H @ va
            else:
                p = self.fn(self.xa, va, *self.obj.args)
            hv = real_array(p, self.name)
            if cnp.PyArray_SIZE(hv) != n or hv.ndim > 2:
                raise ValueError(f"{self.name}: the product H p must have shape ({n},), "
                                 f"got {np.shape(p)}")
            memcpy(out, cnp.PyArray_DATA(hv), n * sizeof(double))
            return 0
        except BaseException as e:
            return self.failed(e)


cdef int _hessp_c(int n, const double *x, const double *v, double *hv,
                  void *data) noexcept nogil:
    with gil:
        return (<_HessProduct>data).call(x, v, hv)


cdef class _Hook(_Callback):
    """hook(nit, x, f, g), its return value ignored (SciPy's callback rule); raising
    StopIteration stops the solve (status 4)."""

    cdef int call(self, int nit, const double *x, double f, const double *g) noexcept:
        try:
            self.fn(nit, self.vec(x), f, self.vec(g))
            return 0
        except StopIteration:
            return FN_CALLBACK_STOP
        except BaseException as e:
            return self.failed(e)


cdef int _hook_c(int nit, const double *x, double f, const double *g, void *data) noexcept nogil:
    with gil:
        return (<_Hook>data).call(nit, x, f, g)


cdef class _Extra(_Callback):
    """extra_condition(alpha, x, f, g) -> bool, checked at line-search strong-Wolfe points:
    1 accept, 0 reject, -1 stop (an exception)."""

    cdef int call(self, double alpha, const double *x, double f, const double *g) noexcept:
        try:
            ok = self.fn(alpha, self.vec(x), f, self.vec(g))
            if isinstance(ok, np.ndarray) and ok.size != 1:
                raise TypeError(f"extra_condition must return a bool, got an array of shape "
                                f"{ok.shape}")
            return 1 if ok else 0
        except BaseException as e:
            self.failed(e)
            return -1


cdef int _extra_c(double alpha, const double *x, double f, const double *g,
                  void *data) noexcept nogil:
    with gil:
        return (<_Extra>data).call(alpha, x, f, g)


cdef _Callback _bind(_Callback cb, Objective obj, fn, list keep):
    cb.obj = obj
    cb.fn = fn
    keep.append(cb)
    return cb


# ---------------------------------------------------------------------------------------------
# Solves: minimize's options into solve_opts, the engine run by the direct driver, the result

cdef void _ls_params(ls_params *prm, double c1, double c2, double amax, int maxiter):
    """Strict Armijo (f_noise 0: the engine sets its own per search; the public search keeps
    it strict, as SciPy's does) and no extra condition."""
    prm.c1 = c1
    prm.c2 = c2
    prm.amax = amax
    prm.maxiter = maxiter
    prm.f_noise = 0.0
    prm.extra = NULL
    prm.extra_data = NULL


cdef object _fill_opts(solve_opts *opt, int method, Objective obj, dict o, hess, list keep,
                       hessp=None):
    """opt from minimize's options (validated and defaulted by _minimize._options). hess:
    Newton's Hessian callable, or None. Newton-CG takes its products from hess (evaluated
    once per iterate, then multiplied) or else hessp, behind one _HessProduct, which is
    returned (None: finite differences of the gradient)."""
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
    # L-BFGS keeps at most one pair per iteration: a ring of min(memory, maxiter) slots never
    # wraps where a larger one would not, so it gives the same iterates in less memory
    opt.memory = max(1, min(o["memory"], o["maxiter"])) if "memory" in o else 0
    opt.sr1_r = o["skip_r"] if "skip_r" in o else 0.0
    _ls_params(&opt.ls, o["c1"], o["c2"], o["amax"], o["ls_maxiter"])
    opt.cg_maxiter = o["cg_maxiter"] if "cg_maxiter" in o else 0
    opt.forcing = FORCING_CODES[o["forcing"]] if "forcing" in o else FORCING_EW2
    opt.hess = NULL
    opt.hess_data = NULL
    opt.hessp = NULL
    opt.hessp_data = NULL
    opt.sparse = NULL
    cdef SparseNewtonPlan plan = o.get("sparse_plan")
    if plan is not None:
        keep.append(plan)
        opt.sparse = &plan.c
    cdef _Callback cb
    cdef _HessProduct hp
    if method == METHODS["newton-cg"]:
        if hess is None and hessp is None:
            return None
        if hess is None and isinstance(hessp, LowLevelCallable):
            # a C function: called directly, no GIL (its user_data passed through)
            hessp_signature(hessp)
            cap = tuple.__getitem__(hessp, 0)
            opt.hessp = <fn_hessp>PyCapsule_GetPointer(cap, PyCapsule_GetName(cap))
            opt.hessp_data = PyCapsule_GetContext(cap)
            keep.append(hessp)
            return None
        hp = _HessProduct()
        hp.from_hess = hess is not None
        hp.name = "hess" if hp.from_hess else "hessp"
        _bind(hp, obj, hess if hp.from_hess else hessp, keep)
        opt.hessp = &_hessp_c
        opt.hessp_data = <void *>hp
        return hp
    if hess is not None:
        cb = _bind(_Hessian(), obj, hess, keep)
        opt.hess = &_hessian_c
        opt.hess_data = <void *>cb
    return None


cdef const method_entry *_entry(str method) except NULL:
    return method_entry_for(METHODS[method])


def _physical_memory():
    """Bytes of physical memory, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _gb(doubles):
    return f"{doubles * 8 / 1e9:.3g} GB"


cdef object _workspace(const method_entry *entry, int n, solve_opts *opt, str method, dict o):
    """The one workspace of a solve (engine_carve's size), or a ValueError naming what makes
    it too big when it exceeds this machine's physical memory (or Py_ssize_t), before any
    allocation."""
    cdef Py_ssize_t size = engine_carve(entry.ops, n, opt, NULL).size
    cdef solve_opts alt
    limit = _physical_memory()
    if size > 0 and (limit is None or size <= limit // 8):
        return np.empty(size)
    need = f"{_gb(size)}" if size > 0 else "more than 2**63 bytes"
    have = f"this machine's {limit / 1e9:.3g} GB of memory" if limit else "what can be addressed"
    if method == "lbfgs":
        alt = opt[0]
        alt.memory = 10
        raise ValueError(
            f"options['memory']={o['memory']} at n={n} needs a workspace of {need}, more than "
            f"{have}; memory=10 needs {_gb(engine_carve(entry.ops, n, &alt, NULL).size)}")
    if method == "newton-cg":
        raise ValueError(f"method='newton-cg' at n={n} needs a workspace of {need} (9n "
                         f"doubles), more than {have}")
    if method == "newton" and opt.band >= 0:
        raise ValueError(f"options['hess_bandwidth']={opt.band} at n={n} needs a workspace of "
                         f"{need}, more than {have}; a narrower band needs less")
    alt = opt[0]
    alt.memory = 10
    lbfgs = _gb(engine_carve(_entry("lbfgs").ops, n, &alt, NULL).size)
    raise ValueError(
        f"method={method!r} at n={n} stores n x n matrices: a workspace of {need}, more than "
        f"{have}; method='lbfgs' needs {lbfgs} (memory=10), method='newton-cg' O(n)"
        + (", and method='newton' with options['hess_sparsity'] (the Hessian's pattern) or "
           "an int options['hess_bandwidth'] stores no n x n matrix"
           if method == "newton" else ""))


cdef dict _result(const method_entry *entry, fn_engine *e):
    result = {"status": e.status, "nit": e.nit, "nskip": e.nskip, "f": e.f}
    result.update(entry.result(e))
    return result


def _solve(str method, Objective obj, double[::1] x, double[::1] g, double f0, dict options,
           hess, hook, hessp=None):
    """Minimize from x by the engine's direct driver (without the GIL where that pays). x, g:
    in/out. Returns a dict: status, nit, nskip, f, and the method's model (_methods'
    result function: 'hess' / 'hess_band' and 'nhev' for Newton, 'hess_inv' for BFGS,
    'hess' for SR1, 'pairs' (S, Y) for L-BFGS, 'nhev', 'ncg', 'ncurv' for Newton-CG, and
    'nhess', the Hessians evaluated, when its products come from hess)."""
    cdef const method_entry *entry = _entry(method)
    cdef int n = <int>x.shape[0]
    cdef solve_opts opt
    cdef fn_engine e
    cdef list keep = []
    cdef blas_limit lim
    cdef double[::1] ws
    cdef _Hook pk = None
    cdef _HessProduct hp
    cdef bint separate = ls_separate(&obj.c)
    hp = _fill_opts(&opt, METHODS[method], obj, options, hess, keep, hessp)
    ws = _workspace(entry, n, &opt, method, options)
    if hook is not None:
        pk = _bind(_Hook(), obj, hook, keep)
    # one BLAS thread for a small solve (_blas_threads); sparse Newton's BLAS calls are the
    # many small fronts of a multifrontal factorization, where a second thread only costs
    # hand-offs (10x slower at n = 2.5e5, measured): one thread at any n (_sparse_chol)
    blas_limit_enter(&lim, 1 if opt.sparse != NULL else n)
    if obj.release_gil:
        with nogil:
            engine_start(&e, entry.ops, &opt, n, &x[0], &g[0], f0, separate, &ws[0])
            engine_run(&obj.c, &e, &_hook_c if pk is not None else NULL, <void *>pk)
    else:   # a small Python objective: keeping the GIL saves a hand-over per evaluation
        engine_start(&e, entry.ops, &opt, n, &x[0], &g[0], f0, separate, &ws[0])
        engine_run(&obj.c, &e, &_hook_c if pk is not None else NULL, <void *>pk)
    blas_limit_leave(&lim)      # the driver cannot raise: obj.check() raises what it caught
    obj.check()
    out = _result(entry, &e)
    if hp is not None and hp.from_hess:
        out["nhess"] = hp.nhess
    return out


# ---------------------------------------------------------------------------------------------
# The engine by hand

cdef class AskTell:
    """One solve driven from Python through the engine's ask/tell interface.

    ``ask()`` returns the pending request as ``(kind, x)``: ``'fg'`` (f and the gradient at x),
    ``'f'`` (f alone), ``'g'`` (the gradient alone; f there is ``known_f``), ``'hess'`` (Newton:
    the Hessian at x), ``'iter'`` (an iteration is complete: x is the new iterate, ``f`` and
    ``g`` its value and gradient), ``'done'`` (``status`` says why). ``tell`` answers it:
    ``tell(f=..., g=...)``, ``tell(h=...)``, ``tell()`` to go on after ``'iter'``,
    ``tell(stop=True)`` to stop there (status 4). The arrays ``ask`` returns are copies.

    Parameters
    ----------
    method : str
        'newton' (the Hessian is asked for: give it with ``tell(h=...)``), 'bfgs', 'lbfgs',
        'sr1'.
    x0 : array_like
        The start, with ``f0`` its value and ``g0`` its gradient (finite).
    options : dict, optional
        ``minimize``'s options for the method (``hess_bandwidth`` must stay None for Newton:
        the band is learnt from finite differences, which a caller does not serve).
    separate : bool, optional
        True: ask for f alone where the line search needs no gradient (as ``minimize`` does
        for an objective with a separate ``jac``); False: always for f and g together.
    """
    cdef fn_engine e
    cdef const method_entry *entry
    cdef solve_opts opt
    cdef object x, g, ws, keep
    cdef readonly str method
    cdef int n

    def __init__(self, method, x0, double f0, g0, options=None, bint separate=False):
        from fastnewton._minimize import _method_name, _options
        cdef double[::1] xv, gv, wv
        self.method = _method_name(method)
        if self.method == "newton-cg":
            raise ValueError("AskTell: method 'newton-cg' runs its CG loop on Hessian-vector "
                             "products inside the solve (REQ_HESS served through an "
                             "objective); use minimize")
        x = np.array(x0, dtype=np.float64).ravel()
        n = x.shape[0]
        opts = _options(self.method, dict(options or {}, **({"hess_bandwidth": None}
                                                             if self.method == "newton"
                                                             else {})), None, n)
        g = np.array(g0, dtype=np.float64).ravel()
        if g.shape != (n,):
            raise ValueError(f"g0 must have shape ({n},), got {g.shape}")
        check_finite_value(f0, "f0")
        check_finite_grad(g, "g0")
        self.n = n
        self.x, self.g = x, g
        self.keep = []
        self.entry = _entry(self.method)
        _fill_opts(&self.opt, METHODS[self.method], None, opts, None, self.keep)   # no hess
        self.ws = _workspace(self.entry, n, &self.opt, self.method, opts)
        xv, gv, wv = self.x, self.g, self.ws
        engine_start(&self.e, self.entry.ops, &self.opt, n, &xv[0], &gv[0], f0, separate,
                     &wv[0])
        self.e.nfev = 1                 # f0: counted, as minimize counts it

    def ask(self):
        """The pending request: (kind, x), x a copy of the point it concerns."""
        cdef int req = self.e.req
        cdef Py_ssize_t n = self.n
        if req == REQ_F or req == REQ_FG or req == REQ_G:
            pt = np.asarray(<double[:n]>self.e.xt).copy()
            return {REQ_F: "f", REQ_FG: "fg", REQ_G: "g"}[req], pt
        return {REQ_HESS: "hess", REQ_ITER: "iter", REQ_DONE: "done"}[req], self.x.copy()

    def tell(self, f=None, g=None, h=None, bint stop=False):
        """Answer the pending request and advance to the next; returns ask()."""
        cdef int req = self.e.req, status = 0
        cdef Py_ssize_t n = self.n
        cdef double fv = 0.0
        cdef double[::1] gv
        cdef const double[:, ::1] hv
        if req == REQ_DONE:
            raise RuntimeError("the solve has ended")
        if req == REQ_F or req == REQ_FG:
            fv = real_value(f, "f")         # the objectives' rule: a real number, or a TypeError
        if req == REQ_FG or req == REQ_G:
            ga = real_array(g, "g")
            if ga.size != n:
                raise ValueError(f"g must have {n} entries, got shape {np.shape(g)}")
            gv = np.ascontiguousarray(ga, dtype=np.float64).reshape(n)
            memcpy(self.e.gt, &gv[0], n * sizeof(double))
        if req == REQ_F or req == REQ_FG or req == REQ_G:
            self.e.nfev += 1 if req != REQ_G else 0
        elif req == REQ_HESS:
            hv = np.ascontiguousarray(h, dtype=np.float64).reshape(n, n)
            newton_take_hessian(&self.e, &hv[0, 0])
        elif req == REQ_ITER and stop:
            status = FN_CALLBACK_STOP
        engine_tell(&self.e, fv, status)
        return self.ask()

    @property
    def known_f(self):
        """f at the point of a 'g' request."""
        return self.e.ls.f_req

    @property
    def f(self):
        return self.e.f

    @property
    def g(self):
        return self.g.copy()

    @property
    def nit(self):
        return self.e.nit

    @property
    def status(self):
        """The fn_status the solve stopped with (meaningful once ask() says 'done')."""
        return self.e.status

    def result(self):
        """status, nit, nskip, f and the method's model, as minimize's internal result."""
        return _result(self.entry, &self.e)


# ---------------------------------------------------------------------------------------------
# L-BFGS's inverse Hessian for minimize's result (LbfgsInverseHessian)

def lbfgs_apply(const double[:, ::1] S, const double[:, ::1] Y, const double[::1] g):
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


# ---------------------------------------------------------------------------------------------
# The public line_search, written here so that its checks and set-up cost a few C calls
# rather than Python ones.



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
        c2 outside ``0 < c1 < c2 < 1``, a bad amax or maxiter (an integer from 1 to
        2**31 - 1), a parameter too large for a float, f(xk) or the gradient at xk not
        finite, a gradient of the wrong shape, or an unsupported LowLevelCallable; the
        message names the parameter.
    TypeError
        For a value `f` or `myfprime` returned (or a `gfk`) that is not real: complex,
        a string, None, another object (f: a real number or a size-1 real array; the
        gradient: an array of real numbers). A number too large for a float (the int
        10**400) is inf, as a non-finite value is treated.
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
    c1v, c2v = wolfe_params(c1, c2)
    if amax is None:
        amax_v = INFINITY
    else:
        amax_v = real_number(amax, "amax")
        if not amax_v > 0.0:
            raise ValueError(f"amax must be positive, got {amax!r}")
    maxit = integer(maxiter, "maxiter", 1, C_INT_MAX)       # the kernel's C int
    if myfprime is not None and not callable(myfprime):
        raise ValueError(f"myfprime must be callable or None, got {type(myfprime).__name__}")
    if myfprime is not None and isinstance(f, LowLevelCallable):
        raise ValueError("myfprime must be None with a LowLevelCallable f: the C function "
                         "computes the gradient")
    obj = make_objective(f, n, args, myfprime, ("f", "myfprime"))
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
            if isinstance(gfk, (str, bytes)) or np.iscomplexobj(gfk):
                raise TypeError(f"gfk must be a real array of shape ({n},), got "
                                f"{type(gfk).__name__} {gfk!r:.60}")
            gfk = np.array(gfk, dtype=np.float64)
        if gfk.shape != (n,):
            raise ValueError(f"gfk must have shape ({n},), got {gfk.shape}")
        if old_fval is None:
            old_fval = f0 = _f_at(obj, xk)
            fc0 = 1
        pg = vec_data(gfk, n)
    obj.c.nfev = 0
    obj.c.njev = 0
    f0 = real_number(old_fval, "old_fval")
    if not isfinite(f0):
        check_finite_value(f0, "f(xk)")
    if not all_finite(pg, n):
        check_finite_grad(gfk, "the gradient at xk")

    dphi0 = dot(<int>n, pg, pp)
    alpha0 = 1.0
    if old_old_fval is not None and dphi0 != 0.0:
        alpha0 = min(1.0, 1.01 * 2.0 * (f0 - real_number(old_old_fval, "old_old_fval"))
                     / dphi0)
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


def _run(Objective obj, x, p, double f0, double dphi0, double alpha0, double c1, double c2,
         double amax, int maxiter, extra_condition):
    """Run wolfe_search (without the GIL where that pays); returns
    (status, alpha, f, slope, x_new, g_new, next_alpha)."""
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
    cdef list keep = []
    _ls_params(&prm, c1, c2, amax, maxiter)
    cdef _Callback cb
    if extra_condition is not None:
        cb = _bind(_Extra(), obj, extra_condition, keep)
        prm.extra = &_extra_c
        prm.extra_data = <void *>cb
    if obj.release_gil:
        with nogil:
            status = wolfe_search(&obj.c, px, pp, f0, dphi0, alpha0, &prm, pxt, pgt, &res)
    else:   # a small Python objective: keeping the GIL saves a hand-over per evaluation
        status = wolfe_search(&obj.c, px, pp, f0, dphi0, alpha0, &prm, pxt, pgt, &res)
    obj.check()
    return (status, res.alpha, res.f, res.slope, xt, gt if res.grad_valid else None,
            res.next_alpha)
