"""Reading an uploaded sheet safely: what kind of file it is, a zip bomb refused before parsing, the one sheet
read (hidden ones ignored), columns matched by header, values never formulas, merged cells and blank rows.

Everything here works on the bytes the person uploaded and answers rows of raw cell values; it knows nothing of
the registry (``checking.py`` reads the cells, the workflow looks for duplicates)."""

import codecs
import csv
import html
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.utils.datetime import WINDOWS_EPOCH, from_excel, from_ISO8601

from backend.imports.forms import COLUMNS, Column, header_key, is_blank
from backend.imports.models import ImportKind
from backend.messages import Listed, Text

# Limits: a screening round is a few thousand rows; 50,000 is a whole county.
MAX_ROWS = 50_000
# A real 50,000-row form unpacks to some tens of megabytes; a zip bomb to gigabytes.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # per part, for parts over a megabyte unpacked
MAX_PARTS = 2_000
HEADER_SEARCH_ROWS = 10
INSTRUCTIONS_SHEET = "说明"

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old .xls (and other Office 97 files)


class FileRefused(Exception):
    """The file as a whole cannot be read: nothing of it is imported. ``status`` is the HTTP status a synchronous
    check answers (415 not a spreadsheet, 422 unreadable or over a limit)."""

    def __init__(self, text: "str | Text", code: str, status: int = 422) -> None:
        super().__init__(str(text))
        self.text = text
        self.code = code
        self.status = status


@dataclass
class RawRow:
    number: int  # the row's number in the sheet (1-based, as Excel shows it)
    values: dict[str, Any]
    problems: list[tuple[str, "str | Text", str]] = field(default_factory=list)  # (header, message, code)


@dataclass
class ReadSheet:
    file_format: str
    sheet_name: str | None
    columns: list[Column]
    rows: list[RawRow]
    notes: list[Text]


def sniff(content: bytes) -> str:
    """``xlsx`` or ``csv``; anything else is refused as not a spreadsheet (415)."""
    if content.startswith(XLSX_MAGIC):
        check_zip(content)
        return "xlsx"
    if content.startswith(OLE_MAGIC):
        raise FileRefused(
            "This is an old Excel file (.xls); save it as .xlsx and upload again.", "import.xls", 415
        )
    head = content[:4096]
    if b"\x00" in head or not content.strip():
        raise FileRefused(
            "This file is not a spreadsheet; upload an .xlsx or .csv file.", "import.not_spreadsheet", 415
        )
    try:
        decode_csv(head, final=False)
    except FileRefused as exc:
        raise FileRefused(
            "This file is not a spreadsheet; upload an .xlsx or .csv file.", "import.not_spreadsheet", 415
        ) from exc
    return "csv"


def check_zip(content: bytes) -> None:
    """Refuse a zip bomb from the archive's own directory, before anything is unpacked."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise FileRefused("The .xlsx file is damaged and cannot be opened.", "import.bad_zip") from exc
    infos = archive.infolist()
    if len(infos) > MAX_PARTS:
        raise FileRefused("The .xlsx file has too many parts to be a worksheet.", "import.zip_bomb")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNCOMPRESSED_BYTES or (info.file_size > 1024 * 1024 and ratio > MAX_RATIO):
            raise FileRefused(
                "The .xlsx file unpacks to far more than it holds (a zip bomb?); it was not opened.",
                "import.zip_bomb",
            )
    if "xl/workbook.xml" not in {info.filename for info in infos}:
        raise FileRefused(
            "This file is not a spreadsheet; upload an .xlsx or .csv file.", "import.not_spreadsheet", 415
        )


def decode_csv(content: bytes, *, final: bool = True) -> str:
    """UTF-8 (with or without BOM), else GB18030 (which reads GBK and GB2312): what Excel saves in China."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            return decoder.decode(content, final=final)
        except UnicodeDecodeError:
            continue
    raise FileRefused("The CSV file is in an unknown encoding; save it as UTF-8 or GBK.", "import.encoding")


def read(content: bytes, kind: ImportKind) -> ReadSheet:
    file_format = sniff(content)
    if file_format == "xlsx":
        return _read_xlsx(content, kind)
    return _read_csv(content, kind)


# --- header --------------------------------------------------------------------------------------------------


