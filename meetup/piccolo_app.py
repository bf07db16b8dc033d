"""One Piccolo app for the whole project: tables from every domain, one migration history."""

from piccolo.conf.apps import AppConfig, table_finder

from meetup import ROOT

APP_CONFIG = AppConfig(
    app_name="meetup",
    migrations_folder_path=str(ROOT / "migrations"),
    table_classes=table_finder(
        modules=[
            "meetup.accounts.tables",
            "meetup.cases.tables",
            "meetup.coordinators.tables",
            "meetup.events.tables",
            "meetup.followups.tables",
            "meetup.mail.tables",
            "meetup.reports.tables",
            "meetup.rooms.tables",
            "meetup.surveys.tables",
        ],
        exclude_imported=True,
    ),
)
