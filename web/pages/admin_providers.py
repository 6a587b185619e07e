"""Back office: the framework's providers. A list with search, filters and paging; a
provider's page (coverage on the map, tiers, team logins, status with reason); create and
edit every field, coverage by districts, radius or a polygon drawn on the map or uploaded."""

from __future__ import annotations

import json
import re
from typing import Any

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import User
from matcher import (CLIENT_GROUPS, SERVICE_TYPES, SPECIALISMS, BrokerageError, Invalid, Provider, ProviderInput, ProviderPatch, Range,
                     Reports, TrackRecord)
from web import audit
from web.pages.admin_forms import UK_PHONE_HINT, Form, districts_of, read_form, sentence, typed, uk_phone, when, words_for
from web.pages.labels import options, words
from web.pages.render import TEMPLATES, guarded, page, page_number, page_user, redirect

TEMPLATES.env.filters.setdefault("words", words)
TEMPLATES.env.filters.setdefault("when", when)

PER_PAGE = 20
TRACK_RECORD = 20  # latest matches shown on a provider's page
RESPONSE_DAYS = 90  # the response rate's window, as the broker reports compute it
OUTCOMES = {  # outcome -> (words, GOV.UK tag colour)
    "awarded": ("Awarded", "govuk-tag--green"), "handed_back": ("Awarded, handed back", "govuk-tag--orange"),
    "offered": ("Offered, awaiting decision", "govuk-tag--blue"), "not_chosen": ("Offered, awarded to another", "govuk-tag--grey"),
    "closed": ("Offered, package closed", "govuk-tag--grey"), "offer_withdrawn": ("Offer withdrawn", "govuk-tag--grey"),
    "declined": ("Declined", "govuk-tag--yellow"), "waiting": ("No answer yet", "govuk-tag--blue"),
    "no_response": ("No response", "govuk-tag--red"),
}
STATUSES = [("active", "Active: matched to packages"), ("pending_visit", "Pending a monitoring visit: never matched until it passes"),
            ("suspended", "Suspended: gets no new packages")]
RATINGS = [("outstanding", "Outstanding"), ("good", "Good"), ("requires_improvement", "Requires improvement"), ("inadequate", "Inadequate")]
TIERS = [("primary", "Primary"), ("secondary", "Secondary"), ("reserve", "Reserve")]
PLAIN = {
    "name": "Enter the provider's name",
    "email": "Enter an email address in the correct format, like name@example.com",
    "cqc_rating": "Select the CQC rating",
    "client_groups": "Select at least one client group",
    "service_types": "Select at least one service",
    "status": "Select the framework status",
    "coverage": "Give at least one kind of coverage: districts, a radius around a postcode, or an area on the map",
}


