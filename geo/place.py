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
