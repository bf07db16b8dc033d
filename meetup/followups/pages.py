"""Mail pages: the organizer's campaigns (write, preview, test, send, watch, retry) and the
pages a recipient reaches from a mail (unsubscribe, mail settings, stay in touch).

Thin callers of the same services as the JSON API (routes.py); every refusal is a DomainError
shown on the page with its status code.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from meetup import settings
from meetup.accounts import mail_preferences
from meetup.accounts.auth import login_required
from meetup.coordinators import organizations
from meetup.coordinators.prefectures import OTHERS, OVERSEAS, TOHOKU
from meetup.coordinators.schemas import THEMES
from meetup.errors import BadInput, DomainError
from meetup.events import alumni
from meetup.events import service as events
from meetup.events.audit import acts
from meetup.events.dependencies import Forum, staff_required
from meetup.followups import campaigns, introductions, network_audience, preferences
from meetup.followups.schemas import AUDIENCES, CampaignIn, CampaignPatch, NetworkAudience, NetworkCampaignIn
from meetup.site.forms import error_field
from meetup.site.headers import mail_preview_policy

NOTICES = ("created", "saved", "tested", "sent", "retried")


def _text(value: object) -> str:
    """A form or query value as text; a NUL byte is never meant and PostgreSQL refuses it."""
    return str(value or "").replace("\x00", "")


def _campaign_form(form) -> dict:
    """The campaign form's values as the API's JSON would carry them."""
    return {
        "subject": _text(form.get("subject")).strip(),
        "body": _text(form.get("body")),
        "audience": [a for a in form.getall("audience", []) if a in AUDIENCES],
        "introductions": form.get("introductions") == "on",
    }


def _network_form(form) -> dict:
    """A network campaign's form as the API's JSON would carry it (criteria left empty are left out)."""
    free = [t for t in _text(form.get("more_themes")).replace("、", ",").split(",") if t.strip()]
    audience = {
        "attended_since": _text(form.get("attended_since")).strip() or None,
        "organizations": [int(v) for v in form.getall("organizations", []) if str(v).isdigit() and len(str(v)) < 10],
        "prefectures": [_text(v) for v in form.getall("prefectures", [])],
        "themes": [_text(v).strip() for v in [*form.getall("themes", []), *free] if _text(v).strip()],
        "alumni_of": [_text(v) for v in form.getall("alumni_of", [])],
    }
    if form.get("their_followers") == "on":  # and those who follow what is chosen above
        audience["followers_of"] = [
            *({"series": slug} for slug in audience["alumni_of"]),
            *({"organization": org} for org in audience["organizations"]),
            *({"prefecture": p} for p in audience["prefectures"]),
            *({"theme": t} for t in audience["themes"]),
        ]
    return {
        "subject": _text(form.get("subject")).strip(),
        "body": _text(form.get("body")),
        "audience": {key: value for key, value in audience.items() if value},
    }


async def _network_choices() -> dict:
    """What the network audience's fields offer: organisations, prefectures (Tohoku first), themes."""
    return {
        "organizations": await organizations.choices(),
        "prefectures": {"tohoku": TOHOKU, "others": (*OTHERS, OVERSEAS)},
        "themes": THEMES,
        "programmes": await alumni.programmes(),
    }


def _convert(values: dict, schema: type):
    try:
        return msgspec.convert(values, schema, strict=False)
    except msgspec.ValidationError as exc:
        raise BadInput(str(exc).split(" - at ")[0], field=error_field(exc) or "body") from None


