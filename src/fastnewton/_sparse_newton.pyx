"""Newton's method with a sparse Hessian, as an engine plug-in (nogil, allocation-free): the
Hessian by star-coloured finite differences of the gradient on a given sparsity pattern, the
step from a sparse modified Cholesky factorization. No n x n array exists on this path.

Nocedal & Wright, *Numerical Optimization*, 2nd ed.: the Hessian H_k from finite differences
of the gradient exploiting its sparsity (section 8.1, "Approximating the Hessian", with the
symmetric colourings of Coleman & More 1984 and Gebremedhin, Manne & Pothen 2005, see
_colouring.pyx): one gradient per group (forward) or two (central), the groups of a star
colouring, the entries recovered directly. The step solves (H_k + tau_k I) p_k = -g_k with
H_k + tau_k I = L L^T by the sparse modified Cholesky of _sparse_chol.pyx, whose shift rule is
Alg. 3.3's, the same sequence as the dense and banded solvers (_linalg.pyx): tau_k = 0 when H_k
is positive definite, so the step is the pure Newton step near a minimizer (quadratic
convergence), and a descent direction always. The engine caps the first trial step (CAP_X),
as for dense Newton.

What is done once per solve (SparseNewtonPlan, with the GIL, before the iteration): the
pattern's symmetric closure with its diagonal, its colouring and recovery plan
(_colouring.ColouredPattern), and the fill-reducing ordering and symbolic factorization
(_sparse_chol.SparsePlan). Each iteration is then REQ_HESS (sparse_newton_evaluate: the groups'
gradients, the recovery into hval) and the direction (the numeric factorization of the same
pattern, two triangular solves), in the workspace carved once.
"""
from fastnewton._objective cimport fn_objective, FN_NONFINITE, FN_USER_ERROR
from fastnewton._colouring cimport colour_plan, fd_hessian_planned
from fastnewton._sparse_chol cimport sc_modified, sc_solve
from fastnewton._linalg cimport all_finite
from fastnewton._engine cimport CAP_X, method_table

cdef Py_ssize_t MODEL_DOUBLES = ((sizeof(sparse_newton_model) + sizeof(double) - 1)
                                 // sizeof(double))


cdef inline const sparse_newton_plan *_plan(const solve_opts *opt) noexcept nogil:
    return <const sparse_newton_plan *>opt.sparse


cdef Py_ssize_t sparse_newton_carve(int n, const solve_opts *opt, double *base) noexcept nogil:
    """The model struct, hval (nnz), the factor (the plan's factor_size), fdw (the larger of
    the finite differences' 4n + nnz and the solve's scratch). Its size in doubles; with base
    not NULL also places the struct there with its pointers set."""
    cdef const sparse_newton_plan *P = _plan(opt)
    cdef Py_ssize_t nn = n, nnz = P.colour.nnz, fdw = 4 * nn + nnz
    cdef sparse_newton_model *m = <sparse_newton_model *>base
    if P.chol.solve_scratch > fdw:
        fdw = P.chol.solve_scratch
    if base != NULL:
        m.hval = base + MODEL_DOUBLES
        m.factor = m.hval + nnz
        m.fdw = m.factor + P.chol.factor_size
    return MODEL_DOUBLES + nnz + P.chol.factor_size + fdw


cdef inline sparse_newton_model *_model(fn_engine *e) noexcept nogil:
    return <sparse_newton_model *>e.model


cdef bint _start(fn_engine *e) noexcept nogil:
    cdef sparse_newton_model *m = _model(e)
    m.nhev = 0
    m.tau = 0.0
    return False                        # the model is evaluated, never learnt: never fresh


cdef int _evaluate(fn_objective *o, fn_engine *e) noexcept nogil:
    """REQ_HESS: the coloured finite-difference Hessian at e.x into hval; 0 or FN_USER_ERROR."""
    cdef sparse_newton_model *m = _model(e)
    m.nhev += 1
    if fd_hessian_planned(o, e.x, e.g, _plan(&e.opt).colour, m.hval, e.opt.fd_method,
                          e.opt.fd_rel_step, m.fdw) != 0 or o.error:
        return FN_USER_ERROR
    return 0


cdef int _direction(fn_engine *e) noexcept nogil:
    """p = -(H + tau I)^{-1} g by the sparse modified Cholesky; 0 or FN_NONFINITE."""
    cdef sparse_newton_model *m = _model(e)
    cdef const sparse_newton_plan *P = _plan(&e.opt)
    cdef int i
    if not all_finite(m.hval, P.colour.nnz):
        return FN_NONFINITE
    if sc_modified(P.chol, m.hval, e.opt.chol_beta, m.factor, &m.tau) != 0:
        return FN_NONFINITE
    for i in range(e.n):
        e.p[i] = -e.g[i]
    sc_solve(P.chol, m.factor, e.p, m.fdw)
    return 0


cdef method_ops OPS = method_table(sparse_newton_carve, _start, _evaluate, _direction,
                                   NULL, NULL, CAP_X)


cdef const method_ops *sparse_newton_ops() noexcept nogil:
    return &OPS


# ---- with the GIL: the plan, and what minimize reports of the model

import numpy as np
from fastnewton._colouring cimport ColouredPattern
from fastnewton._sparse_chol cimport SparsePlan
from fastnewton._sparse_chol import analyse


cdef class SparseNewtonPlan:
    """Everything sparse Newton does once per pattern: the ColouredPattern of `sparsity`
    (symmetric closure with the diagonal, colouring, recovery plan) and the symbolic sparse
    Cholesky of that closure. ValueError naming `name` for a pattern that is not n x n."""

    def __init__(self, sparsity, n, name="options['hess_sparsity']"):
        cdef ColouredPattern cp = ColouredPattern(sparsity, n, name)
        cdef SparsePlan sc = analyse(cp.indptr, cp.indices)
        self.colour = cp
        self.chol = sc
        self.c.colour = &cp.c
        self.c.chol = &sc.plan


cdef dict sparse_newton_result(fn_engine *e):
    """nhev, and 'hess': the last Hessian evaluated as a scipy.sparse CSR matrix on the
    pattern's closure, or None (none evaluated, or not finite)."""
    cdef sparse_newton_model *m = _model(e)
    cdef const sparse_newton_plan *P = _plan(&e.opt)
    cdef const colour_plan *C = P.colour
    cdef Py_ssize_t nnz = C.nnz, n1 = C.n + 1
    out = {"nhev": m.nhev, "hess": None}
    if m.nhev == 0 or e.status == FN_NONFINITE:
        return out
    import scipy.sparse as sp
    out["hess"] = sp.csr_matrix((np.asarray(<double[:nnz]>m.hval).copy(),
                                 np.asarray(<const int[:nnz]>C.indices).copy(),
                                 np.asarray(<const int[:n1]>C.indptr).copy()),
                                shape=(C.n, C.n))
    return out
