"""The floors of docs/architecture.md, read from the code: every `meetup.*` import of every module
under meetup/ goes to its own floor or one below; the outbox (meetup/mail) knows no feature;
only the outbox touches its table; and follow-ups are imported only by what stands on them
(knowledge: cases and challenges) and by wiring."""

import ast
from pathlib import Path

from meetup import ROOT

PACKAGE = ROOT / "meetup"

# Lowest first; a module is on the floor of the longest prefix of its name listed here.
FLOORS: dict[str, int] = {
    "meetup": -2,  # the package itself: ROOT
    **dict.fromkeys(
        (
            "db",
            "settings",
            "errors",
            "i18n",
            "text",
            "links",
            "markdown",
            "revocation",
            "forum_links",
            "attendance",
            "templating",
            "piccolo_app",
            "work_processes",
        ),
        -2,
    ),
    **dict.fromkeys(("mail", "site", "site.forms", "site.headers", "site.api_docs"), -1),
    "accounts": 0,
    "events": 1,
    "coordinators": 2,
    "rooms": 3,
    "followups": 4,
    "surveys": 4,
    "reports": 5,  # the report quotes chat lines with consent (a follow-up)
    "cases": 5,  # the case library and the challenge board: consents and introductions are follow-ups'
    **dict.fromkeys(
        (
            "app",
            "cloning",
            "demo",
            "scheduler",
            "composers",
            "site.errors",
            "site.locale",
            "site.header",
            "site.routes",
            "mail.dev_mailbox",  # the outbox's page: behind accounts' organizer guard, mounted by app.py
        ),
        6,
    ),
}
WIRING = 6
# Breaks docs/architecture.md still lists: pure data and text functions that belong on the base floor.
KNOWN_BREAKS = {"meetup.coordinators.prefectures", "meetup.coordinators.reading"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports_in(source: str) -> set[str]:
    """The meetup modules `source` imports (`from meetup.x import y` is `meetup.x.y` when y is a module)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("meetup")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("meetup"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if is_module(submodule) else node.module)
    return found


def imports_of(path: Path) -> set[str]:
    return imports_in(path.read_text(encoding="utf-8"))


def names_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    names |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    return names | {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}


def floor_of(module: str) -> int:
    name = module.removeprefix("meetup.")
    while name not in FLOORS:
        if "." not in name:
            raise AssertionError(f"{module} is on no floor: add it to FLOORS and to docs/architecture.md")
        name = name.rpartition(".")[0]
    return FLOORS[name]


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def test_every_import_goes_to_its_own_floor_or_below():
    upward = [
        f"{module} (floor {floor_of(module)}) imports {target} (floor {floor_of(target)})"
        for module, path in sorted(MODULES.items())
        for target in sorted(imports_of(path) - KNOWN_BREAKS)
        if floor_of(target) > floor_of(module)
    ]
    assert upward == []


def test_the_outbox_imports_no_domain():
    features = (
        "meetup.accounts",
        "meetup.events",
        "meetup.coordinators",
        "meetup.rooms",
        "meetup.followups",
        "meetup.surveys",
    )
    reaching_up = {
        module: sorted(target for target in imports_of(path) if target.startswith(features))
        for module, path in MODULES.items()
        if module.startswith("meetup.mail") and module != "meetup.mail.dev_mailbox"
    }
    assert {module: targets for module, targets in reaching_up.items() if targets} == {}
    # the dev mailbox's page reads accounts' guard, nothing of a feature
    assert not {t for t in imports_of(MODULES["meetup.mail.dev_mailbox"]) if t.startswith(features[1:])}


def test_only_the_outbox_touches_its_table():
    outside = sorted(
        module
        for module, path in MODULES.items()
        if not module.startswith("meetup.mail") and "OutboxMail" in names_in(path)
    )
    assert outside == []


def test_only_what_stands_on_follow_ups_imports_them():
    importers = sorted(
        module
        for module, path in MODULES.items()
        if not module.startswith("meetup.followups")
        and floor_of(module) <= FLOORS["followups"]
        and any(target.startswith("meetup.followups") for target in imports_of(path))
    )
    assert importers == []
    assert any(target.startswith("meetup.followups") for target in imports_of(ROOT / "meetup" / "app.py"))


def test_the_floors_test_sees_an_import_that_goes_up():
    """The check itself: coordinators importing follow-ups (as they once did) would be caught."""
    probe = imports_in("from meetup.followups import preferences\nimport meetup.rooms.service\n")
    assert probe == {"meetup.followups.preferences", "meetup.rooms.service"}
    assert all(floor_of(target) > floor_of("meetup.coordinators.connections") for target in probe)
