/*
 * cobjectives_bench.c -- C objectives for bench/bench_minimize.py, with the ABI of
 * csrc/fastnewton.h: double f(int n, const double *x, double *grad, void *user_data).
 *
 * Compiled by tests/_cbuild.py (compile_shared: cc -O2 -shared -fPIC -ffp-contract=off) and
 * handed to fastnewton as scipy.LowLevelCallable objects.
 *
 *   ext_rosen_fg   extended Rosenbrock, MGH #21 (decoupled pairs), as fastnewton._problems'
 *                  "extended_rosenbrock" (n even):
 *                    f = sum_{i<n/2} 100 (x_{2i+1} - x_{2i}^2)^2 + (1 - x_{2i})^2
 *                  The gradient uses the operations, in the order, of the NumPy gradient
 *                  there, so the two agree bitwise (-ffp-contract=off: no FMA). The value is
 *                  summed left to right (NumPy sums pairwise), so it may differ in the last
 *                  bits.
 *   ext_rosen_f    the same, value only: double f(int n, const double *x, void *user_data).
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
