"""One enrolment per person and series (a unique index of its own: see the registration indexes)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T15:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "enrolment indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        await engine.run_ddl(
            'CREATE UNIQUE INDEX IF NOT EXISTS enrolment_series_account_uq ON "enrolment" ("series", "account")'
        )
        await engine.run_ddl(
            'CREATE INDEX IF NOT EXISTS enrolment_series_status_queue ON "enrolment" ("series", "status", "queue_order")'
        )

    async def drop_indexes():
        engine = engine_finder()
        await engine.run_ddl("DROP INDEX IF EXISTS enrolment_series_account_uq")
        await engine.run_ddl("DROP INDEX IF EXISTS enrolment_series_status_queue")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
