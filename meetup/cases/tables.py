"""Knowledge that outlives the forum: the case library and the challenge board (余白)."""

from piccolo.columns import ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meetup.accounts.tables import Account
from meetup.coordinators.tables import Organization
from meetup.events.tables import Event


class Case(Table, tablename="case_story"):
    """A case (事例): what was done, by whom, and where it was told (rules: cases/service.py)."""

    title = Varchar(length=200)
    summary = Text(default="")
    body = Text(default="")  # Markdown, rendered safely
    kind = Varchar(length=20, index=True)  # co_creation | external_talent | dx | other
    themes_json = Text(default="[]")
    prefecture = Varchar(length=10, null=True, default=None, index=True)
    # Normalised kanji, hiragana, romaji of the title, with summary, themes and organisations.
    search_text = Text(default="")
    created_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class CaseTheme(Table, tablename="case_theme"):
    """One row per theme of a case, so the library filters by theme with an index."""

    case_story = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    theme = Varchar(length=30, index=True)


class CaseLink(Table, tablename="case_link"):
    """What a case names: an organisation, a person (shown only once they agreed: consents) or a
    forum where it was told (shown only while published). Exactly one of the three is set."""

    case_story = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    organization = ForeignKey(references=Organization, null=True, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, null=True, on_delete=OnDelete.cascade, index=True)
    event = ForeignKey(references=Event, null=True, on_delete=OnDelete.cascade, index=True)


class Challenge(Table, tablename="challenge"):
    """A challenge (余白) an organisation posts for outside people to step into (rules:
    cases/challenges.py)."""

    title = Varchar(length=200)
    body = Text(default="")  # Markdown: what help is wanted, the period
    organization = ForeignKey(references=Organization, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=20, index=True)  # internship | side_job | project | advice
    prefecture = Varchar(length=10, index=True)
    closes_at = Timestamptz(null=True, default=None)
    status = Varchar(length=10, default="open", index=True)  # open | matched | closed
    posted_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null, index=True)
    search_text = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class ChallengeInterest(Table, tablename="challenge_interest"):
    """ "関わりたい": a member's interest in a challenge, once per person (a unique index)."""

    challenge = ForeignKey(references=Challenge, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    message = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    introduced_at = Timestamptz(null=True, default=None)  # the poster started the introduction
