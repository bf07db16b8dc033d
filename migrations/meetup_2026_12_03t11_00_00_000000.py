"""Forum reports (開催レポート) and their materials and recordings (CONTRACT §5.5).

Raw DDL for both engines, as the other recent migrations.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "forum reports, materials and recordings"


def _statements(postgres: bool) -> list[str]:
    key = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    return [
        f'CREATE TABLE IF NOT EXISTS "forum_report" ("id" {key}, '
        '"event" INTEGER UNIQUE REFERENCES "event" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        "\"body\" TEXT NOT NULL DEFAULT '', \"published\" BOOLEAN NOT NULL DEFAULT false, "
        '"published_at" TIMESTAMPTZ DEFAULT null, '
        '"updated_by" INTEGER REFERENCES "account" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, '
        '"updated_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'CREATE INDEX IF NOT EXISTS forum_report_published ON "forum_report" ("published", "published_at")',
        f'CREATE TABLE IF NOT EXISTS "material" ("id" {key}, '
        '"event" INTEGER REFERENCES "event" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        "\"kind\" VARCHAR(20) NOT NULL DEFAULT 'file', \"token\" VARCHAR(40) NOT NULL UNIQUE, "
        "\"title\" VARCHAR(200) NOT NULL DEFAULT '', \"visibility\" VARCHAR(20) NOT NULL DEFAULT 'public', "
        "\"content_type\" VARCHAR(60) NOT NULL DEFAULT '', \"size\" INTEGER NOT NULL DEFAULT 0, "
        "\"display_name\" VARCHAR(200) NOT NULL DEFAULT '', \"url\" VARCHAR(500) NOT NULL DEFAULT '', "
        '"removed" BOOLEAN NOT NULL DEFAULT false, '

        '"created_by" INTEGER REFERENCES "account" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, '
        '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'CREATE INDEX IF NOT EXISTS material_event ON "material" ("event")',
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for statement in _statements(engine.engine_type == "postgres"):
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        await engine.run_ddl('DROP TABLE IF EXISTS "material"')
        await engine.run_ddl('DROP TABLE IF EXISTS "forum_report"')

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
