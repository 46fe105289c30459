# The Cython mirror of csrc/fastnewton.h's objective types: declarations come from the header,
# never re-typed.
cdef extern from "fastnewton.h" nogil:
    ctypedef double (*fn_value_grad)(int n, const double *x, double *grad, void *user_data) noexcept
    ctypedef double (*fn_value)(int n, const double *x, void *user_data) noexcept
    ctypedef int (*fn_hessian)(int n, const double *x, double *hess, void *user_data) noexcept
    ctypedef int (*fn_hessp)(int n, const double *x, const double *v, double *hv,
                             void *user_data) noexcept


# enum fn_status (the status codes) is declared once, with its Python face, in
# fastnewton/_objective.pxd: cimport FN_* from fastnewton._objective.
