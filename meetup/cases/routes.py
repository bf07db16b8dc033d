"""The case library and the challenge board over the JSON API (CONTRACT §5.5). The rules are in
service.py (cases) and challenges.py."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from meetup.accounts.auth import current_user, login_required, organizer_required
from meetup.cases import challenges, feed
from meetup.cases import service as cases
from meetup.cases.schemas import (
    CaseIn,
    CaseKind,
    CaseOut,
    CasePatch,
    CaseSummary,
    ChallengeIn,
    ChallengeKind,
    ChallengeOut,
    ChallengeStatus,
    ChallengeStatusIn,
    InterestIn,
    InterestOut,
)
from meetup.errors import Forbidden
from meetup.i18n import gettext as _

Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
Query = Annotated[str | None, Parameter(max_length=200)]
Short = Annotated[str | None, Parameter(max_length=30)]


async def challenge_manager(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """The challenge's poster, its organisation's admins and organizers, checked before the body
    is read (others: 401 or 403, whatever they sent)."""
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("Not logged in")
    if not await challenges.manages(connection.path_params["challenge_id"], user):
        raise Forbidden(_("Only the poster of this challenge, its organisation's admins and organizers may do that."))


class CasesApi(Controller):
    path = "/api/v1"
    tags = ["cases and challenges"]

    @get(
        "/cases",
        summary="The case library, searched and filtered",
        description="`q` matches the title in kanji, kana or romaji (as the directory does), the summary, themes, "
        "organisations and prefecture; `kind`, `theme` and `prefecture` filter; `organization` (id) the cases "
        "naming it, `person` (user id) those naming that person, who agreed. Newest first, `limit` (at most "
        "200) from `offset`; the number of matches is in the `x-total-count` header.",
    )
    async def list_cases(
        self,
        q: Query = None,
        kind: FromQuery[CaseKind | None] = None,
        theme: Short = None,
        prefecture: Short = None,
        organization: Annotated[int | None, Parameter(ge=1, le=2**31 - 1)] = None,
        person: Annotated[int | None, Parameter(ge=1, le=2**31 - 1)] = None,
        limit: Annotated[int, Parameter(ge=1, le=cases.LIST_LIMIT)] = cases.LIST_LIMIT,
        offset: Annotated[int, Parameter(ge=0, le=1_000_000)] = 0,
    ) -> Response[list[CaseSummary]]:
        search = {"q": q, "kind": kind, "theme": theme, "prefecture": prefecture}
        search |= {"organization": organization, "person": person}
        found, total = await cases.search_cases(**search, limit=limit, offset=offset)
        return Response(found, headers={"x-total-count": str(total)})

    @post(
        "/cases",
        guards=[organizer_required],
        status_code=HTTP_201_CREATED,
        summary="Write a case (organizers)",
        description="`people` are user ids: each is mailed a link and appears on the case only after agreeing. "
        "`organizations` are organisation ids, `events` forum slugs (shown while published). Unknown ones: 400.",
    )
    async def create_case(self, request: Request, data: JSONBody[CaseIn]) -> CaseOut:
        return await cases.create_case(data, request.user)

    @get("/cases/{case_id:int}", summary="A case (only the people who agreed are named)")
    async def get_case(self, request: Request, case_id: FromPath[Id]) -> CaseOut:
        return await cases.get_case(case_id, current_user(request))

    @delete(
        "/cases/{case_id:int}",
        guards=[organizer_required],
        status_code=HTTP_204_NO_CONTENT,
        summary="Remove a case (organizers)",
        description="The case, its themes and links go; nobody is asked about it any more. Removing a case "
        "that is already gone changes nothing (204).",
    )
    async def remove_case(self, case_id: FromPath[Id]) -> None:
        await cases.delete_case(case_id)

    @patch(
        "/cases/{case_id:int}",
        guards=[organizer_required],
        summary="Edit a case (organizers)",
        description="Only the fields given change. A person added is asked; one removed is no longer named.",
    )
    async def edit_case(self, request: Request, case_id: FromPath[Id], data: JSONBody[CasePatch]) -> CaseOut:
        return await cases.update_case(case_id, data, request.user)

    @get("/cases.atom", summary="The case library as an Atom feed (newest 50)", media_type=feed.MEDIA_TYPE)
    async def atom(self) -> Response[str]:
        return await feed.atom_response()

    @get(
        "/challenges",
        summary="The challenge board (余白), searched and filtered",
        description="`q` as the directory (kanji, kana, romaji); `kind`, `prefecture` and `status` filter. Open ones "
        "first, newest first. A challenge whose `closes_at` has passed is `closed`.",
    )
    async def list_challenges(
        self,
        q: Query = None,
        kind: FromQuery[ChallengeKind | None] = None,
        prefecture: Short = None,
        status: FromQuery[ChallengeStatus | None] = None,
        organization: Annotated[int | None, Parameter(ge=1, le=2**31 - 1)] = None,
    ) -> list[ChallengeOut]:
        return await challenges.list_challenges(
            q=q, kind=kind, prefecture=prefecture, status=status, organization=organization
        )

    @post(
        "/challenges",
        guards=[login_required],
        status_code=HTTP_201_CREATED,
        summary="Post a challenge (organizers and the organisation's admins)",
        description="Anyone else: 403. `closes_at` in the past, an unknown kind or organisation: 400 naming the field.",
    )
    async def post_challenge(self, request: Request, data: JSONBody[ChallengeIn]) -> ChallengeOut:
        return await challenges.post_challenge(data, request.user)

    @get("/challenges/{challenge_id:int}", summary="A challenge")
    async def get_challenge(self, challenge_id: FromPath[Id]) -> ChallengeOut:
        return await challenges.get_challenge(challenge_id)

    @post(
        "/challenges/{challenge_id:int}/interest",
        guards=[login_required],
        status_code=HTTP_201_CREATED,
        summary="関わりたい: say you would like to take part (once; again: 409)",
    )
    async def interest(self, request: Request, challenge_id: FromPath[Id], data: JSONBody[InterestIn]) -> InterestOut:
        return await challenges.say_interested(challenge_id, request.user, data)

    @get(
        "/challenges/{challenge_id:int}/interests",
        guards=[challenge_manager],
        summary="Who wants to take part (its poster, the organisation's admins, organizers)",
    )
    async def interests(self, request: Request, challenge_id: FromPath[Id]) -> list[InterestOut]:
        return await challenges.interests(challenge_id, request.user)

    @post(
        "/challenges/{challenge_id:int}/interests/{interest_id:int}/introduce",
        guards=[challenge_manager],
        status_code=HTTP_200_OK,
        summary="Introduce yourself and an interested person (double opt-in, as a follow-up's introduction)",
        description="Both get a mail with a link; when both accept, they are introduced, connected, and get a "
        "`project` tie on the network map. Pressing again sends nothing new.",
    )
    async def introduce(self, request: Request, challenge_id: FromPath[Id], interest_id: FromPath[Id]) -> InterestOut:
        return await challenges.introduce(challenge_id, interest_id, request.user)

    @post(
        "/challenges/{challenge_id:int}/status",
        guards=[challenge_manager],
        status_code=HTTP_200_OK,
        summary="Move a challenge on: open → matched → closed (never back: 409)",
    )
    async def move(
        self, request: Request, challenge_id: FromPath[Id], data: JSONBody[ChallengeStatusIn]
    ) -> ChallengeOut:
        return await challenges.move(challenge_id, data.status, request.user)
