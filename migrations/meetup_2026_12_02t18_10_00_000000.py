"""Alumni (CONTRACT §5.3): the alumnus table, and the forum's audience (alumni of some series only)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Account(Table, tablename="account", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


class Series(Table, tablename="series", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


ID = "2026-12-02T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "alumni and alumni-only forums"


def _params(**more) -> dict:
    params = {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(more)
    return params


def _foreign_key(references) -> dict:
    return _params(
        references=references,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        target_column=None,
        null=True,
        index=True,
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)
    manager.add_table(class_name="Alumnus", tablename="alumnus", schema=None, columns=None)
    columns = (
        ("account", ForeignKey, _foreign_key(Account)),
        ("series", ForeignKey, _foreign_key(Series)),
        ("year", Integer, _params(default=0)),
        ("source", Varchar, _params(length=20, default="completed")),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
    )
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="Alumnus",
            tablename="alumnus",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    manager.add_column(
        table_class_name="Event",
        tablename="event",
        column_name="alumni_of_json",
        db_column_name="alumni_of_json",
        column_class_name="Text",
        column_class=Text,
        params=_params(default="[]"),
        schema=None,
    )
    return manager
