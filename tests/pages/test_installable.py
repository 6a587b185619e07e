"""The installed app with no network: the service worker opens the last board it loaded,
with its packages and the offline banner."""

from __future__ import annotations

from tests.conftest import World
from tests.pages.conftest import CONNECTED, Browsing, shoot
from tests.support import PASSWORD

ALPHA = "staff.2@alpha-care.test"


async def test_last_known_board_opens_offline_with_a_banner(world: World, browsing: Browsing) -> None:
    package = await world.post(urgency="amber")  # red windows are 3 s in tests
    board = await browsing.signed_in(ALPHA, PASSWORD, width=375)
    await board.locator(f'#board > li[data-package-id="{package["id"]}"]').wait_for()
    await board.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    await board.reload()  # now controlled by the worker, which keeps this load
    await board.get_by_text(CONNECTED).wait_for()
    await board.locator("#board[data-loaded]").wait_for(state="attached")  # its requests are answered before the network goes
    assert await board.evaluate("() => navigator.serviceWorker.controller !== null")
    await board.context.set_offline(True)
    await board.reload()
    await board.locator(f'#board > li[data-package-id="{package["id"]}"]').wait_for()
    await board.get_by_text("Connection lost – reconnecting").wait_for(timeout=10_000)
    await shoot(board, "provider-board-offline-cached-375")
    await board.context.set_offline(False)
