"""Co-hosts of a forum, their invitations, and the forum's audit log (issue 16)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Account(Table, tablename="account", schema=None):
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


ID = "2026-12-02T18:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Co-hosts, co-host invitations and the audit log"


def _foreign(references, on_delete, *, null=True, index=False) -> tuple:
    return ForeignKey, {
        "references": references,
        "on_delete": on_delete,
        "on_update": OnUpdate.cascade,
        "target_column": None,
        "null": null,
        "index": index,
    }


def _varchar(length, *, unique=False) -> tuple:
    return Varchar, {"length": length, "default": "", "null": False, "unique": unique}


def _time(*, null=False, now=True, index=False) -> tuple:
    return Timestamptz, {"default": TimestamptzNow() if now else None, "null": null, "index": index}


TABLES = {
    ("Cohost", "cohost"): {
        "event": _foreign(Event, OnDelete.cascade, index=True),
        "account": _foreign(Account, OnDelete.cascade, index=True),
        "added_by": _foreign(Account, OnDelete.set_null),
        "created_at": _time(),
    },
    ("CohostInvitation", "cohost_invitation"): {
        "event": _foreign(Event, OnDelete.cascade, index=True),
        "email": _varchar(254),
        "token_hash": _varchar(64, unique=True),
        "invited_by": _foreign(Account, OnDelete.set_null),
        "created_at": _time(),
        "expires_at": _time(),
        "used_at": _time(null=True, now=False),
    },
    ("AuditEntry", "audit_entry"): {
        "event": _foreign(Event, OnDelete.cascade, index=True),
        "actor": _foreign(Account, OnDelete.set_null),
        "action": _varchar(60),
        "at": _time(index=True),
    },
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for column_name, (column_class, params) in columns.items():
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=column_name,
                db_column_name=column_name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params={
                    "primary_key": False,
                    "unique": False,
                    "index": False,
                    "index_method": IndexMethod.btree,
                    "choices": None,
                    "db_column_name": None,
                    "secret": False,
                    **params,
                },
                schema=None,
            )
    return manager
