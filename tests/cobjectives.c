/*
 * cobjectives.c -- small C objectives with the ABI of csrc/fastnewton.h, for tests and benchmarks.
 *
 * Built by tests/_support.py (cc -O2 -shared -fPIC -ffp-contract=off) and loaded with ctypes; the
 * functions are handed to fastnewton as scipy.LowLevelCallable objects.
 *
 * The arithmetic mirrors, operation for operation, the Python/NumPy formulas in the tests
 * (tests/test_fdiff.py: rosen_value_loop, rosen_grad_np, quad_value_loop), so a Python objective
 * and its C twin return bitwise-identical numbers. -ffp-contract=off keeps the compiler from
 * fusing a*b+c into an FMA, which would break that.
 *
 *   rosen_fg / rosen_f      extended (chained) Rosenbrock, as scipy.optimize.rosen / rosen_der:
 *                           f = sum_{i<n-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2
 *   quad_fg / quad_f        f = 0.5 x^T A x, A (n x n, row-major doubles) passed as user_data
 *   counted_rosen_fg / _f   rosen, counting calls in user_data (long long[2]: all calls,
 *                           calls that asked for the gradient)
 *   gated_rosen_fg          rosen, but each call waits until another thread has answered it
 *                           (see its comment): the GIL tests' objective
 *   answer_calls            answer gated calls from C, for a set number of calls
 *   bad_signature           double (double, void *): a signature fastnewton must reject
 *   fd_hessian_floor        benchmark floor: the gradient calls of a central FD Hessian, nothing
 *                           else (see its comment)
 */
#define _POSIX_C_SOURCE 199309L      /* clock_gettime */
#include <math.h>
#include <string.h>
#include <time.h>

#include "fastnewton.h"

/* ------------------------------------------------------------------------------------------ */
/* Extended Rosenbrock                                                                         */

double rosen_fg(int n, const double *x, double *grad, void *user_data)
{
    double s = 0.0;
    int i;
    (void)user_data;
    for (i = 0; i < n - 1; i++) {
        double a = x[i], b = x[i + 1];
        double t = b - a * a;
        double u = 1.0 - a;
        s += 100.0 * t * t + u * u;
    }
    if (grad != NULL) {
        if (n == 1) {
            grad[0] = 0.0;
            return s;
        }
        /* the formulas and operation order of scipy.optimize.rosen_der */
        grad[0] = -400.0 * x[0] * (x[1] - x[0] * x[0]) - 2.0 * (1.0 - x[0]);
        for (i = 1; i < n - 1; i++) {
            grad[i] = 200.0 * (x[i] - x[i - 1] * x[i - 1])
                      - 400.0 * (x[i + 1] - x[i] * x[i]) * x[i]
                      - 2.0 * (1.0 - x[i]);
        }
        grad[n - 1] = 200.0 * (x[n - 1] - x[n - 2] * x[n - 2]);
    }
    return s;
}

double rosen_f(int n, const double *x, void *user_data)
{
    return rosen_fg(n, x, NULL, user_data);
}

/* ------------------------------------------------------------------------------------------ */
/* Quadratic 0.5 x^T A x, A in user_data                                                        */

double quad_fg(int n, const double *x, double *grad, void *user_data)
{
    const double *A = (const double *)user_data;
    double f = 0.0;
    int i, j;
    for (i = 0; i < n; i++) {
        const double *row = A + (size_t)i * (size_t)n;
        double s = 0.0;
        for (j = 0; j < n; j++)
            s += row[j] * x[j];
        if (grad != NULL)
            grad[i] = s;
        f += x[i] * s;
    }
    return 0.5 * f;
}

double quad_f(int n, const double *x, void *user_data)
{
    return quad_fg(n, x, NULL, user_data);
}

/* ------------------------------------------------------------------------------------------ */
/* Call counting                                                                               */

double counted_rosen_fg(int n, const double *x, double *grad, void *user_data)
{
    long long *count = (long long *)user_data;
    count[0] += 1;
    if (grad != NULL)
        count[1] += 1;
    return rosen_fg(n, x, grad, NULL);
}

