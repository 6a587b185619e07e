"""What a hostile or unlucky receiver, admin or operator does to the webhooks, and what must
still hold: nothing crashes, nothing leaks, nothing is sent where it should not be."""

from __future__ import annotations

import redis.asyncio as aredis

from tests.conftest import World
from tests.waits import eventually
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_webhooks import register


async def lanes_of(redis_url: str, endpoint_id: str) -> list[str]:
    r = aredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        lanes = await r.keys(f"hb:webhook-lane:{endpoint_id}:*")
        members = [m for m in await r.smembers("hb:webhook-lanes") if m.startswith(endpoint_id + "|")]
        return lanes + members
    finally:
        await r.aclose()


async def test_deleting_an_endpoint_stops_its_lane_mid_way(world: World) -> None:
    """A lane already being sent when the admin deletes its endpoint sends nothing after the
    delivery in flight: the runner must not keep posting to a receiver the admin removed."""
    receiver = await Receiver(delay_s=1.0).start()
    try:
        created = await register(world, receiver, ["package.posted", "package.matched", "package.withdrawn"])
        package = await world.post()
        await world.broker("POST", f"/api/packages/{package['id']}/withdraw", {"reason": "Family arranged care"}, expect=200)

        async def in_flight() -> bool:
            return receiver.in_flight > 0

        await eventually(in_flight, "the first delivery in flight")
        await world.admin("DELETE", f"/api/webhooks/{created['id']}", expect=204)
        sent_before_delete = len(receiver.received)

        async def lane_gone() -> bool:
            return receiver.in_flight == 0 and not await lanes_of(world.service.redis_url, created["id"])

        await eventually(lane_gone, "the deleted endpoint's lane dropped", timeout=60)
        assert len(receiver.received) == sent_before_delete, [r.body["type"] for r in receiver.received]
    finally:
        await receiver.stop()


async def test_addresses_that_can_never_be_sent_to_or_read_falsely_are_refused(world: World) -> None:
    """A port that is not a port was accepted and then failed forever; a right-to-left
    override or zero-width space made the address on the admin page lie about where the
    signed deliveries go."""
    for url in ("https://x.test:abc/", "http://127.0.0.1:99999/", "https://x.test:0/", "https://x.test/\u202egnp.exe",
                "https://x\u200b.test/", "https://x.test/a b", "https://x.test/a\u00a0b"):
        refused = await world.admin("POST", "/api/webhooks", {"url": url, "events": ["package.posted"]}, expect=422)
        assert list(refused["error"]["fields"]) == ["url"], (url, refused)
    # Still fine: an explicit port, an international domain name, a query string.
    for url in ("https://x.test:8443/hooks", "https://exämple.test/hooks", "https://x.test/hooks?system=mosaic"):
        await world.admin("POST", "/api/webhooks", {"url": url, "events": ["package.posted"]}, expect=201)


async def test_the_page_does_not_send_again_to_a_deleted_endpoint(world: World) -> None:
    """The page's "Send again" checked only that the delivery named the endpoint: after the
    endpoint was deleted it still flipped the delivery back to pending (stranded: no lane
    runs for it) and wrote a webhook.resent audit entry."""
    import httpx

    from tests.webhooks.test_webhooks import one_delivered

    receiver = await Receiver().start()
    try:
        created, delivery = await one_delivered(world, receiver)
        await world.admin("DELETE", f"/api/webhooks/{created['id']}", expect=204)
        csrf = "a" * 43
        async with httpx.AsyncClient(base_url=world.service.url(), cookies={"session": world.admin.token or "", "csrf": csrf}) as http:
            answer = await http.post(f"/admin/webhooks/{created['id']}/deliveries/{delivery['id']}/resend", data={"csrf_token": csrf})
        assert answer.status_code == 303 and answer.headers["location"] == "/admin/webhooks"
        r = aredis.Redis.from_url(world.service.redis_url, decode_responses=True)
        try:
            assert await r.hget(f"hb:webhook-delivery:{delivery['id']}", "status") == "delivered"
        finally:
            await r.aclose()
        audit = await world.admin("GET", "/api/audit?action=webhook.resent", expect=200)
        assert audit["total"] == 0
    finally:
        await receiver.stop()
