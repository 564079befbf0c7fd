"""The one export helper: formula-safe cells, CSV with a BOM, XLSX that opens with the same values."""

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from backend.exports import ExportFormat, Sheet, csv_bytes, file_response, safe_cell, xlsx_bytes


@pytest.mark.parametrize("text", ["=1+1", "+86", "-2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")'])
def test_text_that_would_run_as_a_formula_is_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["锦湖街道", "a=b", "", None, -3, 2.5, True])
def test_other_values_are_left_alone(value: object) -> None:
    assert safe_cell(value) == value


def test_csv_starts_with_a_bom_and_quotes_formulas() -> None:
    sheet = Sheet(
        title="统计", columns=["单位", "人数"], rows=[["=cmd|' /C calc'!A0", 3], ["锦湖街道", None]]
    )
    data = csv_bytes(sheet)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines() == ["单位,人数", "'=cmd|' /C calc'!A0,3", "锦湖街道,"]


def test_xlsx_has_preamble_header_and_safe_cells() -> None:
    sheet = Sheet(
        title="进展情况统计表",
        preamble=["附件2"],
        columns=["单位", "完成数", "时间"],
        rows=[["@evil", 5, datetime(2026, 11, 20, 13, 30, tzinfo=UTC)]],
    )
    workbook = load_workbook(io.BytesIO(xlsx_bytes([sheet])))
    rows = list(workbook["进展情况统计表"].iter_rows(values_only=True))
    assert rows[0][0] == "附件2"
    assert rows[1] == ("单位", "完成数", "时间")
    # Stored as text with the quote, and the time in Beijing time.
    assert rows[2] == ("'@evil", 5, datetime(2026, 11, 20, 21, 30))


async def test_file_response_names_the_file_in_utf8() -> None:
    response = await file_response("学校统计", ExportFormat.csv, [Sheet(title="x", columns=["a"], rows=[])])
    assert response.media_type.startswith("text/csv")
    assert "filename*=UTF-8''%E5%AD%A6" in response.headers["content-disposition"]
    with pytest.raises(ValueError, match="not a file format"):
        await file_response("x", ExportFormat.json, [])
