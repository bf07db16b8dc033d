from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T08:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a connection request carries a short message; mail about connection requests can be turned off"

_PARAMS = {
    "null": False,
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="meetup", description=DESCRIPTION)

    # Existing requests have no message; everyone keeps getting the mail until they say no.
    manager.add_column(
        table_class_name="ConnectionRequest",
        tablename="connection_request",
        column_name="message",
        db_column_name="message",
        column_class_name="Text",
        column_class=Text,
        params={"default": "", **_PARAMS},
        schema=None,
    )
    manager.add_column(
        table_class_name="MailPreference",
        tablename="mail_preference",
        column_name="connection_requests",
        db_column_name="connection_requests",
        column_class_name="Boolean",
        column_class=Boolean,
        params={"default": True, **_PARAMS},
        schema=None,
    )
    return manager
