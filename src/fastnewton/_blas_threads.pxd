# C-level face of fastnewton/_blas_threads.pyx: one BLAS thread around the kernels of a small
# solve or factorization (see that module's docstring for the rule, the library it controls
# and what concurrent solves see).
#
#     cdef blas_limit lim
#     blas_limit_enter(&lim, n)     # with the GIL (the first call looks the library up)
#     try:
#         with nogil:
#             ...                   # BLAS / LAPACK through scipy.linalg.cython_blas/_lapack
#     finally:
#         blas_limit_leave(&lim)    # always, exactly once per enter

cdef struct blas_limit:
    int taken       # what enter did (a private code of _blas_threads; 0: nothing to undo)
    int prev        # a thread-local library's own setting before enter, put back by leave

cdef int blas_threads_for(Py_ssize_t n) noexcept nogil
cdef int blas_limit_enter(blas_limit *lim, Py_ssize_t n) except -1
cdef void blas_limit_leave(blas_limit *lim) noexcept nogil
