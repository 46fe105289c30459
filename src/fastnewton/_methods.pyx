"""The registry of methods: one line per method, the only place that lists them.

A method is a module with a ``method_ops`` table (what the engine calls: _engine.pxd) and a
result function (what ``minimize`` reports of its model). Adding one means writing that
module and adding its line to ``_registry`` below; the engine, the drivers and ``minimize``
find it here by name (``METHODS``) or code.
"""
from libc.string cimport strcmp

from fastnewton._newton cimport newton_ops, newton_result
from fastnewton._sparse_newton cimport sparse_newton_ops, sparse_newton_result
from fastnewton._quasi_newton cimport (bfgs_ops, bfgs_result, lbfgs_ops, lbfgs_result,
                                       sr1_ops, sr1_result)
from fastnewton._newton_cg cimport newton_cg_ops, newton_cg_result

cdef method_entry REGISTRY[16]            # room for 16 methods
cdef int COUNT = 0


cdef int _registry(const char *name, const method_ops *ops, method_result_fn result) except -1:
    global COUNT
    if COUNT == 16:
        raise RuntimeError("the method registry is full: enlarge REGISTRY")
    REGISTRY[COUNT].name = name
    REGISTRY[COUNT].ops = ops
    REGISTRY[COUNT].result = result
    COUNT += 1
    return 0


_registry(b"newton", newton_ops(), newton_result)
_registry(b"bfgs", bfgs_ops(), bfgs_result)
_registry(b"lbfgs", lbfgs_ops(), lbfgs_result)
_registry(b"sr1", sr1_ops(), sr1_result)
# minimize's 'newton' with a sparsity pattern (options['hess_sparsity'])
_registry(b"sparse-newton", sparse_newton_ops(), sparse_newton_result)
_registry(b"newton-cg", newton_cg_ops(), newton_cg_result)


cdef const method_entry *method_named(const char *name) noexcept nogil:
    """The entry of the method called name ('newton', 'bfgs', 'lbfgs', 'sr1', 'newton-cg'), or
    NULL."""
    cdef int i
    for i in range(COUNT):
        if strcmp(REGISTRY[i].name, name) == 0:
            return &REGISTRY[i]
    return NULL


cdef const method_entry *method_entry_for(int code) noexcept nogil:
    """The entry of code (a value of METHODS), or NULL."""
    if 0 <= code < COUNT:
        return &REGISTRY[code]
    return NULL


# name -> code, for the Python layer (the codes are positions in the registry)
METHODS = {REGISTRY[i].name.decode(): i for i in range(COUNT)}
