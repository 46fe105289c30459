"""One BLAS thread for small solves: the thread count the kernels' BLAS should use, set per call.

The kernels call BLAS and LAPACK through ``scipy.linalg.cython_blas`` / ``cython_lapack``, that
is through the BLAS SciPy was built with (SciPy's wheels: their own OpenBLAS, threaded with
pthreads, one thread per core unless OPENBLAS_NUM_THREADS says otherwise). Users do not set
that variable, and on the matrices of a small solve BLAS threads cost far more than they save:
each threaded call hands work to a second thread and waits for it, and when the machine is
busy that thread waits for a core. Issue 10 saw an SR1 solve at n = 100 (C objective) take
433 ms instead of 70 ms that way, BFGS 39.6 ms instead of 4.2 ms.

The rule (``blas_threads_for``, the one place that decides): a solve (n variables) or a
factorization of order n below ``SINGLE_THREAD_BELOW`` runs its BLAS on one thread; from there
on the user's setting stands. Measured on the 2-core development machine (OpenBLAS 0.3.30,
SkylakeX; shared with other jobs, so never quite quiet), 2 threads against 1, each call timed
back to back: dpotrf+dpotrs (the factorization of Newton and SR1) was 1.1x to 2.7x slower with
2 threads at n = 150, 200, 300, 700, 1000 and mixed at 500 (OpenBLAS itself uses one thread
below 128); dsyr2 (the BFGS and SR1 updates) was up to 2x faster from n = 100 and dsymv from
n = 200, but only in such tight loops, which keep the second thread spinning, and up to 100x
slower at n = 1000 when the other core was busy. Whole solves (C objective; the objective's
evaluations separate the BLAS calls) with the default 2 threads were never faster than with
one: BFGS 1.0x to 5.3x slower at n = 100 to 2000, SR1 1.1x to 8.4x and dense Newton 1.0x to
4.6x slower at n = 100 to 500 (2.8x at 1000). At n = 1000 one factorization
costs ~10 ms and a thread hand-off is a small share of it: there the user's choice decides.

How (``blas_limit_enter`` / ``blas_limit_leave`` around the kernel call, two C calls each):
the first use asks threadpoolctl, once, which loaded BLAS library scipy's ``cython_blas``
resolves its symbols from (the library whose thread-count function ``dlsym`` on cython_blas's
own handle finds at the same address), and keeps C pointers to that library's get/set
functions.

* OpenBLAS with pthreads (SciPy's wheels), FlexiBLAS: the thread count is process-wide, so the
  limit is shared. Under a lock, the first solve to enter notes the count and sets 1, later
  ones only count themselves, and the last to leave puts the noted count back -- unless the
  count is no longer 1 (someone else changed it meanwhile: theirs stands). So concurrent solves
  in a ThreadPoolExecutor never leave the user's setting changed. While a small solve runs,
  any other user of SciPy's BLAS in the process (a large solve in another thread, or the
  objective itself) runs on one thread too. NumPy's own BLAS (a separate library) is never
  touched.
* MKL (``MKL_Set_Num_Threads_Local``), OpenBLAS built with OpenMP (``omp_set_num_threads``):
  the count is per thread, so each call sets and restores its own thread's only.
* Anything else (BLIS, single-threaded by default; Accelerate; a library that cannot be
  matched; threadpoolctl missing): nothing is changed, solves run as they did before.

If the user's count is already 1 (``threadpool_limits(1)``, OPENBLAS_NUM_THREADS=1) it is only
read, never set. Cost: ~75 ns per enter/leave pair (4 C calls and a lock taken twice), 0.5-1%
of a 13 us solve. ``info()`` tells what was found; ``_set_enabled(False)`` switches the mechanism
off (benchmarks use it to show what it saves).
"""
from libc.stdint cimport uintptr_t
from cpython.pythread cimport (PyThread_type_lock, PyThread_allocate_lock,
                               PyThread_acquire_lock, PyThread_release_lock, WAIT_LOCK)

