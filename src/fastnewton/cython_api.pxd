# fastnewton's public Cython API: cimport from here, not from the underscore modules.
#
#     from fastnewton.cython_api cimport fn_engine, engine_start, engine_tell, ...
#
# with fastnewton.get_include() on the extension's include_dirs and cythonize's include_path
# (README, "From Cython"). Every name below is a C function or type of the compiled kernels,
# callable without the GIL; docs/architecture.md describes the layers and the protocol, and
# the .pxd each name comes from documents its arguments. Nothing here needs a module of its
# own: the functions come from the kernel modules at import.

# The objective ABI (fastnewton.h) and the struct every kernel evaluates through
from fastnewton.fastnewton_h cimport fn_value_grad, fn_value, fn_hessian
from fastnewton._objective cimport (fn_objective, fn_status, fn_request, fd_scheme,
                                   FN_CONVERGED, FN_MAXITER, FN_LINESEARCH_FAILED,
                                   FN_NONFINITE, FN_CALLBACK_STOP, FN_CONVERGED_STEP,
                                   FN_USER_ERROR, FN_NOT_DESCENT, FN_NO_MEMORY, FN_UNBOUNDED,
                                   REQ_DONE, REQ_F, REQ_FG, REQ_G, REQ_HESS, REQ_ITER,
                                   FD_FORWARD, FD_CENTRAL)

# Dense and banded (modified) Cholesky
from fastnewton._linalg cimport (chol_factor, chol_solve, chol_solve_rows, modified_chol,
                                 band_chol_solve, modified_band_chol, all_finite, dot)

# Finite differences through an fn_objective, and the one evaluation server
from fastnewton._fdiff cimport (fd_gradient, fd_hessian_grad, fd_hessian_values, fd_hessp,
                                fd_hessian_band, default_rel_step, fn_serve)

# The strong-Wolfe line search: resumable (ls_start / ls_tell) or direct (wolfe_search)
from fastnewton._linesearch cimport (ls_params, ls_result, ls_state, ls_start, ls_tell,
                                     ls_separate, wolfe_search)

# The iteration engine: one solve's state, ask/tell, and the direct driver
from fastnewton._engine cimport (solve_opts, fn_engine, method_ops, engine_layout, iter_hook,
                                 engine_carve, engine_start, engine_tell, engine_run, gnorm,
                                 BAND_AUTO)

# The methods, by name ('newton', 'bfgs', 'lbfgs', 'sr1')
from fastnewton._methods cimport method_entry, method_named
