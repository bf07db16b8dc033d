"""Coordinators over the JSON API: directory, profiles, connections (organisations: organizations_routes.py)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from meetup.accounts.auth import current_user, login_required
from meetup.accounts.ratelimit import RateLimiter
from meetup.coordinators import connections, service
from meetup.coordinators.schemas import (
    ConnectIn,
    ConnectionOut,
    ProfileIn,
    ProfileOut,
)
from meetup.errors import NotFound
from meetup.i18n import gettext as _

Query = Annotated[str | None, Parameter(max_length=200)]
Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]


class CoordinatorsApi(Controller):
    path = "/api/v1"
    tags = ["coordinators"]

    @get(
        "/coordinators",
        summary="The directory",
        description="Public profiles, and members-only ones for signed-in people (organizers see all). "
        "`q` matches names in kanji, kana or romaji, organisation, bio and themes. The total number of "
        "matches is in the `x-total-count` header. `alumni` (a series' slug) keeps the alumni of that programme, "
        "`cohort` (a year, with `alumni`) those of one cohort.",
    )
    async def directory(
        self,
        request: Request,
        q: Query = None,
        prefecture: Annotated[str | None, Parameter(max_length=10)] = None,
        theme: Annotated[str | None, Parameter(max_length=30)] = None,
        organization: Query = None,
        alumni: Annotated[str | None, Parameter(max_length=80)] = None,
        cohort: Annotated[int | None, Parameter(ge=1900, le=2100)] = None,
        sort: Annotated[str, Parameter(pattern="^(reading|recent)$")] = "reading",
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        offset: Annotated[int, Parameter(ge=0, le=1_000_000)] = 0,
    ) -> Response[list[ProfileOut]]:
        page = await service.directory(
            current_user(request),
            q=q,
            prefecture=prefecture,
            theme=theme,
            organization=organization,
            alumni_of=alumni,
            cohort=cohort,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        return Response(page.items, headers={"x-total-count": str(page.total)})

    @get("/coordinators/{user_id:int}", summary="One coordinator's profile (the id is the user's id)")
    async def profile(self, request: Request, user_id: FromPath[Id]) -> ProfileOut:
        profile = await service.get_profile(user_id, current_user(request))
        if profile is None:
            raise NotFound(_("No such coordinator."))
        return profile

    @get("/me/profile", guards=[login_required], summary="My profile")
    async def my_profile(self, request: Request) -> ProfileOut:
        profile = await service.get_profile(request.user.id, request.user, include_own=True)
        if profile is None:
            raise NotFound(_("You have no profile yet."))
        return profile

    @put(
        "/me/profile",
        guards=[login_required],
        summary="Create or replace my profile",
        description="Saving with `visibility: public` for the first time is the person's consent to the "
        "published consent text; the text and the time are recorded (the profile page asks for it explicitly). "
        "`organization` is matched (NFKC, case and spaces folded) against the organisations' names and the "
        "spellings merged into them: a match fills `organization_ref`; no match keeps the name as typed and "
        "proposes it to the organizers (`GET /organizations/proposals`), `organization_ref` staying null.",
    )
    async def save_profile(self, request: Request, data: JSONBody[ProfileIn]) -> ProfileOut:
        return await service.save_profile(request.user.id, data)


class ConnectionsApi(Controller):
    path = "/api/v1/connections"
    tags = ["coordinators"]
    guards = [login_required]

    @get(
        "/",
        summary="My pending requests (incoming and outgoing) and ties",
        description="`name` is the other side's name on a profile I may see, else null. `message` (the asker's "
        "note) is in incoming requests only.",
    )
    async def mine(self, request: Request) -> dict[str, list[dict]]:
        requests = await connections.connection_requests(request.user)
        return {**requests, "ties": await connections.ties_of(request.user.id)}

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Ask to connect (accepts theirs if they asked first)",
        description="Only a person whose profile I may see (otherwise 404). The person asked gets a mail, unless "
        "they turned such mail off. At most 30 asks an hour per person (429 with Retry-After).",
    )
    async def ask(
        self, request: Request, data: JSONBody[ConnectIn], limiter: NamedDependency[RateLimiter]
    ) -> Response[ConnectionOut]:
        out = await connections.request_connection(
            request.user.id, data.user_id, request.user, message=data.message, limiter=limiter
        )
        return Response(out, status_code=HTTP_200_OK if out.status == "accepted" else HTTP_201_CREATED)

    @delete(
        "/{request_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Withdraw a request I made",
        description="While it is not accepted (then 409: remove the connection instead); someone else's: 404.",
    )
    async def withdraw(self, request: Request, request_id: FromPath[Id]) -> None:
        await connections.withdraw_request(request_id, request.user.id)

    @post("/{request_id:int}/accept", status_code=HTTP_200_OK, summary="Accept a request made to me")
    async def accept(self, request: Request, request_id: FromPath[Id]) -> ConnectionOut:
        return await connections.accept_connection(request_id, request.user.id)

    @post("/{request_id:int}/decline", status_code=HTTP_204_NO_CONTENT, summary="Decline a request made to me")
    async def decline(self, request: Request, request_id: FromPath[Id]) -> None:
        await connections.decline_connection(request_id, request.user.id)

    @delete("/with/{user_id:int}", status_code=HTTP_204_NO_CONTENT, summary="Remove my connection with someone")
    async def remove(self, request: Request, user_id: FromPath[Id]) -> None:
        await connections.remove_connection(request.user.id, user_id)
