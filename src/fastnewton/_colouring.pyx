"""Star colouring of a symmetric sparsity pattern and the coloured finite-difference Hessian.

Design
------
A Hessian with a known sparsity pattern is estimated from a few gradient differences: the
columns are split into groups, and one difference of the gradient along
d = sum_{j in group} h_j e_j gives, in row i, sum_{j in group, H_ij != 0} H_ij h_j. Curtis,
Powell & Reid (1974) ask that no two columns of a group share a row (a distance-2 colouring
of the adjacency graph G of H), so each row sees one column of each group. That ignores
symmetry: a dense row or column (an arrowhead) makes every pair of columns share a row and
forces n groups.

Exploiting symmetry (Coleman & Moré, SIAM J. Numer. Anal. 21, 1984; Gebremedhin, Manne &
Pothen, "What color is your Jacobian? Graph coloring for computing derivatives", SIAM Review
47, 2005) it is enough that each H_ij (i != j) can be read *directly* from one of its two
sides: from the group of j in row i (if j is the only neighbour of i in its group) or from the
group of i in row j. A colouring of G has this property exactly when it is a *star colouring*:
a proper (distance-1) colouring in which every path on four vertices uses at least three
colours (every two-coloured connected subgraph is a star). The arrowhead then needs 2 groups
(the hub, and all the leaves), a band of half-bandwidth b at most 2b + 1, the 5-point grid 5.

Algorithm. Greedy star colouring, Gebremedhin, Manne & Pothen 2005, Algorithm 4.1: visit the
vertices in a given order; vertex v may not take
  * the colour of a coloured neighbour w (distance-1), nor
  * the colour of a coloured x at distance 2 (path v - w - x) when
      - w is still uncoloured (w could later close a two-coloured path), or
      - w is coloured and x has another neighbour y != w with colour(y) == colour(w)
        (v - w - x - y would be a two-coloured path on four vertices);
and takes the smallest colour left. Neighbours of a not yet coloured vertex always get distinct
colours (the first rule, seen from the later one), which covers the paths with v inside.
Cost: sum over v of sum over neighbours w of sum over neighbours x of w of deg(x).

The vertex order matters as much as the rule. ``hessian_groups`` tries the natural order,
largest degree first (a dense hub first: the leaves then share one colour) and smallest-last
(Matula & Beck 1983), plus the distance-2 greedy colouring in natural order (always a star
colouring; it is exactly SciPy's ``group_columns`` in natural order on the pattern with its
diagonal), and keeps the fewest colours, so it never uses more groups than ``group_columns``
in natural order. Alg. 4.1 forbids at once every path through a vertex not yet coloured; the
"checked" variant (star_colour_checked) leaves such a path to that vertex, forbids less and
reaches the 5-point grid's optimum 5 where Alg. 4.1 takes 6.

Hubs. A vertex of degree d costs every neighbour's visit d steps, so a dense row makes the
greedy O(n^2). The vertices of degree above sqrt(nnz) are split off: each takes a colour of
its own (a colour used once lies on no two-coloured path, so this keeps a star colouring)
and the rest is coloured without them. Both this and the full-graph candidates are tried
unless the latter's cost, sum_w deg(w)^2, passes _FULL_GRAPH_BUDGET (then the guarantee
against ``group_columns`` is not checked, but a graph with such hubs is one where
``group_columns`` needs about n groups anyway).

Recovery (direct). With the raw quotients A_ij = (g_i(x + d_c) - g_i(x - d_c)) / (2 h_j) for
c = colour(j) (forward: g_i(x + d_c) - g_i(x)), A_ij estimates H_ij when j is the only member
of its group in row i's pattern (diagonal included). H_ij is the mean (A_ij + A_ji) / 2 when
both sides can be read (as the dense kernel symmetrizes), else the one that can. A diagonal
entry is always readable (the colouring is proper). If the gradient's i-th entry reads only
the x_k of row i's pattern, the readable A_ij are bitwise those of the dense kernel.
"""
from libc.string cimport memcpy

from fastnewton._objective cimport fn_objective, FD_FORWARD, FD_CENTRAL, FN_USER_ERROR
from fastnewton._fdiff cimport _step, default_rel_step, fn_g


