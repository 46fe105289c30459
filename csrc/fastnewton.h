/*
 * fastnewton.h -- the objective ABI shared by every fastnewton kernel.
 *
 * An objective is a plain C function plus an opaque user_data pointer. Kernels never know
 * whether it is a compiled function (scipy.LowLevelCallable from ctypes, numba cfunc, Cython)
 * or the GIL-taking trampoline that fastnewton puts in front of a Python callable.
 */
#ifndef FASTNEWTON_H
#define FASTNEWTON_H

#ifdef __cplusplus
extern "C" {
#endif

/* Returns f(x); when grad != NULL also writes the gradient into grad[0..n-1]. */
typedef double (*fn_value_grad)(int n, const double *x, double *grad, void *user_data);

/* Value only: the gradient then comes from finite differences. */
typedef double (*fn_value)(int n, const double *x, void *user_data);

/* Optional exact Hessian: writes the n x n Hessian at x into hess (row-major); returns 0, or
 * non-zero to stop the solve (an error the caller has recorded). */
typedef int (*fn_hessian)(int n, const double *x, double *hess, void *user_data);

/* Optional Hessian-vector product (Newton-CG): writes H(x) v into hv; returns 0, or non-zero
 * to stop the solve (an error the caller has recorded). */
typedef int (*fn_hessp)(int n, const double *x, const double *v, double *hv, void *user_data);

/* Status codes shared by all solvers (docs/design.md, "Status codes"). */
enum fn_status {
    FN_CONVERGED = 0,        /* gradient tolerance reached */
    FN_MAXITER = 1,          /* maximum number of iterations */
    FN_LINESEARCH_FAILED = 2,/* strong Wolfe conditions could not be met */
    FN_NONFINITE = 3,        /* non-finite value where a finite one was needed */
    FN_CALLBACK_STOP = 4,    /* stopped by the user's callback */
    FN_CONVERGED_STEP = 5,   /* converged by step / function tolerance */
    FN_USER_ERROR = 6,       /* the user's Python callable raised (re-raised by the API) */
    FN_NOT_DESCENT = 7,      /* line search: the direction is not a descent direction */
    FN_NO_MEMORY = 8,        /* allocation failed */
    FN_UNBOUNDED = 9         /* f appears unbounded below (see fastnewton/_solvers.pyx) */
};

#ifdef __cplusplus
}
#endif
#endif /* FASTNEWTON_H */
