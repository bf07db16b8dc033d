"""Accounts: sign-up, password sign-in, names and roles (magic links: `magic_link.py`).

Rules:
- an e-mail address belongs to one account, compared lower-cased;
- a wrong e-mail and a wrong password look the same to the caller (no account enumeration);
- logins are limited per e-mail and per client address, each attempt counted as it arrives (a
  good one is taken back); a sign-up with an address in use counts as a failed login;
- other people see a person's display name, never any part of their e-mail address.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from meetup import i18n, revocation, settings
from meetup.accounts.ratelimit import RateLimiter, count_attempt
from meetup.accounts.schemas import LoginIn, SignupIn, UserOut, clean_display_name, normalize_email
from meetup.accounts.tables import Account
from meetup.db import fetch_by_key, utcnow, write_transaction
from meetup.errors import BadInput, Conflict, NotAuthenticated, NotFound, TooManyRequests
from meetup.i18n import gettext as _

WINDOW = 15 * 60
LOGIN_FAILURES_PER_EMAIL = 5
LOGIN_FAILURES_PER_ADDRESS = 30
SIGNUPS_PER_ADDRESS_HOUR = 500

# The test suite signs up thousands of people: there (MEETUP_ENV=test only) hashing is cheap.
_CHEAP_FOR_TESTS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1, "hash_len": 16, "salt_len": 16}
_hashers: dict[str, tuple[PasswordHasher, str]] = {}


def _hasher_for(env: str) -> tuple[PasswordHasher, str]:
    """The password hasher for this environment and a dummy hash made with it (so a login for an
    unknown e-mail takes as long as one for a known address): argon2's strong defaults except
    under MEETUP_ENV=test."""
    if env not in _hashers:
        hasher = PasswordHasher(**_CHEAP_FOR_TESTS) if env == "test" else PasswordHasher()
        _hashers[env] = (hasher, hasher.hash("a password nobody has"))
    return _hashers[env]


def _hasher() -> PasswordHasher:
    return _hasher_for(settings.current().env)[0]


class InvalidCredentials(NotAuthenticated):
    pass


async def hash_password(password: str) -> str:
    # argon2 is deliberately slow: keep it off the event loop.
    return await asyncio.to_thread(_hasher().hash, password)


async def _verify(password_hash: str | None, password: str) -> bool:
    try:
        hasher, dummy_hash = _hasher_for(settings.current().env)
        return await asyncio.to_thread(hasher.verify, password_hash or dummy_hash, password) and bool(password_hash)
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


_USER_BY_ID = 'SELECT "id", "email", "display_name", "role", "locale" FROM "account" WHERE "id" = {}'


async def get_user(user_id: int) -> UserOut | None:
    # every request asks: the five columns UserOut holds (not the password's hash, not the times)
    rows = await fetch_by_key(_USER_BY_ID, user_id)
    return to_user(rows[0]) if rows else None


async def get_users(user_ids: list[int]) -> dict[int, UserOut]:
    if not user_ids:
        return {}
    rows = await Account.select().where(Account.id.is_in(list(set(user_ids))))
    return {row["id"]: to_user(row) for row in rows}


async def find_user_by_email(email: str) -> UserOut | None:
    row = await Account.select().where(Account.email == email.strip().lower()).first()
    return to_user(row) if row else None


def _login_limits(email: str, client: str) -> list[tuple[str, int, int]]:
    return [
        (f"login:email:{email}", LOGIN_FAILURES_PER_EMAIL, WINDOW),
        (f"login:addr:{client}", LOGIN_FAILURES_PER_ADDRESS, WINDOW),
    ]


async def _address_in_use(email: str, limiter: RateLimiter, client: str) -> Conflict:
    """A sign-up with an address in use counts like a failed login (it tells whether the address
    has an account, so it is as limited as guessing)."""
    await count_attempt(limiter, _login_limits(email, client))
    return Conflict(_("An account with this e-mail address already exists."), field="email")


async def signup(data: SignupIn, *, limiter: RateLimiter, client: str) -> UserOut:
    """Create a participant account; an address already in use is a 409 and counts like a failed
    login. Sign-ups are counted as they arrive, and the address is checked before the (slow,
    memory-hungry) password hash is made."""
    if await limiter.hit(f"signup:addr:{client}", 3600) > SIGNUPS_PER_ADDRESS_HOUR:
        raise TooManyRequests(_("Too many sign-ups from this address. Please try again later."))
    if await Account.exists().where(Account.email == data.email):
        raise await _address_in_use(data.email, limiter, client)
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
    if not rows:  # the same address signed up in the meantime
        raise await _address_in_use(data.email, limiter, client)
    return to_user(rows[0])


async def login(data: LoginIn, *, limiter: RateLimiter, client: str) -> UserOut:
    """The account for this e-mail and password, or InvalidCredentials (the same either way).
    Every attempt counts as it arrives, per e-mail and per client address; a successful one is
    taken back (the e-mail's count starts again)."""
    limits = _login_limits(data.email, client)
    await count_attempt(limiter, limits)
    row = await Account.select().where(Account.email == data.email).first()
    if not await _verify(row["password_hash"] if row else None, data.password):
        raise InvalidCredentials(_("Wrong e-mail address or password."))
    assert row is not None
    changes = {Account.last_login_at: utcnow()}
    if _hasher().check_needs_rehash(row["password_hash"]):
        changes[Account.password_hash] = await hash_password(data.password)
    async with write_transaction():
        await Account.update(changes).where(Account.id == row["id"])
    (email_key, _limit, _window), (addr_key, _limit, _window) = limits
    await limiter.reset(email_key)
    await limiter.refund(addr_key)
    return to_user(row)


def neutral_name(locale: str | None = None) -> str:
    """The name of an account whose person gave none: never any part of the e-mail address,
    which other people would then see on tickets, in rooms and in mail."""
    with i18n.use_locale(locale or i18n.current_locale()):
        return f"{_('Participant')} {1000 + secrets.randbelow(9000)}"


async def set_display_name(user_id: int, display_name: str) -> UserOut:
    """A person names themself: the name others see on tickets, in rooms and in mail."""
    async with write_transaction():
        await Account.update({Account.display_name: clean_display_name(display_name)[:100]}).where(
            Account.id == user_id
        )
    user = await get_user(user_id)
    assert user is not None
    return user


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
                    display_name=clean_display_name(display_name) if display_name else neutral_name(),
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


class CannotLeaveNoAdmin(Conflict):
    pass


async def change_role(actor: UserOut, user_id: int, role: object) -> UserOut:
    """An admin gives an account a role (participant, organizer or admin). An admin cannot take
    their own admin role away, so the site never ends without one (409)."""
    if not isinstance(role, str) or role not in ROLE_RANK:
        raise BadInput(_("Choose participant, organizer or admin."), field="role")
    if user_id == actor.id and actor.role == "admin" and role != "admin":
        raise CannotLeaveNoAdmin(
            _("You cannot remove your own admin role: ask another admin, so the site always keeps one."),
            field="role",
        )
    return await set_role(user_id, role)


def _like(text: str) -> str:
    """A LIKE pattern for `text` anywhere; LIKE's own wildcards are dropped (the two databases
    escape them differently, and names hardly hold them)."""
    return "%" + text.replace("%", "").replace("_", "").replace("\\", "") + "%"


async def find_accounts(q: str = "", *, role: str = "", limit: int = 50) -> list[UserOut]:
    """Accounts whose display name holds `q` (the admin page), organizers and admins first."""
    query = Account.select()
    q = " ".join(q.split())[:100]
    if q:
        if _like(q) == "%%":  # only LIKE's wildcards: no name is asked for
            return []
        query = query.where(Account.display_name.ilike(_like(q)))
    if role in ROLE_RANK:
        query = query.where(Account.role == role)
    rows = await query.order_by(Account.role).order_by(Account.id).limit(limit)  # admin < organizer < participant
    return [to_user(row) for row in rows]


async def make_admin(email: str, password: str | None, display_name: str | None = None) -> tuple[UserOut, bool]:
    """The CLI's `grant-admin`: the account (created when new) becomes an admin."""
    user, created = await make_organizer(email, password, display_name)
    return await set_role(user.id, "admin"), created
