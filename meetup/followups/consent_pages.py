"""The page a consent mail's link opens (`/consents/{token}`): the signed-in person it was sent to
agrees to be named, or declines (a POST with the CSRF token, as every form); signed out: sign in
first and come back. The JSON API answers the same with `POST /api/v1/consents/{token}`."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK

from meetup.accounts.auth import current_user, login_required
from meetup.errors import DomainError
from meetup.followups import consents
from meetup.followups.consents import ConsentOut


class DecisionIn(msgspec.Struct):
    decision: str  # agree | decline


def _page(token: str, *, consent: ConsentOut | None = None, error: DomainError | None = None) -> Template:
    return Template(
        "followups/consent.html",
        context={"token": token, "consent": consent, "error": error.detail if error else None},
        status_code=error.status_code if error else 200,
    )


class ConsentPages(Controller):
    path = "/consents/{token:str}"
    include_in_schema = False

    @get("/")
    async def show(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        token = token[:100]
        user = current_user(request)
        try:
            found = await consents.question(token)
            if user is None:
                return Redirect(path=f"/login?next=/consents/{token}", status_code=303)
            consents.check_is_for(found, user)
        except DomainError as exc:
            return _page(token, error=exc)
        return _page(token, consent=found)

    @post("/", status_code=HTTP_200_OK)
    async def decide(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        token = token[:100]
        user = current_user(request)
        form = await request.form()
        try:
            if user is None:
                await consents.question(token)  # a link that is none says so, signed in or not
                return Redirect(path=f"/login?next=/consents/{token}", status_code=303)
            found = await consents.decide(token, user, form.get("decision"))
        except DomainError as exc:
            return _page(token, error=exc)
        return _page(token, consent=found)


class ConsentsApi(Controller):
    path = "/api/v1"
    tags = ["consents"]

    @post(
        "/consents/{token:str}",
        guards=[login_required],
        status_code=HTTP_200_OK,
        summary="Agree to be named on a case or quote, or decline (the link's own person only)",
        description="`decision`: `agree` or `decline`; again later changes the answer. The token is the one "
        "mailed to the person; anyone else signed in gets 403.",
    )
    async def decide(self, request: Request, token: FromPath[str], data: JSONBody[DecisionIn]) -> ConsentOut:
        return await consents.decide(token[:100], request.user, data.decision)
