"""Postcode text: normalisation, malformed vs unknown, and what a lookup returns."""

from __future__ import annotations

import pyproj
import pytest

import geo


@pytest.mark.parametrize(
    "text, expected",
    [
        ("SG1 1AA", "SG1 1AA"),
        ("sg11aa", "SG1 1AA"),
        (" sg1 1aa ", "SG1 1AA"),
        ("SG1   1AA", "SG1 1AA"),
        ("s g 1 1 a a", "SG1 1AA"),
        ("\tRH10 1AA\n", "RH10 1AA"),
        ("rh101aa", "RH10 1AA"),
        ("W1A1AA", "W1A 1AA"),  # A9A
        ("ec1a 1bb", "EC1A 1BB"),  # AA9A
        ("B1 1AY", "B1 1AY"),  # A9
        ("b11 1aa", "B11 1AA"),  # A99
        ("hr1 2aa", "HR1 2AA"),  # AA9
    ],
)
def test_normalise_postcode_variants(text, expected):
    assert geo.normalise_postcode(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "SG1", "SG1 1A", "SG1 1AAA", "1SG 1AA", "SGX 1AA", "SG1 AAA", "SG1 11A",
     "ABC1 1AA", "SG123 1AA", "SG1-1AA", "SG1 1AÄ", "SG1_1AA", "GIRO 0AA", "sg1 1ß", "ＳＧ１ １ＡＡ"],
)
def test_malformed_postcodes_are_rejected(text):
    with pytest.raises(geo.MalformedPostcode):
        geo.normalise_postcode(text)


def test_non_text_is_malformed():
    with pytest.raises(geo.MalformedPostcode):
        geo.normalise_postcode(None)  # type: ignore[arg-type]
    with pytest.raises(geo.MalformedPostcode):
        geo.normalise_postcode(12345)  # type: ignore[arg-type]


@pytest.mark.parametrize("text, expected", [("sg1", "SG1"), (" RH10 ", "RH10"), ("w1a", "W1A"),
                                            ("Ec1A", "EC1A"), ("b1", "B1"), ("hr1", "HR1")])
def test_outward_code(text, expected):
    assert geo.outward_code(text) == expected


@pytest.mark.parametrize("text", ["", "S", "1SG", "SG1 1AA", "SGA", "SG123", "SG1-"])
def test_outward_code_rejects_non_districts(text):
    with pytest.raises(geo.MalformedPostcode):
        geo.outward_code(text)


def test_errors_share_one_root():
    for exc in (geo.MalformedPostcode, geo.UnknownPostcode, geo.InvalidCoverage):
        assert issubclass(exc, geo.GeoError)


def test_malformed_versus_unknown(postcode_index):
    with pytest.raises(geo.MalformedPostcode):
        postcode_index.lookup("not a postcode")
    # Well formed, but not in Code-Point Open (SG1 1ZZ and CM1 1AA were never issued; no ZZ area).
    for text in ("SG1 1ZZ", "cm1 1aa", "ZZ9 9ZZ"):
        with pytest.raises(geo.UnknownPostcode):
            postcode_index.lookup(text)


def test_postcode_without_coordinates_is_unknown(postcode_index):
    # Code-Point Open lists AB43 1AG with quality 90 and 0,0 coordinates.
    with pytest.raises(geo.UnknownPostcode):
        postcode_index.lookup("AB43 1AG")


@pytest.mark.parametrize(
    "text, postcode, district, sector, easting, northing",
    [
        ("hr1 2ab", "HR1 2AB", "HR1", "HR1 2", 351018, 240012),  # Herefordshire
        ("CM1 1AE", "CM1 1AE", "CM1", "CM1 1", 570156, 206835),  # Essex
        ("cm13aa", "CM1 3AA", "CM1", "CM1 3", 569181, 205392),  # Essex
        ("SG1 1AB", "SG1 1AB", "SG1", "SG1 1", 524372, 224119),  # Hertfordshire
        ("rh10 1ae", "RH10 1AE", "RH10", "RH10 1", 527714, 136413),  # West Sussex
        ("bn11 1ah", "BN11 1AH", "BN11", "BN11 1", 514956, 102914),  # West Sussex
    ],
)
def test_council_postcodes_look_up(postcode_index, text, postcode, district, sector, easting, northing):
    place = postcode_index.lookup(text)
    assert (place.postcode, place.district, place.sector) == (postcode, district, sector)
    assert (place.easting, place.northing) == (easting, northing)
    lon, lat = pyproj.Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(
        easting, northing)
    assert place.lat == pytest.approx(lat, abs=1e-9)
    assert place.lon == pytest.approx(lon, abs=1e-9)


def test_all_of_gb_is_present(postcode_index):
    assert 1_700_000 < len(postcode_index) < 1_800_000
    # Scilly, Edinburgh, Cardiff, Inverness, Shetland, Western Isles, Norwich.
    for text in ("TR21 0AB", "EH1 1AD", "CF10 1AA", "IV1 1AD", "ZE1 0AA", "HS1 2AD", "NR1 1AA"):
        place = postcode_index.lookup(text)
        assert 49.8 < place.lat < 61 and -9 < place.lon < 2.1
    assert postcode_index.lookup("ZE1 0AA").lat > 60
    assert postcode_index.lookup("TR21 0AB").lat < 50


def test_place_is_frozen(postcode_index):
    place = postcode_index.lookup("SG1 1AA")
    with pytest.raises(AttributeError):
        place.postcode = "SG1 1AB"  # type: ignore[misc]
    assert place == geo.Place(place.postcode, place.district, place.sector, place.easting,
                              place.northing, place.lat, place.lon)
    assert hash(place) == hash(postcode_index.lookup("sg11aa"))


def test_rows_are_in_postcode_order(postcode_index):
    rows = postcode_index.district_rows("HR1")
    codes = [postcode_index.place_at(r).postcode for r in rows]
    assert codes == sorted(codes)
    assert all(c.startswith("HR1 ") for c in codes)
    assert postcode_index.place_at(rows.start - 1).district != "HR1"
    assert postcode_index.place_at(rows.stop).district != "HR1"
