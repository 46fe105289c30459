# C-level face of fastnewton/_linesearch.pyx: the strong-Wolfe line search every solver shares.
from fastnewton._objective cimport fn_objective

# Extra acceptance test at a strong-Wolfe point: 1 accept, 0 reject (search on), -1 stop now.
ctypedef int (*ls_accept_fn)(double alpha, const double *x, double f, const double *g,
                             void *data) noexcept nogil

ctypedef struct ls_params:
    double c1              # sufficient decrease (Armijo), 0 < c1 < c2
    double c2              # curvature, c2 < 1
    double amax            # largest step; inf for none
    int maxiter            # at most this many trial steps in each phase (bracket, zoom)
    double f_noise         # f values within f_noise of phi(0) count as "no worse" (0: strict)
    ls_accept_fn extra     # NULL for none
    void *extra_data

ctypedef struct ls_result:
    double alpha           # accepted step, or on failure the best step seen (0: none better)
    double f               # f at x + alpha p
    double slope           # grad f(x + alpha p) . p (NaN when not computed)
    int grad_valid         # 1 when g_out holds the gradient at x + alpha p
    double next_alpha      # FN_LINESEARCH_FAILED after all maxiter bracketing trials without a
                           # bracket (the last may be at amax): the step it would try next
                           # (2 alpha, capped at amax), unevaluated; else 0
    int doublings          # the bracketing phase ran out of trial steps after doubling the
                           # first one this many times, f still falling steeply (else 0)
    int f_minus_inf        # 1 when f was -inf at some trial step (overflow below)

cdef int wolfe_search(fn_objective *o, const double *x, const double *p, double f0,
                      double dphi0, double alpha0, const ls_params *prm, double *x_out,
                      double *g_out, ls_result *res) noexcept nogil