cdef inline int _take_free(int v, int *colour, const int *mark, int ncol) noexcept nogil:
    """Give v the smallest colour not marked for it (mark[c] == v: forbidden); returns the
    number of colours used so far. The greedy step every colouring below ends with."""
    cdef int c = 0
    while mark[c] == v:
        c += 1
    colour[v] = c
    return c + 1 if c >= ncol else ncol


cdef int star_colour(int n, const int *indptr, const int *indices, const int *order,
                     int *colour, int *mark) noexcept nogil:
    """Greedy star colouring (Gebremedhin, Manne & Pothen 2005, Alg. 4.1) in the given order.
    indptr/indices: a symmetric pattern (diagonal entries allowed, ignored). colour: n ints
    out (0-based); mark: n ints of workspace. Returns the number of colours."""
    cdef int k, v, w, x, y, p, q, s, c, cw, ncol = 0
    for v in range(n):
        colour[v] = -1
        mark[v] = -1
    for k in range(n):
        v = order[k]
        for p in range(indptr[v], indptr[v + 1]):
            w = indices[p]
            if w != v and colour[w] >= 0:
                mark[colour[w]] = v
        for p in range(indptr[v], indptr[v + 1]):
            w = indices[p]
            if w == v:
                continue
            cw = colour[w]
            for q in range(indptr[w], indptr[w + 1]):
                x = indices[q]
                if x == v or x == w:
                    continue
                c = colour[x]
                if c < 0 or mark[c] == v:
                    continue
                if cw < 0:
                    mark[c] = v
                else:
                    for s in range(indptr[x], indptr[x + 1]):
                        y = indices[s]
                        if y != w and y != x and colour[y] == cw:
                            mark[c] = v
                            break
        ncol = _take_free(v, colour, mark, ncol)
    return ncol


cdef int star_colour_checked(int n, const int *indptr, const int *indices, const int *order,
                             int *colour, int *mark, int *cnt) noexcept nogil:
    """Greedy star colouring that forbids only what the vertices coloured so far force: v
    may not take a colour that would close a two-coloured path on four coloured vertices
    (v included) or repeat a neighbour's colour. Every such path is checked when its last
    vertex is coloured, so the result is a star colouring; a path through a vertex not yet
    coloured is left to that vertex (Alg. 4.1 forbids it at once). Paths through v:
      v - w - x - y  (v at an end): forbid colour(x) if colour(y) == colour(w), y != w;
      a - v - w - x  (v inside): forbid colour(x) if colour(a) == colour(w), a != w.
    cnt: n ints of workspace (how often each colour occurs among v's neighbours)."""
    cdef int k, v, w, x, y, p, q, s, c, cw, ncol = 0
    for v in range(n):
        colour[v] = -1
        mark[v] = -1
        cnt[v] = 0
    for k in range(n):
        v = order[k]
        for p in range(indptr[v], indptr[v + 1]):
            w = indices[p]
            if w != v and colour[w] >= 0:
                mark[colour[w]] = v
                cnt[colour[w]] += 1
        for p in range(indptr[v], indptr[v + 1]):
            w = indices[p]
            if w == v or colour[w] < 0:
                continue
            cw = colour[w]
            for q in range(indptr[w], indptr[w + 1]):
                x = indices[q]
                if x == v or x == w:
                    continue
                c = colour[x]
                if c < 0 or mark[c] == v:
                    continue
                if cnt[cw] >= 2:                   # a - v - w - x with colour(a) == colour(w)
                    mark[c] = v
                    continue
                for s in range(indptr[x], indptr[x + 1]):
                    y = indices[s]
                    if y != w and y != x and colour[y] == cw:     # v - w - x - y
                        mark[c] = v
                        break
        for p in range(indptr[v], indptr[v + 1]):    # reset the counts
            w = indices[p]
            if w != v and colour[w] >= 0:
                cnt[colour[w]] = 0
        ncol = _take_free(v, colour, mark, ncol)
    return ncol


