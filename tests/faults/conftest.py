"""Fault tests reuse the rooms' real server on a port (`live`)."""

from tests.rooms.conftest import live  # noqa: F401 (a fixture, found by its name)