def _match_header(cells: list[Any], kind: ImportKind) -> dict[int, Column]:
    by_header: dict[str, Column] = {}
    for column in COLUMNS[kind]:
        for name in (column.header, *column.aliases):
            by_header[header_key(name)] = column
    matched: dict[int, Column] = {}
    for index, cell in enumerate(cells):
        found = by_header.get(header_key(cell)) if isinstance(cell, str) else None
        if found is not None and found not in matched.values():
            matched[index] = found
    return matched


def _header(rows: Iterator[tuple[int, list[Any]]], kind: ImportKind) -> tuple[int, dict[int, Column]]:
    """The header row: of the first rows, the one naming the most of the form's columns."""
    best: tuple[int, dict[int, Column]] = (0, {})
    for number, cells in rows:
        matched = _match_header(cells, kind)
        if len(matched) > len(best[1]):
            best = (number, matched)
        if number >= HEADER_SEARCH_ROWS or len(matched) == len(COLUMNS[kind]):
            break
    number, matched = best
    missing = [
        column.header for column in COLUMNS[kind] if column.required and column not in matched.values()
    ]
    if not matched:
        raise FileRefused(
            Text(
                "No column of the form was found in the first {rows} rows; use the template's headers "
                "(required: {columns}).",
                rows=HEADER_SEARCH_ROWS,
                columns=Listed(column.header for column in COLUMNS[kind] if column.required),
            ),
            "import.no_header",
        )
    if missing:
        raise FileRefused(
            Text("Required columns are missing: {columns}.", columns=Listed(missing)),
            "import.missing_columns",
        )
    return number, matched


# --- XLSX ----------------------------------------------------------------------------------------------------

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')


