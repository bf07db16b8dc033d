"""Forums (events), the series that group them, and registrations."""

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meetup.accounts.tables import Account


class Series(Table, tablename="series"):
    slug = Varchar(length=80, unique=True)  # its address: never changes once made
    title = Varchar(length=200)
    summary = Text(default="")  # the description, Markdown
    created_at = Timestamptz(default=TimestamptzNow())
    # Enrolment (one application for every session): none while enrol_capacity is None.
    enrol_capacity = Integer(null=True, default=None)
    enrol_mode = Varchar(length=20, default="first_come")  # first_come | approval | lottery
    min_sessions = Integer(default=1)  # the completion rule: at least this many sessions…
    final_required = Boolean(default=False)  # …and the last one, when set
    # Enrolment seats and their waitlist change only in seats.py, with this row locked.
    confirmed_count = Integer(default=0)
    waitlist_seq = Integer(default=0)
    waitlisted_count = Integer(default=0)
    questions_json = Text(default="[]")  # application questions (schemas.Question), as a forum's
    held_json = Text(default="{}")  # lottery: seats held per Tohoku prefecture, the draw's default
    enrol_closes_at = Timestamptz(null=True, default=None)  # no enrolment from then on


class Event(Table, tablename="event"):
    slug = Varchar(length=80, unique=True)
    title = Varchar(length=200)
    summary = Varchar(length=500, default="")
    description = Text(default="")  # Markdown, rendered safely
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    format = Varchar(length=20, default="online")  # online | in_person | hybrid
    venue = Varchar(length=300, default="")
    online_url = Varchar(length=500, default="")
    capacity = Integer(null=True, default=None)  # None: no limit
    registration_mode = Varchar(length=20, default="first_come")  # first_come | lottery | approval
    registration_opens_at = Timestamptz(null=True, default=None)
    registration_closes_at = Timestamptz(null=True, default=None)
    status = Varchar(length=20, default="draft", index=True)  # draft | published | cancelled
    series = ForeignKey(references=Series, null=True, on_delete=OnDelete.set_null)
    questions_json = Text(default="[]")
    lecturers_json = Text(default="[]")  # [{name, affiliation, bio, photo_url}] (schemas.Lecturer)
    draws_at = Timestamptz(null=True, default=None)  # lottery forums: when the draw is planned
    drawn_at = Timestamptz(null=True, default=None)  # lottery forums: set by the draw itself
    # Seats and the waitlist's order change only in seats.py, with this row locked.
    confirmed_count = Integer(default=0)
    waitlist_seq = Integer(default=0)  # the last waitlist number given out
    waitlisted_count = Integer(default=0)  # how many are waiting now: a newcomer's position
    revision = Integer(default=0)  # the calendar SEQUENCE: bumped when time or place change
    # The hosting organisation's id (the database holds the foreign key to "organization"; the
    # table lives a floor above events, so it is not named here).
    organization = Integer(null=True, default=None)
    prefecture = Varchar(length=10, null=True, default=None)  # where it takes place (as 宮城県)
    themes_json = Text(default="[]")
    published_at = Timestamptz(null=True, default=None)  # first publication
    announced_at = Timestamptz(null=True, default=None)  # when its followers' mail was queued
    created_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # Who may register: "[]" everyone, else the slugs of the series whose alumni only may.
    alumni_of_json = Text(default="[]")


class Registration(Table, tablename="registration"):
    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    # confirmed | waitlisted | pending | rejected | cancelled
    status = Varchar(length=20, index=True)
    queue_order = Integer(null=True, default=None)  # waitlist order; position = rank among waitlisted
    answers_json = Text(default="{}")
    prefecture = Varchar(length=10, null=True, default=None)
    ticket_code = Varchar(length=40, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    confirmed_at = Timestamptz(null=True, default=None)
    checked_in_at = Timestamptz(null=True, default=None)
    reminded_revision = Integer(null=True, default=None)  # the forum revision last reminded of
    source = Varchar(length=20, default="registration")  # registration | enrolment (the series')


class Enrolment(Table, tablename="enrolment"):
    """One person's application to a series with enrolment: a confirmed one holds a seat
    (a confirmed registration with source "enrolment") at every session of the series."""

    series = ForeignKey(references=Series, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=20, index=True)  # confirmed | waitlisted | pending | rejected | cancelled
    queue_order = Integer(null=True, default=None)
    prefecture = Varchar(length=10, null=True, default=None)  # lottery: held seats per prefecture
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    confirmed_at = Timestamptz(null=True, default=None)
    answers_json = Text(default="{}")  # answers to the series' application questions


class Alumnus(Table, tablename="alumnus"):
    """A person who completed a series (or was recorded as a past graduate): for good.
    One per (account, series): a unique index of its own (migrations 2026-12-02T18:10:01)."""

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    series = ForeignKey(references=Series, on_delete=OnDelete.cascade, index=True)
    year = Integer()  # the cohort's year (the year of its last session, or the one imported)
    source = Varchar(length=20, default="completed")  # completed | imported
    created_at = Timestamptz(default=TimestamptzNow())


class Cohost(Table, tablename="cohost"):
    """A person who runs one forum with its organizers (its registrations, check-in, rooms,
    survey and mail) and nothing else. One row per (event, account): kept so by the service,
    which locks the forum's row before adding (a composite unique fails on SQLite)."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    added_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class CohostInvitation(Table, tablename="cohost_invitation"):
    """An invitation mailed to `email`; only the token's SHA-256 is kept, used once, until expiry."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    email = Varchar(length=254)
    token_hash = Varchar(length=64, unique=True)
    invited_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class AuditEntry(Table, tablename="audit_entry"):
    """One action of an organizer or co-host on a forum: who, when, what (events/audit.py)."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True)
    actor = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    action = Varchar(length=60)
    at = Timestamptz(default=TimestamptzNow(), index=True)
