"""Questions before award and requests for more time: who hears what, and that no payload to
a provider names the asker or carries the package's postcode or reference."""

from __future__ import annotations

import json

import redis
import websockets

from config import keys
from core import iso, parse_iso
from tests.conftest import World
from tests.test_realtime import collect
from web.outputs import TimeRequestOut


def stream(world: World, package_id: str) -> list[dict]:
    """The package's events as stored, with the audience the hub delivers to."""
    with redis.Redis.from_url(world.service.redis_url, decode_responses=True) as r:
        return [{"id": i, **raw, "data": json.loads(raw["data"])} for i, raw in r.xrange(keys.package_history(package_id))]


def no_private(text: str) -> None:
    for private in ("SG1 1AA", "SG11AA", "HCC-0001", "Mrs Testcase", "Example Road"):
        assert private not in text


async def test_published_answer_reaches_every_matched_provider_never_naming_the_asker(world: World) -> None:
    await world.add_provider("Hereford Care", coverage=[{"kind": "districts", "codes": ["HR1"]}], tiers={})
    package = await world.post()
    pid = package["id"]
    matched = ["Alpha Care", "Beta Homecare", "Gamma Support"]
    asker, asker_id = world.users["Beta Homecare"], world.providers["Beta Homecare"]["id"]
    sockets = {name: await websockets.connect(f"{world.service.ws_url()}?token={world.users[name].token}")
               for name in [*matched, "Hereford Care"]}
    broker_ws = await websockets.connect(f"{world.service.ws_url()}?token={world.broker.token}")
    try:
        asked = await asker("POST", f"/api/packages/{pid}/questions", {"text": "Is a hoist in place for the double-up?"}, expect=201)
        told = await collect(broker_ws, until="question.asked")
        assert told[-1]["data"] == {"package_id": pid, "question_id": asked["id"], "provider_id": asker_id,
                                    "text": "Is a hoist in place for the double-up?"}
        await world.users["Hereford Care"]("POST", f"/api/packages/{pid}/questions", {"text": "?"}, expect=404)
        # The broker slipping the postcode into an answer for everyone is refused.
        refused = await world.broker("POST", f"/api/packages/{pid}/questions/{asked['id']}/answer",
                                     {"text": "Yes, at SG1 1AA", "publish": True}, expect=422)
        assert "postcode" in refused["error"]["fields"]["text"]
        await world.broker("POST", f"/api/packages/{pid}/questions/{asked['id']}/answer",
                           {"text": "Yes, a ceiling hoist is fitted.", "publish": True}, expect=200)
        for name in matched:
            got = await collect(sockets[name], until="question.answered")
            assert got[-1]["type"] == "question.answered", name
            data = got[-1]["data"]
            assert data == {"package_id": pid, "question_id": asked["id"], "question": "Is a hoist in place for the double-up?",
                            "answer": "Yes, a ceiling hoist is fitted.", "published": True}
            no_private(json.dumps(got))
            assert asker_id not in json.dumps(got[-1])
            listed = await world.users[name]("GET", f"/api/packages/{pid}/questions", expect=200)
            assert [(q["text"], q["answer"], q["mine"]) for q in listed] == [
                ("Is a hoist in place for the double-up?", "Yes, a ceiling hoist is fitted.", name == "Beta Homecare")]
            assert all("provider_id" not in q and "asked_by" not in q for q in listed)
    finally:
        for ws in [*sockets.values(), broker_ws]:
            await ws.close()
    # Absence from the event log: the unmatched provider was never in any audience.
    hereford_id = world.providers["Hereford Care"]["id"]
    answered = [e for e in stream(world, pid) if e["type"] == "question.answered"]
    assert len(answered) == 1
    assert sorted(answered[0]["audience"].split(",")) == sorted(world.providers[n]["id"] for n in matched)
    assert hereford_id not in json.dumps(stream(world, pid))
    await world.users["Hereford Care"]("GET", f"/api/packages/{pid}/questions", expect=404)
    history = await world.broker("GET", f"/api/packages/{pid}/history", expect=200)
    assert [e["type"] for e in history if e["type"].startswith("question.")] == ["question.asked", "question.answered"]


