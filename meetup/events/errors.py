"""What the events domain says no with."""

from meetup.errors import BadInput, Conflict, NotFound


class EventNotFound(NotFound):
    pass


class RegistrationClosed(Conflict):
    """Outside the window, a draft, a cancelled or a past forum."""


class NotRegistered(NotFound):
    pass


class InvalidAnswers(BadInput):
    pass


class NotATicketCode(BadInput):
    """Typed or scanned text that cannot be a ticket code (a code of nobody is NotRegistered)."""


class TooManyHeldSeats(BadInput):
    """The lottery holds more seats for prefectures than it draws."""


class SeatsConflict(Conflict):
    """E.g. lowering capacity below the seats already confirmed."""
