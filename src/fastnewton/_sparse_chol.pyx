"""Sparse (modified) Cholesky: nested-dissection ordering, supernodal symbolic analysis and a
multifrontal numeric factorization over BLAS-3.

Design
------
Newton's sparse path solves (H + tau I) p = -g where H has a known symmetric pattern. We factor
P (H + tau I) P^T = L L^T with a fill-reducing permutation P, in three phases.

1. Ordering (once per pattern), ``_nd_order``. Nested dissection (George, "Nested dissection of
   a regular finite element mesh", SIAM J. Numer. Anal. 10, 1973) with separators from level
   structures (George & Liu, "An automatic nested dissection algorithm for irregular finite
   element problems", SIAM J. Numer. Anal. 15, 1978): a rooted level structure L_0 .. L_h from
   a pseudo-peripheral vertex (George & Liu 1979, the iteration of Gibbs, Poole & Stockmeyer
   1976: BFS again from a least-degree vertex of the last level while the depth grows). Since
   an edge joins only equal or adjacent levels, the vertices of L_j that touch L_{j+1} separate
   L_0..L_j from L_{j+1}..L_h (and so do the vertices of L_{j+1} touching L_j); of the levels
   that keep both sides at least BALANCE of the part we take the smallest such trimmed
   separator. The two sides are ordered first (recursively), the separator last, so that no
   fill joins the sides. Disconnected parts split into their components; parts of at most LEAF
   vertices are ordered by reverse Cuthill-McKee (a BFS order, reversed). Rows much denser
   than the rest (degree > 10 sqrt(n), an arrowhead's hub) are taken out first and ordered
   last, by degree: kept in, they would make every level structure two levels deep.

2. Symbolic analysis (once per pattern), ``analyse``. The elimination tree (Liu, "The role of
   elimination trees in sparse factorization", SIAM J. Matrix Anal. Appl. 11, 1990: parent(j) =
   min{i > j : l_ij != 0}, built with path-compressed ancestors), its postorder (the order is
   replaced by it: same fill, and every subtree becomes a range of columns), the column counts
   |L_{*j}| from the row subtrees (row k of L is the union of the tree paths from each j < k
   with a_kj != 0 up to k: O(nnz(L)) steps, done once). Fundamental supernodes (j+1 joins j
   when j+1 is j's parent, its only child, and |L_{*j}| = |L_{*,j+1}| + 1), then relaxed
   amalgamation as in CHOLMOD (Ashcraft & Grimes 1989): a supernode merges with its parent when
   it is the parent's last child in the postorder and the merged block stays small or keeps
   few explicit zeros (at most 4 columns; 16 columns and < 80% zeros; 48 and < 10%; any width
   and < 5%). Each supernode s owns columns f..f+k-1 and a row structure of m rows (its own
   columns first, then the rows below, sorted): the union of A's rows in its columns and its
   children's structures. The symbolic phase also fixes every offset the numeric phase uses:
   each supernode's dense m x k block, the map from H's values to those blocks, the map of each
   child's update rows into its parent, and the peak of the update-matrix stack.

3. Numeric factorization, ``sc_factor``: multifrontal (Duff & Reid 1983; Liu, "The
   multifrontal method for sparse matrix solution", SIAM Review 34, 1992). In postorder, the
   front of supernode s is the m x m matrix F = [F11 F21^T; F21 F22] on its rows: the first k
   columns (A's entries + the shift) are assembled directly into s's block of L, the children's
   update matrices, popped from a stack, are added in (extend-add), and then
       L11 = chol(F11)              dpotrf
       L21 = F21 L11^{-T}           dtrsm
       U   = F22 - L21 L21^T        dsyrk
   and U's lower triangle is pushed (packed) for the parent. All the floating-point work of a supernode is those three
   dense BLAS-3/LAPACK calls; only the extend-add is indexed. Why multifrontal rather than
   left-looking supernodal: every update of a supernode is a single dsyrk of its own (large)
   front instead of one dgemm per descendant into scattered targets, the extend-add needs one
   precomputed relative map per child, and with the postorder the stack's peak is known from
   the symbolic phase, so the numeric phase runs in one caller-given buffer and allocates
   nothing. A dpotrf failure (F11 not positive definite) returns its column (> 0) at once.

   ``sc_modified`` is the modified Cholesky of _linalg (Nocedal & Wright, Alg. 3.3, with the
   shift rule of _linalg.pxd, shared): tau_0 = 0 if min h_ii > 0 else beta_s - min h_ii, then
   doubling; each attempt reassembles from hval, so no backup of H is needed. Return codes as
   _linalg.modified_chol: 0 (tau set), -1 (no shift worked in MAX_SHIFTS: non-finite values),
   -2 (the shift overflowed; tau = 0).

4. Solve, ``sc_solve``: b <- P^T L^{-T} L^{-1} P b by supernodes, dtrsv on each diagonal block
   and dgemv with each L21 (gathered / scattered through the row structure).

All kernels trust their arguments (the Python layer validates).
"""

from libc.math cimport fabs, sqrt, isfinite
from libc.string cimport memset, memcpy
from libc.stdlib cimport qsort
from scipy.linalg.cython_lapack cimport dpotrf
from scipy.linalg.cython_blas cimport dtrsm, dsyrk, dtrsv, dgemv
from fastnewton._linalg cimport MAX_SHIFTS, _first_shift, _next_shift

import numpy as np

