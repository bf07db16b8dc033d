"""Follows and calendars (CONTRACT §5.4): what a person follows, which forums they were told
about, the follow mail preference, the personal calendar feed's generation, and on forums a host
organisation, a prefecture, themes and the moment of first publication.

Raw DDL for both engines (composite unique indexes are refused by SQLite as ALTER TABLE, see
shared/notes/stack.md A8). Forums published before this migration count as announced, so a
deployment never mails followers about old news.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T18:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "follows, follow notices, calendar feed, forum host/prefecture/themes/publication"


def _statements(postgres: bool) -> list[str]:
    key = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    return [
        f'CREATE TABLE IF NOT EXISTS "follow" ("id" {key}, '
        '"account" INTEGER REFERENCES "account" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        "\"kind\" VARCHAR(20) NOT NULL DEFAULT '', \"value\" VARCHAR(200) NOT NULL DEFAULT '', "
        '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'CREATE UNIQUE INDEX IF NOT EXISTS follow_uq ON "follow" ("account", "kind", "value")',
        'CREATE INDEX IF NOT EXISTS follow_target ON "follow" ("kind", "value")',
        f'CREATE TABLE IF NOT EXISTS "follow_notice" ("id" {key}, '
        '"account" INTEGER REFERENCES "account" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        '"event" INTEGER REFERENCES "event" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'CREATE UNIQUE INDEX IF NOT EXISTS follow_notice_uq ON "follow_notice" ("account", "event")',
        'ALTER TABLE "mail_preference" ADD COLUMN "follows" BOOLEAN NOT NULL DEFAULT true',
        'ALTER TABLE "account" ADD COLUMN "calendar_generation" INTEGER NOT NULL DEFAULT 0',
        'ALTER TABLE "event" ADD COLUMN "organization" INTEGER REFERENCES "organization" ("id") '
        "ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null",
        'ALTER TABLE "event" ADD COLUMN "prefecture" VARCHAR(10) DEFAULT null',
        'ALTER TABLE "event" ADD COLUMN "themes_json" TEXT NOT NULL DEFAULT \'[]\'',
        'ALTER TABLE "event" ADD COLUMN "published_at" TIMESTAMPTZ DEFAULT null',
        'ALTER TABLE "event" ADD COLUMN "announced_at" TIMESTAMPTZ DEFAULT null',
        'CREATE INDEX IF NOT EXISTS event_organization ON "event" ("organization")',
        'UPDATE "event" SET "published_at" = "created_at", "announced_at" = "created_at" WHERE "status" <> \'draft\'',
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for statement in _statements(engine.engine_type == "postgres"):
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        await engine.run_ddl('DROP TABLE IF EXISTS "follow_notice"')
        await engine.run_ddl('DROP TABLE IF EXISTS "follow"')
        await engine.run_ddl("DROP INDEX IF EXISTS event_organization")
        for table, column in (
            ("mail_preference", "follows"),
            ("account", "calendar_generation"),
            ("event", "organization"),
            ("event", "prefecture"),
            ("event", "themes_json"),
            ("event", "published_at"),
            ("event", "announced_at"),
        ):
            await engine.run_ddl(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
