"""English pages name prefectures in English ("Miyagi"), Japanese pages as written (宮城県);
what is stored, filtered on and sent in forms stays Japanese."""

import re

from meetup.coordinators import organizations, service
from meetup.coordinators.schemas import ProfileIn
from tests.factories import create_forum, make_accounts, organizer, signed_in


async def test_english_pages_show_prefectures_in_english(client, make_client):
    wakatsuku = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    misaki, abroad = await make_accounts(2)
    await service.save_profile(
        misaki, ProfileIn(name="宮城 美咲", prefecture="宮城県", organization="ワカツク", visibility="public")
    )
    await service.save_profile(abroad, ProfileIn(name="海外 太郎", prefecture="海外", visibility="public"))
    english = {
        "directory": await client.get("/coordinators", params={"lang": "en"}),
        "profile": await client.get(f"/coordinators/{misaki}", params={"lang": "en"}),
        "organisation": await client.get(f"/organizations/{wakatsuku}", params={"lang": "en"}),
        "organisations": await client.get("/organizations", params={"lang": "en"}),
        "network": await client.get("/network", params={"lang": "en"}),
    }
    for name, page in english.items():
        shown = re.sub(r"<[^>]+>", " ", page.text)  # the words on the page, not attribute values
        assert "Miyagi" in shown, name
        assert "宮城県" not in shown, name

    directory = english["directory"].text
    assert '<option value="秋田県">Akita</option>' in directory  # filters send the stored value
    assert "Overseas" in directory and "Tokyo" in directory
    filtered = await client.get("/coordinators", params={"prefecture": "宮城県", "lang": "en"})
    assert "宮城 美咲" in filtered.text and "海外 太郎" not in filtered.text
    assert '<option value="宮城県" selected>Miyagi</option>' in filtered.text
    assert "Overseas" in (await client.get(f"/coordinators/{abroad}", params={"lang": "en"})).text

    japanese = await client.get(f"/coordinators/{misaki}", params={"lang": "ja"})
    assert "宮城県" in japanese.text and "Miyagi" not in japanese.text
    assert (await client.get(f"/api/v1/coordinators/{misaki}")).json()["prefecture"] == "宮城県"


async def test_the_profile_form_and_registration_form_offer_english_names_with_japanese_values(client, make_client):
    [member] = await make_accounts(1)
    person = await signed_in(make_client, member)
    form = await person.get("/me/profile", params={"lang": "en"})
    assert '<option value="福島県">Fukushima</option>' in form.text
    assert '<option value="海外">Overseas</option>' in form.text
    saved = await person.post(
        "/me/profile",
        data={
            "_csrf_token": person.cookies["csrftoken"],
            "name": "福島 花子",
            "prefecture": "福島県",
            "visibility": "members",
        },
    )
    assert saved.status_code == 303
    assert (await person.get("/api/v1/me/profile")).json()["prefecture"] == "福島県"

    await organizer(client)
    slug = await create_forum(client, registration_mode="lottery")
    forum_page = await person.get(f"/events/{slug}", params={"lang": "en"})
    assert '<option value="青森県">Aomori</option>' in forum_page.text
