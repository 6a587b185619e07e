"""Packages: posting, eligibility, redaction, listing, withdrawal, hand-back."""

from __future__ import annotations

import json

from tests.conftest import World, package_body


async def test_post_matches_every_eligible_provider(world: World) -> None:
    created = await world.post()
    assert created["status"] == "live"
    assert created["area"] == "Stevenage" and created["district"] == "SG1"
    assert created["matched"] == 3
    assert created["deadline"].endswith("Z")
    listing = await world.users["Beta Homecare"]("GET", "/api/packages", expect=200)
    assert [p["id"] for p in listing] == [created["id"]]


async def test_each_eligibility_rule_excludes_exactly_its_provider(world: World) -> None:
    await world.add_provider("Suspended Ltd", specialisms=["dementia", "stroke"])
    suspended_id = world.providers["Suspended Ltd"]["id"]
    await world.broker("PATCH", f"/api/providers/{suspended_id}", {"status": "suspended"}, expect=200)
    await world.add_provider("Inadequate Ltd", cqc_rating="inadequate", specialisms=["dementia", "stroke"])
    await world.add_provider("Far Away Ltd", coverage=[{"kind": "districts", "codes": ["HR1"]}], specialisms=["dementia", "stroke"])
    await world.add_provider("No Stroke Ltd", specialisms=["dementia"])
    await world.add_provider("Wrong Group Ltd", client_groups=["learning_disability"], specialisms=["dementia", "stroke"])
    await world.add_provider("Live In Only Ltd", service_types=["live_in"], specialisms=["dementia", "stroke"])
    await world.add_provider("Right Ltd", specialisms=["dementia", "stroke"], client_groups=["older_people", "mental_health"])
    created = await world.post(specialisms=["stroke"])
    assert created["matched"] == 1
    for name, user in world.users.items():
        listing = await user("GET", "/api/packages", expect=200)
        expected = [created["id"]] if name == "Right Ltd" else []
        assert [p["id"] for p in listing] == expected, name
        status = (await user.raw("GET", f"/api/packages/{created['id']}")).status_code
        assert status == (200 if name == "Right Ltd" else 404), name


async def test_suspended_then_reactivated_provider_matches_again(world: World) -> None:
    alpha = world.providers["Alpha Care"]["id"]
    await world.broker("PATCH", f"/api/providers/{alpha}", {"status": "suspended"}, expect=200)
    first = await world.post()
    assert first["matched"] == 2
    await world.broker("PATCH", f"/api/providers/{alpha}", {"status": "active"}, expect=200)
    second = await world.post()
    assert second["matched"] == 3


async def test_provider_view_is_redacted(world: World) -> None:
    created = await world.post(shareable_summary="Needs help with mobility in the mornings")
    view = await world.users["Alpha Care"]("GET", f"/api/packages/{created['id']}", expect=200)
    text = json.dumps(view)
    assert "SG1 1AA" not in text and "postcode" not in view
    assert "Testcase" not in text and "Example Road" not in text and "HCC-0001" not in text
    assert view["district"] == "SG1" and view["sector"] == "SG1 1"
    assert view["shareable_summary"] == "Needs help with mobility in the mornings"
    assert isinstance(view["distance_km"], float)
    assert view["matched_availability"] is False
    full = await world.broker("GET", f"/api/packages/{created['id']}", expect=200)
    assert full["postcode"] == "SG1 1AA" and "Testcase" in full["summary"]


