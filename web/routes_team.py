"""What a provider's team has done about its packages (issue 14): the board reads it on
load and again whenever a teammate offers, withdraws or declines. Not in the contract's
list; an addition in its spirit. A provider only ever sees its own team's records."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints
from starlette.responses import Response

from matcher import TEAM_STATES, Query
from web import api
from web.api import PROVIDER, Call
from web.http import brokerage, ok, reader
from web.outputs import Out
from web.team import team_states

OPEN = ("live", "awaiting_award")


class TeamQuery(Query):
    package_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | Literal[""] = ""


class TeamStateOut(Out):
    package_id: str
    state: Literal[TEAM_STATES]  # type: ignore[valid-type]
    by: str | None = Field(description="the team member (a user of this provider) who offered or declined")
    by_name: str | None = Field(description='"You" or that team member\'s name')
    hourly_rate: float | None = Field(description="this provider's own offer")
    at: str | None
    text: str = Field(description='in words, e.g. "Sam offered £22.00 – waiting for the council"')
    tag: str


async def responses(call: Call) -> Response:
    service = brokerage(call.request)
    user = call.me
    if call.query.package_id:
        ids = [call.query.package_id]
    else:
        listed = await service.packages.list(reader(user), status=None, urgency=None, area=None, limit=500)
        ids = [p["id"] for p in listed if p.get("status") in OPEN]
    states = await team_states(service, user, ids)
    return ok([states[i] for i in ids if i in states])


routes = [
    api.get("/api/team/responses", responses, "Your team's state for each open package (or for package_id)",
            auth=PROVIDER, query=TeamQuery, returns=list[TeamStateOut], tag="offers"),
]