def _sheet_xml(content: bytes, worksheet_path: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read(worksheet_path.lstrip("/"))


def _merged_ranges(xml: bytes) -> list[tuple[int, int, int, int]]:
    """Merged ranges of one sheet (read-only mode does not read them): (min_col, min_row, max_col, max_row)."""
    start = max(xml.rfind(b"<mergeCells"), xml.rfind(b":mergeCells"))
    if start < 0:
        return []
    ranges = []
    for ref in _MERGE.findall(xml, start):
        min_col, min_row, max_col, max_row = range_boundaries(ref.decode())
        ranges.append((min_col or 0, min_row or 0, max_col or 0, max_row or 0))
    return ranges


# A cell that holds something: a shared string (group 1: its index, blank or not is looked up), a value, a
# non-blank inline string, or a formula.
_FILLED = re.compile(
    rb'<(?:\w+:)?c\b[^>]*\bt="s"[^>]*>\s*<(?:\w+:)?v>(\d+)</(?:\w+:)?v>'
    rb"|<(?:\w+:)?v>[^<]+</(?:\w+:)?v>"
    rb"|<(?:\w+:)?t(?:\s[^>]*)?>[^<]*[^<\s][^<]*</(?:\w+:)?t>"
    rb"|<(?:\w+:)?f[\s>/]"
)
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="(\d+)"')
_WINDOW = 1024 * 1024


def _last_row_with_values(xml: bytes, blank_strings: frozenset[int]) -> int | None:
    """The number of the last row holding anything, found from the end of the sheet's XML backwards, so that
    200,000 blank rows after the data cost a scan of bytes, not 200,000 parsed rows. ``blank_strings``: the
    shared strings that are blank (a cell pointing at one holds nothing). None: the sheet is empty."""
    end = len(xml)
    while end > 0:
        start = max(0, end - _WINDOW)
        last = None
        for match in _FILLED.finditer(xml, start, end):
            index = match.group(1)
            if index is None or int(index) not in blank_strings:
                last = match
        if last is not None:
            row_start = max(xml.rfind(b"<row", 0, last.start()), xml.rfind(b":row", 0, last.start()))
            if row_start > 0 and xml[row_start] != ord("<"):
                row_start = xml.rfind(b"<", 0, row_start)
            row = _ROW_NUMBER.match(xml, max(row_start, 0))
            if row is None:
                # A row without its number (allowed, rare): read the whole sheet.
                return 10**9
            return int(row.group(1))
        end = start + 200 if start > 0 else 0  # overlap: a cell cut by the window's edge
    return None


def _read_xlsx(content: bytes, kind: ImportKind) -> ReadSheet:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileRefused("The .xlsx file is damaged and cannot be opened.", "import.bad_zip") from exc
    try:
        notes: list[Text] = []
        hidden = [ws.title for ws in workbook.worksheets if ws.sheet_state != "visible"]
        candidates = [
            ws for ws in workbook.worksheets if ws.sheet_state == "visible" and ws.title != INSTRUCTIONS_SHEET
        ]
        if not candidates:
            raise FileRefused("The workbook has no visible worksheet to read.", "import.no_sheet")
        sheet = candidates[0]
        notes.append(Text("Read the worksheet {sheet}.", sheet=sheet.title))
        if hidden:
            notes.append(Text("Hidden worksheets were ignored: {sheets}.", sheets="、".join(hidden)))
        others = [ws.title for ws in candidates[1:]]
        if others:
            notes.append(Text("Other worksheets were not read: {sheets}.", sheets="、".join(others)))
        xml = _sheet_xml(content, sheet._worksheet_path)
        merged = _merged_ranges(xml)
        shared = getattr(workbook, "shared_strings", [])
        blank_strings = frozenset(index for index, text in enumerate(shared) if is_blank(text))
        last_row = _last_row_with_values(xml, blank_strings)
        if last_row is None:
            raise FileRefused(
                Text("The worksheet {sheet} is empty.", sheet=sheet.title), "import.empty_sheet"
            )

        try:
            grid = _scan_cells(
                xml,
                last_row,
                shared=shared,
                date_formats=getattr(workbook, "_date_formats", set()),
                epoch=getattr(workbook, "epoch", WINDOWS_EPOCH),
            )
        except (_NoCellReferences, ValueError, IndexError) as exc:
            raise FileRefused(
                "The worksheet could not be read; open it in Excel or WPS, save it again and upload.",
                "import.unreadable_sheet",
            ) from exc

        def header_rows() -> Iterator[tuple[int, list[Any]]]:
            for number in range(1, min(HEADER_SEARCH_ROWS, last_row) + 1):
                cells = grid.get(number, {})
                width = max(cells, default=-1) + 1
                yield number, [cells[index][0] if index in cells else None for index in range(width)]

        header_number, matched = _header(header_rows(), kind)
        rows: list[RawRow] = []
        formula_note = False
        for number in sorted(key for key in grid if key > header_number):
            cells = grid[number]
            values: dict[str, Any] = {}
            problems: list[tuple[str, str | Text, str]] = []
            for index, column in matched.items():
                if index not in cells:
                    continue
                value, is_formula = cells[index]
                if is_formula:
                    problems.append((column.header, "a formula: type the value itself", "cell.formula"))
                    formula_note = True
                    continue
                values[column.key] = value
            if all(is_blank(value) for value in values.values()) and not problems:
                continue
            rows.append(RawRow(number, values, problems))
            if len(rows) > MAX_ROWS:
                raise FileRefused(
                    Text(
                        "The sheet has more than {limit} rows; split it into several files.", limit=MAX_ROWS
                    ),
                    "import.too_many_rows",
                )
        if formula_note:
            notes.append(Text("Cells with formulas were not read; paste their values instead."))
        _mark_merged(rows, merged, header_number, matched)
        return ReadSheet("xlsx", sheet.title, list(matched.values()), rows, notes)
    finally:
        workbook.close()


# One cell of the sheet's XML: its attributes and what it holds. openpyxl's parser builds an element per tag and
# took minutes for a county's 50,000 rows on this machine; a scan of the bytes takes seconds. openpyxl still reads
# the workbook (sheets, their states, shared strings, which styles are dates).
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTRIBUTE = re.compile(rb'(\w+)="([^"]*)"')
_REF = re.compile(rb"([A-Z]{1,3})(\d+)")
_VALUE = re.compile(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.S)
_INLINE_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>", re.S)
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _text_of(raw: bytes) -> str:
    text = raw.decode("utf-8")
    return html.unescape(text) if "&" in text else text


def _scan_cells(
    xml: bytes, last_row: int, *, shared: Any, date_formats: Any, epoch: Any
) -> dict[int, dict[int, tuple[Any, bool]]]:
    """Rows up to ``last_row`` → column index (0-based) → (value, is a formula). Blank rows after the last row
    with a value are never scanned."""
    end = xml.find(b"</sheetData>")
    row_end = xml.find(b"</row>", xml.rfind(f'r="{last_row}"'.encode(), 0, end if end > 0 else None))
    stop = row_end if row_end > 0 else (end if end > 0 else len(xml))
    start = xml.find(b"<sheetData")
    grid: dict[int, dict[int, tuple[Any, bool]]] = {}
    columns: dict[bytes, int] = {}
    for match in _CELL.finditer(xml, max(start, 0), stop):
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        ref = _REF.fullmatch(attributes.get(b"r", b""))
        if ref is None:
            raise _NoCellReferences
        letters, row_number = ref.group(1), int(ref.group(2))
        if row_number > last_row:
            break
        index = columns.get(letters)
        if index is None:
            index = columns[letters] = column_index_from_string(letters.decode()) - 1
        body = match.group(2) or b""
        grid.setdefault(row_number, {})[index] = (
            _cell_value(attributes, body, shared, date_formats, epoch),
            _FORMULA.search(body) is not None,
        )
    return grid


class _NoCellReferences(Exception):
    """A sheet whose cells do not name themselves (allowed, rare): read by openpyxl instead."""


def _cell_value(
    attributes: dict[bytes, bytes], body: bytes, shared: Any, date_formats: Any, epoch: Any
) -> Any:
    kind = attributes.get(b"t", b"n")
    if kind == b"inlineStr":
        return "".join(_text_of(part) for part in _INLINE_TEXT.findall(_PHONETIC.sub(b"", body)))
    found = _VALUE.search(body)
    if found is None:
        return None
    raw = found.group(1)
    if kind == b"s":
        return shared[int(raw)]
    if kind in (b"str", b"e"):
        return _text_of(raw)
    if kind == b"b":
        return raw.strip() == b"1"
    if kind == b"d":
        return from_ISO8601(raw.decode())
    number: float | int = float(raw) if (b"." in raw or b"E" in raw or b"e" in raw) else int(raw)
    style = attributes.get(b"s")
    if style is not None and int(style) in date_formats:
        return from_excel(number, epoch)
    return number


def _mark_merged(
    rows: list[RawRow],
    merged: list[tuple[int, int, int, int]],
    header_number: int,
    matched: dict[int, Column],
) -> None:
    by_number = {row.number: row for row in rows}
    for min_col, min_row, max_col, max_row in merged:
        if max_row <= header_number:
            continue
        for index, column in matched.items():
            if not min_col <= index + 1 <= max_col:
                continue
            ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"
            for number in range(max(min_row, header_number + 1), max_row + 1):
                row = by_number.get(number)
                if row is None:
                    row = RawRow(number, {})
                    rows.append(row)
                    by_number[number] = row
                row.problems.append(
                    (
                        column.header,
                        Text("merged cells {cells}: unmerge and fill every row", cells=ref),
                        "cell.merged",
                    )
                )
    rows.sort(key=lambda row: row.number)


# --- CSV -----------------------------------------------------------------------------------------------------


def _read_csv(content: bytes, kind: ImportKind) -> ReadSheet:
    text = decode_csv(content)
    reader = csv.reader(io.StringIO(text, newline=""))
    lines = ((number, cells) for number, cells in enumerate(reader, start=1))

    def header_rows() -> Iterator[tuple[int, list[Any]]]:
        for number, cells in lines:
            yield number, list(cells)
            if number >= HEADER_SEARCH_ROWS:
                return

    all_lines = list(csv.reader(io.StringIO(text, newline="")))
    header_number, matched = _header(header_rows(), kind)
    rows: list[RawRow] = []
    for number, cells in enumerate(all_lines[header_number:], start=header_number + 1):
        values = {column.key: cells[index] for index, column in matched.items() if index < len(cells)}
        if all(is_blank(value) for value in values.values()):
            continue
        rows.append(RawRow(number, values))
        if len(rows) > MAX_ROWS:
            raise FileRefused(
                Text("The sheet has more than {limit} rows; split it into several files.", limit=MAX_ROWS),
                "import.too_many_rows",
            )
    return ReadSheet("csv", None, list(matched.values()), rows, [])
