"""Reading a CSV (UTF-8, UTF-8 with BOM, Big5/CP950) or XLSX file into a header and rows.

Row numbers are the spreadsheet's (the header is row 1 unless blank rows precede it).
Blank rows are skipped (their numbers are not reused). XLSX: the first sheet; date cells become `date` (or `datetime`
when the cell's format shows a time); whole numbers become their digits.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Iterator, Union

Value = Union[str, date, datetime]

_WS = re.compile(r"\s+")


class ReadError(Exception):
    """The file cannot be read at all (zh-TW message)."""


@dataclass(frozen=True)
class Row:
    """One data row: its cells in header order (a tuple, the column positions shared by the table's
    rows, so a county's file of 300,000 rows does not hold 300,000 dictionaries)."""

    number: int
    cells: tuple[Value, ...]
    columns: dict[str, int]
    overflow: bool = False  # non-empty cells to the right of the last header column

    def get(self, column: str) -> Value:
        at = self.columns.get(column)
        return self.cells[at] if at is not None and at < len(self.cells) else ""


@dataclass
class Table:
    file: str  # the file's name, as shown in messages
    header: list[str]
    rows: list[Row] = field(default_factory=list)
    path: Path | None = None  # set when only the header was read (``read_table(..., header_only=True)``)

    def load(self) -> None:
        """Read the rows of a table whose header alone was read (an import holds one file's rows at a time)."""
        if self.path is not None:
            self.rows = read_table(self.path).rows

    def consume(self) -> Iterator[Row]:
        """The rows once, in order, each let go as soon as it has been handed out (an importer parses
        a row into its record and no longer needs it)."""
        rows, self.rows = self.rows, []
        rows.reverse()
        while rows:
            yield rows.pop()


def normalize_header_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return _WS.sub("", text.replace("\ufeff", ""))


def clean_cell(value: object) -> Value:
    """Strip text (full-width spaces too); keep dates; whole numbers as digits."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value).replace("\ufeff", "").strip()


UTF16 = ("這是 UTF-16 編碼的檔案（Excel 的「Unicode 文字」）；請在 Excel 另存為「CSV UTF-8（逗號分隔）」"
         "或 XLSX")


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes as ``encoding``, read a megabyte at a time."""
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        try:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) or CP950, told without decoding the whole file into memory."""
    with path.open("rb") as handle:
        if handle.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            raise ReadError(UTF16)
    for encoding, name in (("utf-8", "utf-8-sig"), ("cp950", "cp950")):
        if _decodes(path, encoding):
            return name
    raise ReadError("無法辨識檔案的編碼（請存成 UTF-8 或 Big5 的 CSV，或 XLSX）")


def _csv_rows(path: Path):
    """The CSV's rows, one at a time (the file is streamed, never held whole)."""
    encoding = _encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        try:
            for r in csv.reader(handle):
                yield [cell.strip() for cell in r]
        except csv.Error as exc:
            raise ReadError(f"CSV 格式有誤：{exc}") from exc


def _xlsx_cell(cell) -> Value:
    value = getattr(cell, "value", None)
    if isinstance(value, datetime):
        fmt = (getattr(cell, "number_format", "") or "").lower()
        shows_time = "h" in fmt or ":" in fmt
        if not shows_time and value.time() == time(0, 0):
            return value.date()
    return clean_cell(value)


def _xlsx_rows(path: Path):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ReadError("無法開啟 XLSX 檔（檔案損毀或不是 Excel 活頁簿）") from exc
    try:
        if not workbook.worksheets:
            raise ReadError("活頁簿沒有工作表")
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows():
            yield [_xlsx_cell(c) for c in row]
    finally:
        workbook.close()


def _is_blank(cells: list[Value]) -> bool:
    return all(c == "" for c in cells)


def _check_delimiter(first: list[Value] | None) -> None:
    """A header that is one cell holding tabs or semicolons: saved with the wrong separator."""
    if not first or len([c for c in first if c != ""]) != 1:
        return
    cell = str(next(c for c in first if c != ""))
    for mark, name in (("\t", " Tab "), (";", "分號"), ("；", "全形分號")):
        if cell.count(mark) >= 2:
            raise ReadError(f"標題列看起來是用{name}分隔欄位；請存成以逗號分隔的 CSV（Excel：另存為「CSV（逗號分隔）」）")


def read_table(path: str | Path, header_only: bool = False) -> Table:
    """Read one file; ReadError when it is missing, empty, or not CSV/XLSX. ``header_only``: read no
    further than the header (``Table.load`` reads the rows when they are needed)."""
    path = Path(path)
    if not path.is_file():
        raise ReadError("找不到檔案")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        raw = _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        raw = _csv_rows(path)
    elif suffix == ".xls":
        raise ReadError("不支援舊版 Excel（.xls）檔；請在 Excel 另存為 .xlsx 或 CSV")
    else:
        raise ReadError("只能匯入 .csv 或 .xlsx 檔")
    numbered = enumerate(raw, 1)
    header_cells = next((cells for _, cells in numbered if not _is_blank(cells)), None)
    if header_cells is None:
        raise ReadError("檔案是空的（沒有標題列）")
    if suffix != ".xlsx":
        _check_delimiter(header_cells)
    header = [normalize_header_cell(c) for c in header_cells]
    while header and header[-1] == "":
        header.pop()
    table = Table(file=path.name, header=header)
    if header_only:
        raw.close()
        table.path = path
        return table
    columns = {name: i for i, name in enumerate(header)}  # a repeated name: the last column, as before
    width = len(header)
    for number, cells in numbered:
        if _is_blank(cells):
            continue
        overflow = not _is_blank(list(cells[width:]))
        table.rows.append(Row(number, tuple(cells[:width]), columns, overflow))
    return table
