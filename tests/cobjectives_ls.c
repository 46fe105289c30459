/*
 * cobjectives_ls.c -- C objectives for the line-search tests and benchmarks
 * (tests/test_linesearch_*.py, bench/bench_linesearch.py), with the ABI of csrc/fastnewton.h.
 *
 * Built with tests/_support.compile_shared (cc -O2 -shared -fPIC -ffp-contract=off) and loaded
 * with ctypes; the objectives go to fastnewton.line_search as scipy.LowLevelCallable objects.
 *
 *   family_fg / family_f  a parametric smooth family covering the test problems (quadratic,
 *                         quartic, exponential, trigonometric) -- parameters in user_data:
 *       f(x) = sum_i [ d_i x_i^2 / 2 + b_i x_i + q_i x_i^4 + s_i sin(k_i x_i) ]
 *              + sum_j w_j exp(c_j . x)
 *       user_data: double[5n + 1 + m + m n] = d, b, q, s, k (n each), m, w (m), C (m x n,
 *       row-major). The tests' NumPy twin (Family.f / Family.grad) is the same formula.
 *   ls_eval_floor         benchmark floor: k evaluations (value and gradient) at x + t_j p
 *                         through a function pointer, and nothing else
 */
#include <math.h>
#include <string.h>

#include "fastnewton.h"

double family_fg(int n, const double *x, double *grad, void *user_data)
{
    const double *prm = (const double *)user_data;
    const double *d = prm, *b = prm + n, *q = prm + 2 * n, *s = prm + 3 * n, *k = prm + 4 * n;
    int m = (int)prm[5 * n];
    const double *w = prm + 5 * n + 1, *C = w + m;
    double f = 0.0;
    int i, j;
    for (i = 0; i < n; i++) {
        double xi = x[i], x2 = xi * xi;
        f += 0.5 * d[i] * x2 + b[i] * xi + q[i] * (x2 * x2) + s[i] * sin(k[i] * xi);
        if (grad != NULL)
            grad[i] = d[i] * xi + b[i] + 4.0 * q[i] * (x2 * xi) + s[i] * k[i] * cos(k[i] * xi);
    }
    for (j = 0; j < m; j++) {
        const double *c = C + (size_t)j * (size_t)n;
        double t = 0.0, e;
        for (i = 0; i < n; i++)
            t += c[i] * x[i];
        e = w[j] * exp(t);
        f += e;
        if (grad != NULL)
            for (i = 0; i < n; i++)
                grad[i] += e * c[i];
    }
    return f;
}

double family_f(int n, const double *x, void *user_data)
{
    return family_fg(n, x, NULL, user_data);
}

/*
 * The objective work of a line search and nothing else: for j < k, x_t = x + t[j] p and one
 * value-and-gradient call at x_t through fg, as the kernel makes them. work: 2n doubles.
 * Returns a checksum so nothing is optimized away.
 */
double ls_eval_floor(fn_value_grad fg, void *user_data, int n, const double *x,
                     const double *p, const double *t, int k, double *work)
{
    double *xt = work, *g = work + n;
    double acc = 0.0;
    int i, j;
    for (j = 0; j < k; j++) {
        for (i = 0; i < n; i++)
            xt[i] = x[i] + t[j] * p[i];
        acc += fg(n, xt, g, user_data) + g[0];
    }
    return acc;
}

/* Type check against the ABI typedefs (-Werror=incompatible-pointer-types in _support). */
void cobjectives_ls_abi_check(fn_value_grad *fg, fn_value *f)
{
    fg[0] = family_fg;
    f[0] = family_f;
}
