"""event.waitlisted_count starts as the number of registrations waiting now."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T14:33:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "count the waitlist"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def count_waitlists():
        await engine_finder().run_ddl(
            'UPDATE "event" SET "waitlisted_count" = (SELECT count(*) FROM "registration" r'
            " WHERE r.\"event\" = \"event\".\"id\" AND r.\"status\" = 'waitlisted')"
        )

    manager.add_raw(count_waitlists)
    return manager
