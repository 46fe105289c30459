# C-level face of fastnewton/_methods.pyx: the registry of methods.
from fastnewton._engine cimport fn_engine, method_ops

ctypedef dict (*method_result_fn)(fn_engine *e)

ctypedef struct method_entry:
    const char *name                    # minimize's method name
    const method_ops *ops               # the engine plug-in
    method_result_fn result             # what minimize reports of the model (with the GIL)

cdef const method_entry *method_entry_for(int code) noexcept nogil
cdef const method_entry *method_named(const char *name) noexcept nogil
