"""The one table printer of the benchmark summaries (bench/conftest.py, bench/bench_*.py, the
ratio gate in bench/_gate.py).

Loaded by the repository's root conftest.py under the name ``_tables``; benchmark files say
``from _tables import write_table, fmt_time``.
"""


def fmt_time(seconds):
    """A duration in the largest unit it reaches: ``1.234 s``, ``12.345 ms``, ``56.789 us``,
    ``8.9 ns``."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3f} {unit}"
    return f"{seconds / 1e-9:.1f} ns"


def _cell(value, fmt):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if callable(fmt):
        return fmt(value)
    return format(value, fmt or "")


def write_table(tr, title, headers, rows, align=None, formats=None, notes_before=(),
                notes_after=()):
    """Write a titled table to pytest's terminal reporter `tr`.

    title : str or None
        The separator line above the table (``tr.write_sep("-", title)``).
    headers : sequence of str
        Column names.
    rows : iterable of sequences
        One value per column: a str is written as it is, None as ``-``, anything else through
        the column's format.
    align : str, optional
        One character per column, ``<`` (left) or ``>`` (right); default: the first column
        left, the others right.
    formats : sequence, optional
        Per column: a format spec (``".3f"``), a callable value -> str, or None (``str``).
    notes_before, notes_after : sequence of str
        Lines written between the title and the header, and after the last row.
    """
    ncol = len(headers)
    align = align or "<" + ">" * (ncol - 1)
    formats = formats or (None,) * ncol
    if len(align) != ncol or len(formats) != ncol:
        raise ValueError("align and formats need one entry per column")
    cells = [[_cell(v, f) for v, f in zip(row, formats)] for row in rows]
    if any(len(row) != ncol for row in cells):
        raise ValueError("every row needs one value per column")
    widths = [max([len(h)] + [len(row[j]) for row in cells]) for j, h in enumerate(headers)]

    def line(values):
        return "  ".join(f"{v:{a}{w}}" for v, a, w in zip(values, align, widths)).rstrip()

    tr.ensure_newline()
    if title is not None:
        tr.write_sep("-", title)
    for note in notes_before:
        tr.write_line(note)
    tr.write_line(line(headers))
    for row in cells:
        tr.write_line(line(row))
    for note in notes_after:
        tr.write_line(note)
