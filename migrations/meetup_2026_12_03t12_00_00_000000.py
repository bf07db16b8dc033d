"""Consents (CONTRACT §5.5): a person named on something public agrees first (a case, a quoted
chat line). One row per (subject kind, subject id, account); the mailed token kept as its SHA-256.

Raw DDL for both engines (composite unique indexes are refused by SQLite as ALTER TABLE, see
shared/notes/stack.md A8).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "consents: a person named on something public agrees first"


def _statements(postgres: bool) -> list[str]:
    key = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    return [
        f'CREATE TABLE IF NOT EXISTS "consent" ("id" {key}, '
        '"subject_kind" VARCHAR(20) NOT NULL DEFAULT \'\', "subject_id" INTEGER NOT NULL DEFAULT 0, '
        '"account" INTEGER REFERENCES "account" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
        "\"subject_title\" VARCHAR(200) NOT NULL DEFAULT '', \"subject_url\" VARCHAR(500) NOT NULL DEFAULT '', "
        "\"token_hash\" VARCHAR(64) NOT NULL DEFAULT '', \"state\" VARCHAR(10) NOT NULL DEFAULT 'pending', "
        '"asked_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "decided_at" TIMESTAMPTZ DEFAULT null)',
        'CREATE UNIQUE INDEX IF NOT EXISTS consent_uq ON "consent" ("subject_kind", "subject_id", "account")',
        'CREATE UNIQUE INDEX IF NOT EXISTS consent_token_uq ON "consent" ("token_hash")',
        'CREATE INDEX IF NOT EXISTS consent_account ON "consent" ("account")',
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for statement in _statements(engine.engine_type == "postgres"):
            await engine.run_ddl(statement)

    async def drop():
        await engine_finder().run_ddl('DROP TABLE IF EXISTS "consent"')

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
