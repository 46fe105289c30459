"""The objective adapter: a Python callable or a C function, seen by kernels as one C struct.

Design
------
Kernels evaluate through ``fn_objective`` (``_objective.pxd``): a ``fn_value_grad`` and/or
``fn_value`` function pointer from ``csrc/fastnewton.h`` plus ``user_data``. Two kinds fill it:

* a ``scipy.LowLevelCallable`` whose signature is one of ``ACCEPTED_SIGNATURES``: its function
  pointer and ``user_data`` go into the struct as they are, so evaluation needs neither the GIL
  nor any Python object;
* a Python callable ``fun(x, *args)`` (with ``jac`` a callable, ``jac=True`` or none): the
  struct then points at a trampoline whose ``user_data`` is the ``Objective`` instance. The
  trampoline takes the GIL for the call only, copies x into a fresh array (the user may keep
  it), checks what the callable returned (real_value, real_array below: real values of the
  right shape), and on any exception -- KeyboardInterrupt included -- stores
  it, sets ``error`` and returns NaN. Kernels test ``error`` after every evaluation and stop at
  once; the public function then re-raises the stored exception object (traceback intact),
  the pattern of SciPy's ``_lib/_ccallback_c.pyx``.

Evaluation counts live in the struct, so each solve counts its own.

Signals
-------
A C objective never gives Python a chance to see Ctrl-C, so in the main thread (the only one
signals reach) the kernels call ``poll`` now and then: it reads a monotonic clock without the
GIL and, once POLL_SIGNAL_MS = 50 ms have passed since the last look (or since the objective
was made), takes the GIL for a moment and checks for signals; a KeyboardInterrupt stops the
kernels like an exception from a Python callable does, and propagates from the public call.
In any other thread a C objective's solve never touches the GIL (poll is NULL).

When to call it is counted in units of work: an evaluation is one unit, and so is each
engine iteration (``obj_tick``, called by the engine's direct driver), so an iteration whose
own work dwarfs its evaluations (L-BFGS's two-loop at n = 10^6, SR1's factorization at
n = 1,500: 50-80 ms) still counts. A fixed count cannot serve both ends (256 evaluations
were 11-15 s there, and are 10 us at n = 10), so the count between clock reads, the
stride, is adapted to the time the last stride took: stride * POLL_CLOCK_MS / elapsed, at
least 1, at most POLL_GROWTH times the last and POLL_STRIDE_MAX. The clock is then read
about every POLL_CLOCK_MS = 5 ms of work, and a signal is seen within about
POLL_SIGNAL_MS plus one unit of work (one evaluation or iteration) once the stride has
adapted. Before the first read the stride is POLL_FIRST = 4 units, measured from the
objective's creation; a cheap computation then lengthens it 32-fold per read (4, 128,
4096 units), so a small solve (n = 10: 100-250 units in 20-90 us) reads the clock once or
twice (20-200 ns a read, by the machine) and never takes the GIL. Per evaluation the
kernels pay two compares (``poll != NULL and nfev >= poll_at``), as they did for the fixed
count. Work that is neither an evaluation nor an iteration is not counted: a single
factorization or evaluation longer than half a second delays the signal by its length.
"""
from cpython.exc cimport PyErr_CheckSignals
from cpython.pycapsule cimport PyCapsule_GetName, PyCapsule_GetPointer, PyCapsule_GetContext
from libc.string cimport memcpy
from cpython.float cimport PyFloat_Check, PyFloat_AS_DOUBLE
from libc.math cimport NAN, INFINITY
from fastnewton._linalg cimport all_finite

cimport numpy as cnp
import numbers
import threading

import numpy as np
from scipy import LowLevelCallable

# the module, not its names: _validate imports fd_scheme from here, so whichever of the two
# is imported first, the other is then only partly initialized
from fastnewton import _validate

cnp.import_array()