cdef enum:
    LEAF = 16           # parts of at most this many vertices are ordered by reverse Cuthill-McKee
    PPV_TRIES = 6       # BFS passes at most in the pseudo-peripheral vertex search

# each side of a level-structure separator keeps at least this share of the part (when possible)
cdef double BALANCE = 0.4


# ---------------------------------------------------------------------------------------------
# 1. Ordering: nested dissection by level structures


cdef int _bfs(const int *ptr, const int *adj, int root, int label, const int *mark, int *seen,
              int stamp, int *queue, int *lstart, int *nlev) noexcept nogil:
    """Level structure of the part {v : mark[v] == label} rooted at root: queue[0:count] in
    BFS order, level l = queue[lstart[l]:lstart[l+1]], nlev[0] levels. Returns count."""
    cdef int head = 0, tail = 1, lev = 0, end, v, u, e
    queue[0] = root
    seen[root] = stamp
    lstart[0] = 0
    while head < tail:
        end = tail
        while head < end:
            v = queue[head]
            head += 1
            for e in range(ptr[v], ptr[v + 1]):
                u = adj[e]
                if mark[u] == label and seen[u] != stamp:
                    seen[u] = stamp
                    queue[tail] = u
                    tail += 1
        lev += 1
        lstart[lev] = end
    nlev[0] = lev
    return tail


cdef void _leaf_order(const int *ptr, const int *adj, int *verts, int size, int label,
                      int *mark, int *seen, int *stamp, int *queue, int *lstart) noexcept nogil:
    """Reverse Cuthill-McKee (BFS order reversed) of the part verts[0:size], component by
    component; marks its vertices done (-1)."""
    cdef int i, t, pos = 0, count, nlev, best, v
    for i in range(size):
        v = verts[i]
        if mark[v] != label:
            continue
        # start each component at a least-degree vertex reached from v
        stamp[0] += 1
        count = _bfs(ptr, adj, v, label, mark, seen, stamp[0], queue + pos, lstart, &nlev)
        best = v
        for t in range(lstart[nlev - 1], count):
            if ptr[queue[pos + t] + 1] - ptr[queue[pos + t]] < ptr[best + 1] - ptr[best]:
                best = queue[pos + t]
        stamp[0] += 1
        count = _bfs(ptr, adj, best, label, mark, seen, stamp[0], queue + pos, lstart, &nlev)
        for t in range(count):
            mark[queue[pos + t]] = -1
        pos += count
    for i in range(size):
        verts[i] = queue[size - 1 - i]


