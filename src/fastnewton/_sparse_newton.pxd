# C-level face of fastnewton/_sparse_newton.pyx: Newton's method with a sparse Hessian (coloured
# finite differences, sparse modified Cholesky) as an engine plug-in.
from fastnewton._engine cimport fn_engine, method_ops, solve_opts
from fastnewton._colouring cimport colour_plan
from fastnewton._sparse_chol cimport sc_plan

# What a solve's solve_opts.sparse points to: the pattern's colouring and recovery plan and the
# symbolic factorization of that pattern, made once per solve (SparseNewtonPlan).
ctypedef struct sparse_newton_plan:
    const colour_plan *colour
    const sc_plan *chol

# Sparse Newton's part of the workspace (sparse_newton_carve): this struct, then hval, factor,
# fdw.
ctypedef struct sparse_newton_model:
    double *hval              # nnz: the Hessian's values in the pattern's CSR order
    double *factor            # chol.factor_size: the factor of H + tau I (and its scratch)
    double *fdw               # max(4n + nnz, solve scratch): finite differences, then the solve
    Py_ssize_t nhev           # Hessians evaluated
    double tau                # the last modified-Cholesky shift

cdef Py_ssize_t sparse_newton_carve(int n, const solve_opts *opt, double *base) noexcept nogil
cdef const method_ops *sparse_newton_ops() noexcept nogil
cdef dict sparse_newton_result(fn_engine *e)

cdef class SparseNewtonPlan:
    cdef sparse_newton_plan c
    cdef readonly object colour      # the ColouredPattern
    cdef readonly object chol        # the SparsePlan (_sparse_chol)
