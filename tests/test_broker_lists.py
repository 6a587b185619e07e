"""Brokers' lists: every package of every status, searched by reference, postcode or
district, filtered, newest first and paged with a total; report ids come with names."""

from __future__ import annotations

from tests.conftest import World


async def test_search_by_reference_postcode_and_district_newest_first(world: World) -> None:
    first = await world.post(reference="HCC-1001", postcode="SG1 1AA")
    second = await world.post(reference="HCC-1002", postcode="SG2 7AA", urgency="green")
    third = await world.post(reference="NHC-2001", postcode="SG1 1AB")
    await world.broker("POST", f"/api/packages/{third['id']}/withdraw", {"reason": "duplicate"}, expect=200)

    every = await world.broker("GET", "/api/packages", expect=200)
    assert [p["id"] for p in every] == [third["id"], second["id"], first["id"]]  # newest first, every status
    assert every[0]["reference"] == "NHC-2001" and every[0]["postcode"]

    async def found(query: str) -> list[str]:
        page = await world.broker("GET", f"/api/packages?{query}", expect=200)
        return [p["id"] for p in (page["items"] if isinstance(page, dict) else page)]

    assert await found("q=hcc-100") == [second["id"], first["id"]]
    assert await found("q=HCC-1002") == [second["id"]]
    assert await found("q=sg11aa") == [first["id"]]  # case and spaces ignored
    assert await found("q=SG2") == [second["id"]]  # district
    assert await found("q=nhc&status=withdrawn") == [third["id"]]
    assert await found("q=nhc&status=live") == []
    assert await found("q=zz-none") == []
    assert await found("urgency=green&q=HCC") == [second["id"]]


async def test_paged_with_total(world: World) -> None:
    posted = [await world.post(reference=f"PAGE-{n}") for n in range(5)]
    newest_first = [p["id"] for p in reversed(posted)]
    page1 = await world.broker("GET", "/api/packages?page=1&per_page=2", expect=200)
    assert page1["total"] == 5 and page1["page"] == 1 and page1["per_page"] == 2
    assert [p["id"] for p in page1["items"]] == newest_first[:2]
    page3 = await world.broker("GET", "/api/packages?page=3&per_page=2&q=page", expect=200)
    assert [p["id"] for p in page3["items"]] == newest_first[4:] and page3["total"] == 5
    beyond = await world.broker("GET", "/api/packages?page=9&per_page=2", expect=200)
    assert beyond["items"] == [] and beyond["total"] == 5
    for bad in ("page=0", "per_page=abc", "per_page=100000", "from=yesterday"):
        response = await world.broker.raw("GET", f"/api/packages?{bad}")
        assert response.status_code == 422, bad
        assert response.json()["error"]["fields"]


async def test_provider_view_of_the_list_is_unchanged(world: World) -> None:
    package = await world.post(reference="HCC-7")
    listing = await world.users["Alpha Care"]("GET", "/api/packages?q=HCC-7&page=1", expect=200)
    assert isinstance(listing, list) and [p["id"] for p in listing] == [package["id"]]
    assert "postcode" not in listing[0] and "reference" not in listing[0]


async def test_filter_by_awarded_provider_and_posted_range(world: World) -> None:
    package = await world.post(reference="HCC-AW")
    other = await world.post(reference="HCC-NO")
    alpha = world.users["Alpha Care"]
    offer = await alpha("POST", f"/api/packages/{package['id']}/offers", {"hourly_rate": 22, "start_date": package["start_date"], "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{package['id']}/award", {"offer_id": offer["id"]}, expect=200)
    alpha_id = world.providers["Alpha Care"]["id"]
    page = await world.broker("GET", f"/api/packages?provider_id={alpha_id}&page=1", expect=200)
    assert [p["id"] for p in page["items"]] == [package["id"]]
    assert page["items"][0]["awarded_provider_name"] == "Alpha Care"
    assert (await world.broker("GET", "/api/packages?q=HCC-AW&status=awarded", expect=200))[0]["id"] == package["id"]
    everything = await world.broker("GET", "/api/packages?from=2000-01-01&to=2999-12-31", expect=200)
    assert {p["id"] for p in everything} == {package["id"], other["id"]}
    assert await world.broker("GET", "/api/packages?to=2000-01-01", expect=200) == []


async def test_summary_names_every_provider(world: World) -> None:
    package = await world.post()
    alpha = world.users["Alpha Care"]
    offer = await alpha("POST", f"/api/packages/{package['id']}/offers", {"hourly_rate": 22, "start_date": package["start_date"], "can_meet_needs": True}, expect=201)
    await world.broker("POST", f"/api/packages/{package['id']}/award", {"offer_id": offer["id"]}, expect=200)
    report = await world.broker("GET", "/api/reports/summary", expect=200)
    ids = {*report["provider_response_rate"], *report["awarded_hours_by_provider"]}
    assert ids and set(report["providers"]) == ids
    assert report["providers"][world.providers["Alpha Care"]["id"]] == "Alpha Care"
