"""Organisations people pick or propose (issue 16): spellings kept as aliases, proposals of new
organisations and who proposed them, and colleague invitations an organisation's admins mail.

Raw DDL for both engines (composite unique indexes are refused by SQLite as ALTER TABLE, see
shared/notes/stack.md A8).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "organisation aliases, proposals, proposers and colleague invitations"

_ACCOUNT = 'INTEGER REFERENCES "account" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null'
_ACCOUNT_OR_NULL = 'INTEGER REFERENCES "account" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null'
_ORGANIZATION = 'INTEGER REFERENCES "organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null'
_ORGANIZATION_OR_NULL = 'INTEGER REFERENCES "organization" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null'
_NOW = "TIMESTAMPTZ NOT NULL DEFAULT current_timestamp"


def _statements(postgres: bool) -> list[str]:
    key = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    return [
        f'CREATE TABLE IF NOT EXISTS "organization_alias" ("id" {key}, "organization" {_ORGANIZATION}, '
        "\"name\" VARCHAR(200) NOT NULL DEFAULT '', \"normalized\" VARCHAR(200) NOT NULL DEFAULT '', "
        f"\"search_text\" TEXT NOT NULL DEFAULT '', \"created_at\" {_NOW})",
        'CREATE UNIQUE INDEX IF NOT EXISTS organization_alias_normalized ON "organization_alias" ("normalized")',
        'CREATE INDEX IF NOT EXISTS organization_alias_organization ON "organization_alias" ("organization")',
        f'CREATE TABLE IF NOT EXISTS "organization_proposal" ("id" {key}, '
        "\"name\" VARCHAR(200) NOT NULL DEFAULT '', \"normalized\" VARCHAR(200) NOT NULL DEFAULT '', "
        "\"status\" VARCHAR(10) NOT NULL DEFAULT 'pending', "
        f'"organization" {_ORGANIZATION_OR_NULL}, "decided_by" {_ACCOUNT_OR_NULL}, '
        f'"decided_at" TIMESTAMPTZ DEFAULT null, "created_at" {_NOW})',
        'CREATE UNIQUE INDEX IF NOT EXISTS organization_proposal_normalized ON "organization_proposal" ("normalized")',
        'CREATE INDEX IF NOT EXISTS organization_proposal_status ON "organization_proposal" ("status")',
        f'CREATE TABLE IF NOT EXISTS "organization_proposer" ("id" {key}, '
        '"proposal" INTEGER REFERENCES "organization_proposal" ("id") ON DELETE CASCADE ON UPDATE CASCADE '
        f'DEFAULT null, "account" {_ACCOUNT}, "created_at" {_NOW})',
        'CREATE UNIQUE INDEX IF NOT EXISTS organization_proposer_uq ON "organization_proposer" ("proposal", "account")',
        'CREATE INDEX IF NOT EXISTS organization_proposer_account ON "organization_proposer" ("account")',
        f'CREATE TABLE IF NOT EXISTS "organization_invitation" ("id" {key}, "organization" {_ORGANIZATION}, '
        "\"email\" VARCHAR(254) NOT NULL DEFAULT '', \"as_admin\" BOOLEAN NOT NULL DEFAULT false, "
        "\"token_hash\" VARCHAR(64) NOT NULL DEFAULT '', "
        f'"invited_by" {_ACCOUNT_OR_NULL}, "created_at" {_NOW}, "expires_at" {_NOW}, '
        '"used_at" TIMESTAMPTZ DEFAULT null)',
        'CREATE UNIQUE INDEX IF NOT EXISTS organization_invitation_token ON "organization_invitation" ("token_hash")',
        'CREATE INDEX IF NOT EXISTS organization_invitation_organization ON "organization_invitation" ("organization")',
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for statement in _statements(engine.engine_type == "postgres"):
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        for table in ("organization_invitation", "organization_proposer", "organization_proposal", "organization_alias"):
            await engine.run_ddl(f'DROP TABLE IF EXISTS "{table}"')

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
