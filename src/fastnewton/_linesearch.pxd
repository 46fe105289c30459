# C-level face of fastnewton/_linesearch.pyx: the strong-Wolfe line search every solver shares,
# as a resumable state machine (ls_start / ls_tell) and as a direct loop (wolfe_search).
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

# One search in progress. ls_start fills it; the caller then serves s.req at s.xt (REQ_F: f;
# REQ_FG: f and the gradient into s.gt; REQ_G: the gradient into s.gt, f there being s.f_req)
# and calls ls_tell with the f computed (ignored for REQ_G), until the request is REQ_DONE:
# then s.status (0 or an fn_status) and s.res say how it ended, and s.xt / s.gt hold the point
# s.res describes. Plain data, no pointers into itself: a caller may keep thousands.
ctypedef struct ls_state:
    int n
    const double *x        # the start point, the direction, the trial point and its gradient
    const double *p        # (caller's memory; x and p are only read)
    double *xt
    double *gt
    ls_params prm
    double f0              # phi(0) and phi'(0)
    double dphi0
    double amax
    bint separate          # ask for f alone where only f is needed (else f and g together)
    int req                # the pending request (fn_request)
    int stage              # where ls_tell resumes (the LS_* stages in _linesearch.pyx)
    double a_req           # the step of the pending F / FG / G request
    double f_req           # f there (REQ_G)
    int i                  # trial steps used in the current phase
    double a, f            # the current trial step and its f
    double a_prev, f_prev, d_prev               # bracketing: the trial before
    double a_lo, f_lo, d_lo, a_hi, f_hi         # zoom: the bracket ...
    double a_rec, f_rec                         # ... and the endpoint it replaced last
    double g_alpha         # the step at which gt holds the gradient (NaN: none)
    double best_alpha      # lowest finite f seen so far, and where
    double best_f
    double prev_alpha      # the best before it (restored if best's gradient is not finite)
    double prev_f
    bint f_minus_inf       # some trial f was -inf
    int status
    ls_result res

cdef int ls_start(ls_state *s, int n, const double *x, const double *p, double f0,
                  double dphi0, double alpha0, const ls_params *prm, bint separate,
                  double *xt, double *gt) noexcept nogil
cdef int ls_tell(ls_state *s, double f) noexcept nogil
cdef bint ls_separate(const fn_objective *o) noexcept nogil
cdef int wolfe_search(fn_objective *o, const double *x, const double *p, double f0,
                      double dphi0, double alpha0, const ls_params *prm, double *x_out,
                      double *g_out, ls_result *res) noexcept nogil
