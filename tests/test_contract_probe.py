"""Contract conformance, line by line: status codes, error shapes and field names as
/work/shared/CONTRACT.md spells them, against the running web + worker."""

from __future__ import annotations

import asyncio
import datetime

import httpx

from tests.conftest import PASSWORD, World, package_body, provider_body, tomorrow


def error_of(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


async def test_accounts_statuses(world: World) -> None:
    base = world.service.url()
    async with httpx.AsyncClient(base_url=base) as http:
        wrong = await http.post("/api/auth/login", json={"email": "broker@council.test", "password": "not-the-password"})
        unknown = await http.post("/api/auth/login", json={"email": "nobody@council.test", "password": "not-the-password"})
        a, b = error_of(wrong, 401, "invalid_credentials"), error_of(unknown, 401, "invalid_credentials")
        assert a == b
        ok = await http.post("/api/auth/login", json={"email": "broker@council.test", "password": PASSWORD})
        assert ok.status_code == 200 and set(ok.json()) >= {"token", "user"}
        assert set(ok.json()["user"]) >= {"id", "email", "role", "provider_id"}
        for _ in range(5):
            error_of(await http.post("/api/auth/login", json={"email": "broker@council.test", "password": "nope-nope-nope"}), 401)
        error_of(await http.post("/api/auth/login", json={"email": "broker@council.test", "password": PASSWORD}), 423, "account_locked")
        broker_id = ok.json()["user"]["id"]
        assert (await world.admin.raw("POST", f"/api/users/{broker_id}/unlock")).status_code == 204
        token = (await http.post("/api/auth/login", json={"email": "broker@council.test", "password": PASSWORD})).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert (await http.post("/api/auth/logout", headers=headers)).status_code == 204
        error_of(await http.get("/api/me", headers=headers), 401)
        error_of(await http.get("/api/packages"), 401)
    short = await world.admin.raw("POST", "/api/users", json={"email": "x@y.test", "password": "short", "role": "broker"})
    assert "password" in error_of(short, 422)["fields"]
    no_provider = await world.admin.raw("POST", "/api/users", json={"email": "x@y.test", "password": PASSWORD, "role": "provider"})
    assert "provider_id" in error_of(no_provider, 422)["fields"]
    made = await world.admin.raw("POST", "/api/users", json={"email": "x@y.test", "password": PASSWORD, "role": "broker"})
    assert made.status_code == 201 and made.json()["id"]
    error_of(await world.broker.raw("POST", "/api/users", json={"email": "z@y.test", "password": PASSWORD, "role": "broker"}), 403)
    me = await world.users["Alpha Care"]("GET", "/api/me", expect=200)
    assert me["preferences"]["channels"] == {"red": ["ws", "sms", "email"], "amber": ["ws", "email"], "green": ["ws", "email"]}
    error_of(await world.broker.raw("POST", "/api/auth/login", content=b"{not json"), 400)


async def test_directory_statuses(world: World) -> None:
    bad = [
        ({"coverage": [{"kind": "radius", "postcode": "ZZ99 9ZZ", "km": 5}]}, "coverage"),
        ({"coverage": [{"kind": "districts", "codes": ["QQ1"]}]}, "coverage"),
        ({"coverage": [{"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}}]}, "coverage"),
        ({"cqc_rating": "brilliant"}, "cqc_rating"),
        ({"specialisms": ["juggling"]}, "specialisms"),
    ]
    for change, field in bad:
        response = await world.broker.raw("POST", "/api/providers", json=provider_body("Bad Care", **change))
        assert field in error_of(response, 422)["fields"], (change, response.text)
    area = await world.broker.raw("POST", "/api/areas", json={"name": "Hitchin", "districts": ["SG5"]})
    assert area.status_code == 201
    error_of(await world.users["Alpha Care"].raw("GET", "/api/providers"), 403)
    alpha_id = world.providers["Alpha Care"]["id"]
    patched = await world.broker("PATCH", f"/api/providers/{alpha_id}", {"status": "suspended"}, expect=200)
    assert patched["status"] == "suspended"
    posted = await world.post()
    assert posted["matched"] == 2


async def test_package_and_offer_statuses(world: World) -> None:
    for change in ({"postcode": "not a postcode"}, {"postcode": "ZZ9 9ZZ"}):
        assert "postcode" in error_of(await world.broker.raw("POST", "/api/packages", json=_package(**change)), 422)["fields"]
    assert "hours_per_week" in error_of(await world.broker.raw("POST", "/api/packages", json=_package(hours_per_week=0)), 422)["fields"]
    assert "hours_per_week" in error_of(await world.broker.raw("POST", "/api/packages", json=_package(hours_per_week=168.5)), 422)["fields"]
    await world.broker("POST", "/api/packages", _package(hours_per_week=168), expect=201)
    package = await world.post()
    assert {"id", "status", "deadline", "area", "district", "matched"} <= set(package) and package["status"] == "live"
    assert package["matched"] == 3 and package["area"] == "Stevenage" and package["district"] == "SG1"
    pid = package["id"]
    await world.add_provider("Hereford Care", coverage=[{"kind": "districts", "codes": ["HR1"]}], tiers={})
    hereford, alpha, beta = world.users["Hereford Care"], world.users["Alpha Care"], world.users["Beta Homecare"]
    error_of(await hereford.raw("GET", f"/api/packages/{pid}"), 404)
    error_of(await world.broker.raw("GET", "/api/packages/pkg_doesnotexist00000"), 404)
    view = await alpha("GET", f"/api/packages/{pid}", expect=200)
    assert "postcode" not in view and "summary" not in view and view["sector"] == "SG1 1"
    assert {"district", "distance_km", "matched_availability"} <= set(view)
    offer_body = {"hourly_rate": 25, "start_date": tomorrow(), "can_meet_needs": True}
    error_of(await hereford.raw("POST", f"/api/packages/{pid}/offers", json=offer_body), 404)
    for rate in (17.99, 32.01):
        assert "hourly_rate" in error_of(await alpha.raw("POST", f"/api/packages/{pid}/offers", json={**offer_body, "hourly_rate": rate}), 422)["fields"]
    made = await alpha.raw("POST", f"/api/packages/{pid}/offers", json=offer_body)
    assert made.status_code == 201 and made.json()["status"] == "submitted" and made.json()["id"]
    error_of(await alpha.raw("POST", f"/api/packages/{pid}/offers", json=offer_body), 409, "offer_exists")
    gone = await alpha("DELETE", f"/api/packages/{pid}/offers/{made.json()['id']}", expect=200)
    assert gone["status"] == "withdrawn"
    again = await alpha("POST", f"/api/packages/{pid}/offers", offer_body, expect=201)
    beta_offer = await beta("POST", f"/api/packages/{pid}/offers", {**offer_body, "hourly_rate": 30}, expect=201)
    declined = await world.users["Gamma Support"].raw("POST", f"/api/packages/{pid}/decline", json={"reason": "No staff"})
    assert declined.status_code == 200
    ranked = await world.broker("GET", f"/api/packages/{pid}/offers", expect=200)
    assert all({"score", "score_parts"} <= set(o) and set(o["score_parts"]) >= {"quality", "price"} for o in ranked)
    live = [o for o in ranked if o["status"] == "submitted"]
    assert [o["score"] for o in live] == sorted((o["score"] for o in live), reverse=True)
    mine = await alpha("GET", f"/api/packages/{pid}/offers", expect=200)
    assert {o["provider_id"] for o in mine} == {world.providers["Alpha Care"]["id"]}
    first, second = await asyncio.gather(
        world.broker.raw("POST", f"/api/packages/{pid}/award", json={"offer_id": again["id"]}),
        world.broker.raw("POST", f"/api/packages/{pid}/award", json={"offer_id": beta_offer["id"]}))
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    error_of(first if first.status_code == 409 else second, 409, "already_awarded")
    late = await world.broker.raw("POST", f"/api/packages/{pid}/award", json={"offer_id": again["id"]})
    error_of(late, 409, "already_awarded")
    error_of(await world.users["Gamma Support"].raw("POST", f"/api/packages/{pid}/offers", json=offer_body), 409, "package_not_live")
    history = await world.broker("GET", f"/api/packages/{pid}/history", expect=200)
    assert all({"at", "actor", "type", "data"} <= set(e) for e in history)
    error_of(await alpha.raw("GET", f"/api/packages/{pid}/history"), 403)
    other = await world.post()
    withdrawn = await world.broker("POST", f"/api/packages/{other['id']}/withdraw", {"reason": "Family care"}, expect=200)
    assert withdrawn["status"] == "withdrawn"


async def test_reports_and_operations(world: World) -> None:
    summary = await world.broker("GET", "/api/reports/summary", expect=200)
    assert {"posted", "awarded", "unplaced", "awarded_within_deadline_pct", "median_seconds_to_award", "offers_per_package",
            "unplaced_by_district", "provider_response_rate", "awarded_hours_by_provider", "providers"} <= set(summary)
    assert set(summary["median_seconds_to_award"]) == {"red", "amber", "green"}
    csv = await world.broker.raw("GET", "/api/reports/summary?format=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    async with httpx.AsyncClient(base_url=world.service.url()) as http:
        assert (await http.get("/healthz")).status_code == 200 and (await http.get("/readyz")).status_code == 200
        doc = (await http.get("/openapi.json")).json()
        assert doc["openapi"].startswith("3.1") and "webhooks" in doc
        assert (await http.get("/docs")).status_code == 200
        key = await http.get("/api/push/public-key")
        assert key.status_code == 200 and key.json()["key"]


def _package(**overrides):
    return package_body(**overrides)


async def test_second_round_statuses(world: World) -> None:
    alpha, beta, gamma = world.users["Alpha Care"], world.users["Beta Homecare"], world.users["Gamma Support"]
    package = await world.post(reference="HCC-PROBE-1")
    pid = package["id"]
    asked = await beta.raw("POST", f"/api/packages/{pid}/questions", json={"text": "Is there parking?"})
    assert asked.status_code == 201 and asked.json()["id"]
    qid = asked.json()["id"]
    error_of(await world.broker.raw("POST", f"/api/packages/{pid}/questions", json={"text": "x"}), 403)
    answered = await world.broker.raw("POST", f"/api/packages/{pid}/questions/{qid}/answer", json={"text": "Yes", "publish": True})
    assert answered.status_code == 200
    seen = await alpha("GET", f"/api/packages/{pid}/questions", expect=200)
    assert [q["text"] for q in seen] == ["Is there parking?"] and "provider_id" not in seen[0] and "asked_by" not in seen[0]
    more = await gamma.raw("POST", f"/api/packages/{pid}/more-time", json={"reason": "Staff rota on Friday"})
    assert more.status_code == 201
    later = f"{datetime.date.today() + datetime.timedelta(days=2)}T12:00:00Z"  # after the amber window
    moved = await world.broker.raw("POST", f"/api/packages/{pid}/deadline", json={"deadline": later, "reason": "Asked"})
    assert moved.status_code == 200 and moved.json()["deadline"] == later, moved.text
    error_of(await world.broker.raw("POST", f"/api/packages/{pid}/deadline", json={"deadline": "2020-01-01T09:00:00Z", "reason": "x"}), 422)
    listed = await world.broker("GET", "/api/packages?q=hcc-probe-1&page=1&per_page=5", expect=200)
    assert listed["total"] == 1 and [p["id"] for p in listed["items"]] == [pid]
    offer = await alpha("POST", f"/api/packages/{pid}/offers", {"hourly_rate": 24, "start_date": tomorrow(), "can_meet_needs": True}, expect=201)
    error_of(await alpha.raw("GET", f"/api/packages/{pid}/purchase-order"), 404)
    await world.broker("POST", f"/api/packages/{pid}/award", {"offer_id": offer["id"]}, expect=200)
    order = await alpha("GET", f"/api/packages/{pid}/purchase-order", expect=200)
    assert {"number", "package_id", "provider_id", "hourly_rate", "weekly_hours", "weekly_cost", "lines", "version", "issued_at"} <= set(order)
    assert {"days", "band", "minutes", "carers", "visits_per_week", "cost_per_visit", "weekly_cost"} <= set(order["lines"][0])
    error_of(await beta.raw("GET", f"/api/packages/{pid}/purchase-order"), 404)
    full = await alpha("GET", f"/api/packages/{pid}", expect=200)
    assert full["postcode"] == "SG1 1AA" and "summary" in full
    mine = await alpha("GET", "/api/packages", expect=200)
    assert pid in [p["id"] for p in mine]
    assert pid not in [p["id"] for p in await beta("GET", "/api/packages", expect=200)]
    variation = await world.broker.raw("POST", f"/api/packages/{pid}/variations",
                                       json={"reason": "More", "hours_per_week": 12, "effective_from": "2030-01-06"})
    assert variation.status_code == 201 and variation.json()["status"] == "proposed"
    decided = await alpha.raw("POST", f"/api/packages/{pid}/variations/{variation.json()['id']}/accept")
    assert decided.status_code == 200
    assert (await alpha("GET", f"/api/packages/{pid}/purchase-order", expect=200))["version"] == 2
    back = await alpha.raw("POST", f"/api/packages/{pid}/hand-back", json={"reason": "Lost staff"})
    assert back.status_code == 201 and set(back.json()) >= {"new_package_id"}
    successor = await beta("GET", f"/api/packages/{back.json()['new_package_id']}", expect=200)
    assert successor["status"] == "live" and [h["reason"] for h in successor["previous_hand_backs"]] == ["Lost staff"]
    assert (await world.broker("GET", f"/api/packages/{pid}", expect=200))["status"] == "handed_back"
    slot = await alpha.raw("POST", "/api/availability", json={"districts": ["SG1"], "days": ["mon"], "bands": ["morning"], "carers": 1,
                                                              "valid_until": tomorrow()})
    assert slot.status_code == 201 and slot.json()["id"]
    assert [s["id"] for s in await alpha("GET", "/api/availability", expect=200)] == [slot.json()["id"]]
    assert (await alpha.raw("DELETE", f"/api/availability/{slot.json()['id']}")).status_code == 204
    notes = await world.broker.raw("GET", f"/api/notifications?package_id={pid}")
    assert notes.status_code == 200 and isinstance(notes.json(), list)
    hook = await world.admin.raw("POST", "/api/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["package.posted"]})
    assert hook.status_code == 201 and {"id", "secret"} <= set(hook.json())
    assert (await world.admin("GET", f"/api/webhooks/{hook.json()['id']}/deliveries", expect=200)) == []
    assert (await world.admin.raw("DELETE", f"/api/webhooks/{hook.json()['id']}")).status_code == 204
    error_of(await world.broker.raw("GET", "/api/webhooks"), 403)
    sub = await alpha.raw("POST", "/api/me/push-subscriptions", json={
        "endpoint": "https://push.example.test/abc", "keys": {
            "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
            "auth": "tBHItJI5svbpez7KI4CCXg"}})
    assert sub.status_code == 201 and sub.json()["id"], sub.text
    assert (await alpha.raw("DELETE", f"/api/me/push-subscriptions/{sub.json()['id']}")).status_code == 204
