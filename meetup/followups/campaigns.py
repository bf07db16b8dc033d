"""Campaigns: the follow-up mail an organizer writes to a forum's attendees.

Rules:
- the audience is chosen by registration status and attendance: confirmed, waitlisted, pending,
  attended (checked in, or present in a breakout room) and no_show (confirmed, neither);
- people who turned follow-ups off are never in it;
- subject and body use only the known placeholders (see placeholders.py);
- sending puts one outbox row per recipient in one transaction, keyed by campaign and person,
  so pressing "send" twice, or two organizers at once, still mails each person once;
- the outbox is the truth for progress: queued (pending or sending), sent, failed.
"""

from __future__ import annotations

import re

import msgspec
from markupsafe import Markup

from meetup import i18n, settings
from meetup.accounts import mail_preferences
from meetup.accounts import service as accounts
from meetup.accounts.schemas import UserOut
from meetup.db import utcnow, write_transaction
from meetup.errors import BadInput, Conflict, NotFound
from meetup.events import service as events
from meetup.followups import placeholders, preferences
from meetup.followups.introductions import ForumCircle, Met, forum_circle
from meetup.followups.schemas import (
    AUDIENCES,
    CampaignCreated,
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    Counts,
    Delivery,
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


def _check(subject: str, body: str) -> None:
    placeholders.check(subject, "subject")
    placeholders.check(body, "body")


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
        audience=msgspec.json.decode(row["audience_json"]),
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


async def update_campaign(campaign_id: int, patch: CampaignPatch) -> CampaignOut:
    """A draft can be changed; a campaign that was sent cannot."""
    row = await _row(campaign_id)
    if row["status"] != "draft":
        raise Conflict(_("This campaign was sent; it can no longer be changed."))
    subject = patch.subject if patch.subject is not None else row["subject"]
    body = patch.body if patch.body is not None else row["body"]
    _check(subject, body)
    values: dict = {Campaign.subject: subject, Campaign.body: body}
    if patch.audience is not None:
        values[Campaign.audience_json] = msgspec.json.encode(patch.audience).decode()
    if patch.introductions is not None:
        values[Campaign.introductions] = patch.introductions
    groups = patch.audience if patch.audience is not None else msgspec.json.decode(row["audience_json"])
    values[Campaign.recipient_count] = len(await audience(row["event"], groups))
    async with write_transaction():
        await Campaign.update(values).where((Campaign.id == campaign_id) & (Campaign.status == "draft"))
    return await get_campaign(campaign_id)


async def get_campaign(campaign_id: int) -> CampaignOut:
    row = await _row(campaign_id)
    return _out(row, (await _counts([campaign_id]))[campaign_id])


async def campaigns_of(event_id: int) -> list[CampaignOut]:
    rows = (
        await Campaign.select(*Campaign.all_columns(), Campaign.event.slug.as_alias("event_slug"))
        .where(Campaign.event == event_id)
        .order_by(Campaign.id, ascending=False)
    )
    counts = await _counts([row["id"] for row in rows])
    return [_out(row, counts[row["id"]]) for row in rows]


# -- one recipient's mail ------------------------------------------------------------------------


def _values(user: UserOut, event: dict) -> dict[str, str]:
    base = settings.current().base_url.rstrip("/")
    return {
        "name": user.display_name,
        "event_title": event["title"],
        "event_url": f"{base}/events/{event['slug']}",
        "survey_url": f"{base}/events/{event['slug']}/survey",
        "profile_url": f"{base}/me/profile",
        "unsubscribe_url": preferences.unsubscribe_url(user.id),
    }


def compose(row: dict, event: dict, user: UserOut, people: list[Met]) -> tuple[str, str, str, dict[str, str]]:
    """(subject, text, html, headers) of the campaign's mail to `user`."""
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
        event_url=values["event_url"],
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
    return await forum_circle(row["event"]) if row["introductions"] else None


async def preview(campaign_id: int, account_id: int | None = None) -> Preview:
    """The mail as one real recipient (the first, unless `account_id` names another) will see it."""
    row = await _row(campaign_id)
    event = await events.event_row(row["event_slug"], organizer=True)
    people = await audience(row["event"], msgspec.json.decode(row["audience_json"]))
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
    event = await events.event_row(row["event_slug"], organizer=True)
    people = await audience(row["event"], msgspec.json.decode(row["audience_json"]))
    if not people and row["status"] == "draft":
        raise Conflict(_("Nobody is in this audience, so there is nothing to send."))
    circle = await _circle(row)
    mails = []
    for user in people:
        subject, text, html, headers = compose(row, event, user, circle.people_for(user.id) if circle else [])
        mails.append(
            outbox.outbox_row(
                to_addr=user.email,
                to_name=user.display_name,
                subject=subject,
                body_text=text,
                body_html=html,
                kind="campaign",
                dedupe_key=f"campaign:{campaign_id}:{user.id}",
                headers=headers,
                campaign_id=campaign_id,
                account_id=user.id,
            )
        )
    async with write_transaction():
        started = (
            await Campaign.update({Campaign.status: "sending", Campaign.sent_at: utcnow()})
            .where((Campaign.id == campaign_id) & (Campaign.status == "draft"))
            .returning(Campaign.id)
        )
        if started:  # the first send; a repeat finds every row already queued and adds none
            await outbox.enqueue_many(mails)
            await Campaign.update({Campaign.recipient_count: len(mails)}).where(Campaign.id == campaign_id)
    return await get_campaign(campaign_id)


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