async def test_winner_sees_full_package_others_do_not(world: World) -> None:
    created = await world.post()
    alpha, beta = world.users["Alpha Care"], world.users["Beta Homecare"]
    offer = await alpha("POST", f"/api/packages/{created['id']}/offers", {"hourly_rate": 24.5, "start_date": created["start_date"], "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{created['id']}/award", {"offer_id": offer["id"]}, expect=200)
    full = await alpha("GET", f"/api/packages/{created['id']}", expect=200)
    assert full["postcode"] == "SG1 1AA" and "Testcase" in full["summary"]
    other = await beta("GET", f"/api/packages/{created['id']}", expect=200)
    assert "postcode" not in other and other["status"] == "awarded"
    # a provider's list keeps what it won and drops what closed
    assert [p["id"] for p in await alpha("GET", "/api/packages", expect=200)] == [created["id"]]
    assert await beta("GET", "/api/packages", expect=200) == []


async def test_broker_list_filters(world: World) -> None:
    red = await world.post(urgency="green")
    amber = await world.post(urgency="amber", postcode="SG2 7AA")
    assert {p["id"] for p in await world.broker("GET", "/api/packages", expect=200)} == {red["id"], amber["id"]}
    assert [p["id"] for p in await world.broker("GET", "/api/packages?urgency=green", expect=200)] == [red["id"]]
    assert [p["id"] for p in await world.broker("GET", "/api/packages?status=live&urgency=amber", expect=200)] == [amber["id"]]
    assert await world.broker("GET", "/api/packages?area=North%20Herts", expect=200) == []
    bad = await world.broker.raw("GET", "/api/packages?status=sleeping")
    assert bad.status_code == 422 and "status" in bad.json()["error"]["fields"]


async def test_withdraw_closes_for_everyone(world: World) -> None:
    created = await world.post()
    await world.broker("POST", f"/api/packages/{created['id']}/withdraw", {"reason": "family arranged care"}, expect=200)
    after = await world.broker("GET", f"/api/packages/{created['id']}", expect=200)
    assert after["status"] == "withdrawn"
    again = await world.broker.raw("POST", f"/api/packages/{created['id']}/withdraw", json={"reason": "again"})
    assert again.status_code == 409
    late = await world.users["Alpha Care"].raw("POST", f"/api/packages/{created['id']}/offers", json={"hourly_rate": 22, "start_date": created["start_date"], "can_meet_needs": True})
    assert late.status_code == 409 and late.json()["error"]["code"] == "package_not_live"
    assert await world.users["Alpha Care"]("GET", "/api/packages", expect=200) == []


async def test_hand_back_carries_the_reason_to_the_next_providers(world: World) -> None:
    created = await world.post()
    alpha = world.users["Alpha Care"]
    offer = await alpha("POST", f"/api/packages/{created['id']}/offers", {"hourly_rate": 23, "start_date": created["start_date"], "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{created['id']}/award", {"offer_id": offer["id"]}, expect=200)
    not_winner = await world.users["Beta Homecare"].raw("POST", f"/api/packages/{created['id']}/hand-back", json={"reason": "x"})
    assert not_winner.status_code in (403, 404)
    result = await alpha("POST", f"/api/packages/{created['id']}/hand-back", {"reason": "lost two carers on that round"}, expect=201)
    new_id = result["new_package_id"]
    old = await world.broker("GET", f"/api/packages/{created['id']}", expect=200)
    assert old["status"] == "handed_back"
    fresh = await world.users["Beta Homecare"]("GET", f"/api/packages/{new_id}", expect=200)
    assert fresh["status"] == "live"
    assert [h["reason"] for h in fresh["previous_hand_backs"]] == ["lost two carers on that round"]
    # the provider that handed it back is not asked again
    assert (await alpha.raw("GET", f"/api/packages/{new_id}")).status_code == 404
    history = await world.broker("GET", f"/api/packages/{created['id']}/history", expect=200)
    # Notification receipts may land after it; the lifecycle ends with the hand-back.
    lifecycle = [e["type"] for e in history if not e["type"].startswith("notification.")]
    assert lifecycle[-1] == "package.handed_back"
    handed = next(e for e in history if e["type"] == "package.handed_back")
    assert handed["data"]["new_package_id"] == new_id and handed["data"]["reason"] == "lost two carers on that round"


async def test_history_is_the_audit_trail_oldest_first(world: World) -> None:
    created = await world.post()
    alpha = world.users["Alpha Care"]
    offer = await alpha("POST", f"/api/packages/{created['id']}/offers", {"hourly_rate": 25, "start_date": created["start_date"], "can_meet_needs": True}, expect=201)
    await world.users["Beta Homecare"]("POST", f"/api/packages/{created['id']}/decline", {"reason": "no capacity"}, expect=200)
    await world.broker("POST", f"/api/packages/{created['id']}/award", {"offer_id": offer["id"]}, expect=200)
    history = await world.broker("GET", f"/api/packages/{created['id']}/history", expect=200)
    types = [e["type"] for e in history]
    assert types[0] == "package.posted"
    assert types.count("package.matched") == 3
    assert types.index("offer.submitted") < types.index("package.declined") < types.index("package.awarded")
    assert "offer.accepted" in types and "package.closed" in types
    assert all({"at", "actor", "type", "data"} <= set(e) for e in history)
    assert history[0]["actor"] == world.broker.user["id"]
    assert [e["at"] for e in history] == sorted(e["at"] for e in history)
    assert (await alpha.raw("GET", f"/api/packages/{created['id']}/history")).status_code == 403


async def test_package_outside_every_area_still_matches_by_coverage(world: World) -> None:
    await world.add_provider("Hereford Care", coverage=[{"kind": "districts", "codes": ["HR1"]}], tiers={})
    created = await world.post(postcode="HR1 2AA")
    assert created["area"] is None and created["district"] == "HR1"
    assert created["matched"] == 1


async def test_postcode_is_normalised(world: World) -> None:
    created = await world.post(postcode=" sg11aa ")
    full = await world.broker("GET", f"/api/packages/{created['id']}", expect=200)
    assert full["postcode"] == "SG1 1AA"
    assert package_body()["postcode"] == "SG1 1AA"
