"""Every composer of queued mail, registered at start-up.

A mail may be queued to be written later (`outbox.enqueue(compose=(name, args))`); the process
that sends it, or shows it, writes it with the composer registered under `name`. The outbox knows
no domain, so the domains' composers are registered here, explicitly, by every process that may
write mail: the app (`create_app`) and the worker command (`main.py worker`). A domain that
queues mail to be written adds its registration to `register_all`.
"""

from __future__ import annotations

from meetup.cases import challenges
from meetup.events import enrolment_mail, notifications
from meetup.followups import campaigns, consents, follows


def register_all() -> None:
    """Register every domain's composers (idempotent)."""
    notifications.register_composers()
    campaigns.register_composers()
    enrolment_mail.register_composers()
    follows.register_composers()
    consents.register_composers()
    challenges.register_occasions()  # what a challenge's introduction mail says of it
