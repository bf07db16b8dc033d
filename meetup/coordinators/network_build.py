"""What the measuring process (network_process.py) does for network.py: read the rows itself, on
its own connection through the raw driver, measure them, and send back the answers already
encoded. The serving process never holds tens of thousands of rows or objects: it sends two
queries (built with Piccolo there, so the visibility rules stay in one place, network.py) and
keeps the bytes it gets.

Rules:
- in: where the database is (`Database`), the two queries as SQL and plain arguments (people, then
  ties), the choice of ties and the day (both only written into the answer), and the ranking of
  the kinds as the serving process has it (ties.TIE_STRENGTH);
- reading: SQLite through sqlite3 (a busy timeout, as the app's own connections), PostgreSQL through
  asyncpg on a connection opened for this measurement and closed after it;
- out (`Built`): the API's JSON (as it is and gzip-compressed), the page's drawn map and the
  metrics, ready to serve; and the whole
  measured network (people, edges, metrics, betweenness, ties) as msgpack, decoded by the serving
  process only when a comparison or an export asks for it (network.py `full`).
"""

from __future__ import annotations

import asyncio
import gzip
import sqlite3
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from meetup.coordinators import network_map
from meetup.coordinators import ties as tie_ranking
from meetup.coordinators.network_measure import Measured, measure
from meetup.coordinators.schemas import NetworkEdge, NetworkMetrics, NetworkNode, NetworkOut

GZIP_LEVEL = 6  # about a sixth of the size, in some tens of milliseconds once per measurement
Database = tuple[str, str]  # ("sqlite", file path) | ("postgres", dsn)
Statement = tuple[str, list[Any]]  # SQL with the engine's placeholders, and plain arguments


class Built(msgspec.Struct, frozen=True):
    json: bytes  # the API's answer
    json_gzip: bytes  # the same, gzip-compressed once (for clients that accept gzip)
    drawn: dict  # what the page draws (network_map.map_data)
    metrics: NetworkMetrics
    whole: bytes  # Whole, as msgpack


class TieRow(msgspec.Struct, frozen=True):
    person_low: int
    person_high: int
    kind: str
    created_at: datetime


class Whole(msgspec.Struct, frozen=True, array_like=True):
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
    metrics: NetworkMetrics
    betweenness: dict[int, float]
    ties: list[TieRow]


def build(
    database: Database, people: Statement, ties: Statement, choice: str, day: date | None, strength: dict[str, int]
) -> Built:
    """Read, measure and encode, in the measuring process; `strength` is the serving process's
    ranking of the kinds (ties.TIE_STRENGTH), read at each measurement."""
    tie_ranking.TIE_STRENGTH = strength
    people_rows, tie_rows = _read(database, [people, ties])
    nodes = [NetworkNode(id=p[0], name=p[1], prefecture=p[2], organization=p[3]) for p in people_rows]
    rows = [{"person_low": t[0], "person_high": t[1], "kind": t[2], "created_at": _moment(t[3])} for t in tie_rows]
    measured = measure(nodes, rows)
    out = NetworkOut(nodes=measured.nodes, edges=measured.edges, metrics=measured.metrics, ties=choice, at=day)
    whole = Whole(
        nodes=measured.nodes,
        edges=measured.edges,
        metrics=measured.metrics,
        betweenness=measured.betweenness,
        ties=[TieRow(**row) for row in rows],
    )
    json = msgspec.json.encode(out)
    return Built(
        json=json,
        json_gzip=gzip.compress(json, compresslevel=GZIP_LEVEL, mtime=0),
        drawn=network_map.map_data(measured),
        metrics=measured.metrics,
        whole=msgspec.msgpack.encode(whole),
    )


def unpack(whole: bytes) -> Measured:
    """The whole measured network back from `Built.whole` (in the serving process, in a thread)."""
    w = msgspec.msgpack.decode(whole, type=Whole)
    ties = [msgspec.structs.asdict(t) for t in w.ties]
    return Measured(nodes=w.nodes, edges=w.edges, metrics=w.metrics, betweenness=w.betweenness, ties=ties)


def _moment(value: datetime | str) -> datetime:
    # SQLite keeps Piccolo's Timestamptz as UTC text ("2026-12-02 09:00:00+00:00"), read back as Piccolo
    # does (piccolo.engine.sqlite.convert_timestamptz_out); PostgreSQL gives a datetime.
    return value if isinstance(value, datetime) else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _read(database: Database, statements: list[Statement]) -> list[list[tuple]]:
    kind, where = database
    if kind == "postgres":
        return asyncio.run(_read_postgres(where, statements))
    connection = sqlite3.connect(where, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN")  # one snapshot for both
        return [connection.execute(sql, args).fetchall() for sql, args in statements]
    finally:
        connection.close()


async def _read_postgres(dsn: str, statements: list[Statement]) -> list[list[tuple]]:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):  # one snapshot for both
            return [[tuple(r) for r in await connection.fetch(sql, *args)] for sql, args in statements]
    finally:
        await connection.close()
