"""Which providers can take a package: the contract's eligibility rules, as one pure step."""

from __future__ import annotations

from dataclasses import dataclass

import geo
from matcher.model import TIERS, Provider
from matcher.providers import Snapshot

RATING_ORDER = {"outstanding": 0, "good": 1, "requires_improvement": 2}


@dataclass(frozen=True)
class Needs:
    service_type: str
    client_group: str
    specialisms: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    provider: Provider
    tier: str
    distance_km: float | None
    matched_availability: bool


def can_take(provider: Provider, needs: Needs) -> bool:
    """Every rule but coverage (answered by the spatial index) and tier (answered by the wave)."""
    return (
        provider.status == "active"
        and provider.cqc_rating != "inadequate"
        and needs.service_type in provider.service_types
        and needs.client_group in provider.client_groups
        and set(needs.specialisms) <= set(provider.specialisms)
    )


def candidates(
    snapshot: Snapshot,
    needs: Needs,
    place: geo.Place,
    area_name: str | None,
    available: frozenset[str] = frozenset(),
    exclude: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """Eligible providers in notification order: declared availability first, then quality."""
    found: list[Candidate] = []
    for provider_id in snapshot.coverage.covering(place):
        provider = snapshot.providers.get(provider_id)
        if provider is None or provider_id in exclude or not can_take(provider, needs):
            continue
        found.append(Candidate(
            provider=provider,
            tier=provider.tier_in(area_name),
            distance_km=snapshot.coverage.distance_km(provider_id, place),
            matched_availability=provider_id in available,
        ))
    found.sort(key=lambda c: (
        not c.matched_availability, RATING_ORDER.get(c.provider.cqc_rating, 9),
        c.distance_km if c.distance_km is not None else 1e9, c.provider.id,
    ))
    return found


def by_tier(found: list[Candidate]) -> dict[str, list[Candidate]]:
    tiers: dict[str, list[Candidate]] = {t: [] for t in TIERS}
    for candidate in found:
        tiers[candidate.tier].append(candidate)
    return tiers
