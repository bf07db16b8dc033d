"""Follows: a person follows a series, an organisation, a prefecture or a theme, and hears by
mail when a matching forum is published (CONTRACT §5.4).

Rules:
- exactly one target per follow; a series, an organisation, a prefecture or a theme that does not
  exist is a 400 naming the field (a theme exists when it is on the curated list, or some forum or
  profile carries it); following the same thing again returns the same follow (200, not 201);
- a person lists and removes only their own follows (someone else's is a 404, as a missing one);
- a forum matches a follow when it belongs to the series, is hosted by the organisation, is held
  in the prefecture, or is tagged with the theme;
- publishing records the publication (events/publication.py); the scheduler's job
  (`queue_follow_mail`, every minute) claims what was published since and queues one mail per
  follower listing every newly published forum that matches any of their follows (publications
  close together share one mail, the digest); nothing is queued per follower in the request;
- nobody hears twice of the same forum (`FollowNotice`, one row per person and forum), whatever
  the runs, workers or re-publications; drafts, called-off and past forums are never announced;
- the organizer who created the forum is not told of their own forum;
- the mail is bulk: sent only to those who have not turned it off (mail preference `follows`),
  with an RFC 8058 one-click unsubscribe (List-Unsubscribe + List-Unsubscribe-Post) that turns
  off this mail only; its composer checks the preference again and drops forums called off since.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from meetup import i18n, settings
from meetup.accounts import follows as store
from meetup.accounts import mail_preferences
from meetup.accounts import service as accounts
from meetup.coordinators import organizations
from meetup.coordinators import service as coordinators
from meetup.coordinators.prefectures import PREFECTURES, prefecture_name
from meetup.coordinators.schemas import THEMES
from meetup.db import utcnow, write_transaction
from meetup.errors import BadInput, NotFound
from meetup.events import publication, series
from meetup.events.schemas import clean_themes
from meetup.events.service import themes_of, tokyo
from meetup.followups import preferences
from meetup.followups.schemas import FollowIn, FollowOut
from meetup.followups.tables import FollowNotice
from meetup.i18n import gettext as _
from meetup.mail import outbox
from meetup.templating import render_mail

COMPOSER = "followups.follows"
CHUNK = 500


# -- following -----------------------------------------------------------------------------------


async def target_of(data: FollowIn) -> tuple[str, str]:
    """(kind, stored value) of what `data` names; a target that does not exist is a 400."""
    if data.series is not None:
        try:
            row = await series.series_row(data.series)
        except NotFound:
            raise BadInput(_("No such series."), field="series") from None
        return "series", str(row["id"])
    if data.organization is not None:
        exists = 0 < data.organization < 2**31 and await organizations.names_of([data.organization])
        if not exists:
            raise BadInput(_("No such organisation."), field="organization")
        return "organization", str(data.organization)
    if data.prefecture is not None:
        if data.prefecture not in PREFECTURES:
            raise BadInput(_("Choose a prefecture from the list (e.g. 宮城県) or 海外."), field="prefecture")
        return "prefecture", data.prefecture
    theme = (clean_themes([data.theme or ""]) or [""])[0]
    if not theme or len(theme) > 30 or not await known_theme(theme):
        raise BadInput(_("No forum or profile carries this theme yet."), field="theme")
    return "theme", theme


async def known_theme(theme: str) -> bool:
    return theme in THEMES or await publication.theme_in_use(theme) or await coordinators.theme_in_use(theme)


async def follow(account_id: int, data: FollowIn) -> tuple[FollowOut, bool]:
    """Follow what `data` names; returns the follow and whether it is new."""
    kind, value = await target_of(data)
    row, created = await store.add(account_id, kind, value)
    return (await _outs([row]))[0], created


async def follow_target(account_id: int, kind: str, value: str) -> tuple[FollowOut, bool]:
    """The same from a page's form (kind and value as the page gave them)."""
    if kind not in store.KINDS:
        raise BadInput(_("Choose what to follow."), field="kind")
    fields: dict[str, object] = {kind: value}
    if kind == "organization":
        if not value.isdigit() or len(value) > 10:
            raise BadInput(_("No such organisation."), field="organization")
        fields[kind] = int(value)
    return await follow(account_id, FollowIn(**fields))


async def my_follows(account_id: int) -> list[FollowOut]:
    return await _outs(await store.of(account_id))


async def unfollow(account_id: int, follow_id: int) -> None:
    """Stop following; someone else's follow is a 404, as one that does not exist."""
    if not await store.remove(account_id, follow_id):
        raise NotFound(_("No such follow."))


async def _outs(rows: list[store.FollowRow]) -> list[FollowOut]:
    series_refs = await series.refs_by_id([int(r.value) for r in rows if r.kind == "series"])
    names = await organizations.names_of([int(r.value) for r in rows if r.kind == "organization"])
    outs = []
    for r in rows:
        out = FollowOut(id=r.id, kind=r.kind, label=r.value, url="/", created_at=r.created_at)  # type: ignore[arg-type]
        if r.kind == "series":
            ref = series_refs.get(int(r.value))
            out.series, out.label = (ref["slug"], ref["title"]) if ref else (None, _("(a series that is gone)"))
            out.url = f"/series/{ref['slug']}" if ref else "/events"
        elif r.kind == "organization":
            out.organization, out.label = int(r.value), names.get(int(r.value), _("(an organisation that is gone)"))
            out.url = f"/organizations/{r.value}"
        elif r.kind == "prefecture":
            out.prefecture, out.label = r.value, prefecture_name(r.value, i18n.current_locale())
            out.url = f"/events?prefecture={quote(r.value)}"
        else:
            out.theme, out.label, out.url = r.value, f"#{r.value}", f"/events?theme={quote(r.value)}"
        outs.append(out)
    return outs


