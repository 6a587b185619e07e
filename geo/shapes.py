"""District outlines for maps: a concave hull of the district's postcode points."""

from __future__ import annotations

import json

import numpy as np
import shapely

from . import grid

# 0 hugs every point (spiky, slow to draw); 1 is the convex hull (swallows neighbours).
# 0.3 follows coastlines and estuaries while staying a readable outline.
_HULL_RATIO = 0.3
# A district of one or two units, or of points in a line, has no area; pad it so the map
# still gets a polygon a person can see and click.
_MIN_PAD_M = 100.0


def district_feature(code: str, easting: np.ndarray, northing: np.ndarray,
                     centroid: tuple[float, float]) -> dict:
    points = shapely.multipoints(np.column_stack([easting, northing]))
    hull = shapely.concave_hull(points, ratio=_HULL_RATIO)
    if hull.geom_type != "Polygon" or hull.area <= 0:
        hull = shapely.buffer(points, _MIN_PAD_M).convex_hull
    hull = shapely.transform(hull, _bng_to_wgs84_xy)
    lon, lat = grid.to_wgs84().transform(*centroid)
    return {
        "type": "Feature",
        "geometry": json.loads(shapely.to_geojson(hull)),
        "properties": {
            "code": code,
            "centroid": [round(lon, 6), round(lat, 6)],
            "postcodes": int(len(easting)),
        },
    }


def _bng_to_wgs84_xy(coords: np.ndarray) -> np.ndarray:
    lon, lat = grid.to_wgs84().transform(coords[:, 0], coords[:, 1])
    return np.round(np.column_stack([lon, lat]), 6)
