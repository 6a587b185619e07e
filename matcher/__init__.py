"""The matcher: areas, providers, packages, offers, eligibility, scoring and deadlines.

Other packages use what is listed here and never the matcher's Redis keys: a package is read
with `PackageStore.find`/`load`/`load_many`, a provider's sight of it recorded with
`mark_seen`, and every reader's view of it comes from `views`."""

from matcher import bulk, views
from matcher.areas import AreaStore
from matcher.availability import AvailabilityStore, parse_district
from matcher.availability_match import AvailabilityDesk, ordered_matches
from matcher.deadlines import DeadlineKeeper, TooEarly, schedule_window
from matcher.errors import BrokerageError, Conflict, Forbidden, Invalid, NotFound
from matcher.fields import DATE_PATTERN, PHONE_PATTERN, Email, Id, Input, OptionalReason, Phone, Query, field_errors, no_controls
from matcher.inputs import (
    AreaInput,
    AreaPatch,
    AvailabilityInput,
    AwardInput,
    OfferInput,
    PackageInput,
    ProviderInput,
    ProviderPatch,
    ReasonInput,
)
from matcher.model import (
    BANDS,
    CLIENT_GROUPS,
    DAYS,
    PACKAGE_STATUSES,
    SERVICE_TYPES,
    SPECIALISMS,
    URGENCIES,
    Area,
    Match,
    Offer,
    Package,
    Provider,
)
from matcher.imports import ImportReport, PackageImports
from matcher.more_time import TimeRequest, TimeRequests
from matcher.offers import OfferBook
from matcher.packages import PackageStore, Reader
from matcher.placement_inputs import AnswerInput, DeclineInput, QuestionInput, VariationInput
from matcher.providers import ProviderStore
from matcher.purchase_orders import PurchaseOrders, order_csv, order_lines, unscheduled_hours, visit_cost
from matcher.questions import Question, Questions
from matcher.reminders import Reminders
from matcher.round_map import RoundMap
from matcher.round_atlas import RoundAtlas
from matcher.round_book import RoundBook
from matcher.rounds import RoundIndex
from matcher.search import PackageQuery
from matcher.reports import Range, Reports, parse_range, to_csv
from matcher.sight import Sightings
from matcher.track_record import Dealing, TrackRecord
from matcher.team import TEAM_STATES, TeamBook, TeamState
from matcher.variations import Variation, Variations, hours_of
from matcher.views import broker_view

__all__ = [
    # typed inputs (parsed by web, taken by the stores) and their building blocks
    "AreaInput", "AreaPatch", "AvailabilityInput", "AwardInput", "Email", "Id", "Input", "OfferInput", "OptionalReason", "PackageInput", "Phone",
    "ProviderInput", "ProviderPatch", "Query", "ReasonInput", "field_errors", "no_controls",
    "DATE_PATTERN", "PHONE_PATTERN", "AnswerInput", "DeclineInput", "QuestionInput", "VariationInput",
    "Area", "AreaStore", "AvailabilityDesk", "AvailabilityStore", "BANDS", "BrokerageError",
    "CLIENT_GROUPS", "Conflict", "DAYS", "DeadlineKeeper", "Forbidden", "Invalid",
    "Match", "NotFound", "Offer", "OfferBook", "PACKAGE_STATUSES", "Package", "PackageQuery", "PackageStore",
    "Provider", "ProviderStore", "Reader", "Reminders", "Reports", "RoundAtlas", "RoundBook", "RoundIndex", "RoundMap",
    "SERVICE_TYPES", "SPECIALISMS", "Sightings",
    "TooEarly", "URGENCIES", "broker_view", "ordered_matches", "parse_district", "parse_range",
    "bulk", "schedule_window", "to_csv", "views",
    # bulk import: validated whole, posted in chunks, resumable
    "ImportReport", "PackageImports",
    # before and after the award
    "PurchaseOrders", "Question", "Questions", "TimeRequest", "TimeRequests", "Variation", "Variations",
    "order_csv", "order_lines", "unscheduled_hours", "visit_cost", "hours_of",
    # the back office's view of a provider: its latest matches, offers, awards
    "Dealing", "Range", "TrackRecord",
    # what a provider's team has done about its packages, and how they ended (issue 14)
    "TEAM_STATES", "TeamBook", "TeamState",
]
