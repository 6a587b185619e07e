"""The board is honest about its connection: with the network gone (Chromium's network
emulation) or the server silent (its process stopped: no close ever arrives), it says
"Connection lost – reconnecting" within 10 s; when the network is back it resumes with
`after` and says how many packages arrived meanwhile, and shows them."""

from __future__ import annotations

import os
import signal
import time

from tests.conftest import World
from tests.pages.conftest import CONNECTED, Browsing, shoot
from tests.support import PASSWORD

ALPHA = "staff.2@alpha-care.test"
LOST = "Connection lost – reconnecting"


async def test_offline_banner_within_10s_and_catch_up_after(world: World, browsing: Browsing) -> None:
    board = await browsing.signed_in(ALPHA, PASSWORD, width=375)
    status = board.locator("#live-status")
    await board.get_by_text(CONNECTED).wait_for()

    await board.context.set_offline(True)
    started = time.monotonic()
    await board.get_by_text(LOST).wait_for(timeout=10_000)
    print(f"offline_banner_s={time.monotonic() - started:.2f}")
    assert await status.get_attribute("data-state") == "offline"
    await shoot(board, "provider-board-offline-375")

    missed = [await world.post(urgency="red"), await world.post(urgency="green")]
    await board.context.set_offline(False)
    try:
        await board.get_by_text("Back online.").wait_for(timeout=15_000)
    finally:
        print("STATUS:", await status.inner_text())
    await board.get_by_text("Back online. 2 new packages arrived while the connection was lost.").wait_for(timeout=15_000)
    for package in missed:
        await board.locator(f'#board > li[data-package-id="{package["id"]}"]').wait_for(timeout=5_000)
    assert await status.get_attribute("data-state") == "live"


async def test_a_silent_server_is_noticed_by_the_missing_heartbeat(world: World, browsing: Browsing) -> None:
    board = await browsing.signed_in(ALPHA, PASSWORD, width=1280)
    await board.get_by_text(CONNECTED).wait_for()
    web = world.service.web_procs[0]
    web.send_signal(signal.SIGSTOP)  # the socket stays open and says nothing, as on a dead mobile link
    try:
        started = time.monotonic()
        await board.get_by_text(LOST).wait_for(timeout=10_000)
        print(f"silent_server_banner_s={time.monotonic() - started:.2f}")
    finally:
        os.kill(web.pid, signal.SIGCONT)
    await board.get_by_text("Back online. No new packages arrived while the connection was lost.").wait_for(timeout=40_000)
