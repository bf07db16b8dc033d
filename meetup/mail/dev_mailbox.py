"""The dev mailbox: with no SMTP server configured, organizers read outgoing mail here."""

from __future__ import annotations

from litestar import Controller, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from meetup import settings
from meetup.accounts.auth import organizer_required
from meetup.mail import outbox
from meetup.site.headers import mail_preview_policy


class DevMailbox(Controller):
    """The dev mailbox: with no SMTP server configured, organizers read outgoing mail here. It
    shows sign-in links too, so the app mounts it only when MEETUP_ENV=dev (404 in test and prod)."""

    path = "/dev/mailbox"
    guards = [organizer_required]
    include_in_schema = False

    @get("/")
    async def index(self, to: FromQuery[str | None] = None) -> Template:
        mails = await outbox.recent(limit=200, to_addr=to[:254] if to else None)
        return Template("dev/mailbox.html", context={"mails": mails, "to": to or ""})

    @get("/{mail_id:int}")
    async def detail(self, mail_id: FromPath[int]) -> Template:
        mail = await outbox.get(mail_id)
        if mail is None:
            raise NotFoundException("No such mail")
        preview = {"content-security-policy": mail_preview_policy(settings.current())}
        return Template("dev/mail.html", context={"mail": mail}, headers=preview)
