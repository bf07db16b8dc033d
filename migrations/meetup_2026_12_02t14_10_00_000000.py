"""Ties tell the truth: coming to the same forum is attendance, not a tie, so the forum ties made
until now are removed (with the marks that said a forum's ties were made); room ties that involve
an organizer (someone who looks into rooms to moderate, now or since promoted) are removed too.
Attendance itself is untouched: registrations and check-ins stay as they are.

The kinds are written out here, not imported: a migration keeps the rule of its day.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T14:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "no forum ties; no room ties for organizers"

_ORGANIZERS = "SELECT \"id\" FROM \"account\" WHERE \"role\" IN ('organizer', 'admin')"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def truthful_ties():
        engine = engine_finder()
        await engine.run_ddl("DELETE FROM \"tie\" WHERE \"kind\" = 'forum'")
        await engine.run_ddl("DELETE FROM \"tie_source\" WHERE \"source\" LIKE 'event:%'")
        await engine.run_ddl(
            f"DELETE FROM \"tie\" WHERE \"kind\" = 'room'"
            f' AND ("person_low" IN ({_ORGANIZERS}) OR "person_high" IN ({_ORGANIZERS}))'
        )

    manager.add_raw(truthful_ties)
    return manager
