"""Every bad input named in the contract gets its status and the error shape, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import Api, World, package_body, provider_body


def assert_error(response, status: int, field: str | None = None, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if field is not None:
        assert field in error["fields"], error
    if code is not None:
        assert error["code"] == code


async def test_malformed_json_is_400(world: World) -> None:
    for path in ["/api/auth/login", "/api/packages", "/api/providers", "/api/areas"]:
        response = await world.broker.raw("POST", path, content=b'{"postcode": ', headers={"content-type": "application/json"})
        assert_error(response, 400, code="malformed_json")


@pytest.mark.parametrize("change, field", [
    ({"postcode": "not a postcode"}, "postcode"),
    ({"postcode": "SG1"}, "postcode"),
    ({"postcode": 12345}, "postcode"),
    ({"postcode": None}, "postcode"),
    ({"urgency": "purple"}, "urgency"),
    ({"service_type": "gardening"}, "service_type"),
    ({"client_group": "cats"}, "client_group"),
    ({"hours_per_week": 0}, "hours_per_week"),
    ({"hours_per_week": -3}, "hours_per_week"),
    ({"hours_per_week": 168.5}, "hours_per_week"),
    ({"hours_per_week": "ten"}, "hours_per_week"),
    ({"hours_per_week": True}, "hours_per_week"),
    ({"start_date": "23/11/2026"}, "start_date"),
    ({"start_date": "2026-13-01"}, "start_date"),
    ({"visits": "mornings"}, "visits"),
    ({"visits": []}, "visits"),
    ({"visits": [{"days": ["funday"], "band": "morning", "minutes": 30, "carers": 1}]}, "visits[0].days"),
    ({"visits": [{"days": ["mon"], "band": "elevenses", "minutes": 30, "carers": 1}]}, "visits[0].band"),
    ({"visits": [{"days": ["mon"], "band": "morning", "minutes": 30, "carers": 3}]}, "visits[0].carers"),
    ({"visits": [{"days": ["mon"], "band": "morning", "minutes": 5, "carers": 1}]}, "visits[0].minutes"),
    ({"specialisms": ["juggling"]}, "specialisms"),
    ({"specialisms": "dementia"}, "specialisms"),
])
async def test_bad_package_fields_are_422_naming_the_field(world: World, change: dict, field: str) -> None:
    response = await world.broker.raw("POST", "/api/packages", json=package_body(**change))
    assert_error(response, 422, field)


async def test_unknown_but_well_formed_postcode_says_unknown(world: World) -> None:
    response = await world.broker.raw("POST", "/api/packages", json=package_body(postcode="ZZ9 9ZZ"))
    assert_error(response, 422, "postcode")
    assert "unknown" in response.json()["error"]["fields"]["postcode"]
    malformed = await world.broker.raw("POST", "/api/packages", json=package_body(postcode="12345"))
    assert "unknown" not in malformed.json()["error"]["fields"]["postcode"]


async def test_an_empty_list_is_named_in_words(world: World) -> None:
    """The pages show these messages as written: not pydantic's 'List should have at least 1 item'."""
    response = await world.broker.raw("POST", "/api/packages", json=package_body(
        visits=[{"days": [], "band": "morning", "minutes": 30, "carers": 1}]))
    assert_error(response, 422, "visits[0].days")
    assert response.json()["error"]["fields"]["visits[0].days"] == "must include at least one"


async def test_non_object_bodies_are_422(world: World) -> None:
    for body in [[], "text", 3, None]:
        response = await world.broker.raw("POST", "/api/packages", json=body)
        assert response.status_code in (400, 422), (body, response.text)
        assert "error" in response.json()


