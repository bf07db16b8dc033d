from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T18:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Programmes: application questions, enrolment closing time and held seats on a series, answers on an enrolment, lecturers on a session"


def _params(default, null=False):
    return {
        "default": default,
        "null": null,
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
    for table_class, tablename, column, column_class, params in (
        ("Series", "series", "questions_json", Text, _params("[]")),
        ("Series", "series", "held_json", Text, _params("{}")),
        ("Series", "series", "enrol_closes_at", Timestamptz, _params(None, null=True)),
        ("Enrolment", "enrolment", "answers_json", Text, _params("{}")),
        ("Event", "event", "lecturers_json", Text, _params("[]")),
    ):
        manager.add_column(
            table_class_name=table_class,
            tablename=tablename,
            column_name=column,
            db_column_name=column,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
