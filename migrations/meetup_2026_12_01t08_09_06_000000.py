"""Room visits: one row per person and room (composite UNIQUE as a raw index: Piccolo's fails on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T08:09:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "room visit index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(
            'CREATE UNIQUE INDEX IF NOT EXISTS room_visit_uq ON "room_visit" ("room", "account")'
        )

    async def drop_index():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS room_visit_uq")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