cdef int _nd_order(int n, const int *ptr, const int *adj, int *order, int *mark, int *seen,
                   int *queue, int *lstart, int *levnum, int *tmp, int *stk) noexcept nogil:
    """Nested dissection (module docstring, 1): order[k] = the vertex eliminated k-th.
    Work arrays of n (+1) ints each; stk of 3 (n + 1). Returns 0."""
    cdef int i, v, u, e, j, t, lo, hi, label, size, count, nlev, nlev2, best, tries
    cdef int nhub = 0, next_label = 1, sp = 0, stamp = 0, pos, jbest, best_kind
    cdef int nbelow, nabove, a_cnt, b_cnt, c0, c1, score_best, lab_a, lab_b
    cdef double hub_deg = 10.0 * sqrt(<double>n)
    # hubs: taken out, ordered last by increasing degree
    for v in range(n):
        seen[v] = 0
        if ptr[v + 1] - ptr[v] - 1 > hub_deg:
            mark[v] = -1
            tmp[nhub] = v
            nhub += 1
        else:
            mark[v] = 0
    if nhub > 0:
        _sort_by_key(tmp, nhub, ptr, queue)
        for i in range(nhub):
            order[n - nhub + i] = tmp[i]
    pos = 0
    for v in range(n):
        if mark[v] == 0:
            order[pos] = v
            pos += 1
    if pos == 0:
        return 0
    stk[0] = 0
    stk[1] = pos
    stk[2] = 0
    sp = 1
    while sp > 0:
        sp -= 1
        lo = stk[3 * sp]
        hi = stk[3 * sp + 1]
        label = stk[3 * sp + 2]
        size = hi - lo
        if size <= LEAF:
            _leaf_order(ptr, adj, order + lo, size, label, mark, seen, &stamp, queue, lstart)
            continue
        stamp += 1
        count = _bfs(ptr, adj, order[lo], label, mark, seen, stamp, queue, lstart, &nlev)
        if count < size:
            # several components: each becomes a part of its own
            t = 0
            for i in range(lo, hi):
                v = order[i]
                if mark[v] != label:
                    continue
                stamp += 1
                count = _bfs(ptr, adj, v, label, mark, seen, stamp, tmp + t, lstart, &nlev)
                for j in range(t, t + count):
                    mark[tmp[j]] = next_label
                stk[3 * sp] = lo + t
                stk[3 * sp + 1] = lo + t + count
                stk[3 * sp + 2] = next_label
                sp += 1
                next_label += 1
                t += count
            memcpy(order + lo, tmp, size * sizeof(int))
            continue
        # pseudo-peripheral root: from a least-degree vertex of the last level while deeper
        for tries in range(PPV_TRIES):
            best = queue[lstart[nlev - 1]]
            for t in range(lstart[nlev - 1], count):
                if ptr[queue[t] + 1] - ptr[queue[t]] < ptr[best + 1] - ptr[best]:
                    best = queue[t]
            stamp += 1
            count = _bfs(ptr, adj, best, label, mark, seen, stamp, queue, lstart, &nlev2)
            if nlev2 <= nlev:
                break
            nlev = nlev2
        nlev = nlev2
        if nlev <= 2:
            # no useful separator (a clique-like part): order it as a leaf
            _leaf_order(ptr, adj, order + lo, size, label, mark, seen, &stamp, queue, lstart)
            continue
        for j in range(nlev):
            for t in range(lstart[j], lstart[j + 1]):
                levnum[queue[t]] = j
        # separators: kind 0 = vertices of L_j touching L_{j+1}, kind 1 = vertices of L_{j+1}
        # touching L_j; among the balanced ones the smallest (else the middle level, kind 0)
        jbest = -1
        best_kind = 0
        score_best = size + 1
        for j in range(nlev - 1):
            if lstart[j + 1] < BALANCE * size or size - lstart[j + 1] < BALANCE * size:
                continue
            _sep_sizes(ptr, adj, queue, lstart, levnum, mark, label, j, &a_cnt, &b_cnt)
            if a_cnt < score_best:
                score_best = a_cnt
                jbest = j
                best_kind = 0
            if b_cnt < score_best:
                score_best = b_cnt
                jbest = j
                best_kind = 1
        if jbest == -1:
            # no balanced level: the middle one
            jbest = 0
            while jbest < nlev - 2 and 2 * lstart[jbest + 1] < size:
                jbest += 1
        # split: below (lab_a), above (lab_b), separator (-1)
        lab_a = next_label
        lab_b = next_label + 1
        next_label += 2
        for t in range(count):
            v = queue[t]
            j = levnum[v]
            if j < jbest or (best_kind == 1 and j == jbest):
                mark[v] = lab_a
            elif j > jbest + 1 or (best_kind == 0 and j == jbest + 1):
                mark[v] = lab_b
            else:
                mark[v] = lab_a if j == jbest else lab_b     # may still become separator
        c0 = lstart[jbest] if best_kind == 0 else lstart[jbest + 1]
        c1 = lstart[jbest + 1] if best_kind == 0 else lstart[jbest + 2]
        for t in range(c0, c1):
            v = queue[t]
            for e in range(ptr[v], ptr[v + 1]):
                u = adj[e]
                if (best_kind == 0 and levnum[u] == jbest + 1 and mark[u] == lab_b) or \
                   (best_kind == 1 and levnum[u] == jbest and mark[u] == lab_a):
                    mark[v] = -2       # separator (found this round)
                    break
        nbelow = 0
        nabove = 0
        for t in range(count):
            v = queue[t]
            if mark[v] == lab_a:
                nbelow += 1
            elif mark[v] == lab_b:
                nabove += 1
        i = lo
        j = lo + nbelow
        t = hi - 1
        for e in range(count):
            v = queue[e]
            if mark[v] == lab_a:
                order[i] = v
                i += 1
            elif mark[v] == lab_b:
                order[j] = v
                j += 1
            else:
                mark[v] = -1
                order[t] = v
                t -= 1
        if nbelow > 0:
            stk[3 * sp] = lo
            stk[3 * sp + 1] = lo + nbelow
            stk[3 * sp + 2] = lab_a
            sp += 1
        if nabove > 0:
            stk[3 * sp] = lo + nbelow
            stk[3 * sp + 1] = lo + nbelow + nabove
            stk[3 * sp + 2] = lab_b
            sp += 1
    return 0


cdef void _sep_sizes(const int *ptr, const int *adj, const int *queue, const int *lstart,
                     const int *levnum, const int *mark, int label, int j, int *a_cnt,
                     int *b_cnt) noexcept nogil:
    """a_cnt: vertices of level j touching level j + 1; b_cnt: of level j + 1 touching j."""
    cdef int t, v, e
    a_cnt[0] = 0
    for t in range(lstart[j], lstart[j + 1]):
        v = queue[t]
        for e in range(ptr[v], ptr[v + 1]):
            if mark[adj[e]] == label and levnum[adj[e]] == j + 1:
                a_cnt[0] += 1
                break
    b_cnt[0] = 0
    for t in range(lstart[j + 1], lstart[j + 2]):
        v = queue[t]
        for e in range(ptr[v], ptr[v + 1]):
            if mark[adj[e]] == label and levnum[adj[e]] == j:
                b_cnt[0] += 1
                break


cdef void _sort_by_key(int *v, int count, const int *ptr, int *work) noexcept nogil:
    """Sort the vertices v[0:count] by degree (stable merge sort; work: count ints)."""
    cdef int width = 1, i, a, b, amid, bend, k
    while width < count:
        i = 0
        while i < count:
            a = i
            amid = i + width if i + width < count else count
            b = amid
            bend = i + 2 * width if i + 2 * width < count else count
            k = i
            while a < amid or b < bend:
                if b >= bend or (a < amid and ptr[v[a] + 1] - ptr[v[a]] <= ptr[v[b] + 1] - ptr[v[b]]):
                    work[k] = v[a]
                    a += 1
                else:
                    work[k] = v[b]
                    b += 1
                k += 1
            i += 2 * width
        memcpy(v, work, count * sizeof(int))
        width *= 2


# ---------------------------------------------------------------------------------------------
# 2. Symbolic analysis


cdef int _cmp_int(const void *a, const void *b) noexcept nogil:
    cdef int x = (<const int *>a)[0], y = (<const int *>b)[0]
    return (x > y) - (x < y)


