"""Accounts: sign-up, password and magic-link sign-in, roles.

Rules:
- an e-mail address belongs to one account, compared lower-cased;
- a wrong e-mail and a wrong password look the same to the caller (no account enumeration);
- failed logins and magic-link requests are limited per e-mail and per client address;
- a magic link works once, within 15 minutes, and creates the account when the address is new.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import timedelta

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from meetup import i18n, revocation
from meetup.accounts.ratelimit import RateLimiter
from meetup.accounts.schemas import (
    LoginIn,
    MagicLinkIn,
    SignupIn,
    UserOut,
    clean_display_name,
    normalize_email,
)
from meetup.accounts.tables import Account, MagicLink
from meetup.db import fetch, utcnow, write_transaction
from meetup.errors import BadInput, Conflict, DomainError, NotAuthenticated, NotFound, TooManyRequests
from meetup.i18n import gettext as _
from meetup.mail.outbox import enqueue
from meetup.templating import render_mail

MAGIC_LINK_LIFETIME = timedelta(minutes=15)
WINDOW = 15 * 60
LOGIN_FAILURES_PER_EMAIL = 5
LOGIN_FAILURES_PER_ADDRESS = 30
MAGIC_LINKS_PER_EMAIL = 5
MAGIC_LINKS_PER_ADDRESS = 30
SIGNUPS_PER_ADDRESS_HOUR = 500

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("a password nobody has")


class InvalidCredentials(NotAuthenticated):
    pass


class LinkExpired(DomainError):
    status_code = 410


async def hash_password(password: str) -> str:
    # argon2 is deliberately slow: keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher.verify, password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def to_user(row: dict) -> UserOut:
    return UserOut(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        role=row["role"],
        locale=row["locale"],
    )


async def get_user(user_id: int) -> UserOut | None:
    rows = await fetch('SELECT * FROM "account" WHERE "id" = {}', user_id)  # every request asks
    return to_user(rows[0]) if rows else None


async def get_users(user_ids: list[int]) -> dict[int, UserOut]:
    if not user_ids:
        return {}
    rows = await Account.select().where(Account.id.is_in(list(set(user_ids))))
    return {row["id"]: to_user(row) for row in rows}


async def find_user_by_email(email: str) -> UserOut | None:
    row = await Account.select().where(Account.email == email.strip().lower()).first()
    return to_user(row) if row else None


async def _check_limit(limiter: RateLimiter, keys_and_limits: list[tuple[str, int]]) -> None:
    for key, limit in keys_and_limits:
        if await limiter.count(key) >= limit:
            raise TooManyRequests(_("Too many attempts. Please wait a few minutes and try again."))


async def signup(data: SignupIn, *, limiter: RateLimiter, client: str) -> UserOut:
    """Create a participant account; an address already in use is a 409."""
    key = f"signup:addr:{client}"
    if await limiter.count(key) >= SIGNUPS_PER_ADDRESS_HOUR:
        raise TooManyRequests(_("Too many sign-ups from this address. Please try again later."))
    password_hash = await hash_password(data.password)
    async with write_transaction():
        rows = (
            await Account.insert(
                Account(
                    email=data.email,
                    display_name=data.display_name,
                    password_hash=password_hash,
                    locale=data.locale,
                    last_login_at=utcnow(),
                )
            )
            .on_conflict(target=Account.email, action="DO NOTHING")
            .returning(*Account.all_columns())
        )
    if not rows:
        raise Conflict(_("An account with this e-mail address already exists."), field="email")
    await limiter.hit(key, 3600)
    return to_user(rows[0])


async def login(data: LoginIn, *, limiter: RateLimiter, client: str) -> UserOut:
    """The account for this e-mail and password, or InvalidCredentials (the same either way)."""
    email_key, addr_key = f"login:email:{data.email}", f"login:addr:{client}"
    await _check_limit(limiter, [(email_key, LOGIN_FAILURES_PER_EMAIL), (addr_key, LOGIN_FAILURES_PER_ADDRESS)])
    row = await Account.select().where(Account.email == data.email).first()
    if not await _verify(row["password_hash"] if row else None, data.password):
        await limiter.hit(email_key, WINDOW)
        await limiter.hit(addr_key, WINDOW)
        raise InvalidCredentials(_("Wrong e-mail address or password."))
    assert row is not None
    changes = {Account.last_login_at: utcnow()}
    if _hasher.check_needs_rehash(row["password_hash"]):
        changes[Account.password_hash] = await hash_password(data.password)
    async with write_transaction():
        await Account.update(changes).where(Account.id == row["id"])
    await limiter.reset(email_key)
    return to_user(row)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def request_magic_link(
    data: MagicLinkIn, *, limiter: RateLimiter, client: str, base_url: str, intent: dict | None = None
) -> None:
    """Mail a one-time sign-in link. Known or not, the caller learns nothing about the address.
    `intent` (opaque here) travels with the link and is handed back at sign-in."""
    email_key, addr_key = f"magic:email:{data.email}", f"magic:addr:{client}"
    await _check_limit(limiter, [(email_key, MAGIC_LINKS_PER_EMAIL), (addr_key, MAGIC_LINKS_PER_ADDRESS)])
    await limiter.hit(email_key, WINDOW)
    await limiter.hit(addr_key, WINDOW)
    token = secrets.token_urlsafe(32)
    account = await Account.select(Account.display_name, Account.locale).where(Account.email == data.email).first()
    locale = account["locale"] if account else i18n.current_locale()
    link = f"{base_url.rstrip('/')}/auth/magic/{token}"
    with i18n.use_locale(locale):
        subject = _("Your sign-in link for NEXT TOHOKU MEETUP")
    text, html = render_mail(
        "magic_link",
        locale,
        link=link,
        name=account["display_name"] if account else "",
        minutes=int(MAGIC_LINK_LIFETIME.total_seconds() // 60),
    )
    async with write_transaction():
        await MagicLink.insert(
            MagicLink(
                token_hash=_token_hash(token),
                email=data.email,
                next_path=data.next or "/",
                expires_at=utcnow() + MAGIC_LINK_LIFETIME,
                intent_json=msgspec.json.encode(intent).decode() if intent else "",
            )
        )
        await enqueue(to_addr=data.email, subject=subject, body_text=text, body_html=html)


async def sign_in_with_magic_link(token: str) -> tuple[UserOut, str, dict | None]:
    """Use a magic link once: returns the account (created if new), where to go next, and the
    intent that was sent with the link."""
    now = utcnow()
    async with write_transaction():
        used = (
            await MagicLink.update({MagicLink.used_at: now})
            .where(
                (MagicLink.token_hash == _token_hash(token))
                & MagicLink.used_at.is_null()
                & (MagicLink.expires_at > now)
            )
            .returning(MagicLink.email, MagicLink.next_path, MagicLink.intent_json)
        )
        if not used:
            raise LinkExpired(_("This sign-in link has expired or has already been used."))
        email = used[0]["email"]
        await Account.insert(
            Account(
                email=email,
                display_name=clean_display_name(email.split("@")[0])[:100],
                locale=i18n.current_locale(),
            )
        ).on_conflict(target=Account.email, action="DO NOTHING")
        await Account.update({Account.last_login_at: now}).where(Account.email == email)
        row = await Account.select().where(Account.email == email).first()
    intent = msgspec.json.decode(used[0]["intent_json"]) if used[0]["intent_json"] else None
    return to_user(row), used[0]["next_path"], intent


async def set_locale(user_id: int, locale: str) -> None:
    if i18n.normalize(locale) != locale:
        return
    async with write_transaction():
        await Account.update({Account.locale: locale}).where(Account.id == user_id)


async def make_organizer(email: str, password: str | None, display_name: str | None = None) -> tuple[UserOut, bool]:
    """Create the account as an organizer, or promote an existing one; returns (user, created)."""
    email = normalize_email(email)
    password_hash = await hash_password(password) if password else None
    async with write_transaction():
        row = await Account.select().where(Account.email == email).first()
        if row is None:
            rows = await Account.insert(
                Account(
                    email=email,
                    display_name=clean_display_name(display_name or email.split("@")[0]),
                    password_hash=password_hash,
                    role="organizer",
                )
            ).returning(*Account.all_columns())
            return to_user(rows[0]), True
        changes: dict = {Account.role: "admin" if row["role"] == "admin" else "organizer"}
        if password_hash:
            changes[Account.password_hash] = password_hash
        if display_name:
            changes[Account.display_name] = clean_display_name(display_name)
        await Account.update(changes).where(Account.id == row["id"])
    user = await get_user(row["id"])
    assert user is not None
    return user, False


ROLE_RANK = {"participant": 0, "organizer": 1, "admin": 2}


async def set_role(user_id: int, role: str) -> UserOut:
    """Give an account this role. A lowered role ends at once what only the higher one allowed
    (a room an organizer was only looking into closes on them; revocation is fired after commit)."""
    if role not in ROLE_RANK:
        raise BadInput(_("Choose participant, organizer or admin."), field="role")
    async with write_transaction():
        row = await Account.select(Account.role).where(Account.id == user_id).first()
        if row is None:
            raise NotFound(_("No such person."))
        await Account.update({Account.role: role}).where(Account.id == user_id)
    if ROLE_RANK[role] < ROLE_RANK.get(row["role"], 0):
        await revocation.role_lowered(user_id)
    user = await get_user(user_id)
    assert user is not None
    return user


async def count_accounts() -> int:
    return await Account.count()


async def make_participant(email: str, display_name: str) -> tuple[UserOut, bool]:
    """A password-less participant (signs in by magic link), or the existing account."""
    email = normalize_email(email)
    async with write_transaction():
        inserted = (
            await Account.insert(Account(email=email, display_name=clean_display_name(display_name)))
            .on_conflict(target=Account.email, action="DO NOTHING")
            .returning(Account.id)
        )
        row = await Account.select().where(Account.email == email).first()
    return to_user(row), bool(inserted)
