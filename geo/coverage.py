"""A provider's coverage: where it will take packages, as parsed from the contract's JSON.

Three kinds (contract "Areas and providers"):
  {kind: "districts", codes: ["SG1", ...]}
  {kind: "radius", postcode: "SG1 1AA", km: 8}
  {kind: "polygon", geojson: <GeoJSON Polygon or MultiPolygon, WGS84>}
Everything is resolved to the British National Grid at parse time, so tests of a place
are arithmetic on metres and never touch a projection.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import shapely

from . import geojson as _geojson
from .errors import InvalidCoverage, MalformedPostcode, UnknownPostcode
from .index import PostcodeIndex
from .place import Place
from .postcode import outward_code

KINDS = ("districts", "radius", "polygon")
MAX_KM = 200.0  # further than any home care round; larger is a typo (metres for km?)
MAX_ENTRIES = 100
MAX_DISTRICTS = 1_000

Point = tuple[float, float]


@dataclass(frozen=True, eq=False)
class Coverage:
    kind: str
    codes: tuple[str, ...] = ()  # districts, normalised, first-seen order
    postcode: str | None = None  # radius centre, normalised
    km: float | None = None  # radius
    geojson: dict | None = None  # polygon, normalised WGS84 geometry
    centre: Point | None = None  # BNG: radius centre or polygon centroid
    geometry: shapely.Geometry | None = field(default=None, repr=False)  # BNG polygon, prepared
    district_centres: tuple[Point, ...] = field(default=(), repr=False)
    _codeset: frozenset[str] = field(default=frozenset(), repr=False)

    def to_json(self) -> dict:
        if self.kind == "districts":
            return {"kind": "districts", "codes": list(self.codes)}
        if self.kind == "radius":
            km = int(self.km) if float(self.km).is_integer() else self.km
            return {"kind": "radius", "postcode": self.postcode, "km": km}
        return {"kind": "polygon", "geojson": self.geojson}

    def contains(self, place: Place) -> bool:
        if self.kind == "districts":
            return place.district in self._codeset
        if self.kind == "radius":
            # Squared comparison, the same float operations CoverageIndex does in bulk,
            # so both agree to the last bit at the boundary.
            dx = place.easting - self.centre[0]
            dy = place.northing - self.centre[1]
            r = self.km * 1000.0
            return dx * dx + dy * dy <= r * r
        # Boundary counts as inside, like the radius' "<=".
        return bool(shapely.intersects_xy(self.geometry, place.easting, place.northing))

    def centres(self) -> list[Point]:
        if self.kind == "districts":
            return list(self.district_centres)
        return [self.centre]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Coverage):
            return NotImplemented
        return self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_json(), sort_keys=True))


def parse_coverage(raw: object, index: PostcodeIndex) -> list[Coverage]:
    """Validate the contract's coverage list; InvalidCoverage names the first problem."""
    if not isinstance(raw, list):
        raise InvalidCoverage("coverage must be a list of coverage entries.")
    if not raw:
        raise InvalidCoverage("coverage must have at least one entry: a provider has to cover somewhere.")
    if len(raw) > MAX_ENTRIES:
        raise InvalidCoverage(f"coverage has {len(raw)} entries; at most {MAX_ENTRIES} are allowed.")
    return [_entry(item, index, f"coverage[{i}]") for i, item in enumerate(raw)]


def _entry(item: object, index: PostcodeIndex, where: str) -> Coverage:
    if not isinstance(item, dict):
        raise InvalidCoverage(f"{where}: each coverage entry must be an object with a 'kind'.")
    kind = item.get("kind")
    if kind == "districts":
        return _districts(item.get("codes"), index, f"{where}.codes")
    if kind == "radius":
        return _radius(item, index, where)
    if kind == "polygon":
        if "geojson" not in item:
            raise InvalidCoverage(f"{where}.geojson: a polygon entry needs a GeoJSON polygon.")
        normal, bng = _geojson.parse_polygon(item["geojson"], f"{where}.geojson")
        c = bng.centroid
        return Coverage(kind="polygon", geojson=normal, geometry=bng, centre=(c.x, c.y))
    raise InvalidCoverage(
        f"{where}.kind: {kind!r} is not a coverage kind; use one of {', '.join(KINDS)}."
    )


def _districts(codes: object, index: PostcodeIndex, where: str) -> Coverage:
    if not isinstance(codes, list) or not codes:
        raise InvalidCoverage(f"{where}: list at least one postcode district, like [\"SG1\", \"SG2\"].")
    if len(codes) > MAX_DISTRICTS:
        raise InvalidCoverage(f"{where}: at most {MAX_DISTRICTS} districts per entry.")
    seen: dict[str, None] = {}
    for i, code in enumerate(codes):
        try:
            district = outward_code(code)
        except MalformedPostcode:
            raise InvalidCoverage(
                f"{where}[{i}]: {code!r} is not a postcode district (expected e.g. SG1 or RH10)."
            ) from None
        if not index.has_district(district):
            raise InvalidCoverage(f"{where}[{i}]: {district} is not a known postcode district.")
        seen[district] = None
    normal = tuple(seen)
    return Coverage(
        kind="districts",
        codes=normal,
        district_centres=tuple(index.district_centroid(d) for d in normal),
        _codeset=frozenset(normal),
    )


def _radius(item: dict, index: PostcodeIndex, where: str) -> Coverage:
    postcode, km = item.get("postcode"), item.get("km")
    if postcode is None:
        raise InvalidCoverage(f"{where}.postcode: a radius entry needs the postcode at its centre.")
    try:
        place = index.lookup(postcode)
    except MalformedPostcode:
        raise InvalidCoverage(f"{where}.postcode: {postcode!r} is not shaped like a UK postcode.") from None
    except UnknownPostcode:
        raise InvalidCoverage(f"{where}.postcode: {postcode!r} is not a known GB postcode.") from None
    if isinstance(km, bool) or not isinstance(km, (int, float)) or not math.isfinite(km):
        raise InvalidCoverage(f"{where}.km: the radius must be a number of kilometres, not {km!r}.")
    if not 0 < km <= MAX_KM:
        raise InvalidCoverage(
            f"{where}.km: the radius must be more than 0 and at most {MAX_KM:g} km, not {km!r}."
        )
    return Coverage(
        kind="radius", postcode=place.postcode, km=float(km), centre=(place.easting, place.northing)
    )
