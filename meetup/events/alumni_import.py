"""Recording a programme's past graduates from a CSV file (CONTRACT §5.3: `POST
/series/{slug}/alumni.csv`), as the bureau keeps them in Excel.

Rules:
- the file is read as every import reads one (site/uploads.py: UTF-8 with or without BOM, else
  Shift_JIS); more than MAX_BYTES is a 413; its header holds exactly the columns name, email and
  year, in any order;
- every line is checked first: a name (up to 100 characters), a valid e-mail address (each once
  in the file), a year from FIRST_YEAR to this year. Any bad line makes the whole file a 400
  listing each bad line (the header is line 1) with its reason, and nothing is imported;
- then, in one transaction, each graduate gets an account if the address has none (named as the
  file says; no profile, so nothing of them is public until they write one and choose who sees
  it), an alumni record of the series for that year (source "imported"), and, when the account
  is new, a mail inviting them to claim it with a one-time sign-in link;
- a graduate already recorded in the series is skipped: importing the same file again changes
  nothing.
"""

from __future__ import annotations

import csv
import io

from meetup import i18n
from meetup.accounts import magic_link
from meetup.accounts.schemas import clean_display_name, normalize_email
from meetup.accounts.tables import Account
from meetup.db import utcnow, write_transaction
from meetup.errors import BadInput, PayloadTooLarge
from meetup.events.schemas import AlumniImportResult, BadLine
from meetup.events.tables import Alumnus
from meetup.i18n import TOKYO
from meetup.i18n import gettext as _
from meetup.mail.outbox import enqueue
from meetup.site.uploads import decode_csv
from meetup.templating import render_mail

MAX_BYTES = 10 * 1024 * 1024
MAX_LINES = 20_000
FIRST_YEAR = 1990
COLUMNS = ("name", "email", "year")


class BadLines(BadInput):
    """The file's bad lines, each with its reason: nothing was imported."""

    def __init__(self, lines: list[BadLine]):
        detail = (
            _("Nothing was imported. Fix these lines and send the file again:")
            + " "
            + "; ".join(_("line %(line)s: %(reason)s") % {"line": bad.line, "reason": bad.reason} for bad in lines)
        )
        super().__init__(detail, field="file")
        self.lines = lines


def _header(reader) -> list[str]:
    header = [column.strip().lower() for column in next(reader, [])]
    if sorted(header) != sorted(COLUMNS):
        raise BadInput(_("The columns must be: name, email, year (in any order)."), field="file")
    return header


def _checked(cells: dict[str, str], line: int, seen: dict[str, int], last_year: int) -> tuple | str:
    """The line as (line, name, email, year), or the reason it is refused."""
    name = clean_display_name(cells["name"])[:101] if cells["name"].strip() else ""
    if not name:
        return _("the name is empty.")
    if len(name) > 100:
        return _("the name is longer than 100 characters.")
    try:
        email = normalize_email(cells["email"])
    except ValueError:
        return _("%(email)s is not a valid e-mail address.") % {"email": cells["email"].strip()[:100] or '""'}
    if email in seen:
        return _("the same e-mail address as line %(line)s.") % {"line": seen[email]}
    year_text = cells["year"].strip()
    if not year_text.isascii() or not year_text.isdigit() or not FIRST_YEAR <= int(year_text) <= last_year:
        return _("the year must be a number from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": last_year}
    seen[email] = line
    return (line, name, email, int(year_text))


def parse(text: str) -> list[tuple[int, str, str, int]]:
    """Every graduate the file lists, or BadLines naming each bad line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    last_year = utcnow().astimezone(TOKYO).year
    good: list[tuple[int, str, str, int]] = []
    bad: list[BadLine] = []
    seen: dict[str, int] = {}
    try:
        header = _header(reader)
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(good) + len(bad) >= MAX_LINES:
                raise BadInput(_("Up to %(n)s graduates per file.") % {"n": MAX_LINES}, field="file")
            if len(cells) != len(header):
                bad.append(BadLine(line, _("%(n)d cells where the header has %(m)d.") % {"n": len(cells), "m": 3}))
                continue
            found = _checked(dict(zip(header, cells, strict=True)), line, seen, last_year)
            if isinstance(found, str):
                bad.append(BadLine(line, found))
            else:
                good.append(found)
    except csv.Error as error:
        raise BadInput(_("The file is not readable CSV: %(error)s") % {"error": str(error)}, field="file") from None
    if bad:
        raise BadLines(bad)
    if not good:
        raise BadInput(_("The file lists no graduates."), field="file")
    return good


async def _invite(email: str, name: str, title: str, base_url: str, series_slug: str, account_id: int) -> None:
    link = await magic_link.claim_link(email, base_url)
    with i18n.use_locale("ja"):
        subject = _("[NEXT TOHOKU MEETUP] You are recorded as a graduate of %(programme)s") % {"programme": title}
    text, html = render_mail("alumni_invitation", "ja", name=name, programme=title, link=link,
                             days=magic_link.CLAIM_LIFETIME.days)  # fmt: skip
    await enqueue(
        to_addr=email,
        subject=subject[:250],
        body_text=text,
        body_html=html,
        dedupe_key=f"alumni-invitation:{series_slug}:{account_id}",
        account_id=account_id,
    )


async def import_graduates(series: dict, content: bytes, base_url: str) -> AlumniImportResult:
    """Record the graduates the CSV lists as alumni of `series` (the rules are this module's)."""
    if len(content) > MAX_BYTES:
        raise PayloadTooLarge(_("The file is larger than 10 MB."), field="file")
    graduates = parse(decode_csv(content))
    created = invited = skipped = 0
    async with write_transaction():
        for _line, name, email, year in graduates:
            new_account = (
                await Account.insert(Account(email=email, display_name=name))
                .on_conflict(target=Account.email, action="DO NOTHING")
                .returning(Account.id)
            )
            account_id = new_account[0]["id"] if new_account else (
                await Account.select(Account.id).where(Account.email == email).first()
            )["id"]  # fmt: skip
            recorded = (
                await Alumnus.insert(Alumnus(account=account_id, series=series["id"], year=year, source="imported"))
                .on_conflict(action="DO NOTHING")
                .returning(Alumnus.id)
            )
            if not recorded:
                skipped += 1
                continue
            created += 1
            if new_account:
                await _invite(email, name, series["title"], base_url, series["slug"], account_id)
                invited += 1
    return AlumniImportResult(created=created, invited=invited, skipped=skipped)
