"""Room messages: one id per room and number, one stored line per resend (client_id)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T19:33:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "room indexes"

INDEXES = (
    'CREATE UNIQUE INDEX IF NOT EXISTS room_message_seq_uq ON "room_message" ("room", "seq")',
    'CREATE UNIQUE INDEX IF NOT EXISTS room_message_client_uq ON "room_message" ("room", "author", "client_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS room_assignment_uq ON "room_assignment" ("event_id", "round", "account")',
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def create_indexes():
        for statement in INDEXES:
            await engine_finder().run_ddl(statement)

    async def drop_indexes():
        for name in ("room_message_seq_uq", "room_message_client_uq", "room_assignment_uq"):
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
