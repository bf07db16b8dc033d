"""Breakout rooms keep the organizers' broadcasts (room_broadcast); organizers who looked into a
room leave no visit and no room tie, so the ones recorded before are removed."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.table import Table


class Event(Table, tablename="event", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


ID = "2026-12-02T08:33:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "room broadcasts are kept; organizers leave no room visits or room ties"

_ORGANIZERS = "SELECT \"id\" FROM \"account\" WHERE \"role\" IN ('organizer', 'admin')"


def _params(**overrides) -> dict:
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **overrides,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    manager.add_table(class_name="RoomBroadcast", tablename="room_broadcast", schema=None, columns=None)
    manager.add_column(
        table_class_name="RoomBroadcast",
        tablename="room_broadcast",
        column_name="event",
        db_column_name="event",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params=_params(
            references=Event,
            on_delete=OnDelete.cascade,
            on_update=OnUpdate.cascade,
            target_column=None,
            null=True,
            index=True,
        ),
        schema=None,
    )
    manager.add_column(
        table_class_name="RoomBroadcast",
        tablename="room_broadcast",
        column_name="body",
        db_column_name="body",
        column_class_name="Text",
        column_class=Text,
        params=_params(default=""),
        schema=None,
    )
    manager.add_column(
        table_class_name="RoomBroadcast",
        tablename="room_broadcast",
        column_name="sent_at",
        db_column_name="sent_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=_params(default=TimestamptzNow(), index=True),
        schema=None,
    )

    async def forget_organizers_in_rooms():
        engine = engine_finder()
        await engine.run_ddl(
            f"DELETE FROM \"tie\" WHERE \"kind\" = 'room'"
            f' AND ("person_low" IN ({_ORGANIZERS}) OR "person_high" IN ({_ORGANIZERS}))'
        )
        await engine.run_ddl(f'DELETE FROM "room_visit" WHERE "account" IN ({_ORGANIZERS})')

    manager.add_raw(forget_organizers_in_rooms)
    return manager
