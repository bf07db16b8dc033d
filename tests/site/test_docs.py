"""The documents the code points to are in the repository, and the live room page names every
close and error code the server uses."""

from __future__ import annotations

import re
from typing import get_args

from meetup import ROOT
from meetup.rooms.schemas import ErrorCode

SOURCES = [
    *(ROOT / "meetup").rglob("*.py"),
    *(ROOT / "meetup" / "static" / "js").glob("*.js"),
    *(ROOT / "tests").rglob("*.py"),
    ROOT / "main.py",
    ROOT / "README.md",
]
OUTSIDE = "CONTRACT " + "§3"  # the outside contract's websocket section: not in this repository


def test_every_document_the_code_points_to_is_in_the_repository():
    cited = {found for path in SOURCES for found in re.findall(r"docs/[\w-]+\.md", path.read_text())}
    assert {"docs/websocket.md", "docs/architecture.md"} <= cited
    assert all((ROOT / doc).is_file() for doc in cited), sorted(doc for doc in cited if not (ROOT / doc).is_file())
    assert [str(path) for path in SOURCES if OUTSIDE in path.read_text()] == []


def test_the_websocket_page_names_every_close_and_error_code_the_server_uses():
    code = (
        "\n".join(path.read_text() for path in (ROOT / "meetup" / "rooms").glob("*.py"))
        + (ROOT / "main.py").read_text()
    )
    # a close code where the server closes, ends or refuses a socket (or names it in a comment)
    closes = set(re.findall(r"(?:code=|end\(|return |\(|= |close |with )(10\d\d|4\d\d\d)\b(?=[,)\s])", code))
    errors = set(get_args(ErrorCode))  # every code an error frame may carry
    assert {"1000", "1008", "1009", "1013", "4401", "4403", "4404", "4410", "4429"} <= closes
    assert {"too_long", "empty", "rate_limited", "bad_frame", "unavailable"} <= errors
    page = (ROOT / "docs" / "websocket.md").read_text()
    assert sorted(c for c in closes if f"| {c} " not in page and f"**(added)** {c} " not in page) == []
    assert sorted(e for e in errors if f"`{e}`" not in page) == []
