from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T08:31:17:412905"
VERSION = "1.38.0"
DESCRIPTION = "magic_link.display_name and forum_title: a newcomer's name and the forum the link registers for"


def _varchar(length: int) -> dict:
    return {
        "length": length,
        "default": "",
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

    manager.add_column(
        table_class_name="MagicLink",
        tablename="magic_link",
        column_name="display_name",
        db_column_name="display_name",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_varchar(100),
        schema=None,
    )

    manager.add_column(
        table_class_name="MagicLink",
        tablename="magic_link",
        column_name="forum_title",
        db_column_name="forum_title",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_varchar(200),
        schema=None,
    )

    return manager
