"""The forum pages: list, forum page with register/cancel, magic-link registration, ticket."""

import re

from meetup.events.tables import Registration
from meetup.mail import outbox
from tests.factories import create_forum, new_email, organizer, sign_up


async def test_the_forum_list_and_page(client, make_client):
    await organizer(client)
    slug = await create_forum(client, title="石巻 関係人口セミナー", venue="ISHINOMAKI2.0")
    visitor = await make_client()
    listing = await visitor.get("/events")
    assert "石巻 関係人口セミナー" in listing.text
    assert "残り10席" in listing.text
    assert "石巻" in (await visitor.get("/events?q=石巻")).text
    assert "石巻 関係人口セミナー" not in (await visitor.get("/events?q=存在しない")).text
    page = await visitor.get(f"/events/{slug}")
    assert page.status_code == 200
    assert "<h2>内容</h2>" in page.text  # Markdown rendered
    assert f'href="/events/{slug}.ics"' in page.text
    assert "calendar.google.com" in page.text
    home = await visitor.get("/")
    assert "石巻 関係人口セミナー" in home.text


async def test_script_in_a_description_is_never_run(client, make_client):
    await organizer(client)
    slug = await create_forum(
        client,
        title="<script>alert('t')</script>",
        description="<script>alert(1)</script>\n\n[x](javascript:alert(2)) <img src=x onerror=alert(3)>",
    )
    page = (await (await make_client()).get(f"/events/{slug}")).text
    assert "<script>alert" not in page
    assert "javascript:alert" not in page.replace("[x](javascript:alert(2))", "")
    assert "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(3)&gt;", "")


async def test_register_and_cancel_through_the_page(client, make_client):
    await organizer(client)
    slug = await create_forum(client, capacity=5)
    person = await make_client()
    await sign_up(person, name="岩手 太郎")
    token = person.cookies["csrftoken"]
    done = await person.post(
        f"/events/{slug}/register", data={"_csrf_token": token, "prefecture": "岩手県"}, follow_redirects=False
    )
    assert done.status_code == 303
    page = await person.get(done.headers["location"])
    assert "参加が確定" in page.text
    assert "https://teams.example/meet/secret-room" in page.text
    ticket = await person.get(f"/events/{slug}/ticket")
    assert "<svg" in ticket.text
    code = (await Registration.select(Registration.ticket_code).first())["ticket_code"]
    assert f"{code[:4]}-{code[4:]}" in ticket.text  # shown XXXX-XXXX
    mine = await person.get("/me/registrations")
    assert "東北コーディネーター・フォーラム" in mine.text
    cancelled = await person.post(f"/events/{slug}/cancel", data={"_csrf_token": token}, follow_redirects=False)
    assert cancelled.status_code == 303
    assert (await Registration.select(Registration.status).first())["status"] == "cancelled"


async def test_missing_answers_re_render_the_form_with_the_reason(client, make_client):
    await organizer(client)
    slug = await create_forum(client, questions=[{"id": "org", "label": "所属団体", "kind": "text", "required": True}])
    person = await make_client()
    await sign_up(person)
    response = await person.post(f"/events/{slug}/register", data={"_csrf_token": person.cookies["csrftoken"]})
    assert response.status_code == 400
    assert "所属団体" in response.text
    assert await Registration.count() == 0


async def test_a_newcomer_registers_in_one_step_through_a_magic_link(client, make_client):
    await organizer(client)
    slug = await create_forum(client, questions=[{"id": "org", "label": "所属", "kind": "text", "required": True}])
    newcomer = await make_client()
    email = new_email("newcomer")
    response = await newcomer.post(
        f"/events/{slug}/register",
        data={
            "_csrf_token": newcomer.cookies["csrftoken"],
            "email": email,
            "display_name": "気仙沼 はるか",
            "q_org": "アスヘノキボウ",
        },
    )
    assert response.status_code == 202
    assert await Registration.count() == 0
    [mail] = await outbox.recent(to_addr=email)
    link = re.search(r"http://testserver\.local(/auth/magic/\S+)", mail.body_text).group(1)
    assert (await newcomer.get(link)).status_code == 200  # opening the link only shows the button
    assert await Registration.count() == 0
    opened = await newcomer.post(link, data={"_csrf_token": newcomer.cookies["csrftoken"]}, follow_redirects=True)
    assert opened.status_code == 200  # signed in, then the registration completes
    assert "参加が確定" in opened.text
    [registration] = await Registration.select(Registration.answers_json)
    assert "アスヘノキボウ" in registration["answers_json"]
    again = await newcomer.get(f"/events/{slug}/register/continue", follow_redirects=False)
    assert again.status_code == 303  # the intent was used once
    assert await Registration.count() == 1


async def test_a_series_page_lists_its_sessions(client, make_client):
    await organizer(client)
    await create_forum(client, title="Day 1", series="migite-2021")
    await create_forum(client, title="Day 2", series="migite-2021")
    page = await (await make_client()).get("/series/migite-2021")
    assert page.status_code == 200
    assert "Day 1" in page.text and "Day 2" in page.text
    assert (await (await make_client()).get("/series/nope")).status_code == 404
