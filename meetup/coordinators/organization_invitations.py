"""Colleague invitations: an organisation's admins (and organizers) invite the organisation's people
by e-mail, optionally as admins.

Rules:
- the invitation is mailed through the outbox and holds `{BASE_URL}/organizations/invitations/{token}`;
  the token is kept only as its SHA-256, works once, for `LIFETIME`, and only for the account
  whose address it was sent to (as co-host invitations, events/cohosts.py);
- accepting makes the organisation the person's profile's organisation (no profile yet: they are
  sent to write one with it filled in) and, when invited so, an admin of it;
- the answer never tells whether an address has an account: an address is refused only when it is
  already a member (or, invited as admin, already an admin) of this organisation — people the
  inviter can already see on its page; every address counts against INVITES_PER_HOUR as it arrives;
- pending invitations show their address only to organizers and to the admin who sent them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from meetup import i18n
from meetup.accounts.ratelimit import RateLimiter
from meetup.accounts.schemas import UserOut, normalize_email
from meetup.accounts.tables import Account
from meetup.coordinators import organizations
from meetup.coordinators import service as profiles
from meetup.coordinators.schemas import InvitationRejected, InvitationsOut, PendingInvitation
from meetup.coordinators.tables import Organization, OrganizationAdmin, OrganizationInvitation, Profile
from meetup.db import utcnow, write_transaction
from meetup.errors import BadInput, Conflict, DomainError, Forbidden, NotFound, TooManyRequests
from meetup.i18n import gettext as _
from meetup.mail.outbox import enqueue
from meetup.templating import render_mail

LIFETIME = timedelta(days=14)
MAX_ADDRESSES = 20
INVITES_PER_HOUR = 60
_WINDOW = 3600
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
_SEPARATORS = re.compile(r"[\s,;、，]+")


class InvitationGone(DomainError):
    status_code = 410


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def addresses(text: object) -> list[str]:
    """The addresses in what was typed (one or several, by line, space or comma), in order, once each."""
    items = text if isinstance(text, list) else _SEPARATORS.split(text if isinstance(text, str) else "")
    seen: list[str] = []
    for item in items:
        if isinstance(item, str) and item.strip() and item.strip() not in seen:
            seen.append(item.strip())
    return seen


def _checked(emails: list[str]) -> list[str]:
    if not emails:
        raise BadInput(_("Enter the e-mail address of at least one colleague."), field="emails")
    if len(emails) > MAX_ADDRESSES:
        raise BadInput(_("Invite at most %(n)s people at once.") % {"n": MAX_ADDRESSES}, field="emails")
    checked = []
    for email in emails:
        try:
            checked.append(normalize_email(email[:254]))
        except ValueError:
            raise BadInput(
                _("emails: %(address)s is not a valid e-mail address.") % {"address": email[:254]}, field="emails"
            ) from None
    return list(dict.fromkeys(checked))


async def _refusal(organization_id: int, email: str, as_admin: bool) -> str | None:
    """Why `email` is not invited, or None. Only people already in this organisation are refused."""
    account = await Account.select(Account.id).where(Account.email == email).first()
    if account is None:
        return None
    is_admin = await OrganizationAdmin.exists().where(
        (OrganizationAdmin.organization == organization_id) & (OrganizationAdmin.account == account["id"])
    )
    if is_admin:
        return _("already an admin of this organisation")
    is_member = await Profile.exists().where(
        (Profile.account == account["id"]) & (Profile.organization == organization_id)
    )
    if is_member and not as_admin:
        return _("already a member of this organisation")
    return None


async def invite(
    organization_id: int,
    emails: object,
    as_admin: bool,
    by: UserOut,
    base_url: str,
    limiter: RateLimiter | None = None,
) -> InvitationsOut:
    """Mail each address an invitation to join the organisation (as admin if `as_admin`). A bad
    address is a 400 and nobody is invited; when every address is refused, a 409 naming why."""
    organization = await organizations.get_organization(organization_id)
    if not await organizations.may_edit(organization_id, by):
        raise Forbidden(_("Only organizers and this organisation's admins may invite colleagues."))
    wanted = _checked(addresses(emails))
    if limiter is not None:
        for _email in wanted:
            if await limiter.hit(f"org-invite:{by.id}", _WINDOW) > INVITES_PER_HOUR:
                raise TooManyRequests(
                    _("You have sent many invitations in the last hour. Please try again later."), retry_after=_WINDOW
                )
    invited: list[str] = []
    rejected: list[InvitationRejected] = []
    mails = []
    for email in wanted:
        if reason := await _refusal(organization_id, email, as_admin):
            rejected.append(InvitationRejected(email=email, reason=reason))
            continue
        token = secrets.token_urlsafe(32)
        link = f"{base_url.rstrip('/')}/organizations/invitations/{token}"
        account = await Account.select(Account.locale).where(Account.email == email).first()
        locale = account["locale"] if account else i18n.current_locale()
        with i18n.use_locale(locale):
            subject = _("[NEXT TOHOKU MEETUP] Join %(organization)s") % {"organization": organization.name[:120]}
        text, html = render_mail(
            "organization_invitation",
            locale,
            link=link,
            organization=organization.name,
            inviter=by.display_name,
            as_admin=as_admin,
            days=LIFETIME.days,
        )
        mails.append((email, token, subject, text, html))
        invited.append(email)
    if not invited:
        detail = "; ".join(f"{r.email}: {r.reason}" for r in rejected)
        raise Conflict(_("Nobody was invited: %(why)s") % {"why": detail}, field="emails")
    async with write_transaction():
        for email, token, subject, text, html in mails:
            await OrganizationInvitation.insert(
                OrganizationInvitation(
                    organization=organization_id,
                    email=email,
                    as_admin=as_admin,
                    token_hash=_hash(token),
                    invited_by=by.id,
                    expires_at=utcnow() + LIFETIME,
                )
            )
            await enqueue(to_addr=email, subject=subject, body_text=text, body_html=html)
    return InvitationsOut(invited=invited, rejected=rejected, expires_in_days=LIFETIME.days)


async def pending(organization_id: int, viewer: UserOut) -> list[PendingInvitation]:
    """Invitations not yet used nor expired; the address only for organizers and their sender."""
    rows = (
        await OrganizationInvitation.select(
            *OrganizationInvitation.all_columns(),
            OrganizationInvitation.invited_by.display_name.as_alias("inviter"),
        )
        .where(
            (OrganizationInvitation.organization == organization_id)
            & OrganizationInvitation.used_at.is_null()
            & (OrganizationInvitation.expires_at > utcnow())
        )
        .order_by(OrganizationInvitation.id)
    )
    return [
        PendingInvitation(
            id=row["id"],
            email=row["email"] if viewer.is_organizer or row["invited_by"] == viewer.id else None,
            as_admin=row["as_admin"],
            invited_by=row["inviter"] or "",
            expires_at=row["expires_at"],
        )
        for row in rows
    ]


def _not_valid() -> NotFound:
    return NotFound(_("This invitation link is not valid. Please check that you opened the whole link."))


def _gone() -> InvitationGone:
    return InvitationGone(
        _("This invitation has expired or has already been used. Ask the organisation's admin for a new one.")
    )


async def invitation(token: object) -> dict:
    """The invitation behind `token`, with its organisation's name: 404 when there is none, 410
    when it was used or is too old."""
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        raise _not_valid()
    row = (
        await OrganizationInvitation.select(
            *OrganizationInvitation.all_columns(),
            OrganizationInvitation.organization.name.as_alias("organization_name"),
            OrganizationInvitation.invited_by.display_name.as_alias("inviter"),
        )
        .where(OrganizationInvitation.token_hash == _hash(token))
        .first()
    )
    if row is None:
        raise _not_valid()
    if row["used_at"] is not None or row["expires_at"] <= utcnow():
        raise _gone()
    return row


def is_for(row: dict, user: UserOut) -> bool:
    return row["email"] == user.email


def wrong_address() -> Forbidden:
    return Forbidden(_("This invitation was sent to another e-mail address. Sign in with that address to accept it."))


async def accept(token: object, user: UserOut) -> dict:
    """`user` joins the invitation's organisation (an admin too if invited so); returns the
    invitation with `has_profile`: without a profile the page sends them to write one."""
    row = await invitation(token)
    if not is_for(row, user):
        raise wrong_address()
    organization = await Organization.select(Organization.name).where(Organization.id == row["organization"]).first()
    if organization is None:
        raise _gone()
    async with write_transaction():
        taken = (
            await OrganizationInvitation.update({OrganizationInvitation.used_at: utcnow()})
            .where((OrganizationInvitation.id == row["id"]) & OrganizationInvitation.used_at.is_null())
            .returning(OrganizationInvitation.id)
        )
        if not taken:
            raise _gone()
        already = await OrganizationAdmin.exists().where(
            (OrganizationAdmin.organization == row["organization"]) & (OrganizationAdmin.account == user.id)
        )
        if row["as_admin"] and not already:
            await OrganizationAdmin.insert(OrganizationAdmin(organization=row["organization"], account=user.id))
        profile = await profiles.set_organization(user.id, organization["name"])
    return row | {"has_profile": profile is not None, "organization_name": organization["name"]}
