"""Bulk posting by CSV (all rows or none), re-posting a closed package, and why a package
reached nobody."""

from __future__ import annotations

import asyncio
import csv
import io
import time

import httpx
import redis

from config import keys
from tests.conftest import World, tomorrow


def csv_text(rows: list[dict]) -> str:
    from matcher import bulk

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=bulk.COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def row(n: int, **change: str) -> dict:
    base = {"reference": f"BULK-{n:03d}", "postcode": "SG1 1AA", "urgency": "green", "service_type": "homecare",
            "client_group": "older_people", "hours_per_week": "7", "start_date": tomorrow(), "days": "mon thu",
            "band": "morning", "minutes": "30", "carers": "1", "time_critical": "no", "specialisms": "",
            "shareable_summary": "", "summary": ""}
    return {**base, **change}


async def upload(world: World, text: str):
    return await world.broker.raw("POST", "/api/packages/import", content=text.encode(), headers={"Content-Type": "text/csv"})


async def test_bad_rows_post_nothing_then_fixed_file_posts_all(world: World) -> None:
    rows = [row(n) for n in range(1, 31)]
    rows[4] = row(5, postcode="ZZ9 9ZZ")
    rows[19] = row(20, band="brunch", hours_per_week="200")
    response = await upload(world, csv_text(rows))
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"rows[5].postcode", "rows[20].band", "rows[20].hours_per_week"}
    assert "2 of 30 rows" in response.json()["error"]["message"]
    assert await world.broker("GET", "/api/packages", expect=200) == []  # nothing posted
    with redis.Redis.from_url(world.service.redis_url, decode_responses=True) as r:
        assert r.zcard(keys.IMPORTS_POSTING) == 0 and not r.keys(keys.package_import("*"))  # no import was even begun

    rows[4], rows[19] = row(5), row(20)
    report = (await upload(world, csv_text(rows)))
    assert report.status_code == 201, report.text
    body = report.json()
    assert body["posted"] == 30 and [p["reference"] for p in body["packages"]] == [f"BULK-{n:03d}" for n in range(1, 31)]
    assert (body["status"], body["total"], [p["row"] for p in body["packages"]]) == ("done", 30, list(range(1, 31)))
    assert await world.broker("GET", f"/api/packages/imports/{body['import_id']}", expect=200) == body
    with redis.Redis.from_url(world.service.redis_url, decode_responses=True) as r:
        assert r.hget(keys.package_import(body["import_id"]), "bodies") is None  # the rows' details live in the packages only
        assert r.zcard(keys.IMPORTS_POSTING) == 0
    assert all(p["matched"] >= 1 for p in body["packages"])
    listed = await world.broker("GET", "/api/packages?q=BULK-&page=1&per_page=100", expect=200)
    assert listed["total"] == 30
    # Every posted package was matched and announced, as one posted through the form is.
    history = await world.broker("GET", f"/api/packages/{body['packages'][0]['id']}/history", expect=200)
    assert [e["type"] for e in history][:2] == ["package.posted", "package.matched"]


async def test_template_and_file_errors(world: World) -> None:
    template = await world.broker.raw("GET", "/api/packages/import/template.csv")
    assert template.status_code == 200 and template.text.startswith("reference,postcode,urgency")
    for text in ["", "just,a,header\r\n", "\xff"]:
        response = await upload(world, text)
        assert response.status_code == 422 and "file" in response.json()["error"]["fields"], text
    provider = await world.users["Alpha Care"].raw("POST", "/api/packages/import", content=b"x")
    assert provider.status_code == 403


async def test_repost_a_withdrawn_package(world: World) -> None:
    package = await world.post(reference="HCC-RE")
    live = await world.broker.raw("POST", f"/api/packages/{package['id']}/repost")
    assert live.status_code == 409
    await world.broker("POST", f"/api/packages/{package['id']}/withdraw", {"reason": "wrong start"}, expect=200)
    copy = await world.broker("POST", f"/api/packages/{package['id']}/repost", expect=201)
    assert copy["id"] != package["id"] and copy["status"] == "live" and copy["reference"] == "HCC-RE"
    assert copy["previous_package_id"] == package["id"] and copy["matched"] == package["matched"]


async def test_match_report_names_the_rules_that_excluded(world: World) -> None:
    nobody = await world.post(postcode="SG6 1AA", specialisms=["bariatric"])
    assert nobody["matched"] == 0
    report = await world.broker("GET", f"/api/packages/{nobody['id']}/match-report", expect=200)
    assert report["providers"] == 3 and report["matched"] == 0
    assert report["excluded"]["coverage"] == 3 and sum(report["excluded"].values()) == 3
    assert report["suggestions"][0]["rule"] == "coverage"
    some = await world.post(specialisms=["dementia"], service_type="reablement")
    report = await world.broker("GET", f"/api/packages/{some['id']}/match-report", expect=200)
    assert report["excluded"]["service_type"] == 3


async def test_an_import_cut_off_by_a_crash_resumes_without_posting_a_row_twice(own_world: World) -> None:
    """The web process is SIGKILLed while it posts the rows; resuming posts the rest, once each."""
    world = own_world
    total = 600
    text = csv_text([row(n, reference=f"CRASH-{n:04d}") for n in range(1, total + 1)])
    upload_task = asyncio.create_task(upload(world, text))
    r = redis.Redis.from_url(world.service.redis_url, decode_responses=True)
    try:
        deadline = time.monotonic() + 120
        while True:  # wait until some rows are posted, not all
            ids = r.zrange(keys.IMPORTS_POSTING, 0, -1)
            done = r.hlen(keys.package_import_rows(ids[0])) if ids else 0
            if 0 < done < total:
                break
            assert time.monotonic() < deadline and not upload_task.done(), "the import never got under way"
            await asyncio.sleep(0.005)
        world.service.kill_web(0)
        import_id = ids[0]
        cut_at = r.hlen(keys.package_import_rows(import_id))
        assert cut_at < total
        try:
            await upload_task
        except httpx.HTTPError:
            pass  # the answer died with the process
        world.service.restart_ws_process(0)
        report = await world.broker("GET", f"/api/packages/imports/{import_id}", expect=200)
        assert report["status"] == "posting" and report["posted"] == cut_at
        # The dead process's lease lapses (or the worker's sweep takes the import first): then it finishes.
        deadline = time.monotonic() + 60
        while report["status"] != "done":
            answer = await world.broker.raw("POST", f"/api/packages/imports/{import_id}/resume")
            assert answer.status_code in (200, 409), answer.text
            report = answer.json() if answer.status_code == 200 else await world.broker("GET", f"/api/packages/imports/{import_id}", expect=200)
            assert time.monotonic() < deadline, f"not resumed: {report['posted']} of {total}"
            if report["status"] != "done":
                await asyncio.sleep(0.5)
        assert report["posted"] == total and [p["row"] for p in report["packages"]] == list(range(1, total + 1))
        listed = await world.broker("GET", "/api/packages?q=CRASH-&page=1&per_page=100", expect=200)
        assert listed["total"] == total  # every row once: none lost, none twice
        posted = [e for _, e in r.xrange(keys.EVENTS) if e.get("type") == "package.posted"]
        assert len(posted) == total
        # Resuming a finished import is harmless.
        again = await world.broker("POST", f"/api/packages/imports/{import_id}/resume", expect=200)
        assert again["posted"] == total
    finally:
        r.close()
