"""Campaigns: the follow-up mail an organizer writes to a forum's attendees, or to people across
the whole network (a campaign without a forum: its audience is network_audience.py's).

Rules:
- a forum's campaign chooses its audience by registration status and attendance: confirmed,
  waitlisted, pending, attended (checked in, or present in a breakout room) and no_show
  (confirmed, neither);
- people who turned follow-ups off are never in it;
- subject and body use only the known placeholders (see placeholders.py); a network campaign
  only those that name no forum;
- sending puts one outbox row per recipient in one transaction, keyed by campaign and person,
  so pressing "send" twice, or two organizers at once, still mails each person once; a network
  campaign's rows are written by the worker as it sends them (a composer), so tens of thousands
  are queued in seconds;
- the outbox is the truth for progress: queued (pending or sending), sent, failed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable

import msgspec
from markupsafe import Markup

from meetup import i18n, settings
from meetup.accounts import mail_preferences
from meetup.accounts import service as accounts
from meetup.accounts.schemas import UserOut
from meetup.db import utcnow, write_transaction
from meetup.errors import BadInput, Conflict, NotFound
from meetup.events import service as events
from meetup.followups import network_audience, placeholders, preferences
from meetup.followups.introductions import ForumCircle, Met, forum_circle
from meetup.followups.schemas import (
    AUDIENCES,
    CampaignCreated,
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    Counts,
    Delivery,
    NetworkAudience,
    NetworkCampaignIn,
    Preview,
)
from meetup.followups.tables import Campaign
from meetup.i18n import gettext as _
from meetup.mail import outbox
from meetup.markdown import render_markdown, render_plain
from meetup.rooms import service as rooms
from meetup.templating import render_mail


async def _row(campaign_id: int) -> dict:
    if not 0 < campaign_id < 2**31:  # ids are 32-bit integers in the database
        raise NotFound(_("No such campaign."))
    row = (
        await Campaign.select(*Campaign.all_columns(), Campaign.event.slug.as_alias("event_slug"))
        .where(Campaign.id == campaign_id)
        .first()
    )
    if row is None:
        raise NotFound(_("No such campaign."))
    return row


def _check(subject: str, body: str, *, network: bool = False) -> None:
    allowed = placeholders.NETWORK if network else placeholders.PLACEHOLDERS
    placeholders.check(subject, "subject", allowed)
    placeholders.check(body, "body", allowed)


def _audience_of(row: dict) -> list[str] | NetworkAudience:
    """A forum campaign's audience groups, or a network campaign's criteria."""
    if row["event"] is None:
        return msgspec.json.decode(row["audience_json"], type=NetworkAudience)
    return msgspec.json.decode(row["audience_json"])


async def recipients_of(campaign_id: int) -> list[UserOut]:
    return await recipients(await _row(campaign_id))


async def recipients(row: dict) -> list[UserOut]:
    """Who would get the campaign if it were sent now."""
    chosen = _audience_of(row)
    if isinstance(chosen, NetworkAudience):
        return await network_audience.people(chosen)
    return await audience(row["event"], chosen)


_NAME_FIRST = re.compile(r"\{\{-?\s*name\s*-?\}\}")
_GREETING_FIRST = re.compile(r"(dear|hi|hello)\b|(皆様|皆さま|みなさま|皆さん|みなさん|各位|関係者各位)", re.IGNORECASE)
_HONORIFIC_LAST = re.compile(r"(様|さま|さん|殿|各位|御中)\s*[、,，:：。!！]?$")


def repeats_salutation(body: str) -> bool:
    """Whether the text opens with a salutation of its own ("{{ name }} 様", "皆様", "Dear …"),
    which the mail's automatic "<name> 様" line would then double."""
    first = next((line for line in body.splitlines() if line.strip()), "")
    first = first.strip().lstrip("#>*_ \t").strip()
    if _NAME_FIRST.match(first) or _GREETING_FIRST.match(first):
        return True
    return len(first) <= 40 and bool(_HONORIFIC_LAST.search(first.rstrip("*_ ")))


def salutation_warning(body: str) -> str | None:
    """The organizer's (non-blocking) warning about a doubled salutation, or None."""
    if not repeats_salutation(body):
        return None
    return _(
        "Each mail already begins with the recipient's name as a salutation. Your text begins with a "
        "salutation too, so recipients would read it twice: consider starting with the message itself."
    )


def _groups_of(reg: dict, visited: set[int]) -> set[str]:
    """The audiences one registration belongs to."""
    groups = {reg["status"]}
    if reg["status"] == "confirmed":
        attended = reg["checked_in_at"] is not None or reg["account"] in visited
        groups.add("attended" if attended else "no_show")
    return groups


