"""The brokerage's records, as stored in Redis (JSON) and passed between modules."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from functools import cache
from typing import Any, Self

URGENCIES = ("red", "amber", "green")
SERVICE_TYPES = ("homecare", "reablement", "live_in")
CLIENT_GROUPS = ("older_people", "physical_disability", "learning_disability", "mental_health")
SPECIALISMS = (
    "dementia", "end_of_life", "peg_feeding", "challenging_behaviour", "stroke", "parkinsons",
    "diabetes_insulin", "catheter_stoma", "bariatric", "acquired_brain_injury", "autism",
    "sensory_impairment",
)
BANDS = ("morning", "lunch", "tea", "bed", "night")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CQC_RATINGS = ("outstanding", "good", "requires_improvement", "inadequate")
TIERS = ("primary", "secondary", "reserve")
# pending_visit: on the framework, never matched until a monitoring visit passes.
PROVIDER_STATUSES = ("active", "suspended", "pending_visit")
PACKAGE_STATUSES = ("live", "awaiting_award", "awarded", "unplaced", "withdrawn", "handed_back")
OPEN_STATUSES = ("live", "awaiting_award")


class Record:
    """JSON round-trip for the dataclasses below; unknown keys from newer writers are ignored."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        names = _field_names(cls)
        return cls(**{k: v for k, v in data.items() if k in names})


@cache
def _field_names(cls: type) -> frozenset[str]:
    # Once per class: dataclasses.fields() on every load was a third of reading 40,000
    # clients to rebuild the round indexes after a restart.
    return frozenset(f.name for f in fields(cls))  # type: ignore[arg-type]


@dataclass
class Area(Record):
    id: str
    name: str
    districts: list[str]
    created_at: str


@dataclass
class Provider(Record):
    id: str
    name: str
    cqc_rating: str
    specialisms: list[str]
    client_groups: list[str]
    service_types: list[str]
    coverage: list[dict[str, Any]]
    tiers: dict[str, str]
    email: str
    phone: str | None = None
    status: str = "active"
    created_at: str = ""
    updated_at: str = ""

    def tier_in(self, area_name: str | None) -> str:
        if area_name is None:
            return "reserve"
        return self.tiers.get(area_name, "reserve")


@dataclass
class Visit(Record):
    days: list[str]
    band: str
    minutes: int
    carers: int
    time_critical: bool = False


@dataclass
class Package(Record):
    id: str
    status: str
    urgency: str
    service_type: str
    client_group: str
    hours_per_week: float
    start_date: str
    visits: list[dict[str, Any]]
    specialisms: list[str]
    postcode: str
    district: str
    sector: str
    easting: float
    northing: float
    area: str | None
    posted_at: str
    posted_by: str
    deadline: str
    wave: int = 1
    # Times a broker moved this window's deadline; a window is (wave, extension), so the
    # jobs of a moved deadline are told apart from the new ones and become no-ops.
    extension: int = 0
    released_tiers: list[str] = field(default_factory=list)
    matched: int = 0
    summary: str | None = None
    shareable_summary: str | None = None
    reference: str | None = None
    previous_hand_backs: list[dict[str, str]] = field(default_factory=list)
    previous_package_id: str | None = None
    awarded_offer_id: str | None = None
    awarded_provider_id: str | None = None
    awarded_at: str | None = None
    closed_at: str | None = None
    closed_reason: str | None = None
    new_package_id: str | None = None
    # The service user's choice or history rules these providers out: never matched.
    excluded_providers: list[str] = field(default_factory=list)
    excluded_reason: str | None = None

    def visit_list(self) -> list[Visit]:
        return [Visit.from_dict(v) for v in self.visits]


@dataclass
class Match(Record):
    """Why and when one provider was told about one package."""

    provider_id: str
    wave: int
    tier: str
    at: str
    matched_availability: bool
    distance_km: float | None


@dataclass
class Offer(Record):
    id: str
    package_id: str
    provider_id: str
    hourly_rate: float
    start_date: str
    can_meet_needs: bool
    note: str | None
    status: str
    submitted_at: str
    submitted_by: str
    updated_at: str
