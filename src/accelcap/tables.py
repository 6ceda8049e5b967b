"""Tables for people: aligned text for terminals, Markdown for docs and step summaries."""

from __future__ import annotations

import typing as t

Row = t.Sequence[t.Any]


def text_table(header: Row, rows: t.Iterable[Row]) -> str:
    """Columns padded to their widest cell, two spaces apart, no trailing blanks."""
    lines = [[str(cell) for cell in row] for row in (header, *rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=False)).rstrip() + "\n" for line in lines)


def markdown_table(header: Row, rows: t.Iterable[Row]) -> str:
    """A GitHub-flavoured Markdown table; ``|`` in a cell is escaped, an empty cell stays empty."""

    def line(cells: Row) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") if str(c) else " " for c in cells) + " |\n"

    return line(header) + "|" + "---|" * len(header) + "\n" + "".join(line(row) for row in rows)
