# C-level face of fastnewton/_objective.pyx: the one struct every kernel evaluates through.
from libc.math cimport NAN
cimport numpy as cnp
from fastnewton.fastnewton_h cimport fn_value_grad, fn_value

# The status codes of every kernel and solve, from csrc/fastnewton.h (the values are the
# header's). `cpdef`: Python sees them as the IntEnum fastnewton._objective.fn_status
# (fn_status.FN_CONVERGED == 0, ...), which fastnewton/_minimize.py keys its messages by. A
# cpdef enum gets its Python face in the module of the .pxd declaring it, hence here and not
# in fastnewton_h.pxd (which has no module).
cdef extern from "fastnewton.h" nogil:
    cpdef enum fn_status:
        FN_CONVERGED
        FN_MAXITER
        FN_LINESEARCH_FAILED
        FN_NONFINITE
        FN_CALLBACK_STOP
        FN_CONVERGED_STEP
        FN_USER_ERROR
        FN_NOT_DESCENT
        FN_NO_MEMORY
        FN_UNBOUNDED

# Finite-difference schemes (fn_objective.fd_method, the kernels' `method` arguments); Python
# sees the IntEnum fastnewton._objective.fd_scheme, which fastnewton/_validate.py maps the
# names 'forward' / 'central' (and SciPy's '2-point' / '3-point') to.
cpdef enum fd_scheme:
    FD_FORWARD = 0
    FD_CENTRAL = 1

# The requests of the ask/tell (reverse-communication) protocol, docs/architecture.md: what a
# resumable kernel (the line search, the engine) needs from its caller next. The caller
# computes it and tells the kernel, which goes on to its next request. Python sees the IntEnum
# fastnewton._objective.fn_request.
cpdef enum fn_request:
    REQ_DONE = 0      # finished; the kernel's status says how
    REQ_F = 1         # f at the request point
    REQ_FG = 2        # f and the gradient there
    REQ_G = 3         # the gradient there, where f is known
    REQ_HESS = 4      # the method's model at the iterate (Newton: the Hessian)
    REQ_ITER = 5      # an iteration is complete: the caller may look at it, then go on or stop

# A C objective never returns to Python, so Ctrl-C would go unseen during a long kernel. In the
# main thread (the only one signals reach) `poll` is set, and the kernels call it whenever the
# count of work done (evaluations, plus one per engine iteration: obj_tick) reaches
# `poll_at`. poll reads a monotonic clock, without the GIL, and moves poll_at on by a stride
# it adapts so that the clock is read about every POLL_CLOCK_MS of work, whatever one
# evaluation or iteration costs; once POLL_SIGNAL_MS have passed since the last check, it
# takes the GIL, checks for signals and, on KeyboardInterrupt (or a signal handler's
# exception), records it and raises `error`. The first clock read comes after POLL_FIRST
# units of work: a short computation (a line search, a small solve) pays two compares per
# evaluation and a clock read or two, and never the GIL. In other threads poll is NULL: no
# clock, no GIL at all. The _objective.pyx docstring ("Signals") has the arithmetic.
cdef enum:
    POLL_FIRST = 4            # work counted before the first clock read
    POLL_GROWTH = 32          # the stride grows at most this much per clock read
    POLL_STRIDE_MAX = 1 << 20
    POLL_CLOCK_MS = 5         # aim: a clock read every 5 ms of work
    POLL_SIGNAL_MS = 50       # a signal check (the GIL) at most every 50 ms