# -- who hears of a forum ------------------------------------------------------------------------


def targets_of(forum: dict) -> list[tuple[str, str]]:
    """The follows a forum matches: its series, its host, its prefecture, its themes."""
    targets = []
    if forum["series"]:
        targets.append(("series", str(forum["series"])))
    if forum.get("organization"):
        targets.append(("organization", str(forum["organization"])))
    if forum.get("prefecture"):
        targets.append(("prefecture", forum["prefecture"]))
    targets += [("theme", theme) for theme in themes_of(forum)]
    return targets


async def queue_follow_mail(now: datetime | None = None) -> int:
    """The scheduler's job: claim the forums published since the last run and queue one mail per
    follower listing every one they have not heard of (the digest). Returns how many mails."""
    now = now or utcnow()
    async with write_transaction():
        forums = await publication.claim_announcements(now)
        if not forums:
            return 0
        wanted: dict[int, list[int]] = {}
        for forum in forums:
            people = await store.followers(targets_of(forum))
            people.discard(forum["created_by"])  # the organizer who made it knows already
            for person in people:
                wanted.setdefault(person, []).append(forum["id"])
        everyone = list(wanted)
        opted_out: set[int] = set()
        for start in range(0, len(everyone), CHUNK):
            opted_out |= await mail_preferences.not_wanting_follows(everyone[start : start + CHUNK])
        pairs = [(person, event) for person, events in wanted.items() if person not in opted_out for event in events]
        notices: dict[int, list[int]] = {}  # person: the notice ids (the mail's dedupe key)
        told: dict[int, list[int]] = {}  # person: the forums the mail tells of
        for start in range(0, len(pairs), CHUNK):
            chunk = pairs[start : start + CHUNK]
            rows = (
                await FollowNotice.insert(*(FollowNotice(account=p, event=e, created_at=now) for p, e in chunk))
                .on_conflict(action="DO NOTHING")
                .returning(FollowNotice.id, FollowNotice.account, FollowNotice.event)
            )
            for row in rows:
                notices.setdefault(row["account"], []).append(row["id"])
                told.setdefault(row["account"], []).append(row["event"])
        recipients = list(told)
        people = {}
        for start in range(0, len(recipients), CHUNK):
            people |= await accounts.get_users(recipients[start : start + CHUNK])
        mails = [
            outbox.outbox_row(
                to_addr=user.email,
                to_name=user.display_name,
                kind="campaign",
                account_id=user.id,
                dedupe_key=f"follows:{user.id}:{min(notices[user.id])}",
                compose=(COMPOSER, {"account": user.id, "events": sorted(told[user.id])}),
            )
            for user in people.values()
        ]
        return await outbox.enqueue_many(mails) if mails else 0


# -- the mail ------------------------------------------------------------------------------------


def unsubscribe_url(account_id: int) -> str:
    token = preferences.sign("unsubscribe-follows", str(account_id))
    return f"{settings.current().base_url.rstrip('/')}/follows/unsubscribe/{token}"


async def account_of(token: str):
    """The person a follows-unsubscribe link belongs to; a forged or broken link is a 404."""
    payload = preferences.verify("unsubscribe-follows", token)
    user = await accounts.get_user(int(payload)) if payload and payload.isdigit() and len(payload) < 10 else None
    if user is None:
        raise NotFound(_("This link is not valid."))
    return user


async def write_mail(args: dict) -> dict | None:
    """The digest for one follower, written when it is sent: the forums still published and to
    come, each with the follows it matched; nothing when the person turned this mail off since."""
    user = await accounts.get_user(args["account"])
    if user is None or not (await mail_preferences.preferences(user.id)).follows:
        return None
    forums = await publication.announceable(list(args["events"]))
    if not forums:
        return None
    rows = await store.of(user.id)
    mine = list(zip(rows, await _outs(rows), strict=True))
    base = settings.current().base_url.rstrip("/")
    items = []
    for forum in forums:
        matched = set(targets_of(forum))
        because = [out.label for row, out in mine if (row.kind, row.value) in matched]
        items.append(
            {
                "title": forum["title"],
                "starts_at": tokyo(forum["starts_at"]),
                "ends_at": tokyo(forum["ends_at"]),
                "summary": forum["summary"],
                "url": f"{base}/events/{forum['slug']}",
                "because": because,
            }
        )
    link = unsubscribe_url(user.id)
    text, html = render_mail(
        "followups/mail/follows",
        user.locale,
        name=user.display_name,
        forums=items,
        unsubscribe_url=link,
        follows_url=f"{base}/me/follows",
        preferences_url=f"{base}/me/mail",
    )
    with i18n.use_locale(user.locale):
        if len(items) == 1:
            subject = _("[New forum] %(title)s") % {"title": items[0]["title"]}
        else:
            subject = _("[New forums] %(count)s forums you follow were published") % {"count": len(items)}
    return {
        "subject": subject,
        "body_text": text,
        "body_html": html,
        "headers": {
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"NEXT TOHOKU MEETUP <follows.{settings.current().mail_domain}>",
        },
    }


def register_composers() -> None:
    outbox.register_composer(COMPOSER, write_mail)
