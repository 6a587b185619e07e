"""Why a package reached nobody: for each eligibility rule, how many providers it excluded,
and what the broker could change. Rules are checked in a fixed order and each provider is
counted under the first rule it fails, so the counts add up to the providers not matched."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geo
from matcher.model import Package
from matcher.providers import Snapshot

RULES = ("status", "coverage", "service_type", "client_group", "specialism", "tier")
ADVICE = {
    "status": "Some providers are suspended, pending a visit or rated inadequate: check their framework status.",
    "coverage": "No provider covers this postcode: ask providers nearby to extend their coverage, or widen the search area.",
    "service_type": "Providers here do not offer this service type: check the service type is right.",
    "client_group": "Providers here do not serve this client group: check the client group is right.",
    "specialism": "Providers here lack a required specialism: check each specialism is essential, and re-post without the others.",
    "tier": "Eligible providers are on a tier not yet released: release the next tier now.",
}


@dataclass
class MatchReport:
    providers: int
    matched: int
    excluded: dict[str, int] = field(default_factory=lambda: {r: 0 for r in RULES})

    def to_dict(self) -> dict[str, Any]:
        worst = sorted((r for r in RULES if self.excluded[r]), key=lambda r: -self.excluded[r])
        return {"providers": self.providers, "matched": self.matched, "excluded": dict(self.excluded),
                "suggestions": [{"rule": r, "excluded": self.excluded[r], "advice": ADVICE[r]} for r in worst]}


def explain(snapshot: Snapshot, package: Package, matched: set[str]) -> MatchReport:
    place = geo.Place(package.postcode, package.district, package.sector, package.easting, package.northing, 0.0, 0.0)
    covering = snapshot.coverage.covering(place)
    report = MatchReport(providers=len(snapshot.providers), matched=len(matched))
    for provider in snapshot.providers.values():
        if provider.id in matched:
            continue
        if provider.status != "active" or provider.cqc_rating == "inadequate":
            rule = "status"
        elif provider.id not in covering:
            rule = "coverage"
        elif package.service_type not in provider.service_types:
            rule = "service_type"
        elif package.client_group not in provider.client_groups:
            rule = "client_group"
        elif not set(package.specialisms) <= set(provider.specialisms):
            rule = "specialism"
        else:
            rule = "tier"  # eligible in every way but its tier's wave has not been released
        report.excluded[rule] += 1
    return report


__all__ = ["MatchReport", "RULES", "explain"]
