"""The catalogue as the Excel workbook departments fill in: two sheets, 数据资源 and 字段, with
Chinese headers and Chinese choice labels (drop-down lists in the template).

`template()` and `export(resources)` write it; `read(path)` parses one back into resource and
field specifications, or raises WorkbookProblems naming sheet, row and column for each error.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pdao.audit.export import safe_cell
from pdao.catalogue.choices import (
    Domain,
    FieldType,
    Frequency,
    Grade,
    Opening,
    PIKind,
    Sharing,
)

RESOURCES = "数据资源"
FIELDS = "字段"
YES_NO = {"是": True, "否": False}

# (header, attribute, choices or None, required)
RESOURCE_COLUMNS = [
    ("资源名称", "name", None, True),
    ("资源摘要", "description", None, False),
    ("领域", "domain", Domain, True),
    ("主题", "theme", None, False),
    ("共享属性", "sharing", Sharing, True),
    ("开放属性", "opening", Opening, True),
    ("更新频率", "frequency", Frequency, True),
    ("分级", "grade", Grade, True),
    ("责任处室", "responsible_unit", None, False),
    ("责任人", "responsible_person", None, False),
]
FIELD_COLUMNS = [
    ("资源名称", "resource", None, True),
    ("字段名", "name", None, True),
    ("中文名称", "label", None, False),
    ("类型", "type", FieldType, True),
    ("必填", "required", YES_NO, False),
    ("个人信息类型", "pi_kind", PIKind, False),
    ("隐私主体键", "is_privacy_unit", YES_NO, False),
]


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = (
            (f"「{self.sheet}」" if self.sheet else "")
            + (f"第 {self.row} 行" if self.row else "")
            + (f"「{self.column}」" if self.column else "")
        )
        return f"{where}:{self.message}" if where else self.message


class WorkbookProblems(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems

    def __reduce__(self):
        # Raised in the sandbox's child and unpickled here: rebuilt from the problems, not from
        # the joined message (which would be taken for a list of problems, one per character).
        return (type(self), (self.problems,))


def _labels(choices) -> list[str]:
    if isinstance(choices, dict):
        return list(choices)
    return [str(label) for label in choices.labels]


def _label_of(choices, value) -> str:
    if isinstance(choices, dict):
        return next(k for k, v in choices.items() if v == bool(value))
    return str(choices(value).label) if value else ""


def write_sheet(workbook: Workbook, title: str, columns, rows, *, validations: bool):
    sheet = workbook.create_sheet(title)
    sheet.append([header for header, *_ in columns])
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    for i, (header, _attr, choices, _req) in enumerate(columns, 1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = max(12, len(header) * 3)
        if validations and choices is not None:
            listing = ",".join(_labels(choices))
            rule = DataValidation(type="list", formula1=f'"{listing}"', allow_blank=True)
            rule.add(f"{letter}2:{letter}1000")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"


def _rows(resources):
    resource_rows, field_rows = [], []
    for r in resources:
        resource_rows.append(
            [
                _label_of(c, getattr(r, a)) if c else getattr(r, a)
                for _h, a, c, _q in RESOURCE_COLUMNS
            ]
        )
        # Sorted here, not by the database: a prefetched list is used as fetched (the export
        # of 30,000 resources made one query per resource, twice).
        for f in sorted(r.fields.all(), key=lambda f: f.position):
            field_rows.append(
                [
                    r.name,
                    f.name,
                    f.label,
                    _label_of(FieldType, f.type),
                    _label_of(YES_NO, f.required),
                    _label_of(PIKind, f.pi_kind),
                    _label_of(YES_NO, f.is_privacy_unit),
                ]
            )
    return resource_rows, field_rows


def template() -> bytes:
    return export([], validations=True)


def export(resources, *, validations: bool = False) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    resource_rows, field_rows = _rows(resources)
    write_sheet(workbook, RESOURCES, RESOURCE_COLUMNS, resource_rows, validations=validations)
    write_sheet(workbook, FIELDS, FIELD_COLUMNS, field_rows, validations=validations)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_csv(resources) -> str:
    """One row per field with its resource's attributes (UTF-8 with BOM for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(
        ["目录编码"] + [h for h, *_ in RESOURCE_COLUMNS] + [h for h, *_ in FIELD_COLUMNS[1:]]
    )
    for r in resources:
        (resource_row,), field_rows = _rows([r])
        for field_row in field_rows:
            writer.writerow([safe_cell(v) for v in [r.code, *resource_row, *field_row[1:]]])
    return buffer.getvalue()


