"""Magic links: a one-time sign-in link by mail, which also creates a newcomer's account.

Rules:
- requests are limited per e-mail and per client address, counted as they arrive; known or not,
  the caller learns nothing about the address;
- opening the link (GET) signs nobody in, because mail scanners open links: it shows a page with
  one button, and pressing it (a POST carrying the CSRF token) signs in, once, within 15 minutes;
- a new account takes the name its person gave (on the forum page, or on the link's page), else a
  neutral one: never any part of the e-mail address, which others would see;
- a link may carry an intent (e.g. register for a forum), handed back at sign-in, and the title of
  that forum, which the mail and the link's page name.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import msgspec

from meetup import i18n
from meetup.accounts.ratelimit import RateLimiter, count_attempt
from meetup.accounts.schemas import MagicLinkIn, UserOut, clean_display_name
from meetup.accounts.service import neutral_name, to_user
from meetup.accounts.tables import Account, MagicLink
from meetup.db import utcnow, write_transaction
from meetup.errors import DomainError, NotFound
from meetup.i18n import gettext as _
from meetup.mail.outbox import enqueue
from meetup.templating import render_mail

LIFETIME = timedelta(minutes=15)
WINDOW = 15 * 60
PER_EMAIL = 5
PER_ADDRESS = 30
# secrets.token_urlsafe(32): anything else is not one of our links, whatever it holds.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


class LinkNotValid(NotFound):
    pass


class LinkExpired(DomainError):
    status_code = 410


class PendingLink(msgspec.Struct):
    """What an unused link will do when its button is pressed."""

    new_account: bool  # pressing it creates the account
    display_name: str  # the name given when the link was asked for ("" when none)
    forum_title: str | None  # the forum whose registration it completes


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _one_line(text: str | None, limit: int) -> str | None:
    """A title fit for a subject line: no line breaks or control characters, not too long."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text or "").split())
    return (text[: limit - 1] + "…" if len(text) > limit else text) or None


async def request_magic_link(
    data: MagicLinkIn,
    *,
    limiter: RateLimiter,
    client: str,
    base_url: str,
    intent: dict | None = None,
    forum_title: str | None = None,
) -> None:
    """Mail a one-time sign-in link. Known or not, the caller learns nothing about the address.
    `intent` (opaque here) travels with the link and is handed back at sign-in; `forum_title`
    names the forum registration the link completes, in the mail and on the link's page."""
    await count_attempt(
        limiter, [(f"magic:email:{data.email}", PER_EMAIL, WINDOW), (f"magic:addr:{client}", PER_ADDRESS, WINDOW)]
    )
    token = secrets.token_urlsafe(32)
    forum_title = _one_line(forum_title, 120)
    account = await Account.select(Account.display_name, Account.locale).where(Account.email == data.email).first()
    locale = account["locale"] if account else i18n.current_locale()
    link = f"{base_url.rstrip('/')}/auth/magic/{token}"
    with i18n.use_locale(locale):
        if forum_title:
            subject = _("[NEXT TOHOKU MEETUP] Complete your registration: %(forum)s") % {"forum": forum_title}
        else:
            subject = _("Your sign-in link for NEXT TOHOKU MEETUP")
    text, html = render_mail(
        "magic_link",
        locale,
        link=link,
        name=account["display_name"] if account else (data.display_name or ""),
        forum=forum_title,
        minutes=int(LIFETIME.total_seconds() // 60),
    )
    async with write_transaction():
        await MagicLink.insert(
            MagicLink(
                token_hash=_token_hash(token),
                email=data.email,
                next_path=data.next or "/",
                expires_at=utcnow() + LIFETIME,
                intent_json=msgspec.json.encode(intent).decode() if intent else "",
                display_name=data.display_name or "",
                forum_title=forum_title or "",
            )
        )
        await enqueue(to_addr=data.email, subject=subject, body_text=text, body_html=html)


async def _usable_link(token: object) -> dict:
    """The stored link behind `token`: LinkNotValid when there is none, LinkExpired when it is
    used or too old."""
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        raise LinkNotValid(_("This sign-in link is not valid. Please check that you opened the whole link."))
    row = await MagicLink.select().where(MagicLink.token_hash == _token_hash(token)).first()
    if row is None:
        raise LinkNotValid(_("This sign-in link is not valid. Please check that you opened the whole link."))
    if row["used_at"] is not None or row["expires_at"] <= utcnow():
        raise LinkExpired(_("This sign-in link has expired or has already been used."))
    return row


async def pending_link(token: object) -> PendingLink:
    """What pressing the link's button will do; looks only, uses nothing (scanners open links)."""
    row = await _usable_link(token)
    return PendingLink(
        new_account=not await Account.exists().where(Account.email == row["email"]),
        display_name=row["display_name"],
        forum_title=row["forum_title"] or None,
    )


async def sign_in_with_magic_link(token: object, display_name: str | None = None) -> tuple[UserOut, str, dict | None]:
    """Use a magic link once (the button was pressed): returns the account, where to go next and
    the intent sent with the link. A new address gets its account, named `display_name`, else
    the name given when the link was asked for, else a neutral name."""
    await _usable_link(token)  # a clear 404 for what was never a link
    now = utcnow()
    async with write_transaction():
        used = (
            await MagicLink.update({MagicLink.used_at: now})
            .where(
                (MagicLink.token_hash == _token_hash(str(token)))
                & MagicLink.used_at.is_null()
                & (MagicLink.expires_at > now)
            )
            .returning(MagicLink.email, MagicLink.next_path, MagicLink.intent_json, MagicLink.display_name)
        )
        if not used:  # pressed twice at once: the other press won
            raise LinkExpired(_("This sign-in link has expired or has already been used."))
        link = used[0]
        name = display_name or link["display_name"]
        await Account.insert(
            Account(
                email=link["email"],
                display_name=clean_display_name(name)[:100] if name else neutral_name(),
                locale=i18n.current_locale(),
            )
        ).on_conflict(target=Account.email, action="DO NOTHING")
        await Account.update({Account.last_login_at: now}).where(Account.email == link["email"])
        row = await Account.select().where(Account.email == link["email"]).first()
    intent = msgspec.json.decode(link["intent_json"]) if link["intent_json"] else None
    return to_user(row), link["next_path"], intent


# An invitation to claim an account made for someone (a past graduate an organizer recorded)
# may wait in the inbox for days: its link lives longer, and still works once.
CLAIM_LIFETIME = timedelta(days=30)


async def claim_link(email: str, base_url: str, next_path: str = "/me/profile") -> str:
    """A one-time sign-in link for the account at `email`, valid for CLAIM_LIFETIME; stored in
    the caller's transaction (the invitation mail goes with it)."""
    token = secrets.token_urlsafe(32)
    await MagicLink.insert(
        MagicLink(
            token_hash=_token_hash(token),
            email=email,
            next_path=next_path,
            expires_at=utcnow() + CLAIM_LIFETIME,
            intent_json="",
            display_name="",
            forum_title="",
        )
    )
    return f"{base_url.rstrip('/')}/auth/magic/{token}"
