"""The matcher's typed inputs: what a client may send to post a package, make an offer,
describe a provider, an area or its availability.

They live in the domain (web imports matcher, never the reverse) and are the domain's own
argument types: the web layer parses a body into one of these and hands it over, so the
stores never see raw JSON. What needs the store to answer (is this postcode real, is this
area known, is the rate within the configured caps) is checked by the store and reported
the same way, as `Invalid` naming the field.

`ITEMISED` on a model lists the fields whose errors are reported per item
("visits[0].band"); every other field's errors are reported under its own name.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, ValidationInfo, field_validator

from matcher.fields import (
    Carers, Day, Email, Id, Input, Line, Moment, OptionalReason, OptionalText, Phone, Reason, no_controls, text_or_null,
)
from matcher.model import (
    BANDS, CLIENT_GROUPS, CQC_RATINGS, DAYS, PROVIDER_STATUSES, SERVICE_TYPES, SPECIALISMS, TIERS, URGENCIES,
)

Urgency = Literal[URGENCIES]
ServiceType = Literal[SERVICE_TYPES]
ClientGroup = Literal[CLIENT_GROUPS]
Specialism = Literal[SPECIALISMS]
Band = Literal[BANDS]
Weekday = Literal[DAYS]
CqcRating = Literal[CQC_RATINGS]
Tier = Literal[TIERS]
ProviderStatus = Literal[PROVIDER_STATUSES]

Postcode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16), no_controls(""),
                     Field(examples=["SG1 1AA"])]
District = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8), no_controls(""),
                     Field(examples=["SG1"])]
Reference = Annotated[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
                                no_controls("")] | None, BeforeValidator(text_or_null)]
AreaName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), no_controls("")]
Note = Annotated[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
                           no_controls("\n\t")] | None, BeforeValidator(text_or_null)]


def choices(options: tuple[str, ...], *, min_length: int = 0) -> Any:
    """A list of enumeration values, duplicates dropped, in the enumeration's order."""
    def canonical(values: list[str]) -> list[str]:
        return sorted(set(values), key=options.index)
    return Annotated[list[Literal[options]], Field(min_length=min_length, max_length=len(options) * 4),
                     AfterValidator(canonical)]


def unique(item: Any, *, min_length: int = 0, max_length: int) -> Any:
    return Annotated[list[item], Field(min_length=min_length, max_length=max_length),
                     AfterValidator(lambda values: list(dict.fromkeys(values)))]


# -- packages and offers -----------------------------------------------------------------------

class VisitInput(Input):
    days: choices(DAYS, min_length=1)  # type: ignore[valid-type]
    band: Band
    minutes: Annotated[int, Field(ge=15, le=1440, description="whole minutes")]
    carers: Carers = 1
    time_critical: bool = False


class PackageInput(Input):
    """`POST /api/packages`: a care package's needs."""

    ITEMISED: ClassVar[frozenset[str]] = frozenset({"visits"})

    postcode: Postcode
    urgency: Urgency
    service_type: ServiceType
    client_group: ClientGroup
    hours_per_week: Annotated[float, Field(gt=0, le=168)]
    start_date: Day
    visits: Annotated[list[VisitInput], Field(max_length=50)]
    specialisms: choices(SPECIALISMS) = []  # type: ignore[valid-type]
    summary: OptionalText = None
    shareable_summary: OptionalText = None
    reference: Reference = None
    # The service user's choice or history rules these providers out: never matched, shown to brokers only.
    excluded_providers: unique(Id, max_length=500) = []  # type: ignore[valid-type]
    excluded_reason: OptionalReason = None

    @field_validator("visits")
    @classmethod
    def _some_visits(cls, visits: list[VisitInput], info: ValidationInfo) -> list[VisitInput]:
        # Live-in care has no visits; everything else is delivered in them.
        if not visits and info.data.get("service_type") != "live_in":
            raise ValueError("must list at least one visit")
        return visits


class ReasonInput(Input):
    """Withdraw, decline or hand back: a reason a person can read."""

    reason: Reason


class AwardInput(Input):
    offer_id: Id


class OfferInput(Input):
    """`POST /api/packages/{id}/offers`; the rate caps are the service's settings, checked by the offer book."""

    hourly_rate: Annotated[float, Field(gt=0, le=10_000, description="pounds per hour, within PRICE_MIN..PRICE_MAX")]
    start_date: Day
    can_meet_needs: bool
    note: Note = None

    @field_validator("can_meet_needs")
    @classmethod
    def _must_meet(cls, value: bool) -> bool:
        if not value:
            raise ValueError("must be true to make an offer; decline the package instead")
        return value


# -- areas and providers ----------------------------------------------------------------------

