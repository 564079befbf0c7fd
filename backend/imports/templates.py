"""The forms as XLSX templates: Chinese headers, a 说明 sheet, a drop-down for every coded column (from the
reference data), the date format and one example row of a synthetic person."""

import io
from datetime import date, timedelta

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from backend.identity import make_mainland_id
from backend.imports.forms import COLUMNS, TITLES, CellKind, Column
from backend.imports.models import ImportKind
from backend.imports.reading import INSTRUCTIONS_SHEET, MAX_ROWS

DATA_SHEET = "填报表"
CHOICES_SHEET = "选项"
_REQUIRED_FILL = PatternFill("solid", fgColor="FDE2E1")
_HEADER_FILL = PatternFill("solid", fgColor="E8F0FE")


def _example(column: Column, today: date) -> object:
    """The example row: a made-up person aged 14 with a valid ID number (the sequence is odd: male)."""
    birth = date(today.year - 14, 1, 1)
    if column.key == "id_number":
        return make_mainland_id("330381", birth, 123)
    if column.key == "birth_date":
        return birth
    if column.key == "gender":
        return "男"
    if column.key in ("checked_on",):
        return today - timedelta(days=7)
    if column.key == "follow_up_on":
        return today + timedelta(days=7)
    return column.example


def build_template(kind: ImportKind, *, today: date) -> bytes:
    columns = COLUMNS[kind]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = DATA_SHEET
    choices = workbook.create_sheet(CHOICES_SHEET)
    choices.sheet_state = "hidden"
    notes = workbook.create_sheet(INSTRUCTIONS_SHEET)
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
        example = _example(column, today)
        example_cell = sheet.cell(row=2, column=index, value=example if example != "" else None)
        if column.kind is CellKind.date:
            example_cell.number_format = "yyyy-mm-dd"
            for row in range(3, 1002):
                sheet.cell(row=row, column=index).number_format = "yyyy-mm-dd"
        if column.kind in (CellKind.id_number, CellKind.phone, CellKind.division_code):
            # Text cells: Excel would otherwise keep 15 digits of an ID number.
            example_cell.number_format = "@"
            for row in range(3, 1002):
                sheet.cell(row=row, column=index).number_format = "@"
        values = _choices(column)
        if values:
            choices.cell(row=1, column=index, value=column.header)
            for offset, value in enumerate(values, start=2):
                choices.cell(row=offset, column=index, value=value)
            source = f"{CHOICES_SHEET}!${letter}$2:${letter}${len(values) + 1}"
            validation = DataValidation(type="list", formula1=source, allow_blank=not column.required)
            validation.promptTitle = column.header
            validation.prompt = column.note or "请从下拉列表中选择"
            validation.showInputMessage = True
            if column.kind is CellKind.codes:
                # Several choices in one cell are allowed: a warning, not a refusal.
                validation.errorStyle = "warning"
                validation.error = "可填多项，用顿号分隔"
            else:
                validation.error = "请从下拉列表中选择"
            validation.showErrorMessage = True
            validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    _instructions(notes, kind, columns)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _choices(column: Column) -> list[str]:
    if column.codes is not None:
        return [member.zh for member in column.codes]
    if column.kind is CellKind.yes_no:
        return ["是", "否"]
    return []


def _instructions(sheet: object, kind: ImportKind, columns: tuple[Column, ...]) -> None:
    lines: list[tuple[str, ...]] = [
        (TITLES[kind],),
        ("填写说明",),
        ("1. 在「填报表」工作表填写，每人（每次检查）一行；第2行是示例，提交前请删除。",),
        ("2. 表头请勿修改；列的顺序可以调整，系统按表头名称识别。红色表头为必填列。",),
        ("3. 日期格式：2024-05-10，也可写 2024年5月10日、2024.5.10、2024/05/10。",),
        ("4. 请勿合并单元格，请勿使用公式（请粘贴为数值）。",),
        (f"5. 每个文件最多 {MAX_ROWS} 行。也可另存为 CSV（UTF-8 或 GBK）上传。",),
        ("6. 上传后系统先检查（不写入），检查无误后再确认导入。",),
        (),
        ("列名", "必填", "说明", "可选值"),
    ]
    for column in columns:
        lines.append(
            (column.header, "是" if column.required else "", column.note, "、".join(_choices(column)))
        )
    for number, line in enumerate(lines, start=1):
        for index, value in enumerate(line, start=1):
            sheet.cell(row=number, column=index, value=value)
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["C"].width = 60
    sheet.column_dimensions["D"].width = 60
