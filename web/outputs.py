"""What the API answers, as types for the OpenAPI document. Each names the fields a client
may rely on; answers may carry more (the contract welcomes extra fields), so every model
allows them. The fuzzing test (tests/test_fuzz_api.py) checks real answers against these,
so a view that drifts from its type fails the suite."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from matcher import PACKAGE_STATUSES


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorDetail(Out):
    code: str = Field(description="snake_case, stable")
    message: str = Field(description="a sentence for a person")
    fields: dict[str, str] | None = Field(default=None, description="for validation errors: field -> what is wrong")


class Error(Out):
    """Every error answer."""

    error: ErrorDetail


class UserOut(Out):
    id: str
    email: str
    role: Literal["admin", "broker", "provider"]
    provider_id: str | None


class Session(Out):
    token: str
    user: UserOut


class NewUser(UserOut):
    created_at: str


class Preferences(Out):
    phone: str | None
    email: str | None
    channels: dict[str, list[str]]
    quiet_hours: dict[str, str] | None


class Me(NewUser):
    preferences: Preferences


class AreaOut(Out):
    id: str
    name: str
    districts: list[str]
    created_at: str


class ProviderOut(Out):
    id: str
    name: str
    cqc_rating: str
    specialisms: list[str]
    client_groups: list[str]
    service_types: list[str]
    coverage: list[dict[str, Any]]
    tiers: dict[str, str]
    email: str
    phone: str | None
    status: str


class VisitOut(Out):
    days: list[str]
    band: str
    minutes: int
    carers: int
    time_critical: bool


class RoundFit(Out):
    km: float = Field(description="from the package's sector centroid, one decimal")
    drive_minutes: float
    band: str
    days: list[str]


class ProviderMap(Out):
    """A provider's map: its live matched packages at sector level, its own clients, its coverage."""

    packages: list[dict[str, Any]]
    clients: list[dict[str, Any]]
    coverage: list[dict[str, Any]]


class Demand(Out):
    """Where packages went unplaced or took longest to place in the provider's coverage."""


class PackageView(Out):
    """A package as its reader may see it: brokers and the awarded provider get everything,
    a matched provider the redacted view (no postcode, summary or reference; `sector`,
    `distance_km` and `matched_availability` instead)."""

    id: str
    status: Literal[PACKAGE_STATUSES]
    urgency: str
    service_type: str
    client_group: str
    hours_per_week: float
    start_date: str
    visits: list[VisitOut]
    specialisms: list[str]
    district: str
    sector: str
    area: str | None
    posted_at: str
    deadline: str
    wave: int
    shareable_summary: str | None
    previous_hand_backs: list[dict[str, Any]]
    postcode: str | None = Field(default=None, description="brokers and the awarded provider only")
    summary: str | None = Field(default=None, description="brokers and the awarded provider only")
    reference: str | None = Field(default=None, description="brokers and the awarded provider only")
    distance_km: float | None = Field(default=None, description="providers: from the nearest coverage centre")
    matched_availability: bool | None = Field(default=None, description="providers: declared availability fits")
    round_fit: RoundFit | None = Field(default=None, description="providers: the nearest current client or availability "
                                                                 "visited in the package's bands on its days (Rounds)")


class ListedPackage(PackageView):
    awarded_provider_name: str | None = Field(default=None, description="brokers: the awarded provider's name")
    offer_count: int | None = Field(default=None, description="brokers: offers made, any status")


class PackagePage(Out):
    """Brokers' list with `page` or `per_page`: one page, newest first, and how many answer."""

    items: list[ListedPackage]
    total: int
    page: int
    per_page: int


class Imported(Out):
    """A bulk import's report: `packages` in row order, `{row, id, reference, …}` each."""

    import_id: str
    status: Literal["posting", "done"] = Field(description="posting: rows are still being posted (see total)")
    total: int = Field(description="rows in the file")
    posted: int = Field(description="rows posted so far")
    packages: list[dict[str, Any]]


class MatchReport(Out):
    """Why a package matched whom it did: how many providers each eligibility rule excluded."""


class RecentEvents(Out):
    events: list[dict[str, Any]]
    last_id: str | None


class UserNames(Out):
    names: dict[str, str] = Field(description="user id -> the name shown for them (their email address)")
    providers: dict[str, str] = Field(description="user id -> the provider id that user works for (provider users only)")


class PostedPackage(PackageView):
    matched: int = Field(description="providers told now")


class HandedBack(Out):
    new_package_id: str
    status: Literal["handed_back"]


class HistoryEntry(Out):
    id: str
    at: str
    actor: str
    type: str
    data: dict[str, Any]


class OfferOut(Out):
    id: str
    package_id: str
    provider_id: str
    hourly_rate: float
    start_date: str
    can_meet_needs: bool
    note: str | None
    status: Literal["submitted", "withdrawn", "accepted", "declined"]
    submitted_at: str
    updated_at: str


class RankedOffer(OfferOut):
    score: float | None = Field(default=None, description="brokers: the award score, 0-100")
    score_parts: dict[str, float] | None = Field(default=None, description="brokers: {quality, price}")


class MyOffer(OfferOut):
    package: dict[str, Any] = Field(description="what the provider may see of the package")


class Declined(Out):
    package_id: str
    provider_id: str
    status: Literal["declined"]
    reason: str


class MatchOut(Out):
    provider_id: str
    wave: int
    tier: str
    at: str
    matched_availability: bool
    distance_km: float | None


class SlotOut(Out):
    id: str
    provider_id: str
    districts: list[str]
    days: list[str]
    bands: list[str]
    carers: int
    valid_until: str
    created_at: str


class PostedSlot(SlotOut):
    packages: list[str] = Field(description="ids of the live packages this availability brought")


