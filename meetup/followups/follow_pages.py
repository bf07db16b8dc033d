"""Follow pages: "フォロー中" (what I follow, with unfollow), the follow and unfollow buttons every
page offers (plain forms with the CSRF token: they work without JavaScript), and the page the
follows mail's unsubscribe link opens. Thin callers of follows.py, as the JSON API."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from meetup.accounts import mail_preferences
from meetup.accounts.auth import login_required
from meetup.accounts.routes import safe_next
from meetup.errors import DomainError
from meetup.followups import follows


def _back(next_path: object, done: str) -> str:
    path = safe_next(str(next_path or "") or "/me/follows")
    anchor = "#follow"
    path, _hash, _fragment = path.partition("#")
    return f"{path}{'&' if '?' in path else '?'}done={done}{anchor}"


class FollowPages(Controller):
    include_in_schema = False

    @get("/me/follows", guards=[login_required])
    async def mine(self, request: Request, done: FromQuery[str | None] = None) -> Template:
        items = await follows.my_follows(request.user.id)
        prefs = await mail_preferences.preferences(request.user.id)
        return Template("followups/follows.html", context={"items": items, "done": done, "error": None, "prefs": prefs})

    @post("/me/follows", guards=[login_required])
    async def follow(self, request: Request) -> Template | Redirect:
        form = await request.form()
        try:
            await follows.follow_target(
                request.user.id, str(form.get("kind") or ""), str(form.get("value") or "").replace("\x00", "")[:200]
            )
        except DomainError as exc:
            items = await follows.my_follows(request.user.id)
            prefs = await mail_preferences.preferences(request.user.id)
            return Template(
                "followups/follows.html",
                context={"items": items, "done": None, "error": exc.detail, "prefs": prefs},
                status_code=exc.status_code,
            )
        return Redirect(path=_back(form.get("next"), "followed"), status_code=303)

    @post("/me/follows/{follow_id:int}/delete", guards=[login_required])
    async def unfollow(self, request: Request, follow_id: FromPath[int]) -> Redirect:
        form = await request.form()
        await follows.unfollow(request.user.id, follow_id)
        return Redirect(path=_back(form.get("next"), "unfollowed"), status_code=303)

    @get("/follows/unsubscribe/{token:str}")
    async def unsubscribe_page(self, token: FromPath[str]) -> Template:
        # A GET never unsubscribes: mail scanners open links. The button POSTs.
        user = await follows.account_of(token)
        prefs = await mail_preferences.preferences(user.id)
        return Template("followups/follows_unsubscribe.html", context={"token": token, "prefs": prefs, "done": None})

    @post("/follows/unsubscribe/{token:str}", exclude_from_csrf=True, status_code=200)
    async def unsubscribe(self, token: FromPath[str]) -> Template:
        """RFC 8058 one-click: a mailbox provider POSTs `List-Unsubscribe=One-Click` with no
        cookie; the answer is 200, never a redirect. Only the follows mail stops."""
        user = await follows.account_of(token)
        prefs = await mail_preferences.set_follows(user.id, False, "one-click")
        return Template("followups/follows_unsubscribe.html", context={"token": token, "prefs": prefs, "done": "off"})

    @post("/follows/unsubscribe/{token:str}/resubscribe", status_code=200)
    async def resubscribe(self, token: FromPath[str]) -> Template:
        user = await follows.account_of(token)
        prefs = await mail_preferences.set_follows(user.id, True, "link")
        return Template("followups/follows_unsubscribe.html", context={"token": token, "prefs": prefs, "done": "on"})
