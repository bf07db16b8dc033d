"""Follow-ups over the JSON API: campaigns, mail preferences, stay-in-touch, follows."""

from __future__ import annotations

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from meetup.accounts import mail_preferences
from meetup.accounts.auth import login_required
from meetup.accounts.schemas import PreferencesOut
from meetup.events.audit import acts
from meetup.events.dependencies import Forum, staff_required
from meetup.followups import campaigns, follows, introductions
from meetup.followups.schemas import (
    CampaignCreated,
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    Delivery,
    FollowIn,
    FollowOut,
    NetworkCampaignIn,
    PreferencesIn,
    Preview,
    Retried,
    StayInTouchOut,
    TestIn,
)


class CampaignsApi(Controller):
    path = "/api/v1"
    tags = ["mail to attendees"]
    guards = [staff_required]  # organizers; co-hosts only where a route's opt lets them (acts)

    @post(
        "/events/{slug:str}/campaigns",
        opt=acts("campaign.create"),
        status_code=HTTP_201_CREATED,
        summary="Write a campaign (a draft)",
    )
    async def create(self, request: Request, forum: Forum, data: JSONBody[CampaignIn]) -> CampaignCreated:
        return await campaigns.create_campaign(forum, data, request.user.id)

    @get("/events/{slug:str}/campaigns", opt=acts(None), summary="The forum's campaigns, newest first")
    async def list_campaigns(self, forum: Forum) -> list[CampaignOut]:
        return await campaigns.campaigns_of(forum["id"])

    @post("/campaigns", status_code=HTTP_201_CREATED, summary="Write a campaign to people across the network")
    async def create_network(self, request: Request, data: JSONBody[NetworkCampaignIn]) -> CampaignCreated:
        return await campaigns.create_network_campaign(data, request.user.id)

    @get("/campaigns", summary="The campaigns to the whole network, newest first")
    async def list_network(self) -> list[CampaignOut]:
        return await campaigns.campaigns_of(None)

    @get(
        "/campaigns/{campaign_id:int}",
        opt=acts(None, forum_of=campaigns.forum_of_campaign),
        summary="A campaign and its progress (queued / sent / failed)",
    )
    async def get_campaign(self, campaign_id: FromPath[int]) -> CampaignOut:
        return await campaigns.get_campaign(campaign_id)

    @patch(
        "/campaigns/{campaign_id:int}",
        opt=acts("campaign.edit", forum_of=campaigns.forum_of_campaign),
        summary="Change a draft",
    )
    async def update(self, campaign_id: FromPath[int], data: JSONBody[CampaignPatch]) -> CampaignOut:
        return await campaigns.update_campaign(campaign_id, data)

    @get(
        "/campaigns/{campaign_id:int}/preview",
        opt=acts(None, forum_of=campaigns.forum_of_campaign),
        summary="The mail as one recipient will see it",
    )
    async def preview(self, campaign_id: FromPath[int], recipient: FromQuery[int | None] = None) -> Preview:
        return await campaigns.preview(campaign_id, recipient)

    @post(
        "/campaigns/{campaign_id:int}/test",
        opt=acts("campaign.test", forum_of=campaigns.forum_of_campaign),
        status_code=HTTP_202_ACCEPTED,
        summary="Send a test to yourself",
    )
    async def test(self, request: Request, campaign_id: FromPath[int], data: JSONBody[TestIn]) -> dict[str, str]:
        return {"to": await campaigns.send_test(campaign_id, request.user, data.to)}

    @post(
        "/campaigns/{campaign_id:int}/send",
        opt=acts("campaign.send", forum_of=campaigns.forum_of_campaign),
        status_code=HTTP_202_ACCEPTED,
        summary="Send to the audience (once, however often it is pressed)",
    )
    async def send(self, campaign_id: FromPath[int]) -> CampaignOut:
        return await campaigns.send(campaign_id)

    @get(
        "/campaigns/{campaign_id:int}/deliveries",
        opt=acts(None, forum_of=campaigns.forum_of_campaign),
        summary="Per-recipient delivery log",
    )
    async def deliveries(self, campaign_id: FromPath[int], status: FromQuery[str | None] = None) -> list[Delivery]:
        return await campaigns.deliveries(campaign_id, status)

    @post(
        "/campaigns/{campaign_id:int}/retry",
        opt=acts("campaign.retry", forum_of=campaigns.forum_of_campaign),
        status_code=HTTP_202_ACCEPTED,
        summary="Queue the failed mail again",
    )
    async def retry(self, campaign_id: FromPath[int]) -> Retried:
        return Retried(retried=await campaigns.retry_failed(campaign_id))


class MailPreferencesApi(Controller):
    path = "/api/v1"
    tags = ["mail to attendees"]

    @get("/me/mail-preferences", guards=[login_required], summary="Which mail I receive")
    async def get_preferences(self, request: Request) -> PreferencesOut:
        return await mail_preferences.preferences(request.user.id)

    @put(
        "/me/mail-preferences",
        guards=[login_required],
        summary="Turn follow-up mail, or mail about connection requests, on or off (a choice left out stays)",
    )
    async def set_preferences(self, request: Request, data: JSONBody[PreferencesIn]) -> PreferencesOut:
        if data.followups is not None:
            await mail_preferences.set_followups(request.user.id, data.followups, "preferences")
        if data.connection_requests is not None:
            await mail_preferences.set_connection_requests(request.user.id, data.connection_requests, "preferences")
        if data.follows is not None:
            await mail_preferences.set_follows(request.user.id, data.follows, "preferences")
        return await mail_preferences.preferences(request.user.id)

    @post(
        "/stay-in-touch/{token:str}",
        status_code=HTTP_200_OK,
        summary='Press "stay in touch" from a follow-up mail (double opt-in)',
    )
    async def stay_in_touch(self, token: FromPath[str]) -> StayInTouchOut:
        return await introductions.press(token)


class FollowsApi(Controller):
    path = "/api/v1"
    tags = ["follows"]
    guards = [login_required]

    @post(
        "/follows",
        status_code=HTTP_201_CREATED,
        summary="Follow a series, an organisation, a prefecture or a theme",
        description="Exactly one of `series` (slug), `organization` (id), `prefecture` (as 宮城県) or `theme`. "
        "One that does not exist is a 400 naming the field. Following the same thing again answers 200 with "
        "the follow already there. A forum published later that matches is mailed to the follower once, "
        "within a few minutes (publications close together share one mail).",
        responses={200: ResponseSpec(FollowOut, description="Already followed: the follow already there")},
    )
    async def follow(self, request: Request, data: JSONBody[FollowIn]) -> Response[FollowOut]:
        out, created = await follows.follow(request.user.id, data)
        return Response(out, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/me/follows", summary="What I follow")
    async def mine(self, request: Request) -> list[FollowOut]:
        return await follows.my_follows(request.user.id)

    @delete("/follows/{follow_id:int}", status_code=HTTP_204_NO_CONTENT, summary="Stop following (only my own)")
    async def unfollow(self, request: Request, follow_id: FromPath[int]) -> None:
        await follows.unfollow(request.user.id, follow_id)