cdef void _etree(int n, const int *ptr, const int *adj, const int *perm, const int *iperm,
                 int *parent, int *anc) noexcept nogil:
    """Elimination tree of P A P^T (Liu 1990, with path-compressed ancestors)."""
    cdef int k, e, i, r, t
    for k in range(n):
        parent[k] = -1
        anc[k] = -1
        for e in range(ptr[perm[k]], ptr[perm[k] + 1]):
            i = iperm[adj[e]]
            if i >= k:
                continue
            r = i
            while anc[r] != -1 and anc[r] != k:
                t = anc[r]
                anc[r] = k
                r = t
            if anc[r] == -1:
                anc[r] = k
                parent[r] = k


cdef void _postorder(int n, const int *parent, int *post, int *head, int *nxt,
                     int *stack) noexcept nogil:
    """post[k] = the k-th node of a depth-first postorder (children in increasing order)."""
    cdef int j, p, top, k = 0, c
    for j in range(n):
        head[j] = -1
    for j in range(n - 1, -1, -1):
        p = parent[j]
        if p != -1:
            nxt[j] = head[p]
            head[p] = j
    for j in range(n):
        if parent[j] != -1:
            continue
        top = 0
        stack[0] = j
        while top >= 0:
            p = stack[top]
            c = head[p]
            if c == -1:
                top -= 1
                post[k] = p
                k += 1
            else:
                head[p] = nxt[c]
                top += 1
                stack[top] = c


cdef Py_ssize_t _col_counts(int n, const int *ptr, const int *adj, const int *perm,
                            const int *iperm, const int *parent, int *cc, int *flag) noexcept nogil:
    """cc[j] = |L_{*j}| (diagonal included) from the row subtrees; returns nnz(L)."""
    cdef int k, e, j
    cdef Py_ssize_t total = 0
    for k in range(n):
        cc[k] = 0
    for k in range(n):
        flag[k] = k
        cc[k] += 1
        for e in range(ptr[perm[k]], ptr[perm[k] + 1]):
            j = iperm[adj[e]]
            while j < k and flag[j] != k:
                cc[j] += 1
                flag[j] = k
                j = parent[j]
    for k in range(n):
        total += cc[k]
    return total


cdef int _find(const int *ptr, const int *adj, int row, int col) noexcept nogil:
    """Position of (row, col) in the sorted CSR pattern (present by symmetry)."""
    cdef int lo = ptr[row], hi = ptr[row + 1] - 1, mid
    while lo < hi:
        mid = (lo + hi) // 2
        if adj[mid] < col:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef int _check_pattern(int n, const int *ptr, const int *adj) noexcept nogil:
    """0 for a valid full symmetric pattern; else 1 (indptr not from 0 and non-decreasing),
    2 (an index out of range or a row not strictly increasing), 3 (a diagonal entry
    missing), 4 (not symmetric)."""
    cdef int r, e, c, pos
    if ptr[0] != 0:
        return 1
    for r in range(n):
        if ptr[r + 1] < ptr[r]:
            return 1
    for r in range(n):
        pos = 0
        for e in range(ptr[r], ptr[r + 1]):
            c = adj[e]
            if c < 0 or c >= n or (e > ptr[r] and c <= adj[e - 1]):
                return 2
            if c == r:
                pos = 1
        if not pos:
            return 3
    for r in range(n):
        for e in range(ptr[r], ptr[r + 1]):
            c = adj[e]
            pos = _find(ptr, adj, c, r)
            if pos >= ptr[c + 1] or adj[pos] != r:
                return 4
    return 0


_PATTERN_ERRORS = {1: "indptr must start at 0 and never decrease",
                   2: "indices must lie in [0, n) and increase strictly within each row",
                   3: "every diagonal entry must be in the pattern",
                   4: "the pattern must be symmetric (both triangles stored)"}


def _as_int32(a, name):
    a = np.asarray(a)
    if a.ndim != 1 or not (np.issubdtype(a.dtype, np.integer)):
        raise ValueError(f"{name} must be a 1-D integer array")
    if a.size and (a.min() < np.iinfo(np.intc).min or a.max() > np.iinfo(np.intc).max):
        raise ValueError(f"{name} does not fit int32")
    return np.ascontiguousarray(a, dtype=np.intc)


cdef class SparsePlan:
    """One symbolic analysis of a symmetric pattern (see ``analyse``). Holds every array the
    C struct ``plan`` points into. Read-only attributes: n, nnz_l (nonzeros of L, exact),
    n_supernodes, factor_size and solve_scratch (doubles), max_front (largest front order),
    flops (of one numeric factorization), perm (the elimination order)."""

    def __repr__(self):
        return (f"SparsePlan(n={self.n}, nnz_l={self.nnz_l}, n_supernodes={self.n_supernodes}, "
                f"factor_size={self.factor_size})")


