"""Acting on a package from its page: withdraw, extend the deadline, release the next tier
now, re-post a copy. Plain HTML forms (CSRF field), each calling the same domain operation
as the API; a refusal re-renders the page with the GOV.UK error summary."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from matcher import BrokerageError, NotFound, ReasonInput
from web.pages.render import example_date, guarded, page, page_user, redirect

UK = ZoneInfo("Europe/London")
ACTIONS = ("withdraw", "deadline", "release", "repost")


async def _form(request: Request) -> dict[str, str]:
    raw = (await request.body()).decode("utf-8", "replace")
    return {k: v[0].strip() for k, v in parse_qs(raw, keep_blank_values=True).items()}


def uk_time(text: str) -> str:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UK).strftime("%-d %B %Y at %H:%M")


def _deadline_from(form: dict[str, str]) -> tuple[float | None, dict[str, str]]:
    """The GOV.UK date input (day, month, year) and a time, in UK time, as an epoch."""
    errors: dict[str, str] = {}
    try:
        day, month, year = (int(form.get(f"deadline-{p}", "")) for p in ("day", "month", "year"))
    except ValueError:
        return None, {"deadline-day": f"Enter the new deadline as a real date, for example {example_date(1)}"}
    hour_min = form.get("deadline-time", "")
    try:
        # HH:MM, or HH:MM:SS when a few seconds matter
        parts = [int(x) for x in hour_min.split(":")] if ":" in hour_min else [int(hour_min), 0]
        if len(parts) not in (2, 3):
            raise ValueError(hour_min)
        moment = datetime(year, month, day, *parts, tzinfo=UK)
    except ValueError:
        errors["deadline-time" if hour_min else "deadline-day"] = "Enter a real date and a time like 17:30"
        return None, errors
    return moment.astimezone(timezone.utc).timestamp(), errors


async def act(request: Request) -> Response:
    user = await page_user(request, "broker")
    service = request.state.brokerage
    package_id, action = request.path_params["package_id"], request.path_params["action"]
    if action not in ACTIONS:
        return page(request, "not_found.html", user, status=404)
    form = await _form(request)
    errors: dict[str, str] = {}
    try:
        if action == "withdraw":
            try:
                reason = ReasonInput.model_validate({"reason": form.get("reason", "")}).reason
            except ValidationError:
                errors["withdraw-reason"] = ("Enter why the package is withdrawn" if not form.get("reason", "").strip()
                                             else "Enter a reason of at most 500 characters, on one line")
            else:
                await service.packages.withdraw(package_id, reason, user.id)
        elif action == "deadline":
            moment, errors = _deadline_from(form)
            if not form.get("reason"):
                errors["deadline-reason"] = "Enter why the deadline moves"
            if moment is not None and not errors:
                await service.deadlines.extend(package_id, moment, form["reason"], user.id)
        elif action == "release":
            await service.deadlines.release_next_tier(package_id, user.id)
        else:
            copy = await service.packages.repost(package_id, user.id)
            return redirect(f"/broker/packages/{copy.id}/posted")
    except NotFound:
        return page(request, "not_found.html", user, status=404)
    except BrokerageError as exc:
        fields = exc.fields or {}
        target = {"withdraw": "withdraw-reason", "deadline": "deadline-day", "release": "release", "repost": "repost"}[action]
        errors = {(f"deadline-reason" if k == "reason" and action == "deadline" else target): v for k, v in fields.items()} or {target: exc.message}
    if errors:
        from web.pages.broker import package_page

        return await package_page(request, user, package_id, errors=errors, form=form, status=422)
    return redirect(f"/broker/packages/{package_id}?done={action}")


routes = [Route("/broker/packages/{package_id}/actions/{action}", guarded(act), methods=["POST"])]