import threading

cdef enum:
    # Solves and factorizations of order below this use one BLAS thread (see the docstring).
    _SINGLE_THREAD_BELOW = 1000
SINGLE_THREAD_BELOW = _SINGLE_THREAD_BELOW

ctypedef int (*get_fn)() noexcept nogil
ctypedef void (*set_fn)(int) noexcept nogil
ctypedef int (*swap_fn)(int) noexcept nogil     # set this thread's count, return the old one

cdef enum:
    _UNSET = 0          # not looked up yet
    _NONE = 1           # nothing to control
    _PROCESS = 2        # one process-wide count: shared, counted limit
    _THREAD = 3         # a count per thread: set and restore around each call

cdef enum:              # blas_limit.taken
    _TOOK_NOTHING = 0
    _TOOK_PROCESS = 1
    _TOOK_THREAD = 2

cdef int _mode = _UNSET
cdef bint _enabled = True
cdef get_fn _get = NULL
cdef set_fn _set = NULL
cdef swap_fn _swap = NULL
cdef get_fn _omp_get = NULL
cdef set_fn _omp_set = NULL
# _PROCESS state, under _lock
cdef PyThread_type_lock _lock = PyThread_allocate_lock()
cdef Py_ssize_t _active = 0     # calls between enter and leave
cdef int _saved = 0             # the count the first of them found
cdef bint _changed = False      # whether it set 1 (so the last one restores _saved)

_found = {}                     # info(): what the look-up found
_look_up_lock = threading.Lock()


cdef int blas_threads_for(Py_ssize_t n) noexcept nogil:
    """BLAS threads for the kernels of a solve or factorization of order n: 1, or 0 for
    'leave the user's count as it is'."""
    return 1 if n < _SINGLE_THREAD_BELOW else 0


cdef int _omp_swap(int count) noexcept nogil:
    cdef int old = _omp_get()
    _omp_set(count)
    return old


cdef int blas_limit_enter(blas_limit *lim, Py_ssize_t n) except -1:
    """Limit the BLAS used by cython_blas to blas_threads_for(n) threads, until
    blas_limit_leave(lim). Needs the GIL the first time (the library look-up)."""
    global _active, _saved, _changed
    lim.taken = _TOOK_NOTHING
    if not _enabled or blas_threads_for(n) != 1:
        return 0
    if _mode == _UNSET:
        _look_up()
    if _mode == _PROCESS:
        PyThread_acquire_lock(_lock, WAIT_LOCK)
        if _active == 0:
            _saved = _get()
            _changed = _saved > 1
            if _changed:
                _set(1)
        _active += 1
        PyThread_release_lock(_lock)
        lim.taken = _TOOK_PROCESS
    elif _mode == _THREAD:
        if _get() > 1:
            lim.prev = _swap(1)
            lim.taken = _TOOK_THREAD
    return 0


cdef void blas_limit_leave(blas_limit *lim) noexcept nogil:
    """Undo what blas_limit_enter(lim, ...) did."""
    global _active, _changed
    if lim.taken == _TOOK_PROCESS:
        PyThread_acquire_lock(_lock, WAIT_LOCK)
        _active -= 1
        if _active == 0 and _changed:
            if _get() == 1:          # still ours: put the user's count back
                _set(_saved)
            _changed = False
        PyThread_release_lock(_lock)
    elif lim.taken == _TOOK_THREAD:
        _swap(lim.prev)
    lim.taken = _TOOK_NOTHING


# ---------------------------------------------------------------------------------------------
# The look-up (once, with the GIL)

cdef uintptr_t _address(lib, str name):
    import ctypes
    try:
        return <uintptr_t>ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
    except AttributeError:
        return 0