# A monotonic clock in seconds, callable without the GIL: clock_gettime(CLOCK_MONOTONIC) where
# POSIX has it, QueryPerformanceCounter on Windows, else C's clock() (processor time: it still
# advances with the kernels' own work, which is what the poll stride measures).
cdef extern from *:
    """
    #if defined(_WIN32)
    #ifndef WIN32_LEAN_AND_MEAN
    #define WIN32_LEAN_AND_MEAN
    #endif
    #include <windows.h>
    static double fn_monotonic(void) {
        LARGE_INTEGER c, f;
        QueryPerformanceCounter(&c);
        QueryPerformanceFrequency(&f);
        return (double)c.QuadPart / (double)f.QuadPart;
    }
    #else
    #include <time.h>
    static double fn_monotonic(void) {
    #if defined(CLOCK_MONOTONIC)
        struct timespec t;
        if (clock_gettime(CLOCK_MONOTONIC, &t) == 0)
            return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
    #endif
        return (double)clock() / (double)CLOCKS_PER_SEC;
    }
    #endif
    """
    double fn_monotonic() nogil

ACCEPTED_SIGNATURES = (
    "double (int, double *, double *, void *)",
    "double (int, const double *, double *, void *)",
    "double (int, double *, void *)",
    "double (int, const double *, void *)",
)
_VALUE_GRAD_SIGNATURES = ACCEPTED_SIGNATURES[:2]
# capsule names (bytes) as SciPy's LowLevelCallable stores them -> the signature
_C_SIGNATURES = {s.encode(): s for s in ACCEPTED_SIGNATURES}

# From this dimension on, kernels drop the GIL between a Python objective's evaluations.
RELEASE_GIL_MIN_N = 100

# Python-callable modes
cdef enum:
    MODE_FUN = 0          # fun(x) -> f;           no gradient
    MODE_FUN_JAC = 1      # fun(x) -> f, jac(x) -> g
    MODE_JAC_TRUE = 2     # fun(x) -> (f, g)


cdef double _py_value_grad(int n, const double *x, double *grad, void *user_data) noexcept nogil:
    with gil:
        return (<Objective>user_data)._call(x, grad, True)


cdef double _py_grad(int n, const double *x, double *grad, void *user_data) noexcept nogil:
    with gil:
        return (<Objective>user_data)._call(x, grad, False)


cdef double _py_value(int n, const double *x, void *user_data) noexcept nogil:
    with gil:
        return (<Objective>user_data)._call(x, NULL, True)


cdef void _poll_signals(fn_objective *o) noexcept nogil:
    """fn_objective.poll of a C objective in the main thread (see "Signals" above): read the
    clock, adapt the stride, check for signals when POLL_SIGNAL_MS have passed."""
    cdef double now = fn_monotonic()
    cdef double elapsed = now - o.poll_clock      # the last stride's work
    cdef double grow
    if elapsed * POLL_GROWTH <= POLL_CLOCK_MS * 1e-3:
        grow = POLL_GROWTH                      # (0 too: a clock coarser than the stride)
    else:
        grow = POLL_CLOCK_MS * 1e-3 / elapsed
    o.poll_stride = <Py_ssize_t>(o.poll_stride * grow)
    if o.poll_stride < 1:
        o.poll_stride = 1
    elif o.poll_stride > POLL_STRIDE_MAX:
        o.poll_stride = POLL_STRIDE_MAX
    o.poll_clock = now
    o.poll_at = o.nfev + o.poll_stride
    if now - o.poll_signal >= POLL_SIGNAL_MS * 1e-3:
        o.poll_signal = now
        with gil:
            (<Objective>o.owner)._poll()


# ---------------------------------------------------------------------------------------------
# What a user's callable returned, as C doubles: one rule for f, gradients and Hessians
# (docs/design.md, "Bad input and faults"). f must be a real number (Python's, NumPy's, or one
# with __float__ such as Decimal; not a bool) or a size-1 real array; arrays must hold real
# numbers (int, uint or float dtypes, or objects that are real numbers). Complex values,
# strings, bytes, None, bools and other objects are a TypeError naming the callable and what it
# returned; a number too large for a float (the int 10**400) is +-inf, treated as any
# non-finite value. The common case -- a float, an np.float64, a float64 vector -- is tested
# first and costs a type check.

cdef str _brief(object v):
    """The type and a short repr of v, for error messages."""
    r = repr(v)
    if len(r) > 60:
        r = r[:57] + "..."
    return f"{type(v).__name__} {r}"


