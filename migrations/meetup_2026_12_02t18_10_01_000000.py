"""One alumni record per person and series (a unique index of its own: composite constraints fail on SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T18:10:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "alumnus index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(
            'CREATE UNIQUE INDEX IF NOT EXISTS alumnus_account_series_uq ON "alumnus" ("account", "series")'
        )

    async def drop_index():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS alumnus_account_series_uq")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
