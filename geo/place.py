"""A postcode unit with both its grid and its WGS84 position."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Place:
    postcode: str  # "SG1 1AA"
    district: str  # "SG1" (outward code)
    sector: str  # "SG1 1"
    easting: float  # British National Grid, EPSG:27700, metres
    northing: float
    lat: float  # WGS84
    lon: float


_new = object.__new__
_SETTERS = tuple(Place.__dict__[name].__set__ for name in Place.__slots__)


def fast_place(postcode: str, district: str, sector: str, easting: float, northing: float,
               lat: float, lon: float) -> Place:
    """Same Place as the constructor, for the lookup hot path.

    The generated frozen __init__ goes through object.__setattr__ for each field (~0.85 us
    for seven); writing the slots directly is ~0.3 us, which is a fifth of a lookup.
    Only for trusted, already-typed values.
    """
    p = _new(Place)
    s0, s1, s2, s3, s4, s5, s6 = _SETTERS
    s0(p, postcode)
    s1(p, district)
    s2(p, sector)
    s3(p, easting)
    s4(p, northing)
    s5(p, lat)
    s6(p, lon)
    return p