def analyse(indptr, indices):
    """Ordering and symbolic analysis of the full symmetric CSR pattern (indptr, indices):
    sorted int32, both triangles, every diagonal entry present (as _colouring._pattern
    returns; checked here: ValueError otherwise). Returns a SparsePlan."""
    cdef int[::1] ip = _as_int32(indptr, "indptr"), ix = _as_int32(indices, "indices")
    cdef int n = <int>ip.shape[0] - 1
    cdef SparsePlan P = SparsePlan.__new__(SparsePlan)
    cdef int i, j, k, e, s, c, f, l, p, u, v, ns, nf, t
    cdef Py_ssize_t nnz_l, off, q, qc, sp, peak, wmax, m, mm, kk, total, nrows, nasm, r
    cdef double flops = 0.0, zs, frac, tot
    cdef int *pp
    cdef int *pa
    # work arrays
    a_order = np.empty(n, np.intc)
    a_perm = np.empty(n, np.intc)
    a_iperm = np.empty(n, np.intc)
    a_parent = np.empty(n, np.intc)
    w1 = np.empty(n + 1, np.intc)
    w2 = np.empty(n + 1, np.intc)
    w3 = np.empty(n + 1, np.intc)
    w4 = np.empty(n + 1, np.intc)
    w5 = np.empty(n + 1, np.intc)
    w6 = np.empty(n + 1, np.intc)
    stk = np.empty(3 * (n + 1), np.intc)
    cdef int[::1] order = a_order, perm = a_perm, iperm = a_iperm, parent = a_parent
    cdef int[::1] x1 = w1, x2 = w2, x3 = w3, x4 = w4, x5 = w5, x6 = w6, xs = stk
    P.n = n
    P.indptr = np.asarray(ip)
    P.indices = np.asarray(ix)
    if n <= 0:
        raise ValueError("the pattern must have n >= 1 (indptr of length n + 1)")
    if ip[n] != ix.shape[0] or ix.shape[0] == 0:
        raise ValueError("indptr[-1] must equal len(indices)")
    pp = &ip[0]
    pa = &ix[0]
    with nogil:
        t = _check_pattern(n, pp, pa)
    if t:
        raise ValueError("analyse: " + _PATTERN_ERRORS[t])
    with nogil:
        _nd_order(n, pp, pa, &order[0], &x1[0], &x2[0], &x3[0], &x4[0], &x5[0], &x6[0], &xs[0])
        for k in range(n):
            iperm[order[k]] = k
        _etree(n, pp, pa, &order[0], &iperm[0], &x1[0], &x2[0])
        _postorder(n, &x1[0], &x3[0], &x4[0], &x5[0], &x6[0])      # x3 = post
        for k in range(n):
            perm[k] = order[x3[k]]
        for k in range(n):
            iperm[perm[k]] = k
        _etree(n, pp, pa, &perm[0], &iperm[0], &parent[0], &x2[0])
        nnz_l = _col_counts(n, pp, pa, &perm[0], &iperm[0], &parent[0], &x1[0], &x2[0])  # x1 = cc
        # children counts (x2)
        for j in range(n):
            x2[j] = 0
        for j in range(n):
            if parent[j] != -1:
                x2[parent[j]] += 1
        # fundamental supernodes: x3 = start flag
        for j in range(n):
            x3[j] = 1
            if j > 0 and parent[j - 1] == j and x1[j - 1] == x1[j] + 1 and x2[j] == 1:
                x3[j] = 0
    # relaxed amalgamation over the fundamental supernodes (arrays by fundamental index)
    nf = int(np.count_nonzero(w3[:n]))
    firsts = np.flatnonzero(w3[:n]).astype(np.intc)
    a_fk = np.empty(nf, np.intp)
    a_fm = np.empty(nf, np.intp)
    a_fz = np.zeros(nf, np.float64)
    a_fsn = np.empty(n, np.intc)            # column -> fundamental supernode
    a_ffirst = firsts.copy()                # current first column (changes on a merge)
    cdef int[::1] ffirst = a_ffirst, fsn = a_fsn, f_orig = firsts
    cdef Py_ssize_t[::1] fk = a_fk, fm = a_fm
    cdef double[::1] fz = a_fz
    with nogil:
        for s in range(nf):
            f = f_orig[s]
            l = f_orig[s + 1] if s + 1 < nf else n
            fk[s] = l - f
            fm[s] = x1[f]
            for j in range(f, l):
                fsn[j] = s
        for s in range(nf):
            # last column of s: the column before the next fundamental supernode's original start
            l = (f_orig[s + 1] if s + 1 < nf else n) - 1
            if parent[l] == -1 or parent[l] != l + 1:
                continue
            p = fsn[l + 1]
            if ffirst[p] != l + 1:
                continue
            kk = fk[s] + fk[p]
            mm = fk[s] + fm[p]
            zs = fz[s] + fz[p] + <double>fk[s] * <double>(fk[s] + fm[p] - fm[s])
            tot = <double>kk * mm - <double>kk * (kk - 1) / 2.0
            frac = zs / tot
            if kk <= 4 or (kk <= 16 and frac < 0.8) or (kk <= 48 and frac < 0.1) or frac < 0.05:
                ffirst[p] = ffirst[s]
                fk[p] = kk
                fm[p] = mm
                fz[p] = zs
                x3[l + 1] = 0
                fk[s] = 0           # merged
    # final supernodes
    ns = int(np.count_nonzero(w3[:n]))
    a_sfirst = np.empty(ns + 1, np.intc)
    a_sfirst[:ns] = np.flatnonzero(w3[:n])
    a_sfirst[ns] = n
    a_sm = np.asarray(a_fm)[np.asarray(a_fk) > 0].astype(np.intp)
    assert a_sm.shape[0] == ns
    a_rowptr = np.zeros(ns + 1, np.intp)
    a_rowptr[1:] = np.cumsum(a_sm)
    nrows = int(a_rowptr[ns])
    a_rows = np.empty(max(nrows, 1), np.intc)
    a_lptr = np.zeros(ns + 1, np.intp)
    a_ssize = a_sm * np.diff(a_sfirst).astype(np.intp)
    a_lptr[1:] = np.cumsum(a_ssize)
    a_relptr = np.zeros(ns + 1, np.intp)
    a_relptr[1:] = np.cumsum(a_sm - np.diff(a_sfirst))
    a_rel = np.empty(max(int(a_relptr[ns]), 1), np.intc)
    nasm = (ip[n] + n) // 2
    a_asmptr = np.zeros(ns + 1, np.intp)
    a_asmsrc = np.empty(max(nasm, 1), np.intc)
    a_asmdst = np.empty(max(nasm, 1), np.intp)
    a_snode = np.empty(n, np.intc)
    a_sparent = np.empty(ns, np.intc)
    a_shead = np.empty(ns, np.intc)
    a_snext = np.empty(ns, np.intc)
    cdef int[::1] sfirst = a_sfirst, rows = a_rows, rel = a_rel, asmsrc = a_asmsrc
    cdef int[::1] snode = a_snode, sparent = a_sparent, shead = a_shead, snext = a_snext
    cdef Py_ssize_t[::1] rowptr = a_rowptr, lptr = a_lptr, relptr = a_relptr
    cdef Py_ssize_t[::1] asmptr = a_asmptr, asmdst = a_asmdst
    cdef int bad = 0
    with nogil:
        for s in range(ns):
            for j in range(sfirst[s], sfirst[s + 1]):
                snode[j] = s
        for s in range(ns):
            shead[s] = -1
            l = sfirst[s + 1] - 1
            sparent[s] = snode[parent[l]] if parent[l] != -1 else -1
        for s in range(ns - 1, -1, -1):
            if sparent[s] != -1:
                snext[s] = shead[sparent[s]]
                shead[sparent[s]] = s
        for j in range(n):
            x2[j] = -1      # tag: last supernode that took row j
        # row structures, maps; stack simulation
        r = 0
        sp = 0
        peak = 0
        wmax = 0
        nasm = 0
        for s in range(ns):
            f = sfirst[s]
            l = sfirst[s + 1]
            off = rowptr[s]
            t = 0
            for j in range(f, l):
                rows[off + t] = j
                x2[j] = s
                t += 1
            for j in range(f, l):
                for e in range(pp[perm[j]], pp[perm[j] + 1]):
                    i = iperm[pa[e]]
                    if i >= l and x2[i] != s:
                        x2[i] = s
                        rows[off + t] = i
                        t += 1
            c = shead[s]
            while c != -1:
                for q in range(rowptr[c] + (sfirst[c + 1] - sfirst[c]), rowptr[c + 1]):
                    i = rows[q]
                    if x2[i] != s:
                        x2[i] = s
                        rows[off + t] = i
                        t += 1
                c = snext[c]
            if t != rowptr[s + 1] - off:
                bad = 1
                break
            qsort(&rows[off + (l - f)], t - (l - f), sizeof(int), _cmp_int)
            m = t
            for t in range(m):
                x4[rows[off + t]] = t       # position in s's rows
            # the children's update rows -> positions in s; the stack: pop children, push s
            c = shead[s]
            while c != -1:
                k = sfirst[c + 1] - sfirst[c]
                for q in range(rowptr[c] + k, rowptr[c + 1]):
                    rel[relptr[c] + q - rowptr[c] - k] = x4[rows[q]]
                qc = rowptr[c + 1] - rowptr[c] - k
                sp -= qc * (qc + 1) // 2
                c = snext[c]
            q = m - (l - f)
            if q * q > wmax:
                wmax = q * q
            sp += q * (q + 1) // 2
            if sp > peak:
                peak = sp
            # H's lower triangle (original indexing) -> s's block
            asmptr[s] = nasm
            for j in range(f, l):
                v = perm[j]
                for e in range(pp[v], pp[v + 1]):
                    u = pa[e]
                    i = iperm[u]
                    if i < j:
                        continue
                    asmsrc[nasm] = e if v >= u else _find(pp, pa, u, v)
                    asmdst[nasm] = lptr[s] + x4[i] + <Py_ssize_t>(j - f) * m
                    nasm += 1
            kk = l - f
            flops += <double>kk * kk * kk / 3.0 + <double>q * kk * kk + <double>q * q * kk
        asmptr[ns] = nasm
    if bad:
        raise RuntimeError("symbolic analysis: inconsistent row counts (a bug)")
    a_childptr = np.zeros(ns + 1, np.intp)
    a_children = np.flatnonzero(a_sparent >= 0).astype(np.intc)          # increasing
    a_children = a_children[np.argsort(a_sparent[a_children], kind="stable")].astype(np.intc)
    np.cumsum(np.bincount(a_sparent[a_sparent >= 0], minlength=ns), out=a_childptr[1:])
    if a_children.shape[0] == 0:
        a_children = np.zeros(1, np.intc)
    cdef Py_ssize_t[::1] childptr = a_childptr
    cdef int[::1] children = a_children
    P.child_ptr = a_childptr
    P.children = a_children
    P.plan.child_ptr = &childptr[0]
    P.plan.children = &children[0]
    P.perm = a_perm
    P.super_first = a_sfirst
    P.row_ptr = a_rowptr
    P.rows = a_rows
    P.l_ptr = a_lptr
    P.rel_ptr = a_relptr
    P.rel = a_rel
    P.asm_ptr = a_asmptr
    P.asm_src = a_asmsrc
    P.asm_dst = a_asmdst
    P.nnz_l = nnz_l
    P.n_supernodes = ns
    P.flops = flops
    P.max_front = int(a_sm.max())
    P.factor_size = int(a_lptr[ns]) + wmax + peak
    P.solve_scratch = n + int((a_sm - np.diff(a_sfirst)).max())
    P.plan.n = n
    P.plan.nnz = ip[n]
    P.plan.factor_size = P.factor_size
    P.plan.solve_scratch = P.solve_scratch
    P.plan.indptr = pp
    P.plan.indices = pa
    P.plan.perm = &perm[0]
    P.plan.nsuper = ns
    P.plan.super_first = &sfirst[0]
    P.plan.row_ptr = &rowptr[0]
    P.plan.rows = &rows[0]
    P.plan.l_ptr = &lptr[0]
    P.plan.rel_ptr = &relptr[0]
    P.plan.rel = &rel[0]
    P.plan.asm_ptr = &asmptr[0]
    P.plan.asm_src = &asmsrc[0]
    P.plan.asm_dst = &asmdst[0]
    P.plan.w_offset = int(a_lptr[ns])
    P.plan.stack_offset = int(a_lptr[ns]) + wmax
    P.plan.nnz_l = nnz_l
    return P