cdef double _overflowed(object v):
    """+-inf for a real number too large for a float."""
    return INFINITY if v > 0 else -INFINITY


cpdef double real_value(object v, str name) except? -1.0:
    """The value a callable (called `name` in messages) returned, as a double, or TypeError
    (ValueError for an array of more than one entry)."""
    if PyFloat_Check(v):                    # float, np.float64: the hot path
        return PyFloat_AS_DOUBLE(v)
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must return a real number, got a bool ({_brief(v)})")
    if isinstance(v, numbers.Real):         # int, np.integer, np.float32, Fraction
        try:
            return float(v)
        except OverflowError:
            return _overflowed(v)
    if isinstance(v, (tuple, list)) and len(v) == 2:
        raise TypeError(f"{name} returned a {type(v).__name__} of two items, not a real number"
                        f"; if it returns (f, gradient), pass jac=True")
    if (isinstance(v, (numbers.Complex, str, bytes)) or v is None
            or not (hasattr(v, "__array__") or isinstance(v, (tuple, list)))
            and not hasattr(v, "__float__")):
        raise TypeError(f"{name} must return a real number, got {_brief(v)}")
    if not (hasattr(v, "__array__") or isinstance(v, (tuple, list))):
        try:                                # Decimal and other real types with __float__
            return float(v)
        except OverflowError:
            return _overflowed(v)
    a = np.asarray(v)
    if a.size != 1:
        raise ValueError(f"{name} must return a scalar, got an array of shape {a.shape}")
    if a.dtype.kind in "iuf":
        with np.errstate(over="ignore"):    # a long double beyond the float range: inf
            return float(a.astype(np.float64).reshape(()))
    if a.dtype.kind == "O":
        return real_value(a.reshape(())[()], name)
    raise TypeError(f"{name} must return a real number, got an array of dtype {a.dtype} "
                    f"({_brief(v)})")


cpdef cnp.ndarray real_array(object v, str name):
    """What a callable (called `name`) returned, as a C-contiguous float64 array (the shape
    is the caller's to check), or TypeError naming it."""
    cdef Py_ssize_t i
    if native_vector(v):
        return <cnp.ndarray>v
    if isinstance(v, (str, bytes)) or v is None:
        raise TypeError(f"{name} must return an array of real numbers, got {_brief(v)}")
    try:
        a = np.asarray(v)
    except (TypeError, ValueError) as e:    # ragged nesting and the like
        raise ValueError(f"{name} must return an array of real numbers: {e}") from None
    k = a.dtype.kind
    if k in "iuf":
        with np.errstate(over="ignore"):    # a long double beyond the float range: inf
            return np.ascontiguousarray(a, dtype=np.float64)
    if k == "O":                            # ints beyond int64 (10**400), Fractions, ...
        out = np.empty(a.shape)
        flat = out.reshape(-1)
        for i, e in enumerate(a.flat):
            if isinstance(e, (bool, np.bool_)) or not isinstance(e, numbers.Real):
                raise TypeError(f"{name} must return an array of real numbers, got one "
                                f"holding {_brief(e)}")
            flat[i] = real_value(e, name)
        return out
    if k == "c":
        raise TypeError(f"{name} must return real numbers, got a complex array (dtype "
                        f"{a.dtype}): {_brief(v)}")
    raise TypeError(f"{name} must return an array of real numbers, got dtype {a.dtype} "
                    f"({_brief(v)})")


cdef int _copy_grad(object g, double *out, Py_ssize_t n, Objective o) except -1:
    """Copy a gradient of shape (n,) into out; TypeError (real_array) or ValueError naming
    o's jac (or fun with jac=True) and the shapes otherwise."""
    cdef cnp.ndarray a
    if native_vector(g) and cnp.PyArray_NDIM(<cnp.ndarray>g) == 1:
        a = <cnp.ndarray>g          # fast path: a contiguous float64 vector
        if cnp.PyArray_DIM(a, 0) == n:
            memcpy(out, cnp.PyArray_DATA(a), n * sizeof(double))
            return 0
    name = (o.jac_name if o.mode == MODE_FUN_JAC
            else f"{o.fun_name} (jac=True: the gradient of its pair)")
    a = real_array(g, name)
    if cnp.PyArray_NDIM(a) != 1 or cnp.PyArray_DIM(a, 0) != n:
        raise ValueError(f"{name}: the gradient must have shape ({n},), got {np.shape(g)}")
    memcpy(out, cnp.PyArray_DATA(a), n * sizeof(double))
    return 0


