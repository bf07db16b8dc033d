"""The challenge board (余白): an organisation's challenge that outside people can step into.

Rules:
- organizers and the organisation's own admins post a challenge for it (anyone else: 403);
- a challenge is open, then matched, then closed: its poster's (or the organisation's admins',
  or an organizer's) action moves it forward, never back; once `closes_at` has passed it is shown
  as closed, whatever was stored;
- a signed-in member says "関わりたい" once per challenge (again: 409), with a short message, only
  while it is open; the poster sees who is interested (by their profile's name, never an address)
  and may introduce each: a double opt-in introduction exactly as the follow-up's
  (followups/introductions.py): both get a mail with a "stay in touch" link, and when both accept
  they are introduced by mail, connected, and tied by a `project` tie on the network map;
- "write it up as a case" fills the case form from the challenge.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from piccolo.query.functions.aggregate import Count

from meetup import i18n, settings
from meetup.accounts import service as accounts
from meetup.accounts.schemas import UserOut
from meetup.cases.schemas import (
    CHALLENGE_STATUSES,
    ChallengeIn,
    ChallengeOut,
    InterestIn,
    InterestOut,
    NamedRef,
)
from meetup.cases.tables import Challenge, ChallengeInterest
from meetup.coordinators import connections, organizations, reading
from meetup.coordinators import service as coordinators
from meetup.db import unique_violation, utcnow, write_transaction
from meetup.errors import BadInput, Conflict, Forbidden, NotFound
from meetup.events.service import tokyo
from meetup.followups import introductions
from meetup.i18n import gettext as _
from meetup.mail.outbox import enqueue
from meetup.site.forms import error_field
from meetup.templating import render_mail

LIST_LIMIT = 200
# What a matched challenge becomes in the case library.
CASE_KIND = {"internship": "external_talent", "side_job": "external_talent", "project": "co_creation"}


def checked(fields: dict) -> ChallengeIn:
    """`fields` checked as one challenge's input; BadInput naming the field at fault."""
    try:
        return msgspec.convert(fields, ChallengeIn)
    except msgspec.ValidationError as error:
        raise BadInput(str(error).split(" - at ")[0], field=error_field(error) or "body") from None


def status_of(row: dict, now: datetime | None = None) -> str:
    """The status shown: a challenge whose closing date has passed is closed."""
    if row["status"] != "closed" and row["closes_at"] is not None and row["closes_at"] <= (now or utcnow()):
        return "closed"
    return row["status"]


def _search_text(data: ChallengeIn, organization_name: str) -> str:
    return reading.search_text(
        name=data.title,
        reading=reading.reading_of(data.title),
        extra=[organization_name, data.prefecture, data.kind, data.body[:2000]],
    )


async def may_post(organization_id: int, user: UserOut | None) -> bool:
    """Organizers, and the organisation's own admins."""
    return await organizations.may_edit(organization_id, user)


async def _row(challenge_id: int) -> dict:
    row = await Challenge.select().where(Challenge.id == challenge_id).first() if 0 < challenge_id < 2**31 else None
    if row is None:
        raise NotFound(_("No such challenge."))
    return row


async def may_manage(row: dict, user: UserOut | None) -> bool:
    """Its poster, the organisation's admins and organizers see the interest and move it on."""
    if user is None:
        return False
    return row["posted_by"] == user.id or await organizations.may_edit(row["organization"], user)


async def manages(challenge_id: int, user: UserOut | None) -> bool:
    return await may_manage(await _row(challenge_id), user)


async def _check_manages(challenge_id: int, user: UserOut) -> dict:
    row = await _row(challenge_id)
    if not await may_manage(row, user):
        raise Forbidden(_("Only the poster of this challenge, its organisation's admins and organizers may do that."))
    return row


async def post_challenge(data: ChallengeIn, by: UserOut) -> ChallengeOut:
    """A new open challenge of an organisation, by an organizer or one of its admins."""
    names = await organizations.names_of([data.organization])
    if data.organization not in names:
        raise BadInput(_("No such organisation: %(id)s") % {"id": data.organization}, field="organization")
    if not await may_post(data.organization, by):
        raise Forbidden(_("Only organizers and this organisation's admins may post its challenges."))
    async with write_transaction():
        rows = await Challenge.insert(
            Challenge(
                title=data.title,
                body=data.body,
                organization=data.organization,
                kind=data.kind,
                prefecture=data.prefecture,
                closes_at=data.closes_at,
                posted_by=by.id,
                search_text=_search_text(data, names[data.organization]),
            )
        ).returning(Challenge.id)
    return await get_challenge(rows[0]["id"])