def parse_sheet(sheet, columns, problems) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        problems.append(Problem(sheet.title, 1, "", "工作表为空"))
        return []
    header = [("" if v is None else str(v).strip()) for v in rows[0]]
    missing = [h for h, *_ in columns if h not in header]
    if missing:
        problems.append(Problem(sheet.title, 1, "、".join(missing), "缺少该列"))
        return []
    index = {h: header.index(h) for h, *_ in columns}
    parsed = []
    for number, row in enumerate(rows[1:], 2):
        if all(v in (None, "") for v in row):
            continue
        spec = {"_row": number}
        for header_text, attr, choices, required in columns:
            raw = row[index[header_text]] if index[header_text] < len(row) else None
            text = "" if raw is None else str(raw).strip()
            if not text:
                if required:
                    problems.append(Problem(sheet.title, number, header_text, "必填"))
                continue
            if choices is None:
                spec[attr] = text
            elif isinstance(choices, dict):
                if text not in choices:
                    problems.append(Problem(sheet.title, number, header_text, "应填“是”或“否”"))
                else:
                    spec[attr] = choices[text]
            else:
                by_label = {str(label): value for value, label in choices.choices}
                if text in by_label:
                    spec[attr] = by_label[text]
                elif text in choices.values:
                    spec[attr] = text
                else:
                    problems.append(
                        Problem(
                            sheet.title,
                            number,
                            header_text,
                            "不是可选值(" + "、".join(_labels(choices)) + ")",
                        )
                    )
        parsed.append(spec)
    return parsed


def read(path: Path) -> list[dict]:
    """[{resource attributes…, "fields": [field attributes…]}] from a filled-in workbook."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise WorkbookProblems([Problem("", 0, "", "文件不是可读取的 Excel 工作簿")]) from error
    problems: list[Problem] = []
    for title in (RESOURCES, FIELDS):
        if title not in workbook.sheetnames:
            problems.append(Problem(title, 0, "", "缺少该工作表"))
    if problems:
        raise WorkbookProblems(problems)
    resources = parse_sheet(workbook[RESOURCES], RESOURCE_COLUMNS, problems)
    fields = parse_sheet(workbook[FIELDS], FIELD_COLUMNS, problems)
    workbook.close()
    by_name: dict[str, dict] = {}
    for spec in resources:
        name = spec.get("name")
        if name in by_name:
            problems.append(Problem(RESOURCES, spec["_row"], "资源名称", "与前面的行重名"))
        elif name:
            by_name[name] = spec | {"fields": []}
    for spec in fields:
        owner = by_name.get(spec.get("resource"))
        if owner is None and spec.get("resource"):
            problems.append(Problem(FIELDS, spec["_row"], "资源名称", "在「数据资源」表中不存在"))
            continue
        if owner is not None:
            if any(f["name"] == spec.get("name") for f in owner["fields"]):
                problems.append(Problem(FIELDS, spec["_row"], "字段名", "同一资源中字段名重复"))
            owner["fields"].append({k: v for k, v in spec.items() if k not in ("_row", "resource")})
    for name, spec in by_name.items():
        if not spec["fields"]:
            problems.append(Problem(RESOURCES, spec["_row"], "资源名称", f"资源「{name}」没有字段"))
    if problems:
        raise WorkbookProblems(sorted(problems, key=lambda p: (p.sheet != RESOURCES, p.row)))
    return [{k: v for k, v in s.items() if k != "_row"} for s in by_name.values()]


def read_csv(path: Path) -> list[dict]:
    """The same specifications from the flat CSV `export_csv` writes (one row per field, its
    resource's attributes repeated; UTF-8, with or without BOM, or GB18030), checked like the
    workbook: rows are regrouped into the two sheets' shapes and parsed by the same rules."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise WorkbookProblems([Problem("CSV", 0, "", "文件编码无法识别")])
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise WorkbookProblems([Problem("CSV", 1, "", "文件为空")])
    header = [h.strip() for h in rows[0]]
    resource_headers = [h for h, *_ in RESOURCE_COLUMNS]
    field_headers = [h for h, *_ in FIELD_COLUMNS]
    missing = [h for h in resource_headers + field_headers[1:] if h not in header]
    if missing:
        raise WorkbookProblems([Problem("CSV", 1, "、".join(missing), "缺少该列")])
    workbook = Workbook()
    workbook.remove(workbook.active)
    resources_sheet = workbook.create_sheet(RESOURCES)
    fields_sheet = workbook.create_sheet(FIELDS)
    resources_sheet.append(resource_headers)
    fields_sheet.append(field_headers)
    seen = set()
    for row in rows[1:]:
        values = dict(zip(header, row, strict=False))
        name = values.get("资源名称", "").strip()
        if name not in seen:
            seen.add(name)
            resources_sheet.append([values.get(h, "") for h in resource_headers])
        fields_sheet.append([name] + [values.get(h, "") for h in field_headers[1:]])
    staged = io.BytesIO()
    workbook.save(staged)
    staged.seek(0)
    return read(staged)
