"""Importing organisations from a CSV file, the way the bureau keeps its list.

Rules:
- the header names the columns of one organisation (`name`, `kind`, `prefecture` required;
  `name_kana`, `website`, `summary` optional; any order); a missing or unknown column is a 400
  and nothing is imported; cells are trimmed, and a kind may be written in capitals or in
  Japanese (大学, 金融機関, …: JAPANESE_KINDS);
- the file is UTF-8 (with or without BOM), else Shift_JIS (cp932, which Excel writes); a file
  that is neither is a 400; more than MAX_BYTES is a 413 (the route refuses it before reading);
- each line is checked as `POST /organizations` checks one organisation; a bad line, or a name
  already given earlier in the file, is rejected with its line number (the header is line 1)
  and the reason, and the other lines still import;
- a line naming an existing organisation updates it. `updated` counts every such line,
  `unchanged` those of them that changed nothing: importing the same file twice gives created 0,
  updated N, unchanged N, and writes nothing;
- every accepted line is written in one transaction: a failure midway writes nothing.
"""

from __future__ import annotations

import csv
import io

import msgspec

from meetup.coordinators.organizations import checked, stored_values, writing_names
from meetup.coordinators.schemas import ORGANIZATION_FIELDS, ImportResult, OrganizationIn, RejectedLine
from meetup.coordinators.tables import Organization
from meetup.errors import BadInput, PayloadTooLarge
from meetup.i18n import gettext as _
from meetup.site.uploads import decode_csv as decode

MAX_BYTES = 5 * 1024 * 1024
# The bureau's list may name kinds in Japanese; these words mean the API's kinds.
JAPANESE_KINDS = {
    "ゲートウェイ": "gateway", "ゲートウェイ組織": "gateway", "ハブ組織": "gateway", "支援機関": "support",
    "金融機関": "finance", "大学": "university", "企業": "company", "インキュベーター": "incubator",
    "コワーキング": "incubator", "自治体": "municipality", "その他": "other",
}  # fmt: skip
REQUIRED = frozenset({"name", "kind", "prefecture"})
_CHUNK = 500  # names per IN (...) lookup, well under SQLite's variable limit


def _header(reader: csv.reader) -> list[str]:
    header = [column.strip().lower() for column in next(reader, [])]
    unknown = [column for column in header if column not in ORGANIZATION_FIELDS]
    missing = sorted(REQUIRED - set(header))
    if unknown or missing or len(set(header)) != len(header):
        raise BadInput(
            _("The columns must be: %(columns)s (name, kind and prefecture required).")
            % {"columns": ", ".join(ORGANIZATION_FIELDS)},
            field="file",
        )
    return header


def _fields(header: list[str], cells: list[str]) -> dict[str, str]:
    """One line as an organisation's fields: cells trimmed, a kind in Japanese or capitals understood."""
    fields = {column: cell.strip() for column, cell in zip(header, cells, strict=True)}
    kind = fields["kind"]
    fields["kind"] = JAPANESE_KINDS.get(kind, kind.lower())
    return fields


def parse(text: str) -> tuple[list[tuple[int, OrganizationIn]], list[RejectedLine]]:
    """The file's good lines (with their line numbers) and its rejected ones."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = _header(reader)
        good: list[tuple[int, OrganizationIn]] = []
        rejected: list[RejectedLine] = []
        seen: dict[str, int] = {}
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                rejected.append(
                    RejectedLine(
                        line, _("%(n)d cells where the header has %(m)d.") % {"n": len(cells), "m": len(header)}
                    )
                )
                continue
            try:
                data = checked(_fields(header, cells))
            except BadInput as error:
                rejected.append(RejectedLine(line, error.detail))
                continue
            if data.name in seen:
                rejected.append(RejectedLine(line, _("The same name as line %(line)d.") % {"line": seen[data.name]}))
                continue
            seen[data.name] = line
            good.append((line, data))
    except csv.Error as error:
        raise BadInput(_("The file is not readable CSV: %(error)s") % {"error": str(error)}, field="file") from None
    return good, rejected


async def _existing(names: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    columns = (Organization.id, *(getattr(Organization, field) for field in ORGANIZATION_FIELDS))
    for start in range(0, len(names), _CHUNK):
        rows = await Organization.select(*columns).where(Organization.name.is_in(names[start : start + _CHUNK]))
        found.update({row["name"]: row for row in rows})
    return found


async def import_organizations(content: bytes) -> ImportResult:
    """Create or update the organisations the CSV file lists (the rules are this module's)."""
    if len(content) > MAX_BYTES:
        raise PayloadTooLarge(_("The file is larger than 5 MB."), field="file")
    good, rejected = parse(decode(content))
    created: list[Organization] = []
    updated = unchanged = 0
    async with writing_names():  # a concurrent import creating the same name: 409, nothing written
        existing = await _existing([data.name for _line, data in good])
        for _line, data in good:
            row = existing.get(data.name)
            if row is None:
                created.append(Organization(**stored_values(data)))
                continue
            updated += 1
            if all(row[field] == value for field, value in msgspec.structs.asdict(data).items()):
                unchanged += 1
                continue
            await Organization.update(stored_values(data)).where(Organization.id == row["id"])
        for start in range(0, len(created), _CHUNK):
            await Organization.insert(*created[start : start + _CHUNK])
    return ImportResult(created=len(created), updated=updated, rejected=rejected, unchanged=unchanged)
