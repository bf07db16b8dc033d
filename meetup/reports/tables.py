"""The forum's report and what is attached to it."""

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meetup.accounts.tables import Account
from meetup.events.tables import Event


class ForumReport(Table, tablename="forum_report"):
    """One per forum: Markdown written by its organizers and co-hosts, shown once published."""

    event = ForeignKey(references=Event, unique=True, on_delete=OnDelete.cascade)
    body = Text(default="")
    published = Boolean(default=False)
    published_at = Timestamptz(null=True, default=None)  # the last time it was published
    updated_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    updated_at = Timestamptz(default=TimestamptzNow())


class Material(Table, tablename="material"):
    """A file (PDF, PNG, JPEG) or a recording link of a forum. `token` is its unguessable name in
    URLs and in storage; `display_name` is what was uploaded, sanitised, only ever shown. A removed
    one stays as a row (removing it again is still a success: DELETE is idempotent), its file gone."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=20, default="file")  # file | recording
    token = Varchar(length=40, unique=True)
    title = Varchar(length=200, default="")
    visibility = Varchar(length=20, default="public")  # public | registrants
    content_type = Varchar(length=60, default="")
    size = Integer(default=0)
    display_name = Varchar(length=200, default="")
    url = Varchar(length=500, default="")  # a recording's address
    removed = Boolean(default=False)  # taken off by its forum's managers (its file is deleted)
    created_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class ReportQuote(Table, tablename="report_quote"):
    """A chat line of one of the forum's rooms, quoted in its report. The line is copied (a
    message deleted later stays quoted as it was); its author is named only once they agree."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    message = Integer()  # the room_message's id (unique per forum: a raw index, see the migration)
    author = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    room_name = Varchar(length=100, default="")
    body = Text(default="")
    sent_at = Timestamptz(null=True, default=None)
    removed = Boolean(default=False)  # taken off the report (taking it off again is still a success)
    created_at = Timestamptz(default=TimestamptzNow())
