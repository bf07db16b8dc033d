"""Accounts named after their e-mail's local part (magic-link sign-ups until now) get a neutral
name, as new ones do: others saw that part of the address on tickets, in rooms and in mail."""

import secrets

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-02T08:31:18:000000"
VERSION = "1.38.0"
DESCRIPTION = "no display name is an e-mail's local part"

NEUTRAL = {"ja": "参加者", "en": "Participant"}  # as accounts.service.neutral_name writes it


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def rename_local_parts():
        engine = engine_finder()
        rows = await engine.run_querystring(
            QueryString('SELECT "id", "email", "display_name", "locale" FROM "account"')
        )
        for row in rows:
            local_part = row["email"].split("@")[0].strip().lower()
            if row["display_name"].strip().lower() != local_part[:100]:
                continue
            name = f"{NEUTRAL.get(row['locale'], NEUTRAL['ja'])} {1000 + secrets.randbelow(9000)}"
            await engine.run_querystring(
                QueryString('UPDATE "account" SET "display_name" = {} WHERE "id" = {}', name, row["id"])
            )

    manager.add_raw(rename_local_parts)
    return manager
