# The one Cython mirror of csrc/fastnewton.h: declarations come from the header, never re-typed.
cdef extern from "fastnewton.h" nogil:
    ctypedef double (*fn_value_grad)(int n, const double *x, double *grad, void *user_data) noexcept
    ctypedef double (*fn_value)(int n, const double *x, void *user_data) noexcept
    ctypedef int (*fn_hessian)(int n, const double *x, double *hess, void *user_data) noexcept

    enum fn_status:
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