@pytest.mark.parametrize("change, field", [
    ({"cqc_rating": "superb"}, "cqc_rating"),
    ({"specialisms": ["juggling"]}, "specialisms"),
    ({"client_groups": []}, "client_groups"),
    ({"service_types": ["gardening"]}, "service_types"),
    ({"coverage": [{"kind": "districts", "codes": ["ZZ99"]}]}, "coverage"),
    ({"coverage": [{"kind": "radius", "postcode": "ZZ9 9ZZ", "km": 8}]}, "coverage"),
    ({"coverage": [{"kind": "radius", "postcode": "SG1 1AA", "km": -1}]}, "coverage"),
    ({"coverage": [{"kind": "polygon", "geojson": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}}]}, "coverage"),
    ({"coverage": [{"kind": "teleport"}]}, "coverage"),
    ({"coverage": "SG1"}, "coverage"),
    ({"tiers": {"Atlantis": "primary"}}, "tiers"),
    ({"tiers": {"Stevenage": "gold"}}, "tiers"),
    ({"email": "not-an-email"}, "email"),
    ({"phone": "01438 123456"}, "phone"),
])
async def test_bad_provider_fields_are_422(world: World, change: dict, field: str) -> None:
    response = await world.broker.raw("POST", "/api/providers", json=provider_body("Bad Ltd", **change))
    assert_error(response, 422, field)


async def test_bad_patch_and_unknown_provider(world: World) -> None:
    alpha = world.providers["Alpha Care"]["id"]
    assert_error(await world.broker.raw("PATCH", f"/api/providers/{alpha}", json={"status": "asleep"}), 422, "status")
    assert_error(await world.broker.raw("PATCH", f"/api/providers/{alpha}", json={"id": "prv_other"}), 422, "id")
    assert_error(await world.broker.raw("PATCH", "/api/providers/prv_missing", json={"status": "active"}), 404)
    assert_error(await world.broker.raw("GET", "/api/providers/prv_missing"), 404)


async def test_bad_areas(world: World) -> None:
    assert_error(await world.broker.raw("POST", "/api/areas", json={"name": "X", "districts": ["QQ1"]}), 422, "districts")
    assert_error(await world.broker.raw("POST", "/api/areas", json={"name": "X", "districts": []}), 422, "districts")
    assert_error(await world.broker.raw("POST", "/api/areas", json={"districts": ["SG5"]}), 422, "name")
    assert_error(await world.broker.raw("POST", "/api/areas", json={"name": "Y", "districts": ["SG1"]}), 422, "districts")
    assert_error(await world.broker.raw("POST", "/api/areas", json={"name": "Stevenage", "districts": ["SG5"]}), 409)


async def test_unknown_things_are_404(world: World) -> None:
    for method, path in [
        ("GET", "/api/packages/pkg_missing"), ("GET", "/api/packages/pkg_missing/history"),
        ("GET", "/api/packages/pkg_missing/offers"), ("POST", "/api/packages/pkg_missing/withdraw"),
        ("POST", "/api/packages/pkg_missing/award"), ("GET", "/api/nothing-here"),
    ]:
        response = await world.broker.raw(method, path, json={"reason": "x", "offer_id": "off_x"})
        assert_error(response, 404)
    assert_error(await world.admin.raw("POST", "/api/users/usr_missing/unlock"), 404)


async def test_login_bad_bodies(world: World) -> None:
    anon = Api(world.service.url())
    assert_error(await anon.raw("POST", "/api/auth/login", json={"email": "a@b.test"}), 422, "password")
    assert_error(await anon.raw("POST", "/api/auth/login", json={"email": 5, "password": "x"}), 422, "email")
    assert_error(await anon.raw("POST", "/api/auth/login", content=b"\xff\xfe", headers={"content-type": "application/json"}), 400)
    await anon.aclose()


async def test_wrong_method_is_405_in_the_error_shape(world: World) -> None:
    assert_error(await world.broker.raw("PUT", "/api/packages"), 405)


async def test_award_bad_body(world: World) -> None:
    package = await world.post()
    assert_error(await world.broker.raw("POST", f"/api/packages/{package['id']}/award", json={}), 422, "offer_id")
    assert_error(await world.broker.raw("POST", f"/api/packages/{package['id']}/award", json={"offer_id": "off_nope"}), 422, "offer_id")
    assert_error(await world.broker.raw("POST", f"/api/packages/{package['id']}/withdraw", json={}), 422, "reason")
