"""Coordinator pages people use: the directory, a profile, my profile, connections (organisations:
organization_pages.py).

Thin callers of meetup.coordinators.service, the same functions the JSON API calls: visibility
is decided there, in the query, never here or in a template.
"""

from __future__ import annotations

import math
import re
from typing import Annotated
from urllib.parse import urlencode, urlsplit

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Redirect, Template

from meetup.accounts.auth import current_user, login_required
from meetup.accounts.ratelimit import RateLimiter
from meetup.accounts.schemas import UserOut
from meetup.coordinators import connections, organization_names, organizations, service
from meetup.coordinators.prefectures import OTHERS, OVERSEAS, TOHOKU
from meetup.coordinators.schemas import CONSENT_TEXT, MESSAGE_LIMIT, THEMES, ProfileIn, ProfileOut
from meetup.coordinators.ties import tie_strength
from meetup.errors import NotFound
from meetup.events import alumni as programme_alumni
from meetup.events import service as events
from meetup.i18n import gettext as _

Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
PageNumber = Annotated[int, Parameter(ge=1, le=100_000)]
PAGE_SIZE = 24
PREFECTURE_GROUPS = {"tohoku": TOHOKU, "others": OTHERS, "overseas": OVERSEAS}
_TAG_SEPARATORS = re.compile(r"[,、，]")
# The input at fault: "… - at `$.themes[3]`" (a list item too) or "prefecture: …".
_ERROR_FIELD = re.compile(r"at `\$\.(\w+)|^(\w+): ")
_TEXT_FIELDS = (
    "name", "name_kana", "organization", "prefecture", "municipality", "bio", "can_help_with", "looking_for",
)  # fmt: skip


def _text(value: object, limit: int) -> str:
    """A query value as text, trimmed: a page forgives a long query instead of refusing it."""
    return value.strip()[:limit] if isinstance(value, str) else ""


def _shown_links(profile: ProfileOut) -> list[str]:
    # The service admits only http(s) links; checked again where they become <a href>.
    return [link for link in profile.links if urlsplit(link).scheme in ("http", "https")]


def _not_found() -> NotFound:
    return NotFound(_("No such coordinator."))


# --- my profile form -------------------------------------------------------------------------


def _field_hints() -> dict[str, str]:
    return {
        "name": _("Enter your name (up to 100 characters, no control characters)."),
        "name_kana": _("Write the reading of your name in kana (up to 100 characters)."),
        "organization": _("Up to 200 characters."),
        "prefecture": _("Choose a prefecture, or Overseas."),
        "municipality": _("Up to 100 characters."),
        "themes": _("Up to 20 themes, each up to 30 characters."),
        "bio": _("Up to 10,000 characters."),
        "links": _("One http:// or https:// address per line, up to 10."),
        "can_help_with": _("Up to 1,000 characters."),
        "looking_for": _("Up to 1,000 characters."),
        "visibility": _("Choose who may see your profile."),
        "consent": _("To make your profile public, please agree to the text above."),
    }


def _form_from_profile(profile: ProfileOut | None, user: UserOut) -> dict:
    if profile is None:
        return {
            **dict.fromkeys(_TEXT_FIELDS, ""),
            "name": user.display_name,
            "themes": [],
            "free_tags": "",
            "links": "",
            "visibility": "members",
            "consent": False,
        }
    return {
        **{field: getattr(profile, field) or "" for field in _TEXT_FIELDS},
        "themes": [t for t in profile.themes if t in THEMES],
        "free_tags": "、".join(t for t in profile.themes if t not in THEMES),
        "links": "\n".join(profile.links),
        "visibility": profile.visibility,
        "consent": False,
    }


def _form_from_post(form) -> dict:
    """What the person sent, as the form shows it again (only text; a file upload is ignored)."""
    values = {field: form.get(field) if isinstance(form.get(field), str) else "" for field in _TEXT_FIELDS}
    return {
        **values,
        "themes": [t for t in form.getall("themes", []) if isinstance(t, str)],
        "free_tags": form.get("free_tags") if isinstance(form.get("free_tags"), str) else "",
        "links": form.get("links") if isinstance(form.get("links"), str) else "",
        "visibility": form.get("visibility") if isinstance(form.get("visibility"), str) else "",
        "consent": form.get("consent") == "on",
    }


def _profile_input(values: dict) -> dict:
    """The form's values in the shape of ProfileIn: checkboxes and free tags make one theme list."""
    free = [tag.strip() for tag in _TAG_SEPARATORS.split(values["free_tags"]) if tag.strip()]
    return {
        **{field: values[field] for field in _TEXT_FIELDS},
        "themes": [*values["themes"], *free],
        "links": [line.strip() for line in values["links"].splitlines() if line.strip()],
        "visibility": values["visibility"],
    }


async def _organization_picker(typed: str) -> dict:
    """What the organisation field offers without script: the organisations the typed name finds
    (the same search as `GET /organizations?q=`), and whether it names one or will be proposed."""
    typed = typed.strip()
    if not typed:
        return {"suggestions": [], "status": None}
    named = await organization_names.organization_named(typed)
    found = await organizations.list_organizations(None, q=typed)
    return {"suggestions": found[:10], "status": "listed" if named else "new", "named": named}


