"""What the header tells a signed-in person on every page: how many connection requests wait
for their answer. One count query per page, and none for visitors, API calls or files."""

from __future__ import annotations

from litestar import Request

from meetup.accounts.auth import current_user
from meetup.coordinators import connections
from meetup.site.errors import wants_json

PENDING = "pending_connections"  # the key in request.state that templates/base.html reads


async def count_for_header(request: Request) -> None:
    """Before a page's handler: put the number of pending connection requests in request.state."""
    user = current_user(request)
    if user is None or request.method != "GET" or wants_json(request):
        return None
    request.state[PENDING] = await connections.pending_count(user.id)
    return None
