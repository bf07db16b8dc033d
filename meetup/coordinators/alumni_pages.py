"""The alumni of a programme, every cohort (`/series/{slug}/alumni`): for members only, and
only the people whose profile the viewer may see (visibility is the profiles' rule,
service.profiles_of); an alumnus without a visible profile is counted, never named."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from meetup.accounts.auth import login_required
from meetup.coordinators import service
from meetup.events import alumni, series


class AlumniDirectoryPages(Controller):
    include_in_schema = False

    @get("/series/{slug:str}/alumni", guards=[login_required])
    async def alumni_page(self, request: Request, slug: FromPath[str]) -> Template:
        row = await series.series_row(slug)
        records = await alumni.alumni_list(row["id"])
        shown = await service.profiles_of([r["account"] for r in records], request.user)
        cohorts: dict[int, list] = {}
        for record in records:
            if (profile := shown.get(record["account"])) is not None:
                cohorts.setdefault(record["year"], []).append(profile)
        return Template(
            "coordinators/alumni.html",
            context={
                "series": row,
                "cohorts": sorted(cohorts.items(), reverse=True),
                "total": len(records),
                "hidden": len(records) - sum(len(people) for people in cohorts.values()),
            },
        )
