"""The forum survey: its questions, each person's one response, and whom they named."""

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meetup.accounts.tables import Account
from meetup.events.tables import Event


class Survey(Table, tablename="survey"):
    """One per forum. `open`: None opens it by itself when the forum starts, True opened by the
    organizer (before the start too), False closed by the organizer."""

    event = ForeignKey(references=Event, unique=True, on_delete=OnDelete.cascade)
    questions_json = Text(default="[]")
    open = Boolean(null=True, default=None)
    # Bumped under the row lock by every response that changes picks, so mutual picks are
    # judged one response at a time (see service.respond).
    pick_seq = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SurveyResponse(Table, tablename="survey_response"):
    """A person's answers; one per (survey, account): a raw unique index (see the migration)."""

    survey = ForeignKey(references=Survey, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    answers_json = Text(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SurveyPick(Table, tablename="survey_pick"):
    """`picker` named `picked` in a people question of the survey (any question, once)."""

    survey = ForeignKey(references=Survey, on_delete=OnDelete.cascade, index=True)
    picker = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    picked = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
