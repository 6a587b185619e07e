"""A Hertfordshire-like world for the demo: the county's districts as areas, about 60
providers with realistic specialisms, ratings and tiers, one login per role, and a few
live packages."""

from __future__ import annotations

import random
from datetime import date, timedelta

from matcher import AreaInput, AvailabilityInput, PackageInput, ProviderInput, hours_of
from service import Brokerage

AREAS = {
    "Stevenage": ["SG1", "SG2"],
    "North Hertfordshire": ["SG4", "SG5", "SG6", "SG7", "SG8"],
    "East Hertfordshire": ["SG9", "SG10", "SG11", "SG12", "SG13", "SG14", "CM21", "CM23"],
    "Welwyn Hatfield": ["AL7", "AL8", "AL9", "AL10"],
    "St Albans": ["AL1", "AL2", "AL3", "AL4", "AL5"],
    "Dacorum": ["HP1", "HP2", "HP3", "HP4", "HP23"],
    "Watford and Three Rivers": ["WD3", "WD4", "WD5", "WD17", "WD18", "WD19", "WD24", "WD25"],
    "Hertsmere": ["WD6", "WD7", "EN6"],
    "Broxbourne": ["EN7", "EN8", "EN10", "EN11"],
}
NAMES = [
    "Abbey", "Bluebell", "Chiltern", "Cedar", "Evergreen", "Fairway", "Greenacres", "Hearthside", "Kingfisher",
    "Lea Valley", "Meadow", "Oakwood", "Orchard", "Priory", "Riverside", "Rosewood", "Willow", "Beacon",
    "Compass", "Harbour", "Lavender", "Maple", "Poppy", "Primrose", "Redbourn", "Sunrise", "Thistle", "Wren",
]
KINDS = ["Home Care", "Care at Home", "Homecare Services", "Community Care", "Support Services"]
SPECIALISM_POOL = [
    "dementia", "dementia", "dementia", "end_of_life", "stroke", "parkinsons", "diabetes_insulin",
    "catheter_stoma", "peg_feeding", "challenging_behaviour", "bariatric", "acquired_brain_injury",
    "autism", "sensory_impairment",
]
PASSWORD = "demo-password-123"
LOGINS = {
    "admin": "admin@demo.test",
    "broker": "broker@demo.test",
    "provider": "office@abbey-home-care.demo",
}