cdef int distance2_colour(int n, const int *indptr, const int *indices, const int *order,
                          int *colour, int *mark) noexcept nogil:
    """Greedy distance-2 colouring in the given order (Curtis-Powell-Reid grouping)."""
    cdef int k, v, w, x, p, q, c, ncol = 0
    for v in range(n):
        colour[v] = -1
        mark[v] = -1
    for k in range(n):
        v = order[k]
        for p in range(indptr[v], indptr[v + 1]):
            w = indices[p]
            if w == v:
                continue
            if colour[w] >= 0:
                mark[colour[w]] = v
            for q in range(indptr[w], indptr[w + 1]):
                x = indices[q]
                if x != v and colour[x] >= 0:
                    mark[colour[x]] = v
        ncol = _take_free(v, colour, mark, ncol)
    return ncol


cdef void smallest_last_order(int n, const int *indptr, const int *indices, int *order,
                              int *deg, int *head, int *nxt, int *prv) noexcept nogil:
    """Smallest-last order (Matula & Beck 1983): repeatedly remove a vertex of least degree
    in what is left; order is the reverse of the removals. Buckets of doubly linked lists by
    degree; workspaces deg, head, nxt, prv: n ints each. O(n + nnz)."""
    cdef int v, w, p, d, k, dmin = 0
    for d in range(n):
        head[d] = -1
    for v in range(n):
        d = 0
        for p in range(indptr[v], indptr[v + 1]):
            if indices[p] != v:
                d += 1
        deg[v] = d
        prv[v] = -1
        nxt[v] = head[d]
        if head[d] >= 0:
            prv[head[d]] = v
        head[d] = v
    for k in range(n - 1, -1, -1):
        while head[dmin] < 0:
            dmin += 1
        v = head[dmin]
        head[dmin] = nxt[v]                       # unlink v (the head of its bucket)
        if nxt[v] >= 0:
            prv[nxt[v]] = -1
        deg[v] = -1                               # removed
        order[k] = v
        for p in range(indptr[v], indptr[v + 1]):
            w = indices[p]
            if w == v or deg[w] < 0:
                continue
            d = deg[w]                            # move w from bucket d to d - 1
            if prv[w] >= 0:
                nxt[prv[w]] = nxt[w]
            else:
                head[d] = nxt[w]
            if nxt[w] >= 0:
                prv[nxt[w]] = prv[w]
            d -= 1
            deg[w] = d
            prv[w] = -1
            nxt[w] = head[d]
            if head[d] >= 0:
                prv[head[d]] = w
            head[d] = w
            if d < dmin:
                dmin = d


cdef void bfs_order(int n, const int *indptr, const int *indices, int start, int *order,
                    int *seen) noexcept nogil:
    """Breadth-first order from `start` (Cuthill-McKee without the degree sort); the other
    components follow, each from its lowest vertex. seen: n ints of workspace."""
    cdef int v, w, p, head = 0, tail = 0, nxt_root = 0
    for v in range(n):
        seen[v] = 0
    order[tail] = start
    tail += 1
    seen[start] = 1
    while head < n:
        if head == tail:                       # a new component
            while seen[nxt_root]:
                nxt_root += 1
            order[tail] = nxt_root
            tail += 1
            seen[nxt_root] = 1
        v = order[head]
        head += 1
        for p in range(indptr[v], indptr[v + 1]):
            w = indices[p]
            if not seen[w]:
                seen[w] = 1
                order[tail] = w
                tail += 1


cdef int recovery_plan(int n, const int *indptr, const int *indices, const int *colour,
                       int ncolours, int *transpose, signed char *own, int *cnt,
                       int *mark, int *cursor) noexcept nogil:
    """For the pattern P (symmetric, diagonal included, sorted rows): transpose[e] = the
    position of (s, r) for the entry e = (r, s); own[e] = 1 when colour(s) occurs once in row
    r (so the group of s, read in row r, gives H_rs), else 0. Workspaces cnt, mark: ncolours
    ints; cursor: n ints. Returns 0, or -1 if some entry can be read from neither side (the
    colouring is not a star colouring)."""
    cdef int r, s, p, c
    for c in range(ncolours):
        mark[c] = -1
        cnt[c] = 0
    for r in range(n):
        for p in range(indptr[r], indptr[r + 1]):
            c = colour[indices[p]]
            if mark[c] != r:
                mark[c] = r
                cnt[c] = 0
            cnt[c] += 1
        for p in range(indptr[r], indptr[r + 1]):
            own[p] = 1 if cnt[colour[indices[p]]] == 1 else 0
    # transpose map: visiting rows r in increasing order, the entries (s, r) of each row s
    # are met in increasing r, i.e. in their stored order (rows are sorted)
    for r in range(n):
        cursor[r] = indptr[r]
    for r in range(n):
        for p in range(indptr[r], indptr[r + 1]):
            s = indices[p]
            transpose[cursor[s]] = p
            cursor[s] += 1
    for p in range(indptr[n]):
        if not own[p] and not own[transpose[p]]:
            return -1
    return 0