class CampaignPages(Controller):
    path = "/organizer"
    guards = [staff_required]  # organizers; co-hosts only where a route's opt lets them (acts)
    include_in_schema = False

    async def _list_page(self, event: dict, form: dict | None = None, error: DomainError | None = None) -> Template:
        counts = await campaigns.audience_sizes(event["id"])
        form = form or {"subject": "", "body": "", "audience": ["attended"], "introductions": True}
        return Template(
            "followups/campaigns.html",
            context={
                "event": event,
                "campaigns": await campaigns.campaigns_of(event["id"]),
                "network": False,
                "audience_counts": counts,
                "audiences": AUDIENCES,
                "form": form,
                "salutation_warning": campaigns.salutation_warning(form["body"]),
                "error": error.detail if error else None,
                "errors": {error.field: error.detail} if error and error.field else {},
            },
            status_code=error.status_code if error else 200,
        )

    @get("/events/{slug:str}/campaigns", opt=acts(None))
    async def campaigns_page(self, forum: Forum) -> Template:
        return await self._list_page(forum)

    @post("/events/{slug:str}/campaigns", opt=acts("campaign.create"))
    async def create(self, request: Request, forum: Forum) -> Template | Redirect:
        form = _campaign_form(await request.form())
        try:
            created = await campaigns.create_campaign(forum, _convert(form, CampaignIn), request.user.id)
        except DomainError as exc:
            return await self._list_page(forum, form, exc)
        return Redirect(path=f"/organizer/campaigns/{created.id}?done=created", status_code=303)

    async def _campaign_page(
        self, request: Request, campaign_id: int, *, form: dict | None = None, error: DomainError | None = None
    ) -> Template:
        campaign = await campaigns.get_campaign(campaign_id)
        network = campaign.event_slug is None
        event = None if network else await events.event_row(campaign.event_slug, organizer=True)
        people = await campaigns.recipients_of(campaign_id) if campaign.status == "draft" else []
        recipient = request.query_params.get("recipient")
        shown = None
        if campaign.status == "draft" and people:
            chosen = int(recipient) if recipient and recipient.isdigit() and len(recipient) < 10 else None
            try:
                shown = await campaigns.preview(campaign_id, chosen)
            except DomainError:
                shown = await campaigns.preview(campaign_id)
        done = request.query_params.get("done")
        form = form or {
            "subject": campaign.subject,
            "body": campaign.body,
            "audience": msgspec.to_builtins(campaign.audience),
            "introductions": campaign.introductions,
        }
        return Template(
            "followups/campaign.html",
            context={
                "campaign": campaign,
                "event": event,
                "network": network,
                "choices": await _network_choices() if network else {},
                "people": people[:500],
                "preview": shown,
                "recipient": recipient or "",
                "deliveries": await campaigns.deliveries(campaign_id) if campaign.status != "draft" else [],
                "audiences": AUDIENCES,
                "form": form,
                "salutation_warning": campaign.status == "draft" and campaigns.salutation_warning(form["body"]),
                "done": done if done in NOTICES else None,
                "tested_to": _text(request.query_params.get("to"))[:254],
                "error": error.detail if error else None,
                "errors": {error.field: error.detail} if error and error.field else {},
            },
            status_code=error.status_code if error else 200,
            headers={"content-security-policy": mail_preview_policy(settings.current())},
        )

    @get("/campaigns/{campaign_id:int}", opt=acts(None, forum_of=campaigns.forum_of_campaign))
    async def campaign_page(self, request: Request, campaign_id: FromPath[int]) -> Template:
        return await self._campaign_page(request, campaign_id)

    async def _network_page(self, form: dict | None = None, error: DomainError | None = None, count=None) -> Template:
        form = form or {"subject": "", "body": "", "audience": {}}
        return Template(
            "followups/network_campaigns.html",
            context={
                "campaigns": await campaigns.campaigns_of(None),
                "form": form,
                "network": True,
                "choices": await _network_choices(),
                "count": count,
                "salutation_warning": campaigns.salutation_warning(form["body"]),
                "error": error.detail if error else None,
                "errors": {error.field: error.detail} if error and error.field else {},
            },
            status_code=error.status_code if error else 200,
        )

    @get("/campaigns")
    async def network_campaigns_page(self) -> Template:
        return await self._network_page()

    @post("/campaigns")
    async def create_network(self, request: Request) -> Template | Redirect:
        """Save the draft, or (the "count" button) only say how many it would reach."""
        raw = await request.form()
        form = _network_form(raw)
        try:
            if raw.get("action") == "count":
                chosen = _convert(form["audience"], NetworkAudience)
                await network_audience.check(chosen)
                return await self._network_page(form, count=len(await network_audience.account_ids(chosen)))
            created = await campaigns.create_network_campaign(_convert(form, NetworkCampaignIn), request.user.id)
        except DomainError as exc:
            return await self._network_page(form, exc)
        return Redirect(path=f"/organizer/campaigns/{created.id}?done=created", status_code=303)

    @post("/campaigns/{campaign_id:int}", opt=acts("campaign.edit", forum_of=campaigns.forum_of_campaign))
    async def save(self, request: Request, campaign_id: FromPath[int]) -> Template | Redirect:
        raw = await request.form()
        network = (await campaigns.get_campaign(campaign_id)).event_slug is None
        form = _network_form(raw) if network else _campaign_form(raw)
        try:
            await campaigns.update_campaign(campaign_id, _convert(form, CampaignPatch))
        except DomainError as exc:
            return await self._campaign_page(request, campaign_id, form=form, error=exc)
        return Redirect(path=f"/organizer/campaigns/{campaign_id}?done=saved", status_code=303)

    @post("/campaigns/{campaign_id:int}/test", opt=acts("campaign.test", forum_of=campaigns.forum_of_campaign))
    async def test(self, request: Request, campaign_id: FromPath[int]) -> Template | Redirect:
        try:
            to = await campaigns.send_test(campaign_id, request.user)
        except DomainError as exc:
            return await self._campaign_page(request, campaign_id, error=exc)
        return Redirect(path=f"/organizer/campaigns/{campaign_id}?done=tested&to={to}", status_code=303)

    @post("/campaigns/{campaign_id:int}/send", opt=acts("campaign.send", forum_of=campaigns.forum_of_campaign))
    async def send(self, request: Request, campaign_id: FromPath[int]) -> Template | Redirect:
        try:
            await campaigns.send(campaign_id)
        except DomainError as exc:
            return await self._campaign_page(request, campaign_id, error=exc)
        return Redirect(path=f"/organizer/campaigns/{campaign_id}?done=sent", status_code=303)

    @post("/campaigns/{campaign_id:int}/retry", opt=acts("campaign.retry", forum_of=campaigns.forum_of_campaign))
    async def retry(self, campaign_id: FromPath[int]) -> Redirect:
        await campaigns.retry_failed(campaign_id)
        return Redirect(path=f"/organizer/campaigns/{campaign_id}?done=retried", status_code=303)