async def _audiences(event_id: int) -> tuple[dict[str, list[int]], set[int]]:
    """{audience: account ids in registration order} and who turned follow-ups off, read once."""
    visited = await rooms.visitors(event_id)
    by_group: dict[str, list[int]] = {group: [] for group in AUDIENCES}
    registrants = await events.registrants(event_id)
    by_group["registered"] = [reg["account"] for reg in registrants]  # registration order
    for reg in registrants:
        for group in _groups_of(reg, visited) & set(AUDIENCES):
            by_group[group].append(reg["account"])
    off = await mail_preferences.unsubscribed([reg["account"] for reg in registrants])
    return by_group, off


async def audience(event_id: int, groups: list[str]) -> list[UserOut]:
    """The people in `groups`, in registration order, without those who turned follow-ups off."""
    by_group, off = await _audiences(event_id)
    wanted = {a for group in groups for a in by_group.get(group, []) if a not in off}
    in_order = [a for a in by_group["registered"] if a in wanted]
    users = await accounts.get_users(in_order)
    return [users[a] for a in in_order if a in users]


async def audience_sizes(event_id: int) -> dict[str, int]:
    """How many would get a campaign to each audience (for the campaign form)."""
    by_group, off = await _audiences(event_id)
    return {group: sum(1 for a in by_group[group] if a not in off) for group in AUDIENCES}


async def _counts(campaign_ids: list[int]) -> dict[int, Counts]:
    counts = {}
    for campaign_id, by_status in (await outbox.campaign_statuses(campaign_ids)).items():
        queued = sum(n for status, n in by_status.items() if status in outbox.QUEUED)
        counts[campaign_id] = Counts(queued=queued, sent=by_status.get("sent", 0), failed=by_status.get("failed", 0))
    return counts


def _out(row: dict, counts: Counts) -> CampaignOut:
    status = row["status"]
    if status == "sending" and counts.queued == 0:
        status = "sent"
    return CampaignOut(
        id=row["id"],
        event_slug=row["event_slug"],
        subject=row["subject"],
        body=row["body"],
        audience=_audience_of(row),
        introductions=row["introductions"],
        status=status,
        recipient_count=row["recipient_count"],
        counts=counts,
        created_at=row["created_at"],
        sent_at=row["sent_at"],
    )


async def create_campaign(event: dict, data: CampaignIn, created_by: int | None) -> CampaignCreated:
    """A draft; the recipient count is who would get it if it were sent now."""
    _check(data.subject, data.body)
    people = await audience(event["id"], data.audience)
    async with write_transaction():
        inserted = await Campaign.insert(
            Campaign(
                event=event["id"],
                subject=data.subject,
                body=data.body,
                audience_json=msgspec.json.encode(data.audience).decode(),
                introductions=data.introductions,
                recipient_count=len(people),
                created_by=created_by,
            )
        ).returning(Campaign.id)
    return CampaignCreated(id=inserted[0]["id"], recipient_count=len(people))


async def create_network_campaign(data: NetworkCampaignIn, created_by: int | None) -> CampaignCreated:
    """A draft to people across the network; the count is who would get it if it were sent now."""
    _check(data.subject, data.body, network=True)
    await network_audience.check(data.audience)
    count = len(await network_audience.account_ids(data.audience))
    async with write_transaction():
        inserted = await Campaign.insert(
            Campaign(
                event=None,
                subject=data.subject,
                body=data.body,
                audience_json=msgspec.json.encode(data.audience).decode(),
                recipient_count=count,
                created_by=created_by,
            )
        ).returning(Campaign.id)
    return CampaignCreated(id=inserted[0]["id"], recipient_count=count)


async def update_campaign(campaign_id: int, patch: CampaignPatch) -> CampaignOut:
    """A draft can be changed; a campaign that was sent cannot."""
    row = await _row(campaign_id)
    if row["status"] != "draft":
        raise Conflict(_("This campaign was sent; it can no longer be changed."))
    network = row["event"] is None
    if patch.audience is not None and isinstance(patch.audience, NetworkAudience) != network:
        detail = (
            _("A campaign to the network chooses people by criteria, not by registration status.")
            if network
            else _("A forum's campaign chooses its audience by registration status.")
        )
        raise BadInput(detail, field="audience")
    if patch.introductions and network:
        raise BadInput(_("Only a forum's campaign can introduce the people who met there."), field="introductions")
    subject = patch.subject if patch.subject is not None else row["subject"]
    body = patch.body if patch.body is not None else row["body"]
    _check(subject, body, network=network)
    values: dict = {Campaign.subject: subject, Campaign.body: body}
    if isinstance(patch.audience, NetworkAudience):
        await network_audience.check(patch.audience)
    if patch.audience is not None:
        values[Campaign.audience_json] = msgspec.json.encode(patch.audience).decode()
    if patch.introductions is not None:
        values[Campaign.introductions] = patch.introductions
    changed = {**row, "audience_json": values.get(Campaign.audience_json, row["audience_json"])}
    values[Campaign.recipient_count] = len(await recipients(changed))
    async with write_transaction():
        await Campaign.update(values).where((Campaign.id == campaign_id) & (Campaign.status == "draft"))
    return await get_campaign(campaign_id)