# ---------------------------------------------------------------------------------------------
# 3. Numeric factorization (multifrontal)


cdef int sc_factor(const sc_plan *S, const double *hval, double shift, double *work) noexcept nogil:
    """P (H + shift I) P^T = L L^T into work (S.factor_size doubles). Returns 0, or the
    (permuted, 1-based) column where a pivot was not positive: F11 not positive definite."""
    cdef int s, c, j, i, info = 0, k, kc
    cdef Py_ssize_t m, q, qc, t, jj, ii, pj, pi, sp = 0
    cdef double *L
    cdef double *W = work + S.w_offset
    cdef double *stack = work + S.stack_offset
    cdef double *C
    cdef const int *rel
    cdef double one = 1.0, minus = -1.0
    cdef char cl = b'L', cr = b'R', ct = b'T', cn = b'N'
    cdef int ki, qi, mi, ci
    for s in range(S.nsuper):
        k = S.super_first[s + 1] - S.super_first[s]
        m = S.row_ptr[s + 1] - S.row_ptr[s]
        q = m - k
        L = work + S.l_ptr[s]
        memset(L, 0, m * k * sizeof(double))
        for jj in range(q):
            memset(W + jj * q + jj, 0, (q - jj) * sizeof(double))      # the lower triangle
        # F[:, :k] = H's entries (lower triangle) + shift on the diagonal
        for t in range(S.asm_ptr[s], S.asm_ptr[s + 1]):
            work[S.asm_dst[t]] += hval[S.asm_src[t]]
        if shift != 0.0:
            for j in range(k):
                L[j + j * m] += shift
        # extend-add the children's update matrices (top of the stack, last child on top)
        for ci in range(S.child_ptr[s + 1] - 1, S.child_ptr[s] - 1, -1):
            c = S.children[ci]
            kc = S.super_first[c + 1] - S.super_first[c]
            qc = S.row_ptr[c + 1] - S.row_ptr[c] - kc
            sp -= qc * (qc + 1) // 2
            C = stack + sp                  # packed lower triangle, column by column
            rel = S.rel + S.rel_ptr[c]
            for jj in range(qc):
                pj = rel[jj]
                if pj < k:
                    for ii in range(jj, qc):
                        L[rel[ii] + pj * m] += C[ii - jj]
                else:
                    for ii in range(jj, qc):
                        W[(rel[ii] - k) + (pj - k) * q] += C[ii - jj]
                C += qc - jj
        ki = k
        mi = <int>m
        qi = <int>q
        # L11 = cholesky(F11)                     (L changed in place)
        dpotrf(&cl, &ki, L, &mi, &info)
        if info != 0:
            return S.super_first[s] + info if info > 0 else info
        if q > 0:
            # L21 = F21 @ inv(L11).T              (L[k:, :] changed in place)
            dtrsm(&cr, &cl, &ct, &cn, &qi, &ki, &one, L, &mi, L + k, &mi)
            # U = F22 - L21 @ L21.T  (lower)      (W changed in place)
            dsyrk(&cl, &cn, &qi, &ki, &minus, L + k, &mi, &one, W, &qi)
            # push U's lower triangle, packed
            for jj in range(q):
                memcpy(stack + sp, W + jj * q + jj, (q - jj) * sizeof(double))
                sp += q - jj
    return 0


