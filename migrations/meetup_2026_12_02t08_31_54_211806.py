from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T08:31:54:211806"
VERSION = "1.38.0"
DESCRIPTION = "lottery forums: event.draws_at (the planned draw) and event.drawn_at (set by the draw)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="meetup", description=DESCRIPTION
    )

    for name in ("draws_at", "drawn_at"):
        manager.add_column(
            table_class_name="Event",
            tablename="event",
            column_name=name,
            db_column_name=name,
            column_class_name="Timestamptz",
            column_class=Timestamptz,
            params={
                "default": None,
                "null": True,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )

    return manager