cdef int fd_hessian_coloured(fn_objective *o, const double *x, const double *g0,
                             const int *indptr, const int *indices, const int *gptr,
                             const int *gmem, int ngroups, const int *transpose,
                             const signed char *own, double *hval, int method,
                             double rel_step, double *xw, double *gw1, double *gw2,
                             double *steps, double *raw) noexcept nogil:
    """The coloured FD Hessian on the pattern P (symmetric, diagonal included, sorted rows):
    one (forward, g0 = grad f(x) needed) or two (central) gradients per group; group c's
    columns are gmem[gptr[c]:gptr[c+1]]. hval (nnz) receives H in P's CSR order. Workspaces:
    xw, gw1, gw2, steps (n doubles each), raw (nnz doubles: raw[e] for e = (j, i) holds
    A_ij, the quotient of row i in column j's group)."""
    cdef int n = o.n, c, k, j, p, q
    cdef double r = rel_step if rel_step > 0.0 else default_rel_step(method, 1)
    cdef double inv, a, b
    memcpy(xw, x, n * sizeof(double))
    for c in range(ngroups):
        for k in range(gptr[c], gptr[c + 1]):
            j = gmem[k]
            steps[j] = _step(x[j], r)
            xw[j] = x[j] + steps[j]
        fn_g(o, xw, gw1)
        if o.error:
            return FN_USER_ERROR
        if method == FD_CENTRAL:
            for k in range(gptr[c], gptr[c + 1]):
                j = gmem[k]
                xw[j] = x[j] - steps[j]
            fn_g(o, xw, gw2)
            if o.error:
                return FN_USER_ERROR
        for k in range(gptr[c], gptr[c + 1]):
            j = gmem[k]
            if method == FD_CENTRAL:
                inv = 1.0 / ((x[j] + steps[j]) - xw[j])
                for p in range(indptr[j], indptr[j + 1]):
                    raw[p] = (gw1[indices[p]] - gw2[indices[p]]) * inv
            else:
                inv = 1.0 / steps[j]
                for p in range(indptr[j], indptr[j + 1]):
                    raw[p] = (gw1[indices[p]] - g0[indices[p]]) * inv
            xw[j] = x[j]
    # H_rs at e = (r, s): A_rs = raw[transpose[e]] (readable if own[e]), A_sr = raw[e]
    # (readable if own[transpose[e]]); the mean of the readable ones
    for p in range(indptr[n]):
        q = transpose[p]
        a = raw[q]
        b = raw[p]
        if own[p] and own[q]:
            hval[p] = 0.5 * (a + b)
        elif own[p]:
            hval[p] = a
        else:
            hval[p] = b
    return 0


# ---------------------------------------------------------------------------------------------
# Python faces: the public hessian_groups, and the sparse path of fastnewton.hessian.

import numpy as np
cimport numpy as cnp
from libc.math cimport isfinite
from fastnewton._objective cimport Objective, vec_data
from fastnewton._fdiff cimport fn_fg
from fastnewton._linalg cimport all_finite
from fastnewton._validate import check_finite_grad, check_finite_value

cnp.import_array()


