"""One survey response per person, one pick per (survey, picker, picked).

Composite unique indexes live in their own raw migration: Piccolo emits composite constraints
as ALTER TABLE, which SQLite refuses (see shared/notes/stack.md, A8).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T14:20:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "survey indexes"

INDEXES = (
    'CREATE UNIQUE INDEX IF NOT EXISTS survey_response_person_uq ON "survey_response" ("survey", "account")',
    'CREATE UNIQUE INDEX IF NOT EXISTS survey_pick_uq ON "survey_pick" ("survey", "picker", "picked")',
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def create_indexes():
        for statement in INDEXES:
            await engine_finder().run_ddl(statement)

    async def drop_indexes():
        for name in ("survey_response_person_uq", "survey_pick_uq"):
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