class FollowUpPages(Controller):
    """Where a recipient lands from a mail; signed links work without signing in."""

    include_in_schema = False

    @get("/unsubscribe/{token:str}")
    async def unsubscribe_page(self, token: FromPath[str]) -> Template:
        # A GET never unsubscribes: mail scanners open links. The button POSTs.
        user = await preferences.account_of(token)
        prefs = await mail_preferences.preferences(user.id)
        return Template("followups/unsubscribe.html", context={"token": token, "prefs": prefs, "done": None})

    @post("/unsubscribe/{token:str}", exclude_from_csrf=True, status_code=200)
    async def unsubscribe(self, token: FromPath[str]) -> Template:
        """RFC 8058 one-click: a mailbox provider POSTs `List-Unsubscribe=One-Click` with no
        cookie; the answer is 200, never a redirect."""
        user = await preferences.account_of(token)
        prefs = await mail_preferences.set_followups(user.id, False, "one-click")
        return Template("followups/unsubscribe.html", context={"token": token, "prefs": prefs, "done": "off"})

    @post("/unsubscribe/{token:str}/resubscribe", status_code=200)
    async def resubscribe(self, token: FromPath[str]) -> Template:
        user = await preferences.account_of(token)
        prefs = await mail_preferences.set_followups(user.id, True, "link")
        return Template("followups/unsubscribe.html", context={"token": token, "prefs": prefs, "done": "on"})

    @get("/me/mail", guards=[login_required])
    async def settings_page(self, request: Request) -> Template:
        prefs = await mail_preferences.preferences(request.user.id)
        return Template("followups/settings.html", context={"prefs": prefs, "saved": False})

    @post("/me/mail", guards=[login_required], status_code=200)
    async def save_settings(self, request: Request) -> Template:
        form = await request.form()
        await mail_preferences.set_followups(request.user.id, form.get("followups") == "on", "preferences")
        await mail_preferences.set_follows(request.user.id, form.get("follows") == "on", "preferences")
        prefs = await mail_preferences.set_connection_requests(
            request.user.id, form.get("connection_requests") == "on", "preferences"
        )
        return Template("followups/settings.html", context={"prefs": prefs, "saved": True})

    @get("/stay-in-touch/{token:str}")
    async def stay_page(self, token: FromPath[str]) -> Template:
        user, profile, pressed = await introductions.invitation(token)
        return Template(
            "followups/stay_in_touch.html",
            context={"token": token, "person": user, "profile": profile, "pressed": pressed, "result": None},
        )

    @post("/stay-in-touch/{token:str}", status_code=200)
    async def stay(self, token: FromPath[str]) -> Template:
        result = await introductions.press(token)
        user, profile, _pressed = await introductions.invitation(token)
        return Template(
            "followups/stay_in_touch.html",
            context={"token": token, "person": user, "profile": profile, "pressed": True, "result": result},
        )