async def test_private_answer_reaches_only_the_asker(world: World) -> None:
    package = await world.post()
    pid = package["id"]
    alpha, beta = world.users["Alpha Care"], world.users["Beta Homecare"]
    mine = await alpha("POST", f"/api/packages/{pid}/questions", {"text": "Can the lunch call move to 12:30?"}, expect=201)
    theirs = await beta("POST", f"/api/packages/{pid}/questions", {"text": "Any pets?"}, expect=201)
    async with websockets.connect(f"{world.service.ws_url()}?token={alpha.token}") as alpha_ws:
        await world.broker("POST", f"/api/packages/{pid}/questions/{mine['id']}/answer", {"text": "Yes, 12:30 is fine.", "publish": False}, expect=200)
        got = await collect(alpha_ws, until="question.answered")
    assert got[-1]["data"]["answer"] == "Yes, 12:30 is fine." and got[-1]["data"]["published"] is False
    answered = [e for e in stream(world, pid) if e["type"] == "question.answered"]
    assert [e["audience"] for e in answered] == [world.providers["Alpha Care"]["id"]]
    assert [q["id"] for q in await alpha("GET", f"/api/packages/{pid}/questions", expect=200)] == [mine["id"]]
    beta_sees = await beta("GET", f"/api/packages/{pid}/questions", expect=200)
    assert [(q["id"], q["answer"]) for q in beta_sees] == [(theirs["id"], None)]
    broker_sees = await world.broker("GET", f"/api/packages/{pid}/questions", expect=200)
    assert {q["id"]: q["provider_id"] for q in broker_sees} == {mine["id"]: world.providers["Alpha Care"]["id"],
                                                                  theirs["id"]: world.providers["Beta Homecare"]["id"]}
    await world.broker("POST", f"/api/packages/{pid}/questions/{mine['id']}/answer", {"text": "again"}, expect=409)
    await alpha("POST", f"/api/packages/{pid}/questions", {"text": ""}, expect=422)


async def test_more_time_requested_then_refused_with_a_reason(world: World) -> None:
    package = await world.post()
    pid = package["id"]
    alpha = world.users["Alpha Care"]
    asked = await alpha("POST", f"/api/packages/{pid}/more-time", {"reason": "Our coordinator is back on Monday"}, expect=201)
    assert asked["status"] == "requested"
    listed = await world.broker("GET", f"/api/packages/{pid}/more-time", expect=200)
    assert [a["reason"] for a in listed] == ["Our coordinator is back on Monday"]
    async with websockets.connect(f"{world.service.ws_url()}?token={alpha.token}") as ws:
        await world.broker("POST", f"/api/packages/{pid}/more-time/{asked['id']}/refuse", {"reason": "The hospital needs a start this week"}, expect=200)
        got = await collect(ws, until="deadline.extension_refused")
    assert got[-1]["data"]["reason"] == "The hospital needs a start this week"
    await world.broker("POST", f"/api/packages/{pid}/more-time/{asked['id']}/refuse", {"reason": "again"}, expect=409)
    types = [e["type"] for e in await world.broker("GET", f"/api/packages/{pid}/history", expect=200)]
    assert "deadline.extension_requested" in types and "deadline.extension_refused" in types
    assert await world.users["Beta Homecare"]("GET", f"/api/packages/{pid}/more-time", expect=200) == []


async def test_extending_the_deadline_grants_the_waiting_requests(world: World) -> None:
    package = await world.post()
    pid = package["id"]
    alpha, beta = world.users["Alpha Care"], world.users["Beta Homecare"]
    waiting = await alpha("POST", f"/api/packages/{pid}/more-time", {"reason": "Our coordinator is back on Monday"}, expect=201)
    refused = await beta("POST", f"/api/packages/{pid}/more-time", {"reason": "Need to check staff"}, expect=201)
    await world.broker("POST", f"/api/packages/{pid}/more-time/{refused['id']}/refuse", {"reason": "The hospital needs a start"}, expect=200)
    new = iso(parse_iso(package["deadline"]) + 3600)
    await world.broker("POST", f"/api/packages/{pid}/deadline", {"deadline": new, "reason": "Two providers asked"}, expect=200)
    mine = await alpha("GET", f"/api/packages/{pid}/more-time", expect=200)
    assert [(a["id"], a["status"], a["granted_deadline"], a["decision_reason"]) for a in mine] == [
        (waiting["id"], "granted", new, "Two providers asked")]
    theirs = await beta("GET", f"/api/packages/{pid}/more-time", expect=200)
    assert [(a["id"], a["status"], a["decision_reason"]) for a in theirs] == [(refused["id"], "refused", "The hospital needs a start")]
    broker_sees = await world.broker("GET", f"/api/packages/{pid}/more-time", expect=200)
    assert {a["id"]: a["status"] for a in broker_sees} == {waiting["id"]: "granted", refused["id"]: "refused"}
    [TimeRequestOut.model_validate(a) for a in broker_sees]
    # Decided is decided: a granted request cannot be refused afterwards.
    await world.broker("POST", f"/api/packages/{pid}/more-time/{waiting['id']}/refuse", {"reason": "changed mind"}, expect=409)
    # A request made after the extension waits for the next decision.
    later = await alpha("POST", f"/api/packages/{pid}/more-time", {"reason": "Still short"}, expect=201)
    statuses = {a["id"]: a["status"] for a in await alpha("GET", f"/api/packages/{pid}/more-time", expect=200)}
    assert statuses == {waiting["id"]: "granted", later["id"]: "requested"}
