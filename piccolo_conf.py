"""Piccolo's configuration: the engine comes from MEETUP_DATABASE_URL via meetup.db."""

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(apps=["meetup.piccolo_app"])


def __getattr__(name: str):
    # Resolved lazily so importing this module never opens a database connection.
    if name == "DB":
        from meetup.db import engine

        return engine()
    raise AttributeError(name)