async def get_campaign(campaign_id: int) -> CampaignOut:
    row = await _row(campaign_id)
    return _out(row, (await _counts([campaign_id]))[campaign_id])


async def campaigns_of(event_id: int | None) -> list[CampaignOut]:
    """A forum's campaigns, newest first; None: the campaigns to the whole network."""
    mine = Campaign.event.is_null() if event_id is None else Campaign.event == event_id
    rows = (
        await Campaign.select(*Campaign.all_columns(), Campaign.event.slug.as_alias("event_slug"))
        .where(mine)
        .order_by(Campaign.id, ascending=False)
    )
    counts = await _counts([row["id"] for row in rows])
    return [_out(row, counts[row["id"]]) for row in rows]


# -- one recipient's mail ------------------------------------------------------------------------


def _values(user: UserOut, event: dict | None) -> dict[str, str]:
    base = settings.current().base_url.rstrip("/")
    values = {
        "name": user.display_name,
        "profile_url": f"{base}/me/profile",
        "unsubscribe_url": preferences.unsubscribe_url(user.id),
    }
    if event is not None:
        values |= {
            "event_title": event["title"],
            "event_url": f"{base}/events/{event['slug']}",
            "survey_url": f"{base}/events/{event['slug']}/survey",
        }
    return values


def compose(row: dict, event: dict | None, user: UserOut, people: list[Met]) -> tuple[str, str, str, dict[str, str]]:
    """(subject, text, html, headers) of the campaign's mail to `user` (`event` None: a campaign
    to the network)."""
    values = _values(user, event)
    subject = " ".join(placeholders.render_text(row["subject"], values).split())
    markdown = placeholders.render_markdown_source(row["body"], values)
    text_body, html_body = render_plain(markdown), render_markdown(markdown)
    text, html = render_mail(
        "followups/mail/campaign",
        user.locale,
        name=user.display_name,
        body_text=text_body,
        body_html=Markup(html_body),  # noqa: S704 (render_markdown sanitised it)
        people=people,
        event=event,
        event_url=values.get("event_url", ""),
        unsubscribe_url=values["unsubscribe_url"],
        preferences_url=f"{settings.current().base_url.rstrip('/')}/me/mail",
    )
    headers = {
        "List-Unsubscribe": f"<{values['unsubscribe_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"NEXT TOHOKU MEETUP <followups.{settings.current().mail_domain}>",
    }
    return subject, text, html, headers


async def _circle(row: dict) -> ForumCircle | None:
    return await forum_circle(row["event"]) if row["introductions"] and row["event"] is not None else None


async def _forum_of(row: dict) -> dict | None:
    return await events.event_row(row["event_slug"], organizer=True) if row["event"] is not None else None


async def preview(campaign_id: int, account_id: int | None = None) -> Preview:
    """The mail as one real recipient (the first, unless `account_id` names another) will see it."""
    row = await _row(campaign_id)
    event = await _forum_of(row)
    people = await recipients(row)
    if not people:
        raise Conflict(_("Nobody is in this audience yet, so there is no one to preview for."))
    user = next((p for p in people if p.id == account_id), None) if account_id is not None else people[0]
    # (an id out of the database's range simply matches nobody)
    if user is None:
        raise BadInput(_("That person is not in this campaign's audience."), field="recipient")
    circle = await _circle(row)
    subject, text, html, _headers = compose(row, event, user, circle.people_for(user.id) if circle else [])
    warnings = [warning] if (warning := salutation_warning(row["body"])) else []
    return Preview(to=user.email, subject=subject, text=text, html=html, warnings=warnings)


async def send_test(campaign_id: int, organizer: UserOut, to: str | None = None) -> str:
    """The mail of the first recipient, marked as a test, to the organizer (or `to`)."""
    shown = await preview(campaign_id)
    address = to or organizer.email
    with i18n.use_locale(organizer.locale):
        subject = _("[TEST] %(subject)s") % {"subject": shown.subject}
    await outbox.enqueue(to_addr=address, to_name=organizer.display_name, subject=subject, body_text=shown.text,
                  body_html=shown.html)  # fmt: skip
    return address


