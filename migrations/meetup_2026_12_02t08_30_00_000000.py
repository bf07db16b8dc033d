"""One-line fields stored before input was cleaned become one line (meetup/text.py's rule): a line
break in a forum title broke every mail naming the forum."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

from meetup.text import one_line

ID = "2026-12-02T08:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one-line fields are one line"

ONE_LINE = {
    "event": ("title", "summary", "venue"),
    "series": ("title",),
    "account": ("display_name",),
    "breakout_room": ("name", "topic"),
    "profile": ("name", "name_kana", "organization_name", "municipality"),
    "organization": ("name", "name_kana"),
    "campaign": ("subject",),
}
UNIQUE = {("organization", "name")}


def _cleaned(table: str, column: str, value: str) -> str:
    value = one_line(value)
    return " ".join(value.split()) if (table, column) == ("account", "display_name") else value


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    async def clean():
        engine = engine_finder()
        for table, columns in ONE_LINE.items():
            for column in columns:
                rows = await engine.run_querystring(QueryString(f'SELECT "id", "{column}" AS v FROM "{table}"'))
                taken = {row["v"] for row in rows} if (table, column) in UNIQUE else set()
                for row in rows:
                    value = _cleaned(table, column, row["v"] or "")
                    # An empty result (a value of nothing but controls) or a clash with a unique
                    # neighbour keeps the old value: a person fixes those, not a migration.
                    if value == (row["v"] or "") or not value or value in taken:
                        continue
                    taken.add(value)
                    await engine.run_querystring(
                        QueryString(f'UPDATE "{table}" SET "{column}" = {{}} WHERE "id" = {{}}', value, row["id"])
                    )

    manager.add_raw(clean)
    return manager
