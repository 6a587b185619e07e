"""Checking a GeoJSON Polygon/MultiPolygon typed or drawn by a person, in WGS84.

Every problem is reported as InvalidCoverage with the path of the offending value, so the
person can find it in what they sent.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
import shapely.errors
import shapely.geometry

from . import grid
from .errors import InvalidCoverage

# Enough for a county boundary traced at street level; more is a mistake or an attack.
MAX_VERTICES = 20_000


def _position(value: object, where: str) -> list[float]:
    if not isinstance(value, (list, tuple)) or len(value) not in (2, 3):
        raise InvalidCoverage(f"{where}: a position must be [longitude, latitude].")
    lon, lat = value[0], value[1]
    for name, v in (("longitude", lon), ("latitude", lat)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise InvalidCoverage(f"{where}: the {name} must be a number, not {v!r}.")
    if not grid.in_gb(float(lon), float(lat)):
        raise InvalidCoverage(
            f"{where}: [{lon}, {lat}] is outside Great Britain "
            "(positions are [longitude, latitude] in WGS84)."
        )
    return [float(lon), float(lat)]  # an altitude, if any, means nothing for coverage


def _ring(value: object, where: str) -> list[list[float]]:
    if not isinstance(value, (list, tuple)):
        raise InvalidCoverage(f"{where}: a ring must be a list of positions.")
    ring = [_position(p, f"{where}[{i}]") for i, p in enumerate(value)]
    # RFC 7946 wants rings closed; drawing tools do not always bother, and the intent
    # of an open ring is unambiguous.
    if ring and ring[0] != ring[-1]:
        ring.append(list(ring[0]))
    if len(ring) < 4:
        raise InvalidCoverage(f"{where}: a ring needs at least three distinct corners.")
    return ring


def _polygon(value: object, where: str) -> list[list[list[float]]]:
    if not isinstance(value, (list, tuple)) or not value:
        raise InvalidCoverage(f"{where}: a polygon must be a non-empty list of rings.")
    return [_ring(r, f"{where}[{i}]") for i, r in enumerate(value)]


def parse_polygon(raw: object, where: str) -> tuple[dict, shapely.Geometry]:
    """Return (normalised GeoJSON geometry in WGS84, the same geometry in BNG metres)."""
    if isinstance(raw, dict) and raw.get("type") == "Feature":
        raw, where = raw.get("geometry"), f"{where}.geometry"
    if not isinstance(raw, dict):
        raise InvalidCoverage(f"{where}: expected a GeoJSON Polygon or MultiPolygon object.")
    kind, coords = raw.get("type"), raw.get("coordinates")
    if kind == "Polygon":
        normal = {"type": kind, "coordinates": _polygon(coords, f"{where}.coordinates")}
        vertices = sum(len(r) for r in normal["coordinates"])
    elif kind == "MultiPolygon":
        if not isinstance(coords, (list, tuple)) or not coords:
            raise InvalidCoverage(f"{where}.coordinates: a MultiPolygon needs at least one polygon.")
        polys = [_polygon(p, f"{where}.coordinates[{i}]") for i, p in enumerate(coords)]
        normal = {"type": kind, "coordinates": polys}
        vertices = sum(len(r) for p in polys for r in p)
    else:
        raise InvalidCoverage(
            f"{where}.type: expected 'Polygon' or 'MultiPolygon', got {kind!r}."
        )
    if vertices > MAX_VERTICES:
        raise InvalidCoverage(
            f"{where}: {vertices} corners is too many (at most {MAX_VERTICES}); simplify the shape."
        )
    try:
        lonlat = shapely.geometry.shape(normal)
    except (ValueError, TypeError, shapely.errors.ShapelyError) as exc:
        raise InvalidCoverage(f"{where}: not a usable polygon ({exc}).") from None
    if not lonlat.is_valid:
        raise InvalidCoverage(
            f"{where}: the polygon is not valid ({shapely.is_valid_reason(lonlat)}); "
            "check that its edges do not cross and its holes lie inside it."
        )
    if lonlat.area <= 0:
        raise InvalidCoverage(f"{where}: the polygon has no area.")
    bng = shapely.transform(lonlat, _to_bng_xy)
    if not bng.is_valid:  # only a sliver that folds when projected can get here
        raise InvalidCoverage(f"{where}: the polygon folds onto itself on the National Grid.")
    shapely.prepare(bng)
    return normal, bng


def _to_bng_xy(coords: np.ndarray) -> np.ndarray:
    e, n = grid.to_bng().transform(coords[:, 0], coords[:, 1])
    return np.column_stack([e, n])
