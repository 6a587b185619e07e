"""A provider team's state for each package in words, for the person reading it: "You
offered £22.00 – waiting for the council", "Declined by Sam", "Not yet answered". The board,
the package page, the history page and `GET /api/team/responses` all say it the same way."""

from __future__ import annotations

from typing import Any

from accounts import User
from matcher import TeamBook, TeamState
from service import Brokerage

TAGS = {
    "unanswered": "govuk-tag--yellow", "offered": "govuk-tag--blue", "declined": "govuk-tag--grey",
    "awarded_to_you": "govuk-tag--green", "handed_back": "govuk-tag--purple", "awarded_elsewhere": "govuk-tag--grey",
    "withdrawn": "govuk-tag--grey", "closed": "govuk-tag--grey",
}
FIXED = {
    "unanswered": "Not yet answered", "awarded_to_you": "Awarded to you", "handed_back": "Awarded to you, then handed back",
    "awarded_elsewhere": "Awarded elsewhere", "withdrawn": "Withdrawn", "closed": "Closed",
}


def who(user_id: str | None, reader: User, names: dict[str, str]) -> str:
    if user_id and user_id == reader.id:
        return "You"
    return names.get(user_id or "", "Your team")


def words(state: TeamState, reader: User, names: dict[str, str]) -> str:
    if state.state == "offered":
        rate = f" £{state.hourly_rate:.2f}" if state.hourly_rate is not None else ""
        return f"{who(state.by, reader, names)} offered{rate} – waiting for the council"
    if state.state == "declined":
        return "Declined by " + ("you" if state.by == reader.id else names.get(state.by or "", "your team"))
    return FIXED.get(state.state, state.state)


def described(state: TeamState, reader: User, names: dict[str, str]) -> dict[str, Any]:
    """The state as the API and templates carry it: the record, its words and its tag colour."""
    return {**state.to_dict(), "by_name": who(state.by, reader, names) if state.by else None,
            "text": words(state, reader, names), "tag": TAGS.get(state.state, "govuk-tag--grey")}


async def team_names(brokerage: Brokerage, provider_id: str) -> dict[str, str]:
    return {u.id: u.display_name for u in await brokerage.accounts.users_of_provider(provider_id)}


def book(brokerage: Brokerage) -> TeamBook:
    return TeamBook(brokerage.redis, brokerage.packages)


async def team_states(brokerage: Brokerage, reader: User, package_ids: list[str]) -> dict[str, dict[str, Any]]:
    provider_id = reader.provider_id or ""
    states = await book(brokerage).states(provider_id, package_ids)
    names = await team_names(brokerage, provider_id) if any(s.by for s in states.values()) else {}
    return {pid: described(s, reader, names) for pid, s in states.items()}
