"""One registration per person and event, and the waitlist's index.

Piccolo emits composite constraints as ALTER TABLE … ADD CONSTRAINT, which SQLite rejects,
and runs raw steps before the tables of the same migration exist: so these unique indexes
live in a migration of their own, written to run on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T18:39:24:000000"
VERSION = "1.38.0"
DESCRIPTION = "registration indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        await engine.run_ddl(
            'CREATE UNIQUE INDEX IF NOT EXISTS registration_event_account_uq ON "registration" ("event", "account")'
        )
        await engine.run_ddl(
            "CREATE INDEX IF NOT EXISTS registration_event_status_queue "
            'ON "registration" ("event", "status", "queue_order")'
        )

    async def drop_indexes():
        engine = engine_finder()
        await engine.run_ddl("DROP INDEX IF EXISTS registration_event_account_uq")
        await engine.run_ddl("DROP INDEX IF EXISTS registration_event_status_queue")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
