# C-level face of fastnewton/_sparse_chol.pyx: the sparse (modified) Cholesky factorization of a
# symmetric matrix given as the values of a full symmetric CSR pattern (both triangles, the
# diagonal present, sorted int32 indices: what _colouring._pattern returns). Only the lower
# triangle (row >= column, in the pattern's own indexing) of the values is read.
#
#     plan = analyse(indptr, indices)        # Python, once per pattern (ordering + symbolic)
#     cdef const sc_plan *S = &(<SparsePlan>plan).plan
#     work: S.factor_size doubles, scratch: S.solve_scratch doubles (the caller's)
#     info = sc_modified(S, hval, beta, work, &tau)     # nogil
#     sc_solve(S, work, b, scratch)                     # b <- (H + tau I)^{-1} b, nogil
#
# Every array below belongs to the SparsePlan that filled the struct; the plan must outlive
# every use of the pointers.

ctypedef struct sc_plan:
    int n
    Py_ssize_t nnz               # entries of the full symmetric CSR pattern
    Py_ssize_t factor_size       # doubles the numeric factor + its scratch need (one buffer)
    Py_ssize_t solve_scratch     # doubles sc_solve needs as scratch (>= n)
    const int *indptr            # the pattern (n + 1, nnz): read by sc_modified's norms
    const int *indices
    const int *perm              # perm[k] = original index of the k-th eliminated variable
    int nsuper                   # supernodes, in a postorder of the supernodal tree
    const int *super_first       # nsuper + 1: columns (permuted) super_first[s] .. [s+1]-1
    const Py_ssize_t *row_ptr    # nsuper + 1: rows[row_ptr[s]:row_ptr[s+1]] = row structure of
    const int *rows              #   s (permuted indices; its own columns first, then sorted)
    const Py_ssize_t *l_ptr      # nsuper: offset in work of s's m x k column-major block
    const Py_ssize_t *rel_ptr    # nsuper + 1: rel[rel_ptr[s]:...] = positions, in the parent's
    const int *rel               #   rows, of s's rows below its columns (the extend-add map)
    const Py_ssize_t *child_ptr  # nsuper + 1: children[child_ptr[s]:...] = s's children,
    const int *children          #   increasing
    const Py_ssize_t *asm_ptr    # nsuper + 1: the entries of H assembled into supernode s:
    const int *asm_src           #   work[asm_dst[t]] += hval[asm_src[t]]
    const Py_ssize_t *asm_dst
    Py_ssize_t w_offset          # offset in work of the (m-k)^2 update-matrix scratch
    Py_ssize_t stack_offset      # offset in work of the stack of pending update matrices
    Py_ssize_t nnz_l             # nonzeros of L (the exact count, diagonal included)


cdef int sc_factor(const sc_plan *S, const double *hval, double shift, double *work) noexcept nogil
cdef int sc_modified(const sc_plan *S, const double *hval, double beta, double *work,
                     double *tau) noexcept nogil
cdef void sc_solve(const sc_plan *S, const double *work, double *b, double *scratch) noexcept nogil


cdef class SparsePlan:
    cdef sc_plan plan
    cdef readonly object indptr, indices, perm, super_first, row_ptr, rows, l_ptr
    cdef readonly object rel_ptr, rel, asm_ptr, asm_src, asm_dst, child_ptr, children
    cdef readonly Py_ssize_t nnz_l, factor_size, solve_scratch
    cdef readonly int n_supernodes, n, max_front
    cdef readonly double flops