async def seed(service: Brokerage, admin_email: str | None, admin_password: str | None) -> dict[str, str]:
    rng = random.Random(20261122)
    if admin_email and admin_password:
        await service.accounts.ensure_admin(admin_email, admin_password)
        logins = {"admin": f"{admin_email} (password from ADMIN_PASSWORD)"}
    else:
        await service.accounts.create(LOGINS["admin"], PASSWORD, "admin", None, note=None)
        logins = {"admin": f"{LOGINS['admin']} / {PASSWORD}"}
    # The demo world is seeded, not an administrator's change: it starts with an empty audit trail.
    broker = await service.accounts.create(LOGINS["broker"], PASSWORD, "broker", None, note=None)
    logins["broker"] = f"{LOGINS['broker']} / {PASSWORD}"

    names = list(AREAS)
    for name, districts in AREAS.items():
        known = [d for d in districts if service.postcodes.has_district(d)]
        await service.areas.create(AreaInput.model_validate({"name": name, "districts": known}), note=None)

    providers = []
    for n in range(60):
        home = names[n % len(names)]
        neighbour = names[(n + 1 + rng.randrange(3)) % len(names)]
        covered = [d for d in AREAS[home] + rng.sample(AREAS[neighbour], k=min(2, len(AREAS[neighbour]))) if service.postcodes.has_district(d)]
        # The demo provider (n == 0) is primary at home so it sees packages in the first wave.
        tiers = {home: "primary" if n % 3 or n == 0 else "secondary", neighbour: rng.choice(["secondary", "reserve"])}
        name = f"{NAMES[n % len(NAMES)]} {KINDS[n % len(KINDS)]}" + (f" {n // len(NAMES) + 1}" if n >= len(NAMES) else "")
        coverage = [{"kind": "districts", "codes": covered}]
        if n % 7 == 0:
            centre = service.postcodes.place_at(service.postcodes.district_rows(AREAS[home][0])[0])
            coverage.append({"kind": "radius", "postcode": centre.postcode, "km": 6})
        provider = await service.providers.create(ProviderInput.model_validate({
            "name": name,
            "cqc_rating": rng.choices(["outstanding", "good", "requires_improvement"], [1, 6, 2])[0],
            "specialisms": sorted(set(rng.sample(SPECIALISM_POOL, k=rng.randint(1, 4)))),
            "client_groups": sorted(set(["older_people"] + rng.sample(["physical_disability", "learning_disability", "mental_health"], k=rng.randint(0, 2)))),
            "service_types": ["homecare"] + (["reablement"] if n % 2 else []) + (["live_in"] if n % 5 == 0 else []),
            "coverage": coverage,
            "tiers": tiers,
            "email": f"office@{name.lower().replace(' ', '-')}.demo",
            "phone": f"+4477009{n:05d}",
        }), note=None)
        providers.append(provider)
    first = providers[0]
    office = await service.accounts.create(LOGINS["provider"], PASSWORD, "provider", first.id, note=None)
    logins["provider"] = f"{LOGINS['provider']} / {PASSWORD}  ({first.name})"

    # Declared availability: a few providers have a morning run free at home, so packages
    # there list them first; the demo provider adds a tea run after the packages are posted,
    # which brings it the Stevenage packages it now fits at once.
    until = (date.today() + timedelta(days=14)).isoformat()
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    for n, provider in enumerate(providers[:6]):
        districts = [d for d in AREAS[names[n % len(names)]] if service.postcodes.has_district(d)][:2]
        await service.availability.post(AvailabilityInput.model_validate({
            "districts": districts, "days": every_day, "bands": ["morning"], "carers": 1, "valid_until": until,
        }), provider.id, office.id if n == 0 else "demo")

    start = (date.today() + timedelta(days=2)).isoformat()
    # Each package's hours a week are its visits' care time (a double-up counted once, as a
    # variation counts them), so the purchase order's figures agree with what the broker typed.
    # The Stevenage packages keep the morning-and-tea pattern the demo provider's runs fit.
    mornings_and_teas = [("morning", every_day, 45, 1), ("tea", ["mon", "wed", "fri"], 30, 1)]
    samples = [
        ("SG1", "red", ["dementia"], "Hospital discharge from the Lister", mornings_and_teas),
        ("SG2", "amber", [], "Support after a fall", mornings_and_teas),
        ("AL8", "green", ["diabetes_insulin"], "Insulin prompts", [("morning", every_day, 15, 1), ("tea", every_day, 15, 1)]),
        ("HP1", "amber", ["stroke"], "Reablement after a stroke", [("morning", every_day, 60, 2), ("bed", every_day, 30, 1)]),
        ("EN8", "green", [], "Carer breakdown, needs morning and tea visits", [("morning", every_day, 45, 1), ("tea", every_day, 30, 1)]),
    ]
    for district, urgency, specialisms, summary, pattern in samples:
        rows = service.postcodes.district_rows(district)
        postcode = service.postcodes.place_at(rows[rng.randrange(len(rows))]).postcode
        visits = [{"days": days, "band": band, "minutes": minutes, "carers": carers,
                   "time_critical": urgency == "red" and band == "morning"} for band, days, minutes, carers in pattern]
        await service.packages.post(PackageInput.model_validate({
            "postcode": postcode, "urgency": urgency, "service_type": "homecare", "client_group": "older_people",
            "hours_per_week": hours_of(visits), "start_date": start, "visits": visits,
            "specialisms": specialisms, "summary": f"Demo person: {summary}", "shareable_summary": summary,
            "reference": f"DEMO-{rng.randint(1000, 9999)}",
        }), broker.id)
    await service.availability.post(AvailabilityInput.model_validate({
        "districts": ["SG1", "SG2"], "days": ["mon", "wed", "fri"], "bands": ["tea"], "carers": 1, "valid_until": until,
    }), first.id, office.id)
    return logins
