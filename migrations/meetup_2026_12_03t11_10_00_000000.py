"""Chat lines quoted in a forum's report (their authors named only once they agree).

Raw DDL for both engines; the composite unique index as CREATE UNIQUE INDEX (SQLite refuses it in
ALTER TABLE, see shared/notes/stack.md A8).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T11:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "report quotes"


def _statements(postgres: bool) -> list[str]:
    key = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    return [
        f'CREATE TABLE IF NOT EXISTS "report_quote" ("id" {key}, '
        '"event" INTEGER REFERENCES "event" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        '"message" INTEGER NOT NULL DEFAULT 0, '
        '"author" INTEGER REFERENCES "account" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, '
        "\"room_name\" VARCHAR(100) NOT NULL DEFAULT '', \"body\" TEXT NOT NULL DEFAULT '', "
        '"sent_at" TIMESTAMPTZ DEFAULT null, "removed" BOOLEAN NOT NULL DEFAULT false, '
        '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'CREATE UNIQUE INDEX IF NOT EXISTS report_quote_uq ON "report_quote" ("event", "message")',
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for statement in _statements(engine.engine_type == "postgres"):
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        await engine.run_ddl('DROP TABLE IF EXISTS "report_quote"')

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
