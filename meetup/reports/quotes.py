"""Chat lines quoted in a forum's report (開催レポート), their authors named only with consent.

Rules:
- those who run the forum pick lines of the forum's own rooms (a line of another forum, or one
  deleted, is not offered and cannot be quoted: 400 naming `message_ids`); a line is quoted once;
- the line is copied when quoted, so the report says what was said then;
- each author is asked by mail (followups/consents.py, subject `report_quote` and the forum's id:
  one question per person per report, however many of their lines are quoted); until they agree,
  and again if they withdraw, the quote shows without a name (「参加者」);
- taking a person's last quote off the report withdraws the question.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from meetup.accounts import service as accounts
from meetup.db import write_transaction
from meetup.errors import BadInput, NotFound
from meetup.followups import consents
from meetup.i18n import gettext as _
from meetup.reports.schemas import QuoteOut
from meetup.reports.tables import ReportQuote
from meetup.rooms.tables import RoomMessage

CONSENT_KIND = "report_quote"
MAX_PICKED = 50
LINES_SHOWN = 500


class ChatLine(msgspec.Struct):
    """A line the organizer may quote (they see names: they run the rooms)."""

    id: int
    room: str
    author: str
    body: str
    sent_at: datetime
    quoted: bool


class QuotesIn(msgspec.Struct, forbid_unknown_fields=True):
    message_ids: list[int]


async def chat_lines(forum: dict) -> list[ChatLine]:
    """The forum's room lines, newest first (the latest LINES_SHOWN)."""
    rows = (
        await RoomMessage.select(
            RoomMessage.id,
            RoomMessage.body,
            RoomMessage.sent_at,
            RoomMessage.room.name,
            RoomMessage.author.display_name,
        )
        .where((RoomMessage.room.event == forum["id"]) & (RoomMessage.deleted == False))  # noqa: E712
        .order_by(RoomMessage.sent_at, ascending=False)
        .limit(LINES_SHOWN)
    )
    quoted = {
        row["message"] for row in await ReportQuote.select(ReportQuote.message).where(ReportQuote.event == forum["id"])
    }
    return [
        ChatLine(
            id=row["id"],
            room=row["room.name"] or "",
            author=row["author.display_name"] or "",
            body=row["body"],
            sent_at=row["sent_at"],
            quoted=row["id"] in quoted,
        )
        for row in rows
    ]


async def quote(forum: dict, data: QuotesIn) -> list[QuoteOut]:
    """Quote the chosen lines (already quoted ones stay as they are) and ask each new author."""
    wanted = sorted(set(data.message_ids))
    if not wanted or len(wanted) > MAX_PICKED or any(not 1 <= i < 2**31 for i in wanted):
        raise BadInput(_("Choose between 1 and %(n)s chat lines.") % {"n": MAX_PICKED}, field="message_ids")
    rows = await RoomMessage.select(
        RoomMessage.id, RoomMessage.author, RoomMessage.body, RoomMessage.sent_at, RoomMessage.room.name
    ).where(
        RoomMessage.id.is_in(wanted) & (RoomMessage.room.event == forum["id"]) & (RoomMessage.deleted == False)  # noqa: E712
    )
    if len(rows) != len(wanted):
        raise BadInput(_("Only lines of this forum's rooms can be quoted."), field="message_ids")
    async with write_transaction():
        await ReportQuote.update({ReportQuote.removed: False}).where(
            (ReportQuote.event == forum["id"]) & ReportQuote.message.is_in(wanted)
        )
        for row in rows:
            await ReportQuote.insert(
                ReportQuote(
                    event=forum["id"],
                    message=row["id"],
                    author=row["author"],
                    room_name=row["room.name"] or "",
                    body=row["body"],
                    sent_at=row["sent_at"],
                )
            ).on_conflict(action="DO NOTHING")
        authors = [row["author"] for row in rows if row["author"] is not None]
        await consents.ask(
            CONSENT_KIND,
            forum["id"],
            authors,
            title=_("Your words in the report of “%(title)s”") % {"title": forum["title"]},
            url=f"/events/{forum['slug']}/report",
        )
    return await quotes_for(forum, managers=True)


async def unquote(forum: dict, quote_id: int) -> None:
    """Take a quote off (again: nothing changes); the author's last one withdraws the question."""
    row = await ReportQuote.select().where((ReportQuote.id == quote_id) & (ReportQuote.event == forum["id"])).first()
    if row is None:
        raise NotFound(_("No such quote."))
    async with write_transaction():
        await ReportQuote.update({ReportQuote.removed: True}).where(ReportQuote.id == row["id"])
        if row["author"] is not None and not await ReportQuote.exists().where(
            (ReportQuote.event == forum["id"]) & (ReportQuote.author == row["author"]) & (ReportQuote.removed == False)  # noqa: E712
        ):
            await consents.forget(CONSENT_KIND, forum["id"], [row["author"]])


async def quotes_for(forum: dict, *, managers: bool = False) -> list[QuoteOut]:
    """The report's quotes in the order they were said; a name only where its author agreed
    (those who run the forum also see where each question stands)."""
    rows = (
        await ReportQuote.select()
        .where((ReportQuote.event == forum["id"]) & (ReportQuote.removed == False))  # noqa: E712
        .order_by(ReportQuote.sent_at)
        .order_by(ReportQuote.id)
    )
    if not rows:
        return []
    agreed = await consents.agreed(CONSENT_KIND, forum["id"])
    states = await consents.states(CONSENT_KIND, forum["id"]) if managers else {}
    names = await accounts.get_users(sorted(agreed))
    return [
        QuoteOut(
            id=row["id"],
            body=row["body"],
            room=row["room_name"],
            sent_at=row["sent_at"],
            author=names[row["author"]].display_name if row["author"] in agreed and row["author"] in names else None,
            consent=states.get(row["author"]) if managers else None,
        )
        for row in rows
    ]
