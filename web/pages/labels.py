"""Words for the enumerations, shared by the page templates."""

from __future__ import annotations

from matcher import BANDS, CLIENT_GROUPS, DAYS, SERVICE_TYPES, SPECIALISMS

BAND_TIMES = {"morning": "07:00–10:00", "lunch": "11:30–14:00", "tea": "16:00–18:30", "bed": "19:00–22:00", "night": "22:00–07:00"}
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")))
SPECIAL_WORDS = {"peg_feeding": "PEG feeding", "catheter_stoma": "Catheter or stoma", "diabetes_insulin": "Diabetes (insulin)",
                 "end_of_life": "End of life", "live_in": "Live-in", "homecare": "Home care"}


def words(code: str) -> str:
    return SPECIAL_WORDS.get(code, code.replace("_", " ").capitalize())


def options(codes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(code, words(code)) for code in codes]


def enumerations() -> dict[str, list[tuple[str, str]]]:
    return {
        "service_types": options(SERVICE_TYPES),
        "client_groups": options(CLIENT_GROUPS),
        "specialisms": options(SPECIALISMS),
        "days": [(d, DAY_NAMES[d]) for d in DAYS],
        "bands": [(b, f"{b.capitalize()} ({BAND_TIMES[b]})") for b in BANDS],
    }
