"""District labels on the back office's maps stay legible on a phone: no two labels shown
overlap (one that would is hidden at that zoom), and every district is still written out as
text beside the map for keyboard and screen-reader users."""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.pages.conftest import Browsing, axe_violations, no_horizontal_scroll, shoot
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD

# Stevenage, Hitchin, Letchworth, Royston and round: small districts side by side.
DISTRICTS = [f"SG{n}" for n in range(1, 20)]

# Pairs of labels shown on the map whose boxes overlap, and how many labels are hidden.
LABELS = """() => {
  const boxes = [...document.querySelectorAll('.app-map-label')]
    .filter((l) => getComputedStyle(l).visibility !== 'hidden')
    .map((l) => [l.textContent, l.getBoundingClientRect()]);
  const clash = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, p] = boxes[i], [b, q] = boxes[j];
    if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom) clash.push(a + '/' + b);
  }
  return { clash, shown: boxes.length, all: document.querySelectorAll('.app-map-label').length };
}"""


async def settled(page, count: int) -> dict:  # type: ignore[no-untyped-def]
    """The labels once every district is drawn and the map has stopped zooming."""
    await page.wait_for_function("(n) => document.querySelectorAll('.app-map-label').length === n", arg=count)
    await page.wait_for_load_state("networkidle")
    await page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")
    return await page.evaluate(LABELS)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("width", [375, 1280])
async def test_district_labels_never_overlap_and_are_written_out(world: World, browsing: Browsing, width: int) -> None:
    await world.add_provider("Wide Care", coverage=[{"kind": "districts", "codes": DISTRICTS}])
    provider_id = world.providers["Wide Care"]["id"]
    admin = await browsing.signed_in(ADMIN_EMAIL, ADMIN_PASSWORD, width=width)
    await admin.goto(f"/admin/providers/{provider_id}")
    labels = await settled(admin, len(DISTRICTS))
    assert labels["clash"] == [], f"labels overlap at {width} px: {labels['clash']}"
    if width == 375:
        assert labels["shown"] < labels["all"]  # on a phone some had to give way
    assert " ".join((await admin.locator("#coverage-words").inner_text()).split()) == "Districts " + ", ".join(DISTRICTS)
    assert await no_horizontal_scroll(admin) and await axe_violations(admin) == []
    await shoot(admin, f"admin-provider-map-labels-{width}")

    # Zooming in makes room: labels come back, still without overlapping.
    await admin.locator("#map").scroll_into_view_if_needed()
    await admin.locator(".leaflet-control-zoom-in").click()
    await admin.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")
    zoomed = await admin.evaluate(LABELS)
    assert zoomed["clash"] == []

    # The area form's preview: the same on the map, and each district named in the note.
    await admin.goto("/admin/areas/new")
    await admin.get_by_label("Postcode districts").fill(" ".join(DISTRICTS))
    await admin.get_by_role("button", name="Show these districts on the map").click()
    await admin.get_by_text(f"{len(DISTRICTS)} districts shown.").wait_for()
    labels = await settled(admin, len(DISTRICTS))
    assert labels["clash"] == [], f"labels overlap at {width} px: {labels['clash']}"
    assert f"On the map: {', '.join(DISTRICTS)}." in await admin.locator("#map-note").inner_text()
    assert await no_horizontal_scroll(admin) and await axe_violations(admin) == []
    await shoot(admin, f"admin-area-map-labels-{width}")
