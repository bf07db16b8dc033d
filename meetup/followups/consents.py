"""Consents: a person named on something public (a case, a quoted chat line) agrees first.

Rules:
- whoever names people calls `ask(kind, id, people, title=, url=)`; each person is asked once per
  subject (asking again changes nothing) by one mail through the outbox, written by the composer
  `consent` and holding `{BASE_URL}/consents/{token}`;
- the token is random and kept only as its SHA-256; it is the person's own: only the account it
  was sent to may answer, signed in, with a POST carrying the CSRF token (a mail scanner that opens
  the link decides nothing);
- the person agrees or declines, and may change their mind later with the same link: whoever shows
  the subject asks `agreed(kind, id)` every time, so a withdrawn consent hides the name at once;
- until they agree, the person is not named: pending and declined are the same to everyone else;
- `forget(kind, id, people)` drops the question (the person is no longer named there).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

import msgspec

from meetup import i18n, settings
from meetup.accounts import service as accounts
from meetup.accounts.schemas import UserOut
from meetup.db import utcnow, write_transaction
from meetup.errors import BadInput, Forbidden, NotFound
from meetup.events.service import tokyo
from meetup.followups.tables import Consent
from meetup.i18n import gettext as _
from meetup.mail import outbox
from meetup.templating import render_mail

COMPOSER = "consent"
STATES = ("pending", "agreed", "declined")
DECISIONS = {"agree": "agreed", "decline": "declined"}
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


class ConsentOut(msgspec.Struct):
    """One person's answer for one subject (shown to the person asked and to whoever named them)."""

    id: int
    subject_kind: str
    subject_id: int
    account: int
    subject_title: str
    subject_url: str
    state: str
    decided_at: datetime | None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _out(row: dict) -> ConsentOut:
    return ConsentOut(
        id=row["id"],
        subject_kind=row["subject_kind"],
        subject_id=row["subject_id"],
        account=row["account"],
        subject_title=row["subject_title"],
        subject_url=row["subject_url"],
        state=row["state"],
        decided_at=tokyo(row["decided_at"]),
    )


def link(token: str) -> str:
    return f"{settings.current().base_url.rstrip('/')}/consents/{token}"


async def ask(subject_kind: str, subject_id: int, people: list[int], *, title: str, url: str) -> int:
    """Ask each of `people` (account ids) whether they may be named on the subject: one mail each,
    queued in the same transaction as the question. A person asked before is not asked again.
    Returns how many were asked now."""
    people = sorted({int(p) for p in people})
    if not people:
        return 0
    asked = 0
    async with write_transaction():
        for account in people:
            token = secrets.token_urlsafe(32)
            rows = (
                await Consent.insert(
                    Consent(
                        subject_kind=subject_kind,
                        subject_id=subject_id,
                        account=account,
                        subject_title=title[:200],
                        subject_url=url[:500],
                        token_hash=_hash(token),
                    )
                )
                .on_conflict(action="DO NOTHING")
                .returning(Consent.id)
            )
            if not rows:
                continue
            user = await accounts.get_user(account)
            if user is None:
                continue
            await outbox.enqueue(
                to_addr=user.email,
                to_name=user.display_name,
                account_id=user.id,
                dedupe_key=f"consent:{rows[0]['id']}",
                compose=(COMPOSER, {"consent": rows[0]["id"], "token": token}),
            )
            asked += 1
    return asked


async def forget(subject_kind: str, subject_id: int, people: list[int] | None = None) -> None:
    """Drop the questions about a subject (only for `people` when given): they are named there no more."""
    where = (Consent.subject_kind == subject_kind) & (Consent.subject_id == subject_id)
    if people is not None:
        if not people:
            return
        where &= Consent.account.is_in(list(people))
    async with write_transaction():
        await Consent.delete().where(where)


async def agreed(subject_kind: str, subject_id: int) -> set[int]:
    """The accounts who agreed to be named on the subject, now."""
    rows = await Consent.select(Consent.account).where(
        (Consent.subject_kind == subject_kind) & (Consent.subject_id == subject_id) & (Consent.state == "agreed")
    )
    return {row["account"] for row in rows}


async def agreed_for(subject_kind: str, subject_ids: list[int]) -> dict[int, set[int]]:
    """{subject id: accounts who agreed} for many subjects of one kind (a list page)."""
    if not subject_ids:
        return {}
    rows = await Consent.select(Consent.subject_id, Consent.account).where(
        (Consent.subject_kind == subject_kind)
        & Consent.subject_id.is_in(list(subject_ids))
        & (Consent.state == "agreed")
    )
    found: dict[int, set[int]] = {}
    for row in rows:
        found.setdefault(row["subject_id"], set()).add(row["account"])
    return found


async def subjects_agreed_by(subject_kind: str, account: int) -> list[int]:
    """The subjects of a kind on which this person agreed to be named (their profile's "関わった事例")."""
    rows = await Consent.select(Consent.subject_id).where(
        (Consent.subject_kind == subject_kind) & (Consent.account == account) & (Consent.state == "agreed")
    )
    return sorted({row["subject_id"] for row in rows})


async def states(subject_kind: str, subject_id: int) -> dict[int, str]:
    """{account: pending | agreed | declined} for whoever named them (an organizer's view)."""
    rows = await Consent.select(Consent.account, Consent.state).where(
        (Consent.subject_kind == subject_kind) & (Consent.subject_id == subject_id)
    )
    return {row["account"]: row["state"] for row in rows}


async def question(token: object) -> ConsentOut:
    """The question behind a link; 404 for a link that is none."""
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        raise NotFound(_("This link is not valid."))
    row = await Consent.select().where(Consent.token_hash == _hash(token)).first()
    if row is None:
        raise NotFound(_("This link is not valid."))
    return _out(row)


def check_is_for(found: ConsentOut, user: UserOut) -> None:
    if found.account != user.id:
        raise Forbidden(_("This question was sent to another person. Sign in with the address it was sent to."))


async def decide(token: object, user: UserOut, decision: object) -> ConsentOut:
    """The signed-in person it was sent to agrees (`agree`) or declines (`decline`); again later
    changes the answer."""
    state = DECISIONS.get(decision) if isinstance(decision, str) else None
    if state is None:
        raise BadInput(_("decision: one of agree, decline"), field="decision")
    found = await question(token)
    check_is_for(found, user)
    async with write_transaction():
        await Consent.update({Consent.state: state, Consent.decided_at: utcnow()}).where(Consent.id == found.id)
    return await question(token)


async def write_mail(args: dict) -> dict | None:
    """The question, written when it is sent; nothing when it was withdrawn meanwhile."""
    row = await Consent.select().where(Consent.id == args["consent"]).first()
    if row is None:
        return None
    user = await accounts.get_user(row["account"])
    if user is None:
        return None
    base = settings.current().base_url.rstrip("/")
    text, html = render_mail(
        "followups/mail/consent",
        user.locale,
        name=user.display_name,
        title=row["subject_title"],
        url=f"{base}{row['subject_url']}" if row["subject_url"].startswith("/") else "",
        link=link(args["token"]),
    )
    with i18n.use_locale(user.locale):
        subject = _('[Your consent] May we name you on "%(title)s"?') % {"title": row["subject_title"][:120]}
    return {"subject": subject, "body_text": text, "body_html": html}


def register_composers() -> None:
    outbox.register_composer(COMPOSER, write_mail)