cdef int sc_modified(const sc_plan *S, const double *hval, double beta, double *work,
                     double *tau) noexcept nogil:
    """Factor P (H + tau I) P^T = L L^T with the smallest tau of the shift sequence of
    _linalg.modified_chol (module docstring, 3). Returns 0 (tau[0] set), -1 (no shift in
    MAX_SHIFTS worked: non-finite values) or -2 (the shift overflowed; tau[0] = 0)."""
    cdef int r, k, info, n = S.n
    cdef Py_ssize_t e
    cdef int c
    cdef double dmin, dmax = 0.0, fro = 0.0, amax = 0.0, v, scale, t
    tau[0] = 0.0
    dmin = hval[S.indptr[0]]        # replaced by the first diagonal below
    for r in range(n):
        for e in range(S.indptr[r], S.indptr[r + 1]):
            c = S.indices[e]
            if c > r:
                break
            v = hval[e]
            if fabs(v) > amax:
                amax = fabs(v)
            if c < r:
                fro += 2.0 * v * v
            else:
                fro += v * v
                if r == 0 or v < dmin:
                    dmin = v
                if fabs(v) > dmax:
                    dmax = fabs(v)
    # ||H||_F, summed again scaled by max|h_ij| when the sum of squares overflowed or may have
    # underflowed (as _linalg.modified_chol)
    if not isfinite(fro) or 0.0 < amax < 1e-150:
        fro = 0.0
        for r in range(n):
            for e in range(S.indptr[r], S.indptr[r + 1]):
                c = S.indices[e]
                if c > r:
                    break
                v = hval[e] / amax
                fro += v * v if c == r else 2.0 * v * v
        fro = amax * sqrt(fro)
    else:
        fro = sqrt(fro)
    t = _first_shift(dmin, dmax, fro, n, beta, &scale)
    for k in range(MAX_SHIFTS):
        if not isfinite(t) or not isfinite(scale):
            return -2               # the shift overflowed: no finite tau
        info = sc_factor(S, hval, t, work)
        if info == 0:
            tau[0] = t
            return 0
        if info < 0:
            return info
        t = _next_shift(t, scale, fro, k)
    return -1


