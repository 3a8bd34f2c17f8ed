"""Cells written to files a person opens (CSV, XLSX) are text, never a formula.

OWASP's CSV-injection guidance: a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read by spreadsheets as a formula; prefixing a single quote makes it text.
"""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: object) -> str:
    """The value as a cell's text, neutralised if a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def append_row(sheet, values) -> None:
    """Append a row to an openpyxl sheet: every string neutralised (``as_text``) and typed as text
    (openpyxl would store a string beginning with ``=`` as a live formula). Numbers stay numbers."""
    sheet.append([as_text(v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
