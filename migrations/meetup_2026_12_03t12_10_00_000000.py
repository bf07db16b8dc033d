"""The case library and the challenge board (CONTRACT §5.5): cases with their themes and what they
name (organisations, people, forums), challenges (余白) and the interest members show in them.

Raw DDL for both engines (composite unique indexes are refused by SQLite as ALTER TABLE, see
shared/notes/stack.md A8). A person says "関わりたい" once per challenge: a unique index.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T12:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "case library and challenge board"


def _fk(column: str, table: str, *, null_action: str = "CASCADE") -> str:
    return (
        f'"{column}" INTEGER REFERENCES "{table}" ("id") ON DELETE {null_action} ON UPDATE CASCADE DEFAULT null'
    )


def _statements(postgres: bool) -> list[str]:
    key = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY NOT NULL"
    now = '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp'
    return [
        f'CREATE TABLE IF NOT EXISTS "case_story" ("id" {key}, '
        "\"title\" VARCHAR(200) NOT NULL DEFAULT '', \"summary\" TEXT NOT NULL DEFAULT '', "
        "\"body\" TEXT NOT NULL DEFAULT '', \"kind\" VARCHAR(20) NOT NULL DEFAULT '', "
        "\"themes_json\" TEXT NOT NULL DEFAULT '[]', \"prefecture\" VARCHAR(10) DEFAULT null, "
        f"\"search_text\" TEXT NOT NULL DEFAULT '', {_fk('created_by', 'account', null_action='SET NULL')}, "
        f'{now}, "updated_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'CREATE INDEX IF NOT EXISTS case_story_kind ON "case_story" ("kind")',
        'CREATE INDEX IF NOT EXISTS case_story_prefecture ON "case_story" ("prefecture")',
        'CREATE INDEX IF NOT EXISTS case_story_created_at ON "case_story" ("created_at")',
        f'CREATE TABLE IF NOT EXISTS "case_theme" ("id" {key}, {_fk("case_story", "case_story")}, '
        "\"theme\" VARCHAR(30) NOT NULL DEFAULT '')",
        'CREATE INDEX IF NOT EXISTS case_theme_case ON "case_theme" ("case_story")',
        'CREATE INDEX IF NOT EXISTS case_theme_theme ON "case_theme" ("theme")',
        f'CREATE TABLE IF NOT EXISTS "case_link" ("id" {key}, {_fk("case_story", "case_story")}, '
        f'{_fk("organization", "organization")}, {_fk("account", "account")}, {_fk("event", "event")})',
        'CREATE INDEX IF NOT EXISTS case_link_case ON "case_link" ("case_story")',
        'CREATE INDEX IF NOT EXISTS case_link_organization ON "case_link" ("organization")',
        'CREATE INDEX IF NOT EXISTS case_link_account ON "case_link" ("account")',
        'CREATE INDEX IF NOT EXISTS case_link_event ON "case_link" ("event")',
        f'CREATE TABLE IF NOT EXISTS "challenge" ("id" {key}, '
        "\"title\" VARCHAR(200) NOT NULL DEFAULT '', \"body\" TEXT NOT NULL DEFAULT '', "
        f"{_fk('organization', 'organization')}, \"kind\" VARCHAR(20) NOT NULL DEFAULT '', "
        "\"prefecture\" VARCHAR(10) NOT NULL DEFAULT '', \"closes_at\" TIMESTAMPTZ DEFAULT null, "
        "\"status\" VARCHAR(10) NOT NULL DEFAULT 'open', "
        f"{_fk('posted_by', 'account', null_action='SET NULL')}, \"search_text\" TEXT NOT NULL DEFAULT '', {now})",
        'CREATE INDEX IF NOT EXISTS challenge_organization ON "challenge" ("organization")',
        'CREATE INDEX IF NOT EXISTS challenge_kind ON "challenge" ("kind")',
        'CREATE INDEX IF NOT EXISTS challenge_prefecture ON "challenge" ("prefecture")',
        'CREATE INDEX IF NOT EXISTS challenge_status ON "challenge" ("status")',
        'CREATE INDEX IF NOT EXISTS challenge_posted_by ON "challenge" ("posted_by")',
        'CREATE INDEX IF NOT EXISTS challenge_created_at ON "challenge" ("created_at")',
        f'CREATE TABLE IF NOT EXISTS "challenge_interest" ("id" {key}, {_fk("challenge", "challenge")}, '
        f"{_fk('account', 'account')}, \"message\" TEXT NOT NULL DEFAULT '', {now}, "
        '"introduced_at" TIMESTAMPTZ DEFAULT null)',
        'CREATE UNIQUE INDEX IF NOT EXISTS challenge_interest_uq ON "challenge_interest" ("challenge", "account")',
        'CREATE INDEX IF NOT EXISTS challenge_interest_account ON "challenge_interest" ("account")',
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for statement in _statements(engine.engine_type == "postgres"):
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        for table in ("challenge_interest", "challenge", "case_link", "case_theme", "case_story"):
            await engine.run_ddl(f'DROP TABLE IF EXISTS "{table}"')

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
