"""The page a co-host invitation's link opens: `GET /cohosts/accept/{token}` shows what accepting
means to the invited account (others: why they cannot; signed out: sign in first, and come back
here), `POST` accepts (CSRF as every form)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from meetup.accounts.auth import current_user
from meetup.errors import DomainError
from meetup.events import cohosts
from meetup.i18n import gettext as _


def _page(token: str, *, invitation: dict | None = None, error: str | None = None, status_code: int = 200) -> Template:
    return Template(
        "events/cohost_accept.html",
        context={"token": token, "invitation": invitation, "error": error},
        status_code=status_code,
    )


class CohostPages(Controller):
    path = "/cohosts/accept/{token:str}"
    include_in_schema = False

    @get("/")
    async def show(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        user = current_user(request)
        token = token[:100]
        try:
            invitation = await cohosts.invitation(token)
        except DomainError as exc:
            return _page(token, error=exc.detail, status_code=exc.status_code)
        if user is None:
            return Redirect(path=f"/login?next=/cohosts/accept/{token}", status_code=303)
        if not cohosts.is_for(invitation, user):
            message = _("This invitation was sent to another e-mail address. Sign in with that address to accept it.")
            return _page(token, error=message, status_code=403)
        return _page(token, invitation=invitation)

    @post("/")
    async def accept(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        user = current_user(request)
        token = token[:100]
        try:
            if user is None:
                await cohosts.invitation(token)  # a link that is no invitation says so, signed in or not
                return Redirect(path=f"/login?next=/cohosts/accept/{token}", status_code=303)
            invitation = await cohosts.accept(token, user)
        except DomainError as exc:
            return _page(token, error=exc.detail, status_code=exc.status_code)
        return Redirect(path=f"/organizer/events/{invitation['event.slug']}", status_code=303)
