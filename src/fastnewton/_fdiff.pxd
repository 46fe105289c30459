# C-level face of fastnewton/_fdiff.pyx: finite-difference derivatives through fn_objective.
from libc.math cimport fabs, fmax
from fastnewton._objective cimport fn_objective


cdef inline double _step(double xi, double r) noexcept nogil:
    """The step rule of every kernel: h = r max(1, |x_i|), then the representable (x_i + h) - x_i.
    Here, not in _fdiff.pyx, so that the coloured Hessian (_colouring) takes the same steps."""
    cdef double h = r * fmax(1.0, fabs(xi))
    cdef volatile double t = xi + h     # volatile: keep the compiler from folding (x+h)-x to h
    return t - xi


cdef double default_rel_step(int method, int order) noexcept nogil
cdef int fd_gradient(fn_objective *o, const double *x, double f0, double *g, int method,
                     double rel_step, double *xw) noexcept nogil
cdef double fn_fg(fn_objective *o, const double *x, double *g) noexcept nogil
cdef void fn_g(fn_objective *o, const double *x, double *g) noexcept nogil
cdef void fn_g_at(fn_objective *o, const double *x, double f, double *g) noexcept nogil
cdef double fn_serve(fn_objective *o, int req, const double *x, double f, double *g) noexcept nogil
cdef int fd_hessian_grad(fn_objective *o, const double *x, const double *g0, double *h,
                         int method, double rel_step, double *xw, double *gw1,
                         double *gw2) noexcept nogil
cdef int fd_hessian_values(fn_objective *o, const double *x, double f0, double *h,
                           double rel_step, double *xw) noexcept nogil
cdef int fd_hessp(fn_objective *o, const double *x, const double *g0, const double *v,
                  double *out, int method, double rel_step, double *xw, double *gw) noexcept nogil
cdef int fd_hessian_band(fn_objective *o, const double *x, const double *g0, double *ab,
                         int kd, int method, double rel_step, double *xw, double *gw1,
                         double *gw2, double *steps, double *cols) noexcept nogil