def _pattern(S, n=None, name="sparsity"):
    """The symmetric closure of S's pattern with the diagonal, as sorted int32 CSR arrays
    (indptr, indices). S: a square scipy.sparse matrix or array (its stored entries are the
    pattern), or a dense 2-D array_like (its nonzero entries). ValueError naming `name` otherwise."""
    import scipy.sparse as sp
    if sp.issparse(S):
        shape = S.shape
        if len(shape) != 2:
            raise ValueError(f"{name} must be a square 2-D matrix; got shape {shape}")
        A = sp.csr_matrix(S)
    else:
        try:
            D = np.asarray(S)
        except Exception:
            raise ValueError(f"{name} must be a square matrix (scipy.sparse or a 2-D array); "
                             f"got {type(S).__name__}") from None
        if D.ndim != 2 or not (np.issubdtype(D.dtype, np.number) or D.dtype == bool):
            raise ValueError(f"{name} must be a square matrix (scipy.sparse or a 2-D numeric "
                             f"array); got {type(S).__name__} of shape {D.shape}")
        shape = D.shape
        A = sp.csr_matrix(D != 0)
    if shape[0] != shape[1] or shape[0] == 0:
        raise ValueError(f"{name} must be a square n x n matrix with n >= 1; got shape {shape}")
    if n is not None and shape[0] != n:
        raise ValueError(f"{name} must be {n} x {n} (n = len(x)); got shape {shape}")
    N = shape[0]
    # the stored entries (a sparse matrix's explicit zeros included) are the pattern
    A = sp.csr_matrix((np.ones(A.indices.shape[0], dtype=np.int32), A.indices, A.indptr),
                      shape=(N, N))
    P = (A + A.T + sp.identity(N, dtype=np.int32, format="csr")).tocsr()
    P.sum_duplicates()
    P.sort_indices()
    if P.nnz >= 2**31:
        raise ValueError(f"{name} has too many nonzeros ({P.nnz}) for the int32 kernels")
    return (np.ascontiguousarray(P.indptr, dtype=np.intc),
            np.ascontiguousarray(P.indices, dtype=np.intc))


# the full-graph candidates are skipped when their cost, about sum_w deg(w)^2 steps each,
# passes this and some vertices can be split off as hubs instead
_FULL_GRAPH_BUDGET = 10**8


def _colour_pattern(indptr, indices):
    """(ngroups, colours): the fewest colours of the full-graph candidates
    (_colour_candidates) and of the hub split: the vertices of degree above sqrt(nnz) each
    take a colour of their own and the rest is coloured without them (recursively). A vertex
    whose colour no other vertex has lies on no two-coloured path, so the union is a star
    colouring as soon as the rest is one: an arrowhead costs 2 this way, a band bordered by a
    dense row and column the band's count + 1, in O(nnz) instead of O(n^2)."""
    n = indptr.shape[0] - 1
    deg = np.diff(indptr).astype(np.int64) - 1
    nnz = int(indptr[n])
    hubs = deg > np.sqrt(nnz)
    nh = int(np.count_nonzero(hubs))
    best_n, best = n + 1, None
    if nh == 0 or nh == n or int(np.dot(deg, deg)) <= _FULL_GRAPH_BUDGET:
        best_n, best = _colour_candidates(indptr, indices)
    if 0 < nh < n:
        import scipy.sparse as sp
        keep = ~hubs
        P = sp.csr_matrix((np.ones(nnz, dtype=np.int8), indices, indptr), shape=(n, n))
        Q = P[keep][:, keep].tocsr()
        Q.sort_indices()
        k, sub = _colour_pattern(np.ascontiguousarray(Q.indptr, dtype=np.intc),
                                 np.ascontiguousarray(Q.indices, dtype=np.intc))
        if k + nh < best_n:
            best_n = k + nh
            best = np.empty(n, dtype=np.intc)
            best[keep] = sub
            best[hubs] = k + np.arange(nh, dtype=np.intc)
    return best_n, best


