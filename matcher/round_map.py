"""What a provider's map and demand pages show (issue 17).

The map: the live packages matched to the provider, each placed at its *sector* centroid
(never finer: the postcode is not the provider's before award), its current clients at
their full postcodes (they are its own), and its coverage. Demand: where packages in its
coverage went unplaced or took longest to place over the last 90 days, by district and
time band, counted over every package but naming no provider and no postcode.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from typing import Any

import geo
from config import keys
from core import iso, parse_iso
from matcher.model import BANDS, Package
from matcher.packages import PackageStore, Reader
from matcher.providers import ProviderStore
from matcher.round_book import RoundBook

DEMAND_DAYS = 90
MAX_LISTED = 500


@dataclass
class RoundMap:
    packages: PackageStore
    providers: ProviderStore
    rounds: RoundBook

    async def map(self, reader: Reader) -> dict[str, Any]:
        provider_id = reader.provider_id or ""
        provider = await self.providers.get(provider_id)
        listed = await self.packages.list(reader, status="live", urgency=None, area=None, limit=MAX_LISTED)
        postcodes = self.rounds.postcodes
        live = []
        for view in listed:
            try:
                centre = postcodes.sector_centroid(view["sector"])
            except KeyError:
                continue
            live.append({
                "id": view["id"], "urgency": view["urgency"], "district": view["district"], "sector": view["sector"],
                "deadline": view["deadline"], "round_fit": view.get("round_fit"),
                "sector_centre": [round(centre.lat, 5), round(centre.lon, 5)],
            })
        clients = []
        for client in (await self.rounds.current_clients([provider_id]))[provider_id]:
            place = postcodes.lookup(client.postcode)
            clients.append({"id": client.id, "postcode": client.postcode, "district": client.district,
                            "visits": client.visits, "location": [round(place.lat, 6), round(place.lon, 6)]})
        coverage = []
        for entry in provider.coverage:
            if entry.get("kind") == "radius":
                try:
                    place = postcodes.lookup(entry["postcode"])
                except geo.GeoError:
                    continue
                coverage.append({**entry, "location": [round(place.lat, 6), round(place.lon, 6)]})
            else:
                coverage.append(entry)
        return {"packages": live, "clients": clients, "coverage": coverage}

    async def demand(self, reader: Reader, now: float | None = None) -> dict[str, Any]:
        """Unplaced packages and time to place, by district and band, in the provider's coverage."""
        now = time.time() if now is None else now
        since = now - DEMAND_DAYS * 86400
        snapshot = await self.providers.snapshot()
        ids = await self.packages.redis.zrangebyscore(keys.PACKAGES, since, now)
        rows: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            for raw in await self.packages.redis.mget([keys.package(i) for i in ids[start:start + 500]]):
                if raw is None:
                    continue
                package = Package.from_dict(json.loads(raw))
                # Placed (awarded, even if later handed back) or not placed at all.
                if package.status not in ("unplaced", "awarded", "handed_back"):
                    continue
                place = geo.Place(package.postcode, package.district, package.sector, package.easting, package.northing, 0.0, 0.0)
                if (reader.provider_id or "") not in snapshot.coverage.covering(place):
                    continue
                bands = sorted({v.get("band") for v in package.visits if v.get("band") in BANDS}, key=BANDS.index) or ["none"]
                placed_h = None
                if package.awarded_at:
                    placed_h = (parse_iso(package.awarded_at) - parse_iso(package.posted_at)) / 3600
                for band in bands:
                    row = rows.setdefault(f"{package.district}|{band}", {"district": package.district, "band": band, "unplaced": 0, "hours": []})
                    if package.status == "unplaced":
                        row["unplaced"] += 1
                    elif placed_h is not None:
                        row["hours"].append(placed_h)
        out = []
        for row in rows.values():
            hours = row.pop("hours")
            row["placed"] = len(hours)
            row["median_hours_to_place"] = round(statistics.median(hours), 1) if hours else None
            row["longest_hours_to_place"] = round(max(hours), 1) if hours else None
            out.append(row)
        out.sort(key=lambda r: (-r["unplaced"], -(r["median_hours_to_place"] or 0), r["district"], r["band"]))
        return {"from": iso(since), "to": iso(now), "days": DEMAND_DAYS, "rows": out}