double counted_rosen_f(int n, const double *x, void *user_data)
{
    long long *count = (long long *)user_data;
    count[0] += 1;
    return rosen_fg(n, x, NULL, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Calls that wait for an answer (the GIL tests)                                               */

/*
 * user_data: long long[4] = {calls so far, calls answered, calls that timed out, time limit
 * per call in ms}. Call k (k = 1, 2, ...) sets calls = k, then waits until answered >= k, or
 * until the time limit passes (then timeouts += 1), and returns rosen_fg. A Python thread
 * answers by storing calls into answered, which it can only do while it holds the GIL: so
 * every call of a kernel that releases the GIL is answered at once, while a call made with
 * the GIL held (through ctypes.PyDLL, say) waits out its whole limit. Nothing depends on
 * timing when the GIL is free; the limit only bounds how long a failure takes.
 */
static double elapsed_ms(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return 1e3 * (double)(t.tv_sec - t0->tv_sec) + 1e-6 * (double)(t.tv_nsec - t0->tv_nsec);
}

double gated_rosen_fg(int n, const double *x, double *grad, void *user_data)
{
    volatile long long *ud = (volatile long long *)user_data;
    long long k = ud[0] + 1;
    struct timespec t0;
    ud[0] = k;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (ud[1] < k) {
        if (elapsed_ms(&t0) > (double)ud[3]) {
            ud[2] += 1;
            break;
        }
    }
    return rosen_fg(n, x, grad, NULL);
}

/* Answer every gated call until `target` calls have been made or `seconds` have passed;
 * *start gets the number of calls made on entry. Returns the number made on exit. Called
 * through ctypes.PyDLL it answers while holding the GIL. */
long long answer_calls(long long *user_data, long long target, double seconds, long long *start)
{
    volatile long long *ud = (volatile long long *)user_data;
    struct timespec t0;
    *start = ud[0];
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        long long c = ud[0];
        ud[1] = c;
        if (c >= target || elapsed_ms(&t0) > 1e3 * seconds)
            return c;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* A signature outside the ABI                                                                 */

double bad_signature(double t, void *user_data)
{
    (void)user_data;
    return t;
}

/* ------------------------------------------------------------------------------------------ */
/* Benchmark floor                                                                             */

/*
 * The objective work of `reps` central finite-difference Hessians from gradients, and nothing
 * else: per Hessian, one gradient at x and, for each j, the gradients at x + h_j e_j and
 * x - h_j e_j (2n + 1 calls, the count fastnewton.hessian makes), through a function pointer
 * as the kernel calls it. Left out: the differences, the symmetrization, allocation and the
 * Python layer -- the "bookkeeping" whose cost the benchmark measures as hessian / floor.
 * work: 4n doubles (xw, g0, g1, g2). Returns a checksum so nothing is optimized away.
 */
double fd_hessian_floor(fn_value_grad fg, void *user_data, int n, const double *x,
                        double rel_step, int reps, double *work)
{
    double *xw = work, *g0 = work + n, *g1 = work + 2 * n, *g2 = work + 3 * n;
    double acc = 0.0;
    int r, j;
    for (r = 0; r < reps; r++) {
        acc += fg(n, x, g0, user_data);
        memcpy(xw, x, (size_t)n * sizeof(double));
        for (j = 0; j < n; j++) {
            double xj = x[j];
            volatile double t = xj + rel_step * fmax(1.0, fabs(xj));
            double h = t - xj;
            xw[j] = xj + h;
            fg(n, xw, g1, user_data);
            xw[j] = xj - h;
            fg(n, xw, g2, user_data);
            xw[j] = xj;
            acc += g1[j] - g2[j];
        }
    }
    return acc;
}

/* Type check against the ABI typedefs of fastnewton.h: a mismatch is an incompatible-pointer
 * assignment, an error under -Werror=incompatible-pointer-types (tests/_support.py sets it). */
void cobjectives_abi_check(fn_value_grad *fg, fn_value *f)
{
    fg[0] = rosen_fg;
    fg[1] = quad_fg;
    fg[2] = counted_rosen_fg;
    fg[3] = gated_rosen_fg;
    f[0] = rosen_f;
    f[1] = quad_f;
    f[2] = counted_rosen_f;
}
