"""Coordinators' world: hub organisations, coordinator profiles, and the ties between people."""

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from meetup.accounts.tables import Account


class Organization(Table, tablename="organization"):
    """A hub organisation (kinds and rules: coordinators/organizations.py). Its name is its key:
    an import matches an existing organisation by name."""

    name = Varchar(length=200, unique=True)
    name_kana = Varchar(length=200, default="")
    legal_form = Varchar(length=50, default="")  # 一般社団法人, NPO法人, 株式会社 …
    prefecture = Varchar(length=10, null=True, default=None, index=True)
    kind = Varchar(length=20, default="gateway", index=True)
    summary = Text(default="")  # what it does as a gateway
    website = Varchar(length=500, default="")
    source = Varchar(length=200, default="")
    # Normalised kanji, hiragana and romaji of the name: what `GET /organizations?q=` searches.
    search_text = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class OrganizationAdmin(Table, tablename="organization_admin"):
    """A person who edits an organisation's page and adds colleagues as admins."""

    organization = ForeignKey(references=Organization, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class OrganizationAlias(Table, tablename="organization_alias"):
    """Another spelling of an organisation's name (a proposal merged into it): searching it finds
    the organisation, and a profile that names it is linked to it."""

    organization = ForeignKey(references=Organization, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=200)
    normalized = Varchar(length=200, unique=True)  # reading.fold(name): one organisation per spelling
    search_text = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class OrganizationProposal(Table, tablename="organization_proposal"):
    """A name typed on profiles that matched no organisation, for an organizer to approve, merge
    or reject (coordinators/organization_proposals.py). One per normalised name."""

    name = Varchar(length=200)
    normalized = Varchar(length=200, unique=True)
    status = Varchar(length=10, default="pending", index=True)  # pending | approved | merged | rejected
    organization = ForeignKey(references=Organization, null=True, on_delete=OnDelete.set_null)
    decided_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    decided_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class OrganizationProposer(Table, tablename="organization_proposer"):
    """A person whose profile names a proposal (unique per proposal and person)."""

    proposal = ForeignKey(references=OrganizationProposal, on_delete=OnDelete.cascade)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class OrganizationInvitation(Table, tablename="organization_invitation"):
    """A colleague invited by an organisation's admin; only the token's SHA-256 is kept, used once,
    until expiry (coordinators/organization_invitations.py)."""

    organization = ForeignKey(references=Organization, on_delete=OnDelete.cascade, index=True)
    email = Varchar(length=254)
    as_admin = Boolean(default=False)
    token_hash = Varchar(length=64, unique=True)
    invited_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class Profile(Table, tablename="profile"):
    """A coordinator's profile; its id in the API is the account's id."""

    account = ForeignKey(references=Account, unique=True, on_delete=OnDelete.cascade)
    name = Varchar(length=100)
    name_kana = Varchar(length=100, default="")  # ふりがな, as the person writes it
    reading = Varchar(length=200, default="", index=True)  # hiragana: the あいうえお順 sort key
    organization = ForeignKey(references=Organization, null=True, on_delete=OnDelete.set_null, index=True)
    organization_name = Varchar(length=200, default="")
    prefecture = Varchar(length=10, null=True, default=None, index=True)
    municipality = Varchar(length=100, default="")
    themes_json = Text(default="[]")
    bio = Text(default="")  # Markdown, rendered safely
    links_json = Text(default="[]")
    can_help_with = Text(default="")
    looking_for = Text(default="")
    visibility = Varchar(length=10, default="members", index=True)  # public | members | private
    consent_text = Text(default="")  # what the person agreed to when first going public
    consent_at = Timestamptz(null=True, default=None)
    # Normalised kanji, hiragana, romaji, organisation, themes and bio: what the directory searches.
    search_text = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ProfileTheme(Table, tablename="profile_theme"):
    """One row per theme of a profile, so the directory filters by theme with an index."""

    profile = ForeignKey(references=Profile, on_delete=OnDelete.cascade, index=True)
    theme = Varchar(length=30, index=True)


class ConnectionRequest(Table, tablename="connection_request"):
    """ "I'd like to connect": pending until the other side accepts."""

    requester = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    recipient = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=10, default="pending", index=True)  # pending | accepted | declined
    message = Text(default="")  # a short note for the person asked, shown to them only
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)


class Tie(Table, tablename="tie"):
    """A tie between two people and where it came from (kinds and their meaning: coordinators/ties.py).
    Stored low id first; one row per source."""

    person_low = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    person_high = ForeignKey(references=Account, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=12, index=True)  # coordinators.ties: connection, introduction, survey, project, room
    source = Varchar(length=60)  # e.g. "request:7", "room:12", "introduction:3", "survey:3"
    event_id = Integer(null=True, default=None, index=True)  # the forum it came from, if any
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class TieSource(Table, tablename="tie_source"):
    """Sources already turned into ties, so each is done once."""

    source = Varchar(length=60, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
