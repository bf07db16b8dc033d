"""Colleague invitations (issue 16): an organisation's admin invites colleagues by e-mail; the mail
(delivered here through a real SMTP server) holds a link the invitee accepts once, signed in with
that address; their profile's organisation becomes this one, and they become an admin if invited
so. The inviter never learns whether an address has an account."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import msgspec

from meetup.accounts import service as accounts
from meetup.coordinators import organizations
from meetup.coordinators import service as coordinators
from meetup.coordinators.schemas import ProfileIn
from meetup.coordinators.tables import OrganizationAdmin, OrganizationInvitation, Profile
from meetup.db import utcnow
from meetup.mail.tables import OutboxMail
from meetup.mail.worker import MailWorker
from tests.conftest import BASE_URL
from tests.factories import make_accounts, organizer, signed_in

LINK = re.compile(re.escape(BASE_URL) + r"/organizations/invitations/([A-Za-z0-9_-]{43})")


async def wakatsuku_with_admin(make_client):
    """ワカツク and its admin, signed in."""
    organization = await organizations.upsert_organization(name="ワカツク", prefecture="宮城県")
    admin, _ = await accounts.make_participant("admin@wakatsuku.example", "若津 久美")
    await coordinators.save_profile(admin.id, ProfileIn(name="若津 久美", prefecture="宮城県", organization="ワカツク"))
    await OrganizationAdmin.insert(OrganizationAdmin(organization=organization, account=admin.id))
    return organization, await signed_in(make_client, admin.id)


async def delivered_link(smtp_server, mail_settings, to: str) -> str:
    """Send what the outbox holds to the SMTP server and read the token mailed to `to`."""
    collector, _ = smtp_server
    await MailWorker(msgspec.structs.replace(mail_settings, mail_rate=0), batch_size=20).run_once()
    for message in reversed(collector.messages()):
        if message["To"] == to:
            text = message.get_body(preferencelist=("plain",)).get_content()
            html = message.get_body(preferencelist=("html",)).get_content()
            found = LINK.search(text)
            assert found and found.group(0) in html, text
            return found.group(1)
    raise AssertionError(f"no mail to {to}")


async def test_a_colleague_is_invited_by_mail_and_joins_once_as_admin(client, make_client, smtp_server, mail_settings):
    organization, admin = await wakatsuku_with_admin(make_client)
    colleague, _ = await accounts.make_participant("sato@wakatsuku.example", "佐藤 花")
    await coordinators.save_profile(colleague.id, ProfileIn(name="佐藤 花", prefecture="宮城県", organization="別"))
    response = await admin.post(
        f"/api/v1/organizations/{organization}/invitations",
        json={"emails": ["Sato@Wakatsuku.example"], "as_admin": True},
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"invited": ["sato@wakatsuku.example"], "rejected": [], "expires_in_days": 14}
    token = await delivered_link(smtp_server, mail_settings, "sato@wakatsuku.example")
    stored = await OrganizationInvitation.select().first()
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest() and token not in str(stored)

    anonymous = await make_client()
    page = await anonymous.get(f"/organizations/invitations/{token}")
    assert page.status_code == 303 and page.headers["location"] == f"/login?next=/organizations/invitations/{token}"
    stranger = await signed_in(make_client, (await make_accounts(1))[0])
    assert (await stranger.get(f"/organizations/invitations/{token}")).status_code == 403
    assert (await stranger.post(f"/organizations/invitations/{token}", data={})).status_code == 403

    person = await signed_in(make_client, colleague.id)
    page = await person.get(f"/organizations/invitations/{token}")
    assert page.status_code == 200 and "ワカツク" in page.text and "sato@" not in page.text
    accepted = await person.post(f"/organizations/invitations/{token}", data={})
    assert accepted.status_code == 303 and accepted.headers["location"] == f"/organizations/{organization}?done=joined"
    row = await Profile.select(Profile.organization, Profile.organization_name).where(Profile.account == colleague.id)
    assert row == [{"organization": organization, "organization_name": "ワカツク"}]
    assert await organizations.may_edit(organization, await accounts.get_user(colleague.id))
    again = await person.post(f"/organizations/invitations/{token}", data={})
    assert again.status_code == 410
    assert await OrganizationAdmin.count().where(OrganizationAdmin.account == colleague.id) == 1


async def test_without_a_profile_the_invitee_writes_one_with_the_organisation_filled_in(
    client, make_client, smtp_server, mail_settings
):
    organization, admin = await wakatsuku_with_admin(make_client)
    newcomer, _ = await accounts.make_participant("new@wakatsuku.example", "新人 太郎")
    form = await admin.post(f"/organizations/{organization}/invitations", data={"emails": "new@wakatsuku.example"})
    assert form.status_code == 303 and form.headers["location"].endswith("invited=1#people")
    token = await delivered_link(smtp_server, mail_settings, "new@wakatsuku.example")
    person = await signed_in(make_client, newcomer.id)
    accepted = await person.post(f"/organizations/invitations/{token}", data={})
    assert accepted.status_code == 303 and accepted.headers["location"].startswith("/me/profile?organization=")
    page = await person.get(accepted.headers["location"])
    assert 'value="ワカツク"' in page.text
    assert not await organizations.may_edit(organization, await accounts.get_user(newcomer.id))  # not as admin
    saved = await person.post(
        "/me/profile",
        data={"name": "新人 太郎", "prefecture": "宮城県", "visibility": "members", "organization": "ワカツク"},
    )
    assert saved.status_code == 303
    members = (await admin.get(f"/api/v1/organizations/{organization}")).json()["members"]
    assert "新人 太郎" in [m["name"] for m in members]


async def test_several_addresses_at_once_members_refused_with_a_reason_and_no_account_told(client, make_client):
    organization, admin = await wakatsuku_with_admin(make_client)
    member, _ = await accounts.make_participant("member@wakatsuku.example", "会員 一")
    await coordinators.save_profile(member.id, ProfileIn(name="会員 一", prefecture="宮城県", organization="ワカツク"))
    await accounts.make_participant("has-account@example.jp", "既存 二")
    response = await admin.post(
        f"/api/v1/organizations/{organization}/invitations",
        json={"emails": ["member@wakatsuku.example", "has-account@example.jp", "nobody@example.jp"]},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    # an address with an account and one without are answered alike
    assert body["invited"] == ["has-account@example.jp", "nobody@example.jp"]
    assert [r["email"] for r in body["rejected"]] == ["member@wakatsuku.example"]
    assert await OutboxMail.count() == 2
    # the admin themselves, invited as admin: refused, and with nobody invited the answer is a 409
    response = await admin.post(
        f"/api/v1/organizations/{organization}/invitations",
        json={"emails": ["admin@wakatsuku.example"], "as_admin": True},
    )
    assert response.status_code == 409 and "admin@wakatsuku.example" in response.text
    # a member may be invited to become an admin
    response = await admin.post(
        f"/api/v1/organizations/{organization}/invitations",
        json={"emails": ["member@wakatsuku.example"], "as_admin": True},
    )
    assert response.status_code == 201


async def test_a_bad_address_invites_nobody(client, make_client):
    organization, admin = await wakatsuku_with_admin(make_client)
    for emails in (
        ["ok@example.jp", "not an address"],
        [],
        ["x@example.jp"] * 3 + [f"p{i}@example.jp" for i in range(20)],
    ):
        response = await admin.post(f"/api/v1/organizations/{organization}/invitations", json={"emails": emails})
        assert response.status_code == 400, response.text
    page = await admin.post(f"/organizations/{organization}/invitations", data={"emails": "ok@example.jp, nope"})
    assert page.status_code == 400 and "nope" in page.text
    assert await OrganizationInvitation.count() == 0 and await OutboxMail.count() == 0


async def test_pending_invitations_show_addresses_only_to_their_sender_and_organizers(client, make_client):
    organization, admin = await wakatsuku_with_admin(make_client)
    other_admin_id = (await make_accounts(1))[0]
    await OrganizationAdmin.insert(OrganizationAdmin(organization=organization, account=other_admin_id))
    other_admin = await signed_in(make_client, other_admin_id)
    await admin.post(f"/api/v1/organizations/{organization}/invitations", json={"emails": ["pending@example.jp"]})
    mine = (await admin.get(f"/api/v1/organizations/{organization}/invitations")).json()
    assert [i["email"] for i in mine] == ["pending@example.jp"] and mine[0]["invited_by"] == "若津 久美"
    theirs = (await other_admin.get(f"/api/v1/organizations/{organization}/invitations")).json()
    assert [i["email"] for i in theirs] == [None]
    assert "pending@example.jp" not in (await other_admin.get(f"/organizations/{organization}/edit")).text
    assert "pending@example.jp" in (await admin.get(f"/organizations/{organization}/edit")).text
    await organizer(client)
    assert (await client.get(f"/api/v1/organizations/{organization}/invitations")).json()[0]["email"]
    public = await (await make_client()).get(f"/organizations/{organization}")
    assert "pending@example.jp" not in public.text
    # others: 403 (a member who is no admin too)
    stranger = await signed_in(make_client, (await make_accounts(1))[0])
    assert (await stranger.get(f"/api/v1/organizations/{organization}/invitations")).status_code == 403
    response = await stranger.post(f"/api/v1/organizations/{organization}/invitations", json={"emails": ["a@b.jp"]})
    assert response.status_code == 403


async def test_an_expired_or_unknown_invitation_says_so(client, make_client):
    organization, admin = await wakatsuku_with_admin(make_client)
    invitee, _ = await accounts.make_participant("late@example.jp", "遅刻 三")
    await admin.post(f"/api/v1/organizations/{organization}/invitations", json={"emails": ["late@example.jp"]})
    mail = await OutboxMail.select().first()
    token = LINK.search(mail["body_text"]).group(1)
    await OrganizationInvitation.update({OrganizationInvitation.expires_at: utcnow() - timedelta(minutes=1)}).where(
        OrganizationInvitation.id.is_not_null()
    )
    person = await signed_in(make_client, invitee.id)
    assert (await person.get(f"/organizations/invitations/{token}")).status_code == 410
    assert (await person.post(f"/organizations/invitations/{token}", data={})).status_code == 410
    assert (await person.get("/organizations/invitations/not-a-token")).status_code == 404
    assert (await person.post("/organizations/invitations/" + "A" * 43, data={})).status_code == 404
    assert await Profile.count().where(Profile.account == invitee.id) == 0


async def test_invitations_are_rate_limited_per_inviter(client, make_client):
    organization, admin = await wakatsuku_with_admin(make_client)
    statuses = []
    for batch in range(4):
        emails = [f"p{batch}-{i}@example.jp" for i in range(20)]
        response = await admin.post(f"/api/v1/organizations/{organization}/invitations", json={"emails": emails})
        statuses.append(response.status_code)
    assert statuses == [201, 201, 201, 429]
    assert await OrganizationInvitation.count() == 60
