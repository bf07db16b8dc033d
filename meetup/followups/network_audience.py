"""Who a campaign to the whole network reaches (its audience: schemas.NetworkAudience).

Everyone who matches any criterion, each person once: came to a forum since a date (checked in or
present in a breakout room; registering is not coming), an alumnus of one of the programmes (any
cohort, imported graduates included), or whose profile names one of the organisations,
prefectures or themes, or who follows one of the things named (a series, an organisation, a
prefecture, a theme). People who turned follow-up mail off are left out.
"""

from __future__ import annotations

from datetime import datetime, time

from meetup.accounts import follows as store
from meetup.accounts import mail_preferences
from meetup.accounts import service as accounts
from meetup.accounts.schemas import UserOut
from meetup.coordinators.tables import Organization, Profile, ProfileTheme
from meetup.errors import BadInput
from meetup.events import alumni, presence
from meetup.events.schemas import Audience
from meetup.followups import follows
from meetup.followups.schemas import NetworkAudience
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _

_CHUNK = 2000  # ids per IN (…): well inside SQLite's and asyncpg's limits on parameters


async def check(audience: NetworkAudience) -> None:
    """400 naming the field when the audience names an organisation or a series that does not exist."""
    await alumni.checked_audience(Audience(alumni_of=audience.alumni_of))
    await _follow_targets(audience)
    if not audience.organizations:
        return
    rows = await Organization.select(Organization.id).where(Organization.id.is_in(audience.organizations))
    missing = set(audience.organizations) - {row["id"] for row in rows}
    if missing:
        detail = _("There is no organisation with id %(id)s.") % {"id": min(missing)}
        raise BadInput(detail, field="audience.organizations")


async def _follow_targets(audience: NetworkAudience) -> list[tuple[str, str]]:
    """(kind, value) of each thing whose followers are in the audience; one that does not exist is a 400."""
    targets = []
    for index, wanted in enumerate(audience.followers_of):
        try:
            targets.append(await follows.target_of(wanted))
        except BadInput as exc:
            raise BadInput(exc.detail, field=f"audience.followers_of[{index}].{exc.field}") from None
    return targets


async def _profile_accounts(where) -> set[int]:
    return {row["account"] for row in await Profile.select(Profile.account).where(where)}


async def account_ids(audience: NetworkAudience) -> list[int]:
    """The audience's account ids, ascending, without those who turned follow-ups off."""
    ids: set[int] = set()
    if audience.attended_since is not None:
        since = datetime.combine(audience.attended_since, time(), tzinfo=TOKYO)  # the day as people in Japan live it
        ids |= {account for account, _forum in await presence.came(await presence.forums_since(since))}
    if audience.organizations:
        ids |= await _profile_accounts(Profile.organization.is_in(audience.organizations))
    if audience.prefectures:
        ids |= await _profile_accounts(Profile.prefecture.is_in(audience.prefectures))
    if audience.themes:
        rows = await ProfileTheme.select(ProfileTheme.profile.account.as_alias("account")).where(
            ProfileTheme.theme.is_in(audience.themes)
        )
        ids |= {row["account"] for row in rows}
    if audience.alumni_of:
        ids |= await alumni.accounts_of(audience.alumni_of)
    if audience.followers_of:
        ids |= await store.followers(await _follow_targets(audience))
    return sorted(ids - await mail_preferences.followups_off())


async def people(audience: NetworkAudience) -> list[UserOut]:
    """The audience as users, in account order."""
    ordered = await account_ids(audience)
    users: dict[int, UserOut] = {}
    for start in range(0, len(ordered), _CHUNK):
        users |= await accounts.get_users(ordered[start : start + _CHUNK])
    return [users[a] for a in ordered if a in users]