ctypedef struct fn_objective:
    int n
    fn_value_grad value_grad   # f and gradient; NULL for a value-only objective
    fn_value value             # f alone; NULL when value_grad(…, grad=NULL, …) serves instead
    fn_value_grad gradient     # the gradient alone (return value unused) where it costs less
                               # than f and gradient together (a separate jac); else NULL
    void *user_data
    Py_ssize_t nfev            # objective values computed (counted per solve, not globally)
    Py_ssize_t njev            # gradients computed by the objective itself
    int error                  # set by the Python trampoline when the callable raised
    int fd_method              # FD_FORWARD / FD_CENTRAL, for gradients of value-only objectives
    double fd_rel_step         # relative step for those gradients (0: the optimal default)
    double *fd_work            # n doubles owned by the adapter, for those gradients
    void (*poll)(fn_objective *o) noexcept nogil   # signal watch for C objectives, else NULL
    void *owner                # the Objective that owns this struct (for poll)
    # poll's state, per objective (so per public call, per solve)
    Py_ssize_t poll_at         # call poll when nfev reaches it (obj_tick lowers it by one)
    Py_ssize_t poll_stride     # work between clock reads, adapted by poll
    double poll_clock          # time of the last clock read (seconds, monotonic)
    double poll_signal         # time of the last signal check (or of the start)


cdef inline void obj_tick(fn_objective *o) noexcept nogil:
    """Count one unit of work that is not an evaluation (an engine iteration) and poll when
    the count is due, so that iterations whose own work dwarfs their evaluations (L-BFGS's
    two-loop at large n, a dense factorization) are counted too."""
    if o.poll != NULL:
        o.poll_at -= 1
        if o.nfev >= o.poll_at:
            o.poll(o)


cdef inline double obj_f(fn_objective *o, const double *x) noexcept nogil:
    """f(x), counted; NaN without a call once the error flag is up."""
    if o.poll != NULL and o.nfev >= o.poll_at:
        o.poll(o)
    if o.error:
        return NAN
    o.nfev += 1
    if o.value != NULL:
        return o.value(o.n, x, o.user_data)
    return o.value_grad(o.n, x, NULL, o.user_data)


cdef inline double obj_fg(fn_objective *o, const double *x, double *g) noexcept nogil:
    """f(x) and its gradient from the objective itself (value_grad must not be NULL)."""
    if o.poll != NULL and o.nfev >= o.poll_at:
        o.poll(o)
    if o.error:
        return NAN
    o.nfev += 1
    o.njev += 1
    return o.value_grad(o.n, x, g, o.user_data)


cdef inline void obj_g(fn_objective *o, const double *x, double *g) noexcept nogil:
    """The gradient alone, at a point whose f is already known (value_grad must not be NULL)."""
    if o.error:
        return
    if o.gradient != NULL:
        o.njev += 1
        o.gradient(o.n, x, g, o.user_data)
    else:
        obj_fg(o, x, g)


cdef class Objective:
    cdef fn_objective c
    cdef object fun
    cdef object jac
    cdef tuple args
    cdef int mode
    cdef object keepalive
    cdef public bint release_gil   # kernels drop the GIL: a C objective, or big work per call
    cdef object exc
    cdef double[::1] work
    cdef str fun_name              # what error messages call fun and jac (make_objective's names)
    cdef str jac_name
    cdef double _call(self, const double *x, double *grad, bint need_f) noexcept
    cdef int check(self) except -1
    cdef void _poll(self) noexcept


cdef object fast_point(object a, str name)
cpdef double real_value(object v, str name) except? -1.0
cpdef cnp.ndarray real_array(object v, str name)


cdef inline bint native_vector(object a):
    """An ndarray of float64 in this machine's byte order, aligned and C-contiguous: one whose
    data pointer a kernel can read as double *. (The dtype number alone does not say so:
    '>f8' has the same one.)"""
    return (cnp.PyArray_Check(a) and cnp.PyArray_TYPE(<cnp.ndarray>a) == cnp.NPY_DOUBLE
            and cnp.PyArray_ISBEHAVED_RO(<cnp.ndarray>a)
            and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>a))


cdef inline double *vec_data(object a, Py_ssize_t n) except NULL:
    """The data of `a`, which must be a C-contiguous float64 ndarray of n entries (the Python
    layer makes it so): cheaper than acquiring a typed memoryview, which matters in the
    entry points called once per line search or per evaluation at x0. The module using it
    must have called cnp.import_array()."""
    if not (native_vector(a) and cnp.PyArray_SIZE(<cnp.ndarray>a) == n):
        raise ValueError(f"expected a C-contiguous float64 array of {n} entries")
    return <double *>cnp.PyArray_DATA(<cnp.ndarray>a)
