"""A challenge's introduction (CONTRACT §5.5) is the follow-up's double opt-in with its own wishes:
"stay in touch" rows get an `occasion` ("" for a forum's follow-up, "challenge:<id>"), and the
unique index becomes (person, other, occasion), so wishing to stay in touch after a forum and
accepting a challenge's introduction are two things.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T12:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "stay in touch: one wish per occasion (a forum's follow-up, a challenge)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def change():
        engine = engine_finder()
        await engine.run_ddl('ALTER TABLE "stay_in_touch" ADD COLUMN "occasion" VARCHAR(30) NOT NULL DEFAULT \'\'')
        await engine.run_ddl("DROP INDEX IF EXISTS stay_in_touch_uq")
        await engine.run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS stay_in_touch_occasion_uq "
            'ON "stay_in_touch" ("person", "other", "occasion")'
        )

    async def back():
        engine = engine_finder()
        await engine.run_ddl("DROP INDEX IF EXISTS stay_in_touch_occasion_uq")
        await engine.run_ddl('DELETE FROM "stay_in_touch" WHERE "occasion" <> \'\'')
        await engine.run_ddl('ALTER TABLE "stay_in_touch" DROP COLUMN "occasion"')
        await engine.run_ddl('CREATE UNIQUE INDEX IF NOT EXISTS stay_in_touch_uq ON "stay_in_touch" ("person", "other")')

    manager.add_raw(change)
    manager.add_raw_backwards(back)
    return manager