def _matching_controller():
    """(threadpoolctl's controller of the BLAS library cython_blas calls, None), or
    (None, why there is none)."""
    import ctypes
    import os
    import scipy.linalg.cython_blas as cython_blas
    from threadpoolctl import ThreadpoolController
    # dlsym on cython_blas's own handle searches it and the libraries it was linked with
    ours = ctypes.CDLL(cython_blas.__file__, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
    for lib in ThreadpoolController().select(user_api="blas").lib_controllers:
        for name in getattr(lib, "check_symbols", ()):
            address = _address(lib.dynlib, name)
            if address != 0 and address == _address(ours, name):
                return lib, None
    return None, "no loaded BLAS library is the one scipy.linalg.cython_blas calls"


cdef int _use(str mode, lib, str get, str set_or_swap) except -1:
    """Point _get and _set (process) or _swap (thread) at lib's functions."""
    global _get, _set, _swap, _omp_get, _omp_set
    cdef uintptr_t g = _address(lib.dynlib, get), s = _address(lib.dynlib, set_or_swap)
    if g == 0 or s == 0:
        raise LookupError(f"{lib.internal_api}: no {get} or {set_or_swap}")
    if mode == "omp":
        _omp_get = <get_fn>g
        _omp_set = <set_fn>s
        _get = _omp_get
        _swap = _omp_swap
    elif mode == "thread":
        _get = <get_fn>g
        _swap = <swap_fn>s
    else:
        _get = <get_fn>g
        _set = <set_fn>s
    return 0


cdef int _look_up() except -1:
    global _mode
    cdef int mode = _NONE
    with _look_up_lock:
        if _mode != _UNSET:
            return 0
        try:
            lib, reason = _matching_controller()
            if lib is None:
                _found["reason"] = reason
            else:
                api = lib.internal_api
                layer = getattr(lib, "threading_layer", None)
                _found.update(api=api, filepath=lib.filepath, threading_layer=layer)
                if api == "openblas" and layer == "openmp":
                    _use("omp", lib, "omp_get_max_threads", "omp_set_num_threads")
                    mode = _THREAD
                elif api == "openblas":
                    # its get-threads symbol, with this build's affixes (e.g. scipy_..., ...64_)
                    get = next(s for s in lib.check_symbols if "openblas_get_num_threads" in s
                               and _address(lib.dynlib, s) != 0)
                    _use("process", lib, get, get.replace("get_num_threads", "set_num_threads"))
                    mode = _PROCESS
                elif api == "flexiblas":
                    _use("process", lib, "flexiblas_get_num_threads", "flexiblas_set_num_threads")
                    mode = _PROCESS
                elif api == "mkl":
                    _use("thread", lib, "MKL_Get_Max_Threads", "MKL_Set_Num_Threads_Local")
                    mode = _THREAD
                else:
                    _found["reason"] = f"{api}: its thread count is left alone"
        except Exception as e:      # ImportError (no threadpoolctl), no RTLD_NOLOAD (Windows), ...
            _found["reason"] = f"{type(e).__name__}: {e}"
            mode = _NONE
        _found["scope"] = {_PROCESS: "process", _THREAD: "thread"}.get(mode)
        _mode = mode
    return 0


# ---------------------------------------------------------------------------------------------
# Python face, for tests and benchmarks

def info():
    """What the look-up found: 'scope' ('process', 'thread', or None: nothing is changed),
    'api', 'filepath', 'threading_layer' of the library, or 'reason' why none; and
    'single_thread_below'."""
    if _mode == _UNSET:
        _look_up()
    return dict(_found, single_thread_below=_SINGLE_THREAD_BELOW)


def threads_for(Py_ssize_t n):
    """blas_threads_for(n): 1, or 0 (the user's count stands)."""
    return blas_threads_for(n)


def _set_enabled(bint enabled):
    """Switch the limit on or off (all later calls); returns the previous state. For the
    benchmarks that show what it saves."""
    global _enabled
    old = _enabled
    _enabled = enabled
    return old
