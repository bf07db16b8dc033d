"""Stay in touch: one press per person and other person (a raw unique index: Piccolo's composite fails on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T08:12:59:000000"
VERSION = "1.38.0"
DESCRIPTION = "stay in touch index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(
            'CREATE UNIQUE INDEX IF NOT EXISTS stay_in_touch_uq ON "stay_in_touch" ("person", "other")'
        )

    async def drop_index():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS stay_in_touch_uq")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
