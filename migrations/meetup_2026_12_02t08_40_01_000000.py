"""Every registration gets a ticket code people can read and type: 8 characters without
look-alikes (shown XXXX-XXXX), replacing the 16-character case-sensitive codes.

The column keeps its shape (varchar 40, unique across all forums), so nothing changes in the
schema on SQLite or PostgreSQL. The alphabet is copied here, not imported: a migration keeps
the rule of its day. Codes already in the new form are kept.
"""

import re
import secrets

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-02T08:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "readable ticket codes"

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
NEW_FORM = re.compile(f"[{ALPHABET}]{{8}}")
BATCH = 200  # three parameters a row: well inside SQLite's limit on parameters


def _fresh(taken: set[str]) -> str:
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        if code not in taken:
            taken.add(code)
            return code


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def new_codes():
        engine = engine_finder()
        rows = await engine.run_querystring(QueryString('SELECT "id", "ticket_code" FROM "registration"'))
        taken = {row["ticket_code"] for row in rows if NEW_FORM.fullmatch(row["ticket_code"] or "")}
        changes = [(row["id"], _fresh(taken)) for row in rows if not NEW_FORM.fullmatch(row["ticket_code"] or "")]
        for start in range(0, len(changes), BATCH):
            batch = changes[start : start + BATCH]
            cases = " ".join("WHEN {} THEN {}" for _ in batch)
            ids = ", ".join("{}" for _ in batch)
            args = [value for change in batch for value in change] + [reg_id for reg_id, _ in batch]
            await engine.run_querystring(
                QueryString(
                    f'UPDATE "registration" SET "ticket_code" = CASE "id" {cases} END WHERE "id" IN ({ids})',  # noqa: S608
                    *args,
                )
            )

    manager.add_raw(new_codes)
    return manager