cdef class Objective:
    """Owner of one ``fn_objective``; build with ``make_objective``."""

    def __cinit__(self):
        self.fun_name = "fun"
        self.jac_name = "jac"
        self.c.n = 0
        self.c.value_grad = NULL
        self.c.value = NULL
        self.c.gradient = NULL
        self.c.user_data = NULL
        self.c.nfev = 0
        self.c.njev = 0
        self.c.error = 0
        self.c.fd_method = FD_CENTRAL
        self.c.fd_rel_step = 0.0
        self.c.fd_work = NULL
        self.c.poll = NULL
        self.c.owner = <void *>self
        self.c.poll_at = POLL_FIRST
        self.c.poll_stride = POLL_FIRST
        self.c.poll_clock = 0.0
        self.c.poll_signal = 0.0

    cdef double _call(self, const double *x, double *grad, bint need_f) noexcept:
        # Runs with the GIL. Never lets an exception out: stores it and flags the struct.
        cdef cnp.npy_intp dim = self.c.n
        if self.c.error:
            return NAN
        try:
            xa = cnp.PyArray_SimpleNew(1, &dim, cnp.NPY_DOUBLE)
            memcpy(cnp.PyArray_DATA(<cnp.ndarray>xa), x, self.c.n * sizeof(double))
            if self.mode == MODE_JAC_TRUE:
                out = self.fun(xa, *self.args)
                try:
                    f, g = out
                except (TypeError, ValueError):
                    raise ValueError(f"with jac=True, {self.fun_name} must return a pair "
                                     f"(f, gradient), got {_brief(out)}") from None
            else:
                f = self.fun(xa, *self.args) if need_f else 0.0
                g = None
                if grad != NULL:
                    if need_f:   # fun may have written into its x: jac gets its own copy
                        xa = cnp.PyArray_SimpleNew(1, &dim, cnp.NPY_DOUBLE)
                        memcpy(cnp.PyArray_DATA(<cnp.ndarray>xa), x, self.c.n * sizeof(double))
                    g = self.jac(xa, *self.args)
            fval = real_value(f, self.fun_name)
            if grad != NULL:
                _copy_grad(g, grad, self.c.n, self)
            return fval
        except BaseException as e:
            self.exc = e
            self.c.error = 1
            return NAN

    cdef void _poll(self) noexcept:
        # Runs with the GIL: a pending signal's exception (KeyboardInterrupt) stops the kernel.
        try:
            PyErr_CheckSignals()
        except BaseException as e:
            self.exc = e
            self.c.error = 1

    cdef int check(self) except -1:
        """Re-raise the exception the user's callable raised, if any."""
        if self.c.error:
            exc, self.exc = self.exc, None
            self.c.error = 0
            raise exc
        return 0

    @property
    def nfev(self):
        return self.c.nfev

    @property
    def njev(self):
        return self.c.njev

    @property
    def has_grad(self):
        return self.c.value_grad != NULL

    def add_nfev(self, Py_ssize_t k):
        """Count k values of f computed outside the kernels (by a Python-side gradient), so
        that nfev and the maxfun budget see them."""
        self.c.nfev += k

    def set_fd(self, int method, double rel_step):
        """The scheme (an fd_scheme code) and relative step of kernel-made gradients."""
        self.c.fd_method = method
        self.c.fd_rel_step = rel_step


cdef object fast_point(object a, str name):
    """`a` itself when it is already a finite, non-empty, C-contiguous float64 vector (for
    kernels that only read it), else _validate.as_point's checked copy, or its ValueError
    naming `name`. The public entry points called per evaluation use it: no copy, no
    Python-level checks on the common path."""
    if (type(a) is np.ndarray and native_vector(a)
            and cnp.PyArray_NDIM(<cnp.ndarray>a) == 1 and cnp.PyArray_SIZE(<cnp.ndarray>a) > 0
            and all_finite(<double *>cnp.PyArray_DATA(<cnp.ndarray>a),
                           cnp.PyArray_SIZE(<cnp.ndarray>a))):
        return a
    return _validate.as_point(a, name)