async def providers_list(request: Request) -> Response:
    user = await page_user(request, "admin")
    service = request.state.brokerage
    q = request.query_params
    wanted = {k: (q.get(k) or "").strip() for k in ("q", "status", "tier", "area", "specialism", "cqc_rating")}
    everyone = sorted(await service.providers.list(), key=lambda p: p.name.lower())
    kept = [p for p in everyone if _keeps(p, wanted)]
    page_n = page_number(q.get("page"))
    pages = max(1, -(-len(kept) // PER_PAGE))
    page_n = min(page_n, pages)
    shown = kept[(page_n - 1) * PER_PAGE: page_n * PER_PAGE]
    query = urlencode({k: v for k, v in wanted.items() if v})
    return page(request, "admin_providers.html", user, providers=shown, total=len(kept), wanted=wanted, page_n=page_n, pages=pages,
                query=query, statuses=STATUSES, ratings=RATINGS, tiers=TIERS, specialisms=options(SPECIALISMS),
                areas=[a.name for a in await service.areas.list()], words=words)


def _keeps(p: Provider, wanted: dict[str, str]) -> bool:
    if wanted["q"] and wanted["q"].lower() not in p.name.lower():
        return False
    if wanted["status"] and p.status != wanted["status"]:
        return False
    if wanted["cqc_rating"] and p.cqc_rating != wanted["cqc_rating"]:
        return False
    if wanted["specialism"] and wanted["specialism"] not in p.specialisms:
        return False
    if wanted["area"] and wanted["area"] not in p.tiers:
        return False
    if wanted["tier"] and wanted["tier"] not in (p.tiers.get(wanted["area"]) if wanted["area"] else " ".join(p.tiers.values())):
        return False
    return True


async def provider_page(request: Request) -> Response:
    user = await page_user(request, "admin")
    service = request.state.brokerage
    provider = await service.providers.get(request.path_params["provider_id"])
    return page(request, "admin_provider.html", user, **await _provider_context(request, provider),
                saved=request.query_params.get("saved"), errors={})


async def _provider_context(request: Request, provider: Provider) -> dict[str, Any]:
    """What the provider's page shows: its team, its recent changes, and its track record
    (latest matches with offers and outcomes, and the broker reports' response rate)."""
    service = request.state.brokerage
    team = await service.accounts.list(provider_id=provider.id)
    history, _ = await service.audit.list(_for(provider.id), limit=10)
    dealings = await TrackRecord(service.redis).recent(provider.id, TRACK_RECORD)
    figures = await Reports(service.redis).response_figures(provider.id, Range.last_days(RESPONSE_DAYS))
    return {"provider": provider, "team": team, "history": history, "statuses": STATUSES, "words": words,
            "coverage_json": json.dumps(provider.coverage), "dealings": dealings, "outcomes": OUTCOMES,
            "response_rate": figures["response_rate"], "response": figures, "response_days": RESPONSE_DAYS}


def _for(target_id: str) -> Any:
    from core import AuditFilter

    return AuditFilter(target_id=target_id)


async def provider_new(request: Request) -> Response:
    user = await page_user(request, "admin")
    return await _form(request, user, None, {}, {})


async def provider_edit(request: Request) -> Response:
    user = await page_user(request, "admin")
    provider = await request.state.brokerage.providers.get(request.path_params["provider_id"])
    return await _form(request, user, provider, _values_of(provider), {})


async def _form(request: Request, user: User, provider: Provider | None, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Response:
    areas = await request.state.brokerage.areas.list()
    return page(request, "admin_provider_form.html", user, status=status, provider=provider, v=values, errors=errors,
                statuses=STATUSES, ratings=RATINGS, tiers=TIERS, areas=areas, specialisms=options(SPECIALISMS),
                client_groups=options(CLIENT_GROUPS), service_types=options(SERVICE_TYPES), phone_hint=UK_PHONE_HINT)


def _values_of(p: Provider) -> dict[str, Any]:
    values: dict[str, Any] = {"name": p.name, "email": p.email, "phone": p.phone or "", "cqc_rating": p.cqc_rating,
                              "specialisms": p.specialisms, "client_groups": p.client_groups, "service_types": p.service_types,
                              "status": p.status, "tiers": p.tiers, "districts": "", "radius_postcode": "", "radius_km": "", "polygon": ""}
    for entry in p.coverage:
        if entry["kind"] == "districts":
            values["districts"] = " ".join(entry["codes"])
        elif entry["kind"] == "radius":
            values["radius_postcode"], values["radius_km"] = entry["postcode"], str(entry["km"])
        elif entry["kind"] == "polygon":
            values["polygon"] = json.dumps(entry["geojson"])
    return values


def _values_from(form: Form, areas: list[Any]) -> dict[str, Any]:
    return {
        "name": form.one("name"), "email": form.one("email"), "phone": form.one("phone"), "cqc_rating": form.one("cqc_rating"),
        "specialisms": form.many("specialisms"), "client_groups": form.many("client_groups"), "service_types": form.many("service_types"),
        "status": form.one("status"), "reason": form.one("reason"),
        "tiers": {a.name: form.one(f"tier-{a.id}") for a in areas if form.one(f"tier-{a.id}")},
        "districts": form.one("districts"), "radius_postcode": form.one("radius_postcode"), "radius_km": form.one("radius_km"),
        "polygon": form.one("polygon"),
    }


def _body(values: dict[str, Any], errors: dict[str, str]) -> tuple[dict[str, Any], dict[int, str]]:
    """The API's body from the form's values, and which form field each coverage entry came from."""
    coverage: list[dict[str, Any]] = []
    origin: dict[int, str] = {}
    if values["districts"]:
        origin[len(coverage)] = "districts"
        coverage.append({"kind": "districts", "codes": districts_of(values["districts"])})
    if values["radius_postcode"] or values["radius_km"]:
        if not values["radius_postcode"]:
            errors["radius_postcode"] = "Enter the postcode at the centre of the radius"
        km = _number(values["radius_km"])
        if km is None:
            errors["radius_km"] = "Enter the radius in kilometres, like 8 or 12.5"
        origin[len(coverage)] = "radius_postcode"
        coverage.append({"kind": "radius", "postcode": values["radius_postcode"], "km": km})
    if values["polygon"]:
        try:
            shape = json.loads(values["polygon"])
        except ValueError:
            errors["polygon"] = "The area on the map is not GeoJSON: upload a .geojson file with one Polygon, or draw the area again"
            shape = None
        if isinstance(shape, dict) and shape.get("type") == "Feature":
            shape = shape.get("geometry")
        if isinstance(shape, dict) and shape.get("type") == "FeatureCollection":
            features = shape.get("features") or [{}]
            shape = features[0].get("geometry") if isinstance(features[0], dict) else None
        origin[len(coverage)] = "polygon"
        coverage.append({"kind": "polygon", "geojson": shape})
    if not coverage:
        errors["districts"] = PLAIN["coverage"]
    body: dict[str, Any] = {
        "name": values["name"], "email": values["email"], "cqc_rating": values["cqc_rating"] or None,
        "specialisms": values["specialisms"], "client_groups": values["client_groups"], "service_types": values["service_types"],
        "coverage": coverage, "tiers": values["tiers"], "status": values["status"] or None,
    }
    if values["phone"]:
        phone = uk_phone(values["phone"])
        if phone is None:
            errors["phone"] = UK_PHONE_HINT
        body["phone"] = phone
    if values.get("reason"):
        body["reason"] = values["reason"]
    return body, origin


def _number(text: str) -> float | None:
    return float(text) if re.fullmatch(r"\d+(\.\d+)?", text or "") else None


def _domain_errors(exc: Invalid, origin: dict[int, str]) -> dict[str, str]:
    fields = dict(exc.fields or {})
    out: dict[str, str] = {}
    if "coverage" in fields:
        problem = fields.pop("coverage")
        # "coverage[1] ..." from the store, "[1].radius.km: ..." from the typed input
        found = re.match(r"(?:coverage)?\[(\d+)\]", problem)
        where = origin.get(int(found.group(1)), "districts") if found else "districts"
        message = sentence(problem)
        if where == "polygon":
            message = "The area on the map cannot be used: " + message[:1].lower() + message[1:]
        out[where] = message
    if "tiers" in fields:
        out["tiers"] = sentence(fields.pop("tiers"))
    out.update(words_for(fields, PLAIN))
    return out


async def provider_save(request: Request) -> Response:
    user = await page_user(request, "admin")
    service = request.state.brokerage
    provider_id = request.path_params.get("provider_id")
    before = await service.providers.get(provider_id) if provider_id else None
    areas = await service.areas.list()
    values = _values_from(await read_form(request), areas)
    errors: dict[str, str] = {}
    if not values["status"]:
        errors["status"] = PLAIN["status"]
    elif before is not None and values["status"] != before.status and not values["reason"]:
        errors["reason"] = "Enter why the framework status is changing"
    body, origin = _body(values, errors)
    if errors:
        # Every problem at once: the domain's checks too, without saving.
        try:
            shape = ProviderInput if before is None else ProviderPatch
            await service.providers.check(typed(shape, {k: v for k, v in body.items() if k != "phone"}))
        except Invalid as exc:
            errors = {**_domain_errors(exc, origin), **errors}
            # The fields that are well-formed still get the store's checks (real districts,
            # a polygon that does not cross itself, known areas), so all is shown at once.
            sound = {k: v for k, v in body.items() if k in ("coverage", "tiers") and k not in (exc.fields or {})}
            try:
                await service.providers.check(typed(ProviderPatch, sound))
            except Invalid as more:
                errors = {**_domain_errors(more, origin), **errors}
    if not errors:
        try:
            note = audit.note(user, values["reason"])
            if before is None:
                saved = await service.providers.create(typed(ProviderInput, body), note=note)
            else:
                _, saved = await service.providers.update(before.id, typed(ProviderPatch, body), note=note)
        except Invalid as exc:
            errors = _domain_errors(exc, origin)
        else:
            return redirect(f"/admin/providers/{saved.id}?saved=1")
    return await _form(request, user, before, values, _ordered(errors), status=422)


def _ordered(errors: dict[str, str]) -> dict[str, str]:
    order = ["name", "email", "phone", "cqc_rating", "service_types", "client_groups", "specialisms", "districts",
             "radius_postcode", "radius_km", "polygon", "tiers", "status", "reason"]
    return {k: errors[k] for k in sorted(errors, key=lambda k: order.index(k) if k in order else 99)}


async def status_change(request: Request) -> Response:
    """The status form on a provider's page: a status and the reason, always."""
    user = await page_user(request, "admin")
    service = request.state.brokerage
    before = await service.providers.get(request.path_params["provider_id"])
    form = await read_form(request)
    status, reason = form.one("status"), form.one("reason")
    errors: dict[str, str] = {}
    if status not in dict(STATUSES):
        errors["status"] = PLAIN["status"]
    if not reason:
        errors["reason"] = "Enter why the framework status is changing"
    if errors:
        return page(request, "admin_provider.html", user, status=422, **await _provider_context(request, before), errors=errors, saved=None)
    try:
        _, after = await service.providers.update(before.id, typed(ProviderPatch, {"status": status}), note=audit.note(user, reason))
    except BrokerageError as exc:  # the provider vanished meanwhile
        return redirect(f"/admin/providers?error={exc.code}")
    return redirect(f"/admin/providers/{after.id}?saved=status")


routes = [
    Route("/admin/providers", guarded(providers_list), methods=["GET"]),
    Route("/admin/providers/new", guarded(provider_new), methods=["GET"]),
    Route("/admin/providers/new", guarded(provider_save), methods=["POST"]),
    Route("/admin/providers/{provider_id}", guarded(provider_page), methods=["GET"]),
    Route("/admin/providers/{provider_id}/edit", guarded(provider_edit), methods=["GET"]),
    Route("/admin/providers/{provider_id}/edit", guarded(provider_save), methods=["POST"]),
    Route("/admin/providers/{provider_id}/status", guarded(status_change), methods=["POST"]),
]