def _out(row: dict, organization: str, interest_count: int) -> ChallengeOut:
    return ChallengeOut(
        id=row["id"],
        title=row["title"],
        body=row["body"],
        organization=NamedRef(id=row["organization"], name=organization),
        kind=row["kind"],
        prefecture=row["prefecture"],
        closes_at=tokyo(row["closes_at"]),
        status=status_of(row),
        interest_count=interest_count,
        created_at=tokyo(row["created_at"]),
        url=f"/challenges/{row['id']}",
    )


async def _interest_counts(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = (
        await ChallengeInterest.select(ChallengeInterest.challenge, Count(alias="n"))
        .where(ChallengeInterest.challenge.is_in(ids))
        .group_by(ChallengeInterest.challenge)
    )
    return {row["challenge"]: row["n"] for row in rows}


async def get_challenge(challenge_id: int) -> ChallengeOut:
    row = await _row(challenge_id)
    names = await organizations.names_of([row["organization"]])
    counts = await _interest_counts([challenge_id])
    return _out(row, names.get(row["organization"], ""), counts.get(challenge_id, 0))


async def list_challenges(
    *,
    q: str | None = None,
    kind: str | None = None,
    prefecture: str | None = None,
    organization: int | None = None,
    status: str | None = None,
    limit: int = LIST_LIMIT,
) -> list[ChallengeOut]:
    """Challenges matching the query (kanji, kana or romaji) and filters: open ones first, newest first."""
    where = Challenge.id.is_not_null()
    if (matching := reading.search_clause(Challenge.search_text, q)) is not None:
        where &= matching
    if kind:
        where &= Challenge.kind == kind
    if prefecture:
        where &= Challenge.prefecture == prefecture
    if organization is not None:
        where &= Challenge.organization == organization
    now = utcnow()
    still_open = Challenge.closes_at.is_null() | (Challenge.closes_at > now)
    if status in ("open", "matched"):
        where &= (Challenge.status == status) & still_open
    elif status == "closed":
        where &= (Challenge.status == "closed") | (Challenge.closes_at <= now)
    rows = await (
        Challenge.select()
        .where(where)
        .order_by(Challenge.created_at, ascending=False)
        .order_by(Challenge.id, ascending=False)
        .limit(limit)
    )
    rows.sort(key=lambda row: status_of(row, now) != "open")  # stable: open first, each newest first
    names = await organizations.names_of(sorted({row["organization"] for row in rows}))
    counts = await _interest_counts([row["id"] for row in rows])
    return [_out(row, names.get(row["organization"], ""), counts.get(row["id"], 0)) for row in rows]


async def move(challenge_id: int, status: str, by: UserOut) -> ChallengeOut:
    """open → matched → closed (open → closed too): forward only; back is a 409."""
    row = await _check_manages(challenge_id, by)
    current = status_of(row)
    if CHALLENGE_STATUSES.index(status) <= CHALLENGE_STATUSES.index(current):
        raise Conflict(
            _("This challenge is %(current)s; it can only move forward (open → matched → closed).")
            % {"current": current},
            field="status",
        )
    async with write_transaction():
        await Challenge.update({Challenge.status: status}).where(Challenge.id == challenge_id)
    return await get_challenge(challenge_id)


async def say_interested(challenge_id: int, user: UserOut, data: InterestIn) -> InterestOut:
    """関わりたい: once per person, while the challenge is open; never on one's own challenge."""
    row = await _row(challenge_id)
    if status_of(row) != "open":
        raise Conflict(_("This challenge is no longer open."))
    if row["posted_by"] == user.id:
        raise Conflict(_("This is your own challenge."))
    try:
        async with write_transaction():
            rows = await ChallengeInterest.insert(
                ChallengeInterest(challenge=challenge_id, account=user.id, message=data.message)
            ).returning(*ChallengeInterest.all_columns())
    except Exception as error:
        if unique_violation(error):
            raise Conflict(_("You have already said you would like to take part.")) from None
        raise
    return (await _interest_outs([rows[0]], row))[0]


async def has_said(challenge_id: int, user_id: int) -> bool:
    return await ChallengeInterest.exists().where(
        (ChallengeInterest.challenge == challenge_id) & (ChallengeInterest.account == user_id)
    )


async def _interest_outs(rows: list[dict], challenge: dict) -> list[InterestOut]:
    people = [row["account"] for row in rows]
    profiles = await coordinators.profiles_of(people)
    users = await accounts.get_users(people)
    matched = await _matched_pairs(challenge["id"])
    outs = []
    for row in rows:
        person = row["account"]
        name = profiles[person].name if person in profiles else users[person].display_name if person in users else ""
        if person in matched:
            status = "matched"
        elif row["introduced_at"] is not None:
            status = "introduced"
        else:
            status = "interested"
        outs.append(
            InterestOut(
                id=row["id"],
                challenge=challenge["id"],
                person=NamedRef(id=person, name=name),
                message=row["message"],
                created_at=tokyo(row["created_at"]),
                status=status,
            )
        )
    return outs


async def _matched_pairs(challenge_id: int) -> set[int]:
    """Everyone tied by a `project` tie of this challenge."""
    pairs = await connections.tied_by(f"challenge:{challenge_id}", "project")
    return {person for pair in pairs for person in pair}


async def interests(challenge_id: int, by: UserOut) -> list[InterestOut]:
    """Who wants to take part, oldest first: for the poster, the organisation's admins and organizers."""
    row = await _check_manages(challenge_id, by)
    rows = (
        await ChallengeInterest.select()
        .where(ChallengeInterest.challenge == challenge_id)
        .order_by(ChallengeInterest.id)
    )
    return await _interest_outs(rows, row)


async def introduce(challenge_id: int, interest_id: int, by: UserOut) -> InterestOut:
    """Start the double opt-in introduction of `by` and the interested person: one mail each with a
    "stay in touch" link (once: pressing again sends nothing new). Both need a profile, as every
    introduction shows one."""
    row = await _check_manages(challenge_id, by)
    interest = (
        await ChallengeInterest.select()
        .where((ChallengeInterest.id == interest_id) & (ChallengeInterest.challenge == challenge_id))
        .first()
        if 0 < interest_id < 2**31
        else None
    )
    if interest is None:
        raise NotFound(_("No such interest in this challenge."))
    person = interest["account"]
    if person == by.id:
        raise Conflict(_("You cannot introduce yourself."))
    profiles = await coordinators.profiles_of([person, by.id])
    if by.id not in profiles:
        raise Conflict(_("Write your profile first: an introduction shows each side the other's profile."))
    if person not in profiles:
        raise Conflict(_("This person has no profile the network may see, so they cannot be introduced."))
    users = await accounts.get_users([person, by.id])
    async with write_transaction():
        claimed = (
            await ChallengeInterest.update({ChallengeInterest.introduced_at: utcnow()})
            .where((ChallengeInterest.id == interest_id) & ChallengeInterest.introduced_at.is_null())
            .returning(ChallengeInterest.id)
        )
        if claimed:
            for to, other in ((users[person], users[by.id]), (users[by.id], users[person])):
                await _invite(to, other, profiles[other.id], row)
    return (await _interest_outs([{**interest, "introduced_at": utcnow()}], row))[0]


async def _invite(to: UserOut, other: UserOut, profile: object, challenge: dict) -> None:
    base = settings.current().base_url.rstrip("/")
    token = introductions.challenge_stay_token(to.id, other.id, challenge["id"])
    text, html = render_mail(
        "cases/mail/challenge_introduction",
        to.locale,
        name=to.display_name,
        other=profile,
        title=challenge["title"],
        challenge_url=f"{base}/challenges/{challenge['id']}",
        profile_url=f"{base}/coordinators/{other.id}",
        stay_url=f"{base}/stay-in-touch/{token}",
    )
    with i18n.use_locale(to.locale):
        subject = _("[Challenge] Would you like to be introduced to %(name)s?") % {"name": profile.name}
    await enqueue(
        to_addr=to.email,
        to_name=to.display_name,
        account_id=to.id,
        subject=subject,
        body_text=text,
        body_html=html,
        dedupe_key=f"challenge-intro:{challenge['id']}:{to.id}:{other.id}",
    )


async def describe(challenge_id: int) -> dict | None:
    """What an introduction mail says about the challenge (registered with introductions)."""
    row = await Challenge.select(Challenge.id, Challenge.title).where(Challenge.id == challenge_id).first()
    if row is None:
        return None
    return {"title": row["title"], "url": f"{settings.current().base_url.rstrip('/')}/challenges/{row['id']}"}


def register_occasions() -> None:
    introductions.register_occasion("challenge", describe)


async def case_draft(challenge_id: int, by: UserOut) -> dict:
    """The case form's values from a challenge: "write it up as a case"."""
    row = await _check_manages(challenge_id, by)
    people = sorted(await _matched_pairs(challenge_id))
    return {
        "title": row["title"],
        "summary": "",
        "body": row["body"],
        "kind": CASE_KIND.get(row["kind"], "other"),
        "themes": [],
        "prefecture": row["prefecture"],
        "organizations": [row["organization"]],
        "people": people,
        "events": [],
    }
