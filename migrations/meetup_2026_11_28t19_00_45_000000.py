"""One tie per pair and source, one request per direction, one row per profile theme.

Composite unique indexes live in their own migration (see the registration indexes for why).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T19:00:45:000000"
VERSION = "1.38.0"
DESCRIPTION = "coordinator indexes"

INDEXES = (
    'CREATE UNIQUE INDEX IF NOT EXISTS tie_pair_source_uq ON "tie" ("person_low", "person_high", "source")',
    'CREATE UNIQUE INDEX IF NOT EXISTS connection_request_pair_uq ON "connection_request" ("requester", "recipient")',
    'CREATE UNIQUE INDEX IF NOT EXISTS profile_theme_uq ON "profile_theme" ("profile", "theme")',
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def create_indexes():
        for statement in INDEXES:
            await engine_finder().run_ddl(statement)

    async def drop_indexes():
        for name in ("tie_pair_source_uq", "connection_request_pair_uq", "profile_theme_uq"):
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