# ---------------------------------------------------------------------------------------------
# 4. Solve


cdef void sc_solve(const sc_plan *S, const double *work, double *b, double *scratch) noexcept nogil:
    """b <- (H + tau I)^{-1} b with sc_factor's (or sc_modified's) factor in work; scratch:
    S.solve_scratch doubles."""
    cdef int n = S.n, s, k, ki, mi, qi, one_i = 1
    cdef Py_ssize_t i, m, q, f
    cdef const int *rows
    cdef double *x = scratch
    cdef double *y = scratch + n
    cdef const double *L
    cdef double one = 1.0, zero = 0.0, minus_one = -1.0
    cdef char cl = b'L', cn = b'N', ct = b'T'
    for i in range(n):
        x[i] = b[S.perm[i]]
    # forward: L y = P b
    for s in range(S.nsuper):
        f = S.super_first[s]
        k = S.super_first[s + 1] - S.super_first[s]
        m = S.row_ptr[s + 1] - S.row_ptr[s]
        q = m - k
        L = work + S.l_ptr[s]
        ki = k
        mi = <int>m
        qi = <int>q
        # x[f:f+k] = inv(L11) @ x[f:f+k]        (x changed in place)
        dtrsv(&cl, &cn, &cn, &ki, <double *>L, &mi, x + f, &one_i)
        if q > 0:
            # y = L21 @ x[f:f+k]
            dgemv(&cn, &qi, &ki, &one, <double *>L + k, &mi, x + f, &one_i, &zero, y, &one_i)
            rows = S.rows + S.row_ptr[s] + k
            for i in range(q):
                x[rows[i]] -= y[i]
    # backward: L^T x = y
    for s in range(S.nsuper - 1, -1, -1):
        f = S.super_first[s]
        k = S.super_first[s + 1] - S.super_first[s]
        m = S.row_ptr[s + 1] - S.row_ptr[s]
        q = m - k
        L = work + S.l_ptr[s]
        ki = k
        mi = <int>m
        qi = <int>q
        if q > 0:
            rows = S.rows + S.row_ptr[s] + k
            for i in range(q):
                y[i] = x[rows[i]]
            # x[f:f+k] -= L21.T @ y
            dgemv(&ct, &qi, &ki, &minus_one, <double *>L + k, &mi, y, &one_i, &one, x + f, &one_i)
        # x[f:f+k] = inv(L11.T) @ x[f:f+k]      (x changed in place)
        dtrsv(&cl, &ct, &cn, &ki, <double *>L, &mi, x + f, &one_i)
    for i in range(n):
        b[S.perm[i]] = x[i]



# ---------------------------------------------------------------------------------------------
# Python entry points, used by fastnewton/linalg.py (which validates) and the tests.

from fastnewton._blas_threads cimport blas_limit, blas_limit_enter, blas_limit_leave

# One BLAS thread for a whole sparse factorization or solve, whatever its size: most of its
# BLAS calls are on small fronts, where a second OpenBLAS thread costs far more than it saves.
# Measured (minimal-surface pattern, n = 2.5e5, 3.2 GFlop, 2-core machine shared with other
# jobs): 0.33 s with one thread, 3.8 s with two (the time went to OpenBLAS's thread hand-off,
# exec_blas_async_wait / blas_thread_server). So ask _blas_threads for the small-solve rule.
cdef Py_ssize_t ONE_THREAD = 1


def _factor(SparsePlan plan, const double[::1] hval, double shift, double[::1] work):
    """sc_factor; returns its code."""
    cdef int info
    cdef blas_limit lim
    blas_limit_enter(&lim, ONE_THREAD)
    with nogil:
        info = sc_factor(&plan.plan, &hval[0], shift, &work[0])
        blas_limit_leave(&lim)
    return info


def _modified(SparsePlan plan, const double[::1] hval, double beta, double[::1] work):
    """sc_modified; returns (code, tau)."""
    cdef int info
    cdef double tau = 0.0
    cdef blas_limit lim
    blas_limit_enter(&lim, ONE_THREAD)
    with nogil:
        info = sc_modified(&plan.plan, &hval[0], beta, &work[0], &tau)
        blas_limit_leave(&lim)
    return info, tau


def _solve(SparsePlan plan, const double[::1] work, double[::1] b, double[::1] scratch):
    """sc_solve: b overwritten by the solution."""
    cdef blas_limit lim
    blas_limit_enter(&lim, ONE_THREAD)
    with nogil:
        sc_solve(&plan.plan, &work[0], &b[0], &scratch[0])
        blas_limit_leave(&lim)

