"""Co-hosts: a person an organizer invites to run one forum with them (its registrations,
check-in, rooms, survey and follow-up mail) and nothing of any other forum.

The invitation is mailed through the outbox and holds `{BASE_URL}/cohosts/accept/{token}`; the
token is kept only as its SHA-256, works once, for `LIFETIME`, and only for the account whose
address it was sent to. Who may use which route is decided by `events.dependencies.staff_required`
with `is_cohost`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import msgspec

from meetup import i18n
from meetup.accounts.schemas import UserOut, normalize_email
from meetup.accounts.tables import Account
from meetup.db import utcnow, write_transaction
from meetup.errors import BadInput, Conflict, DomainError, Forbidden, NotFound
from meetup.events import audit
from meetup.events.tables import Cohost, CohostInvitation, Event
from meetup.i18n import gettext as _
from meetup.mail.outbox import enqueue
from meetup.templating import render_mail

LIFETIME = timedelta(days=14)
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


class InvitationGone(DomainError):
    status_code = 410


class CohostOut(msgspec.Struct):
    user_id: int
    name: str


def _gone() -> InvitationGone:
    return InvitationGone(_("This invitation has expired or has already been used. Ask the organizer for a new one."))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def is_cohost(user_id: int, event_id: int) -> bool:
    return await Cohost.exists().where((Cohost.account == user_id) & (Cohost.event == event_id))


async def runs(user: UserOut | None, event_id: int) -> bool:
    """Whether `user` runs the forum: an organizer (every forum) or one of its co-hosts."""
    return user is not None and (user.is_organizer or await is_cohost(user.id, event_id))


async def cohosts_of(event_id: int) -> list[CohostOut]:
    """The forum's co-hosts by name (never their address), in the order they joined."""
    rows = (
        await Cohost.select(Cohost.account, Cohost.account.display_name)
        .where(Cohost.event == event_id)
        .order_by(Cohost.id)
    )
    seen: dict[int, CohostOut] = {}
    for row in rows:
        seen.setdefault(row["account"], CohostOut(user_id=row["account"], name=row["account.display_name"]))
    return list(seen.values())


async def forums_of(user_id: int) -> list[int]:
    """The forums this person co-hosts."""
    rows = await Cohost.select(Cohost.event).where(Cohost.account == user_id)
    return sorted({row["event"] for row in rows})


async def invite(event: dict, email: object, by: UserOut, base_url: str) -> str:
    """Mail an invitation to `email`; returns the address as stored. An address that is already an
    organizer's or a co-host's of this forum is a 409; one that is no address, a 400."""
    if not isinstance(email, str) or not email.strip():
        raise BadInput(_("Enter the e-mail address of the person to invite."), field="email")
    try:
        email = normalize_email(email)
    except ValueError:
        raise BadInput(_("This is not a valid e-mail address."), field="email") from None
    account = await Account.select(Account.id, Account.role, Account.locale).where(Account.email == email).first()
    if account is not None and account["role"] in ("organizer", "admin"):
        raise Conflict(_("This person is already an organizer and runs every forum."), field="email")
    if account is not None and await is_cohost(account["id"], event["id"]):
        raise Conflict(_("This person is already a co-host of this forum."), field="email")
    token = secrets.token_urlsafe(32)
    link = f"{base_url.rstrip('/')}/cohosts/accept/{token}"
    locale = account["locale"] if account else i18n.current_locale()
    with i18n.use_locale(locale):
        subject = _("[NEXT TOHOKU MEETUP] Co-host %(forum)s with us") % {"forum": event["title"][:120]}
    text, html = render_mail(
        "cohost_invitation", locale, link=link, forum=event["title"], inviter=by.display_name, days=LIFETIME.days
    )
    async with write_transaction():
        await CohostInvitation.insert(
            CohostInvitation(
                event=event["id"],
                email=email,
                token_hash=_hash(token),
                invited_by=by.id,
                expires_at=utcnow() + LIFETIME,
            )
        )
        await enqueue(to_addr=email, subject=subject, body_text=text, body_html=html)
    return email


async def invitation(token: object) -> dict:
    """The invitation behind `token`, with its forum's slug and title: 404 when there is none, 410
    when it was used or is too old."""
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        raise NotFound(_("This invitation link is not valid. Please check that you opened the whole link."))
    row = (
        await CohostInvitation.select(
            *CohostInvitation.all_columns(), CohostInvitation.event.slug, CohostInvitation.event.title
        )
        .where(CohostInvitation.token_hash == _hash(token))
        .first()
    )
    if row is None:
        raise NotFound(_("This invitation link is not valid. Please check that you opened the whole link."))
    if row["used_at"] is not None or row["expires_at"] <= utcnow():
        raise _gone()
    return row


def is_for(row: dict, user: UserOut) -> bool:
    return row["email"] == user.email


async def accept(token: object, user: UserOut) -> dict:
    """`user` becomes a co-host of the invitation's forum; returns the invitation (with its
    forum's slug). Only the invited address's account may accept, once."""
    row = await invitation(token)
    if not is_for(row, user):
        raise Forbidden(
            _("This invitation was sent to another e-mail address. Sign in with that address to accept it.")
        )
    async with write_transaction():
        taken = (
            await CohostInvitation.update({CohostInvitation.used_at: utcnow()})
            .where((CohostInvitation.id == row["id"]) & CohostInvitation.used_at.is_null())
            .returning(CohostInvitation.id)
        )
        if not taken:
            raise _gone()
        if not user.is_organizer and not await is_cohost(user.id, row["event"]):
            await Cohost.insert(Cohost(event=row["event"], account=user.id, added_by=row["invited_by"]))
        await audit.record(row["event"], user.id, "cohost.accept")
    return row


async def remove(event_id: int, user_id: int) -> None:
    """`user_id` no longer co-hosts the forum (404 if they did not)."""
    async with write_transaction():
        gone = (
            await Cohost.delete().where((Cohost.event == event_id) & (Cohost.account == user_id)).returning(Cohost.id)
        )
    if not gone:
        raise NotFound(_("This person is not a co-host of this forum."))


async def add(event_id: int, user_id: int, added_by: int | None = None) -> None:
    """Make `user_id` a co-host at once (the demo and tests; people accept an invitation)."""
    async with write_transaction():
        if not await is_cohost(user_id, event_id):
            await Cohost.insert(Cohost(event=event_id, account=user_id, added_by=added_by))


async def forum_title(event_id: int) -> str:
    row = await Event.select(Event.title).where(Event.id == event_id).first()
    return row["title"] if row else ""