def _colour_candidates(indptr, indices):
    """(ngroups, colours) for the pattern: the fewest colours of the candidates (module
    docstring): the checked star colouring in natural, largest-first, smallest-last and
    breadth-first (from the first and from the last vertex) order; Alg. 4.1 in natural and
    largest-first order; the distance-2 colouring in natural order. The first candidate with
    the fewest colours wins."""
    cdef int[::1] ip = indptr, ix = indices
    cdef Py_ssize_t N = ip.shape[0] - 1
    cdef int n = <int>N
    deg = np.diff(indptr).astype(np.intc) - 1           # the diagonal is always stored
    orders = np.empty((5, n), dtype=np.intc)
    orders[0] = np.arange(n, dtype=np.intc)
    orders[1] = np.argsort(-deg, kind="stable")
    w = np.empty((5, n), dtype=np.intc)
    cdef int[:, ::1] wv = w, ov = orders
    with nogil:
        smallest_last_order(n, &ip[0], &ix[0], &ov[2, 0], &wv[0, 0], &wv[1, 0], &wv[2, 0],
                            &wv[3, 0])
        bfs_order(n, &ip[0], &ix[0], 0, &ov[3, 0], &wv[0, 0])
        bfs_order(n, &ip[0], &ix[0], n - 1, &ov[4, 0], &wv[0, 0])
    # (algorithm, order): 0 checked star, 1 Alg. 4.1, 2 distance-2
    candidates = [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (1, 0), (1, 1), (2, 0)]
    best = None
    best_n = n + 1
    cdef int[::1] cv
    cdef int k, alg, o
    for alg, o in candidates:
        col = np.empty(n, dtype=np.intc)
        cv = col
        with nogil:
            if alg == 0:
                k = star_colour_checked(n, &ip[0], &ix[0], &ov[o, 0], &cv[0], &wv[4, 0],
                                        &wv[0, 0])
            elif alg == 1:
                k = star_colour(n, &ip[0], &ix[0], &ov[o, 0], &cv[0], &wv[4, 0])
            else:
                k = distance2_colour(n, &ip[0], &ix[0], &ov[o, 0], &cv[0], &wv[4, 0])
        if k < best_n:
            best_n, best = k, col
    return best_n, best


def hessian_groups(sparsity):
    """Group the columns of a sparse symmetric Hessian so that each group costs one gradient
    difference (a star colouring of its adjacency graph; direct recovery).

    ``fastnewton.hessian(fun, x, jac=..., sparsity=S)`` evaluates the gradient once per group
    (forward differences) or twice (central), plus once at x: this function tells what a
    pattern costs before any evaluation. A star colouring (Coleman & Moré 1984; Gebremedhin,
    Manne & Pothen 2005) exploits symmetry: an arrowhead needs 2 groups and a band of
    half-bandwidth b bordered by a dense row and column about 2b + 2, where the unsymmetric
    Curtis-Powell-Reid grouping (SciPy's) needs n. Several vertex orders are tried and the
    fewest groups kept; never more than the distance-2 (Curtis-Powell-Reid) grouping in natural
    order.

    Parameters
    ----------
    sparsity : scipy.sparse matrix or array, or array_like, shape (n, n)
        The Hessian's sparsity pattern: its nonzero entries. Its symmetric closure is used
        (S + S^T), and the diagonal is always included.

    Returns
    -------
    ngroups : int
        The number of groups.
    groups : ndarray of int, shape (n,)
        The group (0 .. ngroups - 1) of each column.

    Raises
    ------
    ValueError
        If `sparsity` is not a square matrix (scipy.sparse, or a 2-D numeric array).

    Examples
    --------
    >>> import numpy as np
    >>> from fastnewton import hessian_groups
    >>> S = np.eye(6) + np.eye(6, k=1) + np.eye(6, k=-1)       # tridiagonal
    >>> hessian_groups(S)[0]
    3
    >>> A = np.eye(6); A[0, :] = 1                            # arrowhead (one dense row)
    >>> hessian_groups(A)[0]
    2
    """
    indptr, indices = _pattern(sparsity)
    k, colours = _colour_pattern(indptr, indices)
    return int(k), colours.astype(np.intp)


