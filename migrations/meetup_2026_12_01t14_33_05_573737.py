from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T14:33:05:573737"
VERSION = "1.38.0"
DESCRIPTION = "registration mail is written by the worker (outbox_mail.compose_json, registration.mail_pending goes); event.waitlisted_count"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="meetup", description=DESCRIPTION
    )

    manager.drop_column(
        table_class_name="Registration",
        tablename="registration",
        column_name="mail_pending",
        db_column_name="mail_pending",
        schema=None,
    )

    manager.add_column(
        table_class_name="Event",
        tablename="event",
        column_name="waitlisted_count",
        db_column_name="waitlisted_count",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
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

    manager.add_column(
        table_class_name="OutboxMail",
        tablename="outbox_mail",
        column_name="compose_json",
        db_column_name="compose_json",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
            "null": False,
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
