/*
 * cobjectives_min.c -- C objectives for tests/test_newton.py and bench/bench_minimize.py, with
 * the ABI of csrc/fastnewton.h.
 *
 * Built by tests/_support.compile_shared (cc -O2 -shared -fPIC -ffp-contract=off) and handed to
 * fastnewton.minimize as scipy.LowLevelCallable objects.
 *
 *   ext_rosen_fg / ext_rosen_f   the extended Rosenbrock function of Moré, Garbow & Hillstrom
 *                                (problem 21; n even, decoupled pairs), the problem
 *                                fastnewton.testing.get("extended_rosenbrock", n) computes:
 *                                f = sum_{i<n/2} 100 (x_{2i+1} - x_{2i}^2)^2 + (1 - x_{2i})^2
 *   ext_rosen_hessp              its Hessian-vector product (fn_hessp), for method='newton-cg'
 *
 * Operation order, for bitwise twins in Python: each term is 100.0 * (t * t) + u * u with
 * t = x_{2i+1} - x_{2i} * x_{2i}, u = 1.0 - x_{2i}; the terms are summed left to right from 0.0
 * (as numpy.cumsum does, not numpy.sum's pairwise summation); the gradient is
 * g_{2i} = -400.0 * x_{2i} * t - 2.0 * u and g_{2i+1} = 200.0 * t, evaluated left to right.
 */
#include <stddef.h>

#include "fastnewton.h"

double ext_rosen_fg(int n, const double *x, double *grad, void *user_data)
{
    double s = 0.0;
    int i;
    (void)user_data;
    for (i = 0; i + 1 < n; i += 2) {
        double o = x[i], e = x[i + 1];
        double t = e - o * o;
        double u = 1.0 - o;
        s += 100.0 * (t * t) + u * u;
        if (grad != NULL) {
            grad[i] = -400.0 * o * t - 2.0 * u;
            grad[i + 1] = 200.0 * t;
        }
    }
    return s;
}

double ext_rosen_f(int n, const double *x, void *user_data)
{
    return ext_rosen_fg(n, x, NULL, user_data);
}

/* H(x) v of the extended Rosenbrock function (2 x 2 blocks); user_data NULL, or an int that,
 * when non-zero, makes it fail (return 1) from that many calls on: a hessp that stops a solve. */
int ext_rosen_hessp(int n, const double *x, const double *v, double *hv, void *user_data)
{
    int i;
    int *fail_after = (int *)user_data;
    if (fail_after != NULL && *fail_after != 0 && --*fail_after == 0)
        return 1;
    for (i = 0; i + 1 < n; i += 2) {
        double o = x[i], e = x[i + 1];
        hv[i] = (1200.0 * o * o - 400.0 * e + 2.0) * v[i] - 400.0 * o * v[i + 1];
        hv[i + 1] = -400.0 * o * v[i] + 200.0 * v[i + 1];
    }
    return 0;
}

/* Type check against the ABI typedefs (an error under -Werror=incompatible-pointer-types). */
void cobjectives_min_abi_check(fn_value_grad *fg, fn_value *f, fn_hessp *hp)
{
    fg[0] = ext_rosen_fg;
    f[0] = ext_rosen_f;
    hp[0] = ext_rosen_hessp;
}