class AreaInput(Input):
    name: AreaName
    districts: unique(District, min_length=1, max_length=5000)  # type: ignore[valid-type]
    reason: OptionalReason = None  # for the audit trail, not kept on the area


class AreaPatch(Input):
    """`PATCH /api/areas/{id}`: new districts (the name stays: providers' tiers are keyed by it)."""

    model_config = {**Input.model_config, "extra": "forbid"}

    districts: unique(District, min_length=1, max_length=5000)  # type: ignore[valid-type]
    reason: OptionalReason = None


Position = Annotated[list[float], Field(min_length=2, max_length=3, description="[longitude, latitude] in WGS84")]
Ring = Annotated[list[Position], Field(min_length=4, max_length=20_000)]
Rings = Annotated[list[Ring], Field(min_length=1, max_length=100)]


class PolygonGeometry(Input):
    type: Literal["Polygon"]
    coordinates: Rings


class MultiPolygonGeometry(Input):
    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[Rings], Field(min_length=1, max_length=100)]


Geometry = Annotated[Union[PolygonGeometry, MultiPolygonGeometry], Field(discriminator="type")]


class PolygonFeature(Input):
    type: Literal["Feature"]
    geometry: Geometry


class DistrictsCoverage(Input):
    kind: Literal["districts"]
    codes: unique(District, min_length=1, max_length=1000)  # type: ignore[valid-type]


class RadiusCoverage(Input):
    kind: Literal["radius"]
    postcode: Postcode
    km: Annotated[float, Field(gt=0, le=200)]


class PolygonCoverage(Input):
    kind: Literal["polygon"]
    geojson: Annotated[Union[PolygonGeometry, MultiPolygonGeometry, PolygonFeature], Field(discriminator="type")]


CoverageEntry = Annotated[Union[DistrictsCoverage, RadiusCoverage, PolygonCoverage], Field(discriminator="kind")]
Coverage = Annotated[list[CoverageEntry], Field(min_length=1, max_length=100)]
Tiers = Annotated[dict[AreaName, Tier], Field(max_length=500, description="area name -> tier; untiered areas are reserve")]


class ProviderInput(Input):
    """`POST /api/providers`."""

    name: Line
    cqc_rating: CqcRating
    specialisms: choices(SPECIALISMS) = []  # type: ignore[valid-type]
    client_groups: choices(CLIENT_GROUPS, min_length=1)  # type: ignore[valid-type]
    service_types: choices(SERVICE_TYPES, min_length=1)  # type: ignore[valid-type]
    coverage: Coverage
    tiers: Tiers = {}
    email: Email
    phone: Phone | None = None
    status: ProviderStatus = "active"
    reason: OptionalReason = None  # for the audit trail, not kept on the provider


class ProviderPatch(Input):
    """`PATCH /api/providers/{id}`: any field of a provider, plus `status`. A field left out
    keeps its value; `null` is refused except for `phone` (which it clears)."""

    model_config = {**Input.model_config, "extra": "forbid"}

    # Defaults are not validated: absent means None here, while a sent null fails the type.
    name: Line = None  # type: ignore[assignment]
    cqc_rating: CqcRating = None  # type: ignore[assignment]
    specialisms: choices(SPECIALISMS) = None  # type: ignore[valid-type]
    client_groups: choices(CLIENT_GROUPS, min_length=1) = None  # type: ignore[valid-type]
    service_types: choices(SERVICE_TYPES, min_length=1) = None  # type: ignore[valid-type]
    coverage: Coverage = None  # type: ignore[assignment]
    tiers: Tiers = None  # type: ignore[assignment]
    email: Email = None  # type: ignore[assignment]
    phone: Phone | None = None
    status: ProviderStatus = None  # type: ignore[assignment]
    # Carried by the change into the audit trail, never kept on the provider.
    reason: OptionalReason = None

    def changes(self) -> dict[str, Any]:
        """Only the provider's fields the client sent (not the reason)."""
        return {name: getattr(self, name) for name in self.model_fields_set if name != "reason"}


# -- availability -----------------------------------------------------------------------------

class AvailabilityInput(Input):
    """`POST /api/availability`: a run a provider can take on."""

    districts: unique(District, min_length=1, max_length=50)  # type: ignore[valid-type]
    days: choices(DAYS, min_length=1)  # type: ignore[valid-type]
    bands: choices(BANDS, min_length=1)  # type: ignore[valid-type]
    carers: Carers = 1
    valid_until: Moment


__all__ = [
    "AreaInput", "AreaPatch", "AvailabilityInput", "AwardInput", "CoverageEntry", "Email", "Id", "OfferInput", "PackageInput",
    "Phone", "ProviderInput", "ProviderPatch", "ReasonInput", "VisitInput",
]
