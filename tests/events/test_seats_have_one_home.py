"""Seats and the waitlist have one home, meetup/events/seats.py: whoever changes the rules of who
gets a seat reads and changes one file, and the files of the forum domain do not import each
other in a circle (so none of them works only because another happened to be imported first)."""

import ast
import re
from pathlib import Path

MEETUP = Path(__file__).resolve().parents[2] / "meetup"
SEATS = MEETUP / "events" / "seats.py"

# A write of a seat counter (a forum's or a series'), as a Piccolo update key or in SQL, or of who
# holds a seat or a place in a series, or waits for one.
_WRITES = (
    re.compile(r"(Event|Series)\.(confirmed_count|waitlisted_count|waitlist_seq)\s*(:|\]\s*=)"),
    re.compile(r"\b(SET|,)\s*(confirmed_count|waitlisted_count|waitlist_seq)\s*="),
    re.compile(r"(Registration|Enrolment)\.(status|queue_order)\s*:"),
)


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(MEETUP.parent).with_suffix("").parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    """The meetup modules a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found & known


def test_no_file_outside_seats_changes_seat_counters_or_places():
    offenders = [
        f"{path.relative_to(MEETUP.parent)}:{number}: {line.strip()}"
        for path in sorted(MEETUP.rglob("*.py"))
        if path != SEATS
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if any(pattern.search(line) for pattern in _WRITES)
    ]
    assert offenders == []
    text = SEATS.read_text(encoding="utf-8")
    assert all(pattern.search(text) for pattern in _WRITES)  # the patterns do find such writes


def test_the_forum_domain_has_no_import_cycle():
    files = {_module_name(path): path for path in (MEETUP / "events").glob("*.py")}
    graph = {name: _imports(path, set(files)) - {name} for name, path in files.items()}
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        for imported in sorted(graph[name]):
            if imported in trail:
                cycles.append(" -> ".join([*trail[trail.index(imported) :], imported]))
            elif imported not in done:
                visit(imported, [*trail, imported])
        done.add(name)

    done: set[str] = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    assert cycles == []
    assert "meetup.events.seats" in graph["meetup.events.notifications"]  # imports are seen, even late ones
