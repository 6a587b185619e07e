"""The award score: quality and price, never price alone."""

from __future__ import annotations

from dataclasses import dataclass

QUALITY = {"outstanding": 100.0, "good": 75.0, "requires_improvement": 40.0, "inadequate": 0.0}


@dataclass(frozen=True)
class Score:
    total: float
    quality: float
    price: float


def score(cqc_rating: str, hourly_rate: float, *, price_min: float, price_max: float, quality_weight: float) -> Score:
    quality = QUALITY.get(cqc_rating, 0.0)
    # 100 at the minimum rate falling linearly to 0 at the cap.
    price = max(0.0, min(100.0, 100.0 * (price_max - hourly_rate) / (price_max - price_min)))
    total = quality_weight * quality + (1 - quality_weight) * price
    return Score(total=round(total, 2), quality=round(quality, 2), price=round(price, 2))