async def _profile_form(
    user: UserOut, values: dict, errors: dict[str, str], status: int = 200, joined: str | None = None
) -> Template:
    consent_text, consent_at = await service.consent_of(user.id)
    chosen = set(values["themes"])
    themes = [*THEMES, *sorted(chosen - set(THEMES))]  # a theme ticked before stays on the list
    return Template(
        "coordinators/edit.html",
        context={
            "form": values,
            "errors": errors,
            "themes": themes,
            "prefectures": PREFECTURE_GROUPS,
            "consent_text": CONSENT_TEXT,
            "agreed_text": consent_text,
            "consent_at": consent_at,
            "picker": await _organization_picker(values.get("organization") or ""),
            "joined": joined,
        },
        status_code=status,
    )


# --- connections page ------------------------------------------------------------------------


async def _names(ids: set[int], viewer: UserOut) -> dict[int, ProfileOut | None]:
    """The profile of each person that `viewer` may see, None for the others (shown without a name)."""
    found = await service.profiles_of(sorted(ids), viewer)
    return {other: found.get(other) for other in sorted(ids)}


def _people_with_ties(ties: list[dict], profiles: dict[int, ProfileOut | None], forums: dict[int, dict]) -> list:
    """One entry per person, with every tie to them: the strongest ties first (connections), then by name."""
    people: dict[int, dict] = {}
    for tie in sorted(ties, key=lambda t: t["created_at"]):
        entry = people.setdefault(tie["other"], {"id": tie["other"], "profile": profiles[tie["other"]], "ties": []})
        entry["ties"].append({**tie, "forum": forums.get(tie["event_id"]) if tie["event_id"] else None})

    def key(entry: dict) -> tuple:
        strongest = max(tie_strength(t["kind"]) for t in entry["ties"])
        return (-strongest, entry["profile"].reading if entry["profile"] else "\uffff", entry["id"])

    return sorted(people.values(), key=key)


