"""Series get the titles people know them by; lottery forums already drawn are marked drawn.

Series made by typing a slug into the forum form were titled with the slug: the ones the demo
data (the 2021 source document) names get their real Japanese titles; others keep theirs until
an organizer edits them on /organizer/series. A lottery forum whose applicants were already
drawn (someone confirmed or waitlisted) gets `drawn_at` = the last of those changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T08:31:55:000000"
VERSION = "1.38.0"
DESCRIPTION = "series titles from the demo data; drawn lottery forums"

# slug -> title, from shared/seed/next-tohoku-2021.txt (as meetup/demo.py writes them)
KNOWN_TITLES = {
    "migite-2021": "右腕人材育成プログラム 〜将来の経営幹部を育てる、充実の7日間〜",
    "migiude-2021": "右腕人材育成プログラム 〜将来の経営幹部を育てる、充実の7日間〜",
    "coordinator-forum": "東北コーディネーター・フォーラム",
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def name_series():
        for slug, title in KNOWN_TITLES.items():
            # constants of this file only, never a request
            await engine_finder().run_ddl(
                f'UPDATE "series" SET "title" = {_literal(title)}'  # noqa: S608
                f' WHERE "slug" = {_literal(slug)} AND "title" = "slug"'
            )

    async def mark_drawn():
        await engine_finder().run_ddl(
            'UPDATE "event" SET "drawn_at" = (SELECT max(r."updated_at") FROM "registration" r'
            ' WHERE r."event" = "event"."id" AND r."status" IN (\'confirmed\', \'waitlisted\'))'
            " WHERE \"registration_mode\" = 'lottery' AND \"drawn_at\" IS NULL"
        )

    manager.add_raw(name_series)
    manager.add_raw(mark_drawn)
    return manager