class NotificationOut(Out):
    id: str
    user_id: str
    channel: str
    event: str
    status: Literal["queued", "sent", "delivered", "failed"]
    attempts: int
    provider_message_id: str | None
    device: str | None = None  # push: the subscription the message went to


class Summary(Out):
    posted: int
    awarded: int
    unplaced: int
    awarded_within_deadline_pct: float | None
    median_seconds_to_award: dict[str, float | None]
    offers_per_package: float | None
    unplaced_by_district: dict[str, int]
    provider_response_rate: dict[str, float | None]
    awarded_hours_by_provider: dict[str, float]
    providers: dict[str, str] = Field(default={}, description="every provider id in the report, with its name")


class Status(Out):
    status: str


class Feature(Out):
    """A GeoJSON Feature (WGS84)."""

    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: dict[str, Any]


class EventOut(Out):
    """One event, as a socket sends it and as the history lists it."""

    id: str = Field(description="the event id; resume after it with ?after=")
    type: str
    at: str | None
    data: dict[str, Any]


class AuditEntryOut(Out):
    id: str
    at: str
    action: str = Field(description="e.g. provider.created, provider.status_changed, area.updated, user.deactivated")
    actor_id: str
    actor_email: str
    target_type: Literal["area", "provider", "user", "webhook"]
    target_id: str
    target_name: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    changes: list[str] = Field(description="the fields whose value differs between before and after")


class AuditPage(Out):
    items: list[AuditEntryOut]
    total: int
    page: int
    per_page: int


class ListedUser(NewUser):
    active: bool


class LockedUser(ListedUser):
    locked: bool


class UserPage(Out):
    items: list[LockedUser]
    total: int
    page: int
    per_page: int


# -- before and after the award: requests for more time, purchase orders, variations ---------

class TimeRequestOut(Out):
    id: str
    package_id: str
    provider_id: str
    requested_by: str
    reason: str
    requested_at: str
    status: Literal["requested", "refused", "granted"] = Field(
        description="granted: the broker extended the deadline while it waited (see granted_deadline)")
    decided_at: str | None
    decided_by: str | None
    decision_reason: str | None = Field(description="the broker's reason for refusing, or for the extension")
    granted_deadline: str | None = Field(default=None, description="the deadline the window was moved to")


class CallBandOut(Out):
    """The council's call-duration band a visit's length falls in (`CALL_BANDS`)."""

    from_minutes: int
    to_minutes: int | None = Field(description="null past the last band: paid pro rata, minutes / 60")
    paid_fraction: float = Field(description="share of the hourly rate paid per carer for one visit")
    pro_rata: bool


class OrderLine(Out):
    days: list[str]
    band: str
    minutes: int
    carers: int
    visits_per_week: int
    cost_per_visit: float
    weekly_cost: float
    # How the line's cost is made (additions beside the contract's fields).
    call_band: CallBandOut | None = None
    paid_fraction: float | None = Field(default=None, description="of the hourly rate, per carer per visit (the call band's)")
    care_minutes: int | None = Field(default=None, description="visits_per_week x minutes: the person's care time a week")
    paid_hours: float | None = Field(default=None, description="visits_per_week x paid_fraction x carers: the hours paid for a week")


class UnscheduledHoursOut(Out):
    """Hours changed by a variation without a visit pattern, priced at the hourly rate."""

    hours: float = Field(description="above (or, negative, below) the hours the visit pattern stands for")
    hourly_rate: float
    weekly_cost: float = Field(description="hours x hourly rate; negative for a cut, never more than the visits cost")


class PurchaseOrderOut(Out):
    number: str
    package_id: str
    provider_id: str
    hourly_rate: float
    weekly_hours: float
    weekly_cost: float = Field(description="the lines' weekly costs plus unscheduled_hours' (or hours x rate with no visits)")
    lines: list[OrderLine]
    version: int
    issued_at: str
    effective_from: str | None = None
    variation_id: str | None = None
    pattern_hours: float | None = Field(default=None, description="the hours the visit lines stand for")
    unscheduled_hours: UnscheduledHoursOut | None = None
    start_date: str | None = Field(default=None, description="the package's start date, as the council asked")
    care_start: str | None = Field(default=None, description="the day care begins: the later of the package's start date "
                                   "and the winning offer's; version 1 is effective from it and no version before it")
    proposed_from: str | None = Field(default=None, description="on a variation's version, the date the variation gave; "
                                   "effective_from is the later of it and care_start")
    visit_hours: float | None = Field(default=None, description="care time of the visit lines a week, in hours (a double-up counted once)")
    paid_hours: float | None = Field(default=None, description="hours paid for a week: the lines' paid_hours plus unscheduled "
                                     "hours; weekly_cost is these at the hourly rate (each visit rounded to the penny)")


class VariationOut(Out):
    id: str
    package_id: str
    proposed_by: Literal["broker", "provider"]
    reason: str
    effective_from: str
    proposed_at: str
    hours_per_week: float | None
    visits: list[VisitOut] | None
    status: Literal["proposed", "accepted", "declined"]
    auto: bool = Field(description="accepted at once under the provider's flex (VARIATION_FLEX)")
    decided_at: str | None
    decline_reason: str | None
    purchase_order_version: int | None = Field(description="the order version it issued, once accepted")


class ProposedVariation(VariationOut):
    """The answer to proposing: the proposal made (`status` is always `proposed`); a provider's
    change within the flex is accepted at once, which `accepted_automatically` says and a read
    of the variation shows (`accepted`); accepting it again answers 200 and changes nothing."""

    status: Literal["proposed"]
    accepted_automatically: bool
    current_status: Literal["proposed", "accepted"]
