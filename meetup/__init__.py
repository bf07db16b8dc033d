"""NEXT TOHOKU MEETUP: forums, coordinator directory, breakout rooms and follow-up mail."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
