"""Round fit's vectorised paths (a board; a package across providers) agree with the
one-at-a-time fit, including ties, on seeded random rounds over real postcodes."""

from __future__ import annotations

import random

import geo
from matcher.model import BANDS, DAYS
from matcher.round_atlas import fit_across
from matcher.rounds import RoundIndex, day_mask, fit, fit_many
from tests.support import GEO_CACHE

INDEX = geo.PostcodeIndex.load(GEO_CACHE)


def random_stops(rng: random.Random, places: list[geo.Place], count: int) -> list[tuple[str, float, float, int, int]]:
    stops = []
    for _ in range(count):
        place = rng.choice(places)
        stops.append((rng.choice(BANDS), place.easting, place.northing, day_mask(rng.sample(DAYS, rng.randint(1, 7))), rng.randint(0, 1)))
    return stops


def test_vectorised_fits_agree_with_the_scalar_fit() -> None:
    rng = random.Random(17)
    places = [INDEX.place_at(i) for i in list(INDEX.district_rows("SG1"))[:60]]  # few places: many exact ties
    indexes = {f"p{n}": RoundIndex.build(random_stops(rng, places, rng.randint(0, 12))) for n in range(60)}
    wanted = []
    for _ in range(80):
        centre = INDEX.sector_centroid(rng.choice(places).sector)
        needs = {band: day_mask(rng.sample(DAYS, rng.randint(1, 3))) for band in rng.sample(BANDS, rng.randint(1, 3))}
        wanted.append((centre, {b: needs[b] for b in BANDS if b in needs}))
    found = 0
    for ix in indexes.values():
        scalar = [fit(ix, c, needs, 25.0) for c, needs in wanted]
        assert fit_many(ix, wanted, 25.0) == scalar
        found += sum(1 for f in scalar if f)
    for centre, needs in wanted:
        assert fit_across(indexes, centre, needs, 25.0) == {pid: fit(ix, centre, needs, 25.0) for pid, ix in indexes.items()}
    assert found > 100  # the data exercises fits, not only None


def test_sector_centroid_is_the_mean_of_its_postcodes() -> None:
    rows = [INDEX.place_at(i) for i in INDEX.district_rows("SG1")]
    inside = [p for p in rows if p.sector == "SG1 4"]
    centre = INDEX.sector_centroid("SG1 4")
    assert centre.easting == sum(p.easting for p in inside) / len(inside)
    assert centre.northing == sum(p.northing for p in inside) / len(inside)
    assert centre.postcode == "SG1 4" and centre.sector == "SG1 4"
