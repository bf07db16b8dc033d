"""One admin row per (organisation, person), and every organisation's search text filled in.

The composite unique index is raw DDL: Piccolo emits composite constraints as ALTER TABLE,
which SQLite refuses (see shared/notes/stack.md, A8).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

from meetup.coordinators.organizations import organization_search_text

ID = "2026-12-02T15:10:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "organisation admins index, organisation search text"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def index_and_fill():
        engine = engine_finder()
        await engine.run_ddl(
            'CREATE UNIQUE INDEX IF NOT EXISTS organization_admin_uq ON "organization_admin" ("organization", "account")'
        )
        rows = await engine.run_querystring(QueryString('SELECT "id", "name", "name_kana" FROM "organization"'))
        for row in rows:
            text = organization_search_text(row["name"], row["name_kana"] or "")
            await engine.run_querystring(
                QueryString('UPDATE "organization" SET "search_text" = {} WHERE "id" = {}', text, row["id"])
            )

    async def drop_index():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS organization_admin_uq")

    manager.add_raw(index_and_fill)
    manager.add_raw_backwards(drop_index)
    return manager
