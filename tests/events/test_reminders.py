"""The day before, each confirmed registrant is reminded once."""

from datetime import timedelta

from meetup.db import utcnow
from meetup.events.reminders import queue_reminders
from meetup.events.tables import Event
from meetup.mail import outbox
from meetup.mail.tables import OutboxMail
from tests.factories import create_forum, make_accounts, organizer, signed_in


async def test_reminders_go_once_to_confirmed_people_the_day_before(client, make_client):
    await organizer(client)
    start = utcnow() + timedelta(hours=20)
    slug = await create_forum(
        client, capacity=2, starts_at=start.isoformat(), ends_at=(start + timedelta(hours=2)).isoformat()
    )
    far = await create_forum(client, title="Later")  # a week away: no reminder yet
    clients = [await signed_in(make_client, uid) for uid in await make_accounts(3)]
    for person in clients:
        await person.post(f"/api/v1/events/{slug}/registration", json={})
        await person.post(f"/api/v1/events/{far}/registration", json={})
    before = await OutboxMail.count()

    assert await queue_reminders() == 2  # the two confirmed, not the waitlisted one
    assert await queue_reminders() == 0  # sent once
    reminders = [m for m in await outbox.recent() if m.id > before]
    assert len(reminders) == 2
    assert all("明日" in m.subject or "Tomorrow" in m.subject for m in reminders)

    # Moving the forum is news: the new time is reminded once more.
    await client.patch(f"/api/v1/events/{slug}", json={"starts_at": (start + timedelta(hours=1)).isoformat()})
    assert await queue_reminders() == 2
    assert await Event.count() == 2