async def send(campaign_id: int) -> CampaignOut:
    """Queue the campaign's mail, one per person in the audience, once (idempotent)."""
    row = await _row(campaign_id)
    people = await recipients(row)
    if not people and row["status"] == "draft":
        raise Conflict(_("Nobody is in this audience, so there is nothing to send."))
    queue = await (_forum_mails(row, people) if row["event"] is not None else _network_mails(row, people))
    async with write_transaction():
        started = (
            await Campaign.update({Campaign.status: "sending", Campaign.sent_at: utcnow()})
            .where((Campaign.id == campaign_id) & (Campaign.status == "draft"))
            .returning(Campaign.id)
        )
        if started:  # the first send; a repeat finds every row already queued and adds none
            await queue()
            await Campaign.update({Campaign.recipient_count: len(people)}).where(Campaign.id == campaign_id)
    return await get_campaign(campaign_id)


async def _forum_mails(row: dict, people: list[UserOut]) -> Callable[[], Awaitable[int]]:
    """What queues each person's mail, written now (it may introduce the people they met)."""
    event = await _forum_of(row)
    circle = await _circle(row)
    mails = []
    for user in people:
        subject, text, html, headers = compose(row, event, user, circle.people_for(user.id) if circle else [])
        mails.append(_mail(row, user, subject=subject, body_text=text, body_html=html, headers=headers))
    return functools.partial(outbox.enqueue_many, mails)


async def _network_mails(row: dict, people: list[UserOut]) -> Callable[[], Awaitable[int]]:
    """What queues each person's mail, to be written by the worker as it sends it (COMPOSER):
    copies of one row, so tens of thousands are queued in seconds."""
    if not people:
        return functools.partial(outbox.enqueue_many, [])
    template = _mail(row, people[0], compose=(COMPOSER, {"campaign": row["id"], "account": people[0].id}))
    copies = [
        {
            "to_addr": user.email,
            "to_name": user.display_name,
            "dedupe_key": f"campaign:{row['id']}:{user.id}",
            "account_id": user.id,
            "compose_json": msgspec.json.encode(
                {"composer": COMPOSER, "args": {"campaign": row["id"], "account": user.id}}
            ).decode(),
        }
        for user in people
    ]
    return functools.partial(outbox.enqueue_copies, template, copies)


def _mail(row: dict, user: UserOut, **content) -> outbox.Mail:
    return outbox.outbox_row(
        to_addr=user.email,
        to_name=user.display_name,
        kind="campaign",
        dedupe_key=f"campaign:{row['id']}:{user.id}",
        campaign_id=row["id"],
        account_id=user.id,
        **content,
    )


COMPOSER = "network_campaign"
_sent_rows: dict[int, dict] = {}  # a sent campaign never changes: read once per process


async def write_mail(args: dict) -> dict | None:
    """The composer of a network campaign's mail: written as the worker sends it."""
    row = _sent_rows.get(args["campaign"])
    if row is None:
        try:
            row = await _row(args["campaign"])
        except NotFound:
            return None
        if row["status"] != "draft":
            _sent_rows[row["id"]] = row
    user = await accounts.get_user(args["account"])
    if user is None:
        return None
    subject, text, html, headers = compose(row, None, user, [])
    return {"subject": subject, "body_text": text, "body_html": html, "headers": headers}


def register_composers() -> None:
    outbox.register_composer(COMPOSER, write_mail)


async def deliveries(campaign_id: int, status: str | None = None) -> list[Delivery]:
    """The per-recipient log: who, where it stands, how many tries, the last error."""
    await _row(campaign_id)
    statuses = {"queued": outbox.QUEUED, "sent": ("sent",), "failed": ("failed",)}.get(status or "")
    return [
        Delivery(
            account_id=r["account_id"],
            name=r["to_name"],
            email=r["to_addr"],
            status=r["status"] if r["status"] in ("sent", "failed") else "queued",
            attempts=r["attempts"],
            error=r["last_error"] if r["status"] != "sent" else "",
            sent_at=r["sent_at"],
        )
        for r in await outbox.campaign_mail(campaign_id, statuses)
    ]


async def retry_failed(campaign_id: int) -> int:
    """Failed mails of the campaign go back in the queue, with a fresh count of attempts."""
    await _row(campaign_id)
    return await outbox.retry_campaign(campaign_id)


async def forum_of_campaign(params: dict) -> int | None:
    """The forum of the campaign a path names by `{campaign_id}` (who may run it, what it logs)."""
    campaign_id = params.get("campaign_id")
    if not isinstance(campaign_id, int) or not 0 < campaign_id <= 2**31 - 1:
        return None
    row = await Campaign.select(Campaign.event).where(Campaign.id == campaign_id).first()
    return row["event"] if row else None
