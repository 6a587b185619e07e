"""The printable purchase order: server-rendered, so it prints and reads without JavaScript."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.pages.order_words import hours, hours_minutes, hours_note, line_words
from web.pages.render import guarded, page, page_user

UK = ZoneInfo("Europe/London")
DAY_NAMES = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}


async def purchase_order(request: Request) -> Response:
    user = await page_user(request, "broker", "provider")
    service = request.state.brokerage
    package_id = request.path_params["package_id"]
    package = await service.packages.find(package_id)
    allowed = package is not None and (user.is_broker or (
        user.provider_id is not None and package.awarded_provider_id == user.provider_id and package.status == "awarded"))
    versions = await service.purchase_orders.versions(package_id) if allowed else []
    if not versions:
        return page(request, "purchase_order.html", user, status=404, order=None, package_id=package_id)
    wanted = request.query_params.get("version")
    order = next((o for o in versions if str(o["version"]) == wanted), versions[-1])
    back = f"/broker/packages/{package_id}" if user.is_broker else f"/provider/packages/{package_id}"
    provider = await service.providers.snapshot()
    named = provider.providers.get(order["provider_id"])
    return page(request, "purchase_order.html", user, order=order, package=package, versions=versions, back=back,
                package_id=package_id, day_names=DAY_NAMES, uk_time=uk_time, long_date=long_date, provider_name=named.name if named else order["provider_id"],
                note=hours_note(order), line_words=line_words, hours=hours, hours_minutes=hours_minutes)


def uk_time(text: str) -> str:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UK)
    return moment.strftime("%-d %b %Y, %H:%M (UK time)")


def long_date(text: str | None) -> str:
    """'2026-11-25' as a person writes it on an order: '25 November 2026'."""
    return datetime.strptime(text[:10], "%Y-%m-%d").strftime("%-d %B %Y") if text else ""


routes = [Route("/purchase-orders/{package_id}", guarded(purchase_order), methods=["GET"])]