class CoordinatorPages(Controller):
    include_in_schema = False

    @get("/coordinators")
    async def directory(
        self,
        request: Request,
        q: FromQuery[str | None] = None,
        prefecture: FromQuery[str | None] = None,
        theme: FromQuery[str | None] = None,
        organization: FromQuery[str | None] = None,
        alumni: FromQuery[str | None] = None,
        cohort: FromQuery[str | None] = None,
        sort: FromQuery[str | None] = None,
        page: FromQuery[PageNumber] = 1,
    ) -> Template:
        viewer = current_user(request)
        filters = {
            "q": _text(q, 200),
            "prefecture": _text(prefecture, 10),
            "theme": _text(theme, 30),
            "organization": _text(organization, 200),
            "alumni": _text(alumni, 80),
            "cohort": _text(cohort, 4) if _text(cohort, 4).isdigit() else "",
            "sort": sort if sort in service.SORTS else "reading",
        }
        found = await service.directory(
            viewer,
            q=filters["q"] or None,
            prefecture=filters["prefecture"] or None,
            theme=filters["theme"] or None,
            organization=filters["organization"] or None,
            alumni_of=filters["alumni"] or None,
            cohort=int(filters["cohort"]) if filters["cohort"] else None,
            sort=filters["sort"],
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        popular = [name for name, _count in await service.popular_themes(viewer) if name not in THEMES]
        themes = [*THEMES, *sorted(popular)]
        if filters["theme"] and filters["theme"] not in themes:
            themes.append(filters["theme"])
        pages = max(1, math.ceil(found.total / PAGE_SIZE))
        kept = {key: value for key, value in filters.items() if value and not (key == "sort" and value == "reading")}

        def page_url(number: int) -> str:
            return "/coordinators?" + urlencode({**kept, "page": number}) if number > 1 or kept else "/coordinators"

        return Template(
            "coordinators/directory.html",
            context={
                "found": found,
                "filters": filters,
                "filtered": bool(kept.keys() - {"sort"}),
                "themes": themes,
                "programmes": await programme_alumni.programmes(),
                "prefectures": PREFECTURE_GROUPS,
                "page": page,
                "pages": pages,
                "prev_url": page_url(page - 1) if page > 1 else None,
                "next_url": page_url(page + 1) if page < pages else None,
            },
        )

    @get("/coordinators/{user_id:int}")
    async def profile(self, request: Request, user_id: FromPath[Id], done: FromQuery[str | None] = None) -> Template:
        viewer = current_user(request)
        profile = await service.get_profile(user_id, viewer)
        if profile is None:
            raise _not_found()
        state = await connections.connection_state(viewer.id, user_id) if viewer and viewer.id != user_id else None
        sent = await connections.outgoing_request(viewer.id, user_id) if state == "requested" else None
        # attendance is the person's own record: shown to them and to organizers, never to others
        may_see_attendance = bool(viewer and (viewer.id == user_id or viewer.is_organizer))
        attended = await events.attended_by(user_id) if may_see_attendance else None
        return Template(
            "coordinators/profile.html",
            context={
                "profile": profile,
                "links": _shown_links(profile),
                "is_me": bool(viewer and viewer.id == user_id),
                "state": state,
                "sent_request": sent,
                "attended": attended,
                "message_limit": MESSAGE_LIMIT,
                "done": done
                if done in ("saved", "proposed", "requested", "connected", "removed", "withdrawn")
                else None,
            },
        )

    @post("/coordinators/{user_id:int}/connect", guards=[login_required])
    async def connect(self, request: Request, user_id: FromPath[Id], limiter: NamedDependency[RateLimiter]) -> Redirect:
        """Ask to connect, or accept their request if they asked first (the service decides; a
        profile the asker may not see is a 404 there)."""
        form = await request.form()
        message = form.get("message")
        out = await connections.request_connection(
            request.user.id,
            user_id,
            request.user,
            message=message if isinstance(message, str) else "",
            limiter=limiter,
        )
        done = "connected" if out.status == "accepted" else "requested"
        return Redirect(path=f"/coordinators/{user_id}?done={done}", status_code=303)

    @post("/coordinators/{user_id:int}/disconnect", guards=[login_required])
    async def disconnect(self, request: Request, user_id: FromPath[Id]) -> Redirect:
        await connections.remove_connection(request.user.id, user_id)
        form = await request.form()
        if form.get("back") == "connections":
            return Redirect(path="/me/connections?done=removed", status_code=303)
        return Redirect(path=f"/coordinators/{user_id}?done=removed", status_code=303)

    @get("/me/profile", guards=[login_required])
    async def edit_profile(self, request: Request, organization: FromQuery[str | None] = None) -> Template:
        """`?organization=` fills in the organisation of a person without a profile yet (an accepted
        colleague invitation sends them here)."""
        user = request.user
        profile = await service.get_profile(user.id, user, include_own=True)
        values = _form_from_profile(profile, user)
        joined = None
        if profile is None and organization:
            values["organization"] = joined = organization.strip()[:200]
        return await _profile_form(user, values, {}, joined=joined)

    @post("/me/profile", guards=[login_required])
    async def save_profile(self, request: Request) -> Template | Redirect:
        user = request.user
        form = await request.form()
        values = _form_from_post(form)
        hints = _field_hints()
        try:
            data = msgspec.convert(_profile_input(values), ProfileIn, strict=False)
        except msgspec.ValidationError as exc:
            match = _ERROR_FIELD.search(str(exc))
            field = (match.group(1) or match.group(2)) if match else "name"
            return await _profile_form(user, values, {field: hints.get(field, hints["name"])}, 400)
        _text_agreed, consent_at = await service.consent_of(user.id)
        if data.visibility == "public" and consent_at is None and form.get("consent") != "on":
            return await _profile_form(user, values, {"consent": hints["consent"]}, 400)
        saved = await service.save_profile(user.id, data)
        proposed = bool(saved.organization) and saved.organization_ref is None
        return Redirect(path=f"/coordinators/{user.id}?done={'proposed' if proposed else 'saved'}", status_code=303)

    @get("/me/connections", guards=[login_required])
    async def connections(self, request: Request, done: FromQuery[str | None] = None) -> Template:
        user = request.user
        requests = await connections.connection_requests(user)
        ties = await connections.ties_of(user.id)
        people = {t["other"] for t in ties}
        people |= {r["requester"] for r in requests["incoming"]} | {r["recipient"] for r in requests["outgoing"]}
        profiles = await _names(people, user)
        forums = await events.forum_refs(sorted({t["event_id"] for t in ties if t["event_id"]}), drafts=False)
        return Template(
            "coordinators/connections.html",
            context={
                "incoming": requests["incoming"],
                "outgoing": requests["outgoing"],
                "people": _people_with_ties(ties, profiles, forums),
                "profiles": profiles,
                "done": done if done in ("accepted", "declined", "removed", "withdrawn") else None,
            },
        )

    @post("/me/connections/{request_id:int}/accept", guards=[login_required])
    async def accept(self, request: Request, request_id: FromPath[Id]) -> Redirect:
        await connections.accept_connection(request_id, request.user.id)
        return Redirect(path="/me/connections?done=accepted", status_code=303)

    @post("/me/connections/{request_id:int}/decline", guards=[login_required])
    async def decline(self, request: Request, request_id: FromPath[Id]) -> Redirect:
        await connections.decline_connection(request_id, request.user.id)
        return Redirect(path="/me/connections?done=declined", status_code=303)

    @post("/me/connections/{request_id:int}/withdraw", guards=[login_required])
    async def withdraw(self, request: Request, request_id: FromPath[Id]) -> Redirect:
        """The asker takes a request back, from this page or from the person's profile."""
        await connections.withdraw_request(request_id, request.user.id)
        form = await request.form()
        back = form.get("back")
        if isinstance(back, str) and back.isdigit() and len(back) < 11:
            return Redirect(path=f"/coordinators/{back}?done=withdrawn", status_code=303)
        return Redirect(path="/me/connections?done=withdrawn", status_code=303)