def _signature_of(llc):
    return llc.signature.replace("  ", " ").strip()


def make_objective(fun, Py_ssize_t n, args=(), jac=None, names=("fun", "jac")):
    """Build the ``Objective`` for `fun` (Python callable or LowLevelCallable) at dimension n.

    jac: None (gradient from finite differences where one is needed), True (fun returns
    (f, g)), or a callable jac(x, *args) -> g. names: what error messages call fun and jac
    (the public function's parameter names).
    """
    cdef Objective o = Objective()
    o.fun_name, o.jac_name = names
    cdef object cap
    cdef const char *name
    if n <= 0 or n > 2147483647:
        raise ValueError(f"the dimension must be between 1 and 2**31 - 1, got {n}")
    o.c.n = <int>n
    if not isinstance(args, tuple):
        args = (args,)
    o.args = args
    if isinstance(fun, LowLevelCallable):
        cap = tuple.__getitem__(fun, 0)
        name = PyCapsule_GetName(cap)
        # the capsule's name is the signature: matched in C, or normalized in Python
        sig = _C_SIGNATURES.get(name if name != NULL else b"")
        if sig is None:
            sig = _signature_of(fun)
        if sig not in ACCEPTED_SIGNATURES:
            raise ValueError(f"unsupported LowLevelCallable signature {sig!r}; accepted "
                             "signatures are: " + "; ".join(ACCEPTED_SIGNATURES))
        if args:
            raise ValueError("args cannot be used with a LowLevelCallable: pass user_data")
        if callable(jac):
            raise ValueError("jac must be None or True with a LowLevelCallable objective")
        if sig not in _VALUE_GRAD_SIGNATURES and jac is True:
            raise ValueError("jac=True needs a LowLevelCallable with a gradient argument; "
                             f"{sig!r} computes values only")
        if sig in _VALUE_GRAD_SIGNATURES:
            o.c.value_grad = <fn_value_grad>PyCapsule_GetPointer(cap, name)
        else:
            o.c.value = <fn_value>PyCapsule_GetPointer(cap, name)
        o.c.user_data = PyCapsule_GetContext(cap)
        if threading.current_thread() is threading.main_thread():
            # only the main thread receives signals; elsewhere the solve stays GIL-free
            o.c.poll = &_poll_signals
            o.c.poll_clock = o.c.poll_signal = fn_monotonic()   # the first stride starts
        o.keepalive = fun
        o.release_gil = True
        _fd_work(o)
        return o
    if not callable(fun):
        raise TypeError(f"fun must be callable or a scipy.LowLevelCallable, got "
                        f"{type(fun).__name__}")
    o.fun = fun
    o.c.user_data = <void *>o
    # A Python objective needs the GIL at every evaluation; dropping it between evaluations
    # only pays when the kernel's own work between them is large (the O(n^2) and O(n^3)
    # steps of big problems), so that other threads can run meanwhile.
    o.release_gil = n >= RELEASE_GIL_MIN_N
    if jac is None or jac is False:
        o.mode = MODE_FUN
        o.c.value = &_py_value
    elif jac is True:
        o.mode = MODE_JAC_TRUE
        o.c.value_grad = &_py_value_grad
    elif callable(jac):
        o.mode = MODE_FUN_JAC
        o.jac = jac
        o.c.value_grad = &_py_value_grad
        o.c.value = &_py_value
        o.c.gradient = &_py_grad
    else:
        raise ValueError(f"jac must be a callable, True or None, got {jac!r}")
    _fd_work(o)
    return o


cdef void _fd_work(Objective o):
    """The n doubles of finite-difference gradients, for an objective without a gradient."""
    if o.c.value_grad == NULL:
        o.work = np.empty(o.c.n, dtype=np.float64)
        o.c.fd_work = &o.work[0]