cdef class ColouredPattern:
    """A sparsity pattern made ready for coloured finite-difference Hessians, once: its
    symmetric closure with the diagonal (sorted int32 CSR), the star colouring's groups (as
    CSR: the columns of group c are gmem[gptr[c]:gptr[c+1]]) and the recovery plan. ``c``
    points into the arrays held here, for the kernels (fd_hessian_planned)."""

    def __init__(self, sparsity, n=None, name="sparsity"):
        indptr, indices = _pattern(sparsity, n, name)
        ngroups, colours = _colour_pattern(indptr, indices)
        N = indptr.shape[0] - 1
        nnz = indices.shape[0]
        self.indptr, self.indices, self.colours = indptr, indices, colours
        self.ngroups = ngroups
        self.gmem = np.ascontiguousarray(np.argsort(colours, kind="stable"), dtype=np.intc)
        self.gptr = np.zeros(ngroups + 1, dtype=np.intc)
        np.cumsum(np.bincount(colours, minlength=ngroups), out=self.gptr[1:])
        self.transpose = np.empty(nnz, dtype=np.intc)
        self.own = np.empty(nnz, dtype=np.int8)
        iw = np.empty(2 * ngroups + N, dtype=np.intc)
        cdef int[::1] ip = indptr, ix = indices, cl = colours, tr = self.transpose
        cdef int[::1] gp = self.gptr, gm = self.gmem, iwv = iw
        cdef signed char[::1] ow = self.own
        cdef int ng = ngroups, bad, nn = N
        with nogil:
            bad = recovery_plan(nn, &ip[0], &ix[0], &cl[0], ng, &tr[0], &ow[0], &iwv[0],
                                &iwv[ng], &iwv[2 * ng])
        if bad:
            raise RuntimeError("internal error: the colouring is not a star colouring")
        self.c.n = nn
        self.c.ngroups = ng
        self.c.nnz = nnz
        self.c.indptr = &ip[0]
        self.c.indices = &ix[0]
        self.c.gptr = &gp[0]
        self.c.gmem = &gm[0]
        self.c.transpose = &tr[0]
        self.c.own = &ow[0]

    def matrix(self, hval):
        """The scipy.sparse CSR matrix with values hval (nnz, in this pattern's order)."""
        import scipy.sparse as sp
        N = self.c.n
        return sp.csr_matrix((hval, self.indices, self.indptr), shape=(N, N))


cdef int fd_hessian_planned(fn_objective *o, const double *x, const double *g0,
                            const colour_plan *P, double *hval, int method, double rel_step,
                            double *work) noexcept nogil:
    """fd_hessian_coloured on a ColouredPattern's plan; work: 4n + nnz doubles."""
    cdef Py_ssize_t n = P.n
    return fd_hessian_coloured(o, x, g0, P.indptr, P.indices, P.gptr, P.gmem, P.ngroups,
                               P.transpose, P.own, hval, method, rel_step, work, work + n,
                               work + 2 * n, work + 3 * n, work + 4 * n)


def _hessian_sparse(Objective obj, x, sparsity, int m, double r):
    """The sparse path of fastnewton.hessian: obj has a gradient; x a float64 point of size
    n. Returns a scipy.sparse.csr_matrix on the symmetric closure of the pattern plus the
    diagonal."""
    cdef ColouredPattern P = ColouredPattern(sparsity, obj.c.n)
    cdef Py_ssize_t N = obj.c.n, nnz = P.c.nnz
    hval = np.empty(nnz)
    work = np.empty(5 * N + nnz)
    cdef double *px = vec_data(x, N)
    cdef double *pw = vec_data(work, work.shape[0])
    cdef double *ph = vec_data(hval, nnz)
    cdef double f0
    cdef int ok
    if obj.release_gil:
        with nogil:
            ok = _coloured_checked(&obj.c, px, &P.c, ph, m, r, pw, &f0)
    else:
        ok = _coloured_checked(&obj.c, px, &P.c, ph, m, r, pw, &f0)
    obj.check()
    if not isfinite(f0):
        check_finite_value(f0, "f(x)")
    if not ok:
        check_finite_grad(work[:N], "the gradient at x")
    return P.matrix(hval)


cdef int _coloured_checked(fn_objective *o, const double *x, const colour_plan *P,
                           double *hval, int m, double r, double *w, double *f0) noexcept nogil:
    """f0 = f(x) and g = w[:n] = grad f(x); if both are finite, the coloured Hessian (w[n:]
    its workspace) and 1; else 0, with nothing more evaluated."""
    cdef Py_ssize_t n = o.n
    f0[0] = fn_fg(o, x, w)
    if o.error or not isfinite(f0[0]) or not all_finite(w, n):
        return 0
    fd_hessian_planned(o, x, w, P, hval, m, r, w + n)
    return 1
