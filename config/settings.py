"""The service's settings, read once from the environment and passed down explicitly."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, TypeVar

T = TypeVar("T")
# Password length bounds, the same at account creation, sign-in and ADMIN_PASSWORD.
MIN_PASSWORD = 12
MAX_PASSWORD = 1024


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class ConfigError(Exception):
    """A configuration variable has a value the service cannot run with."""


@dataclass(frozen=True)
class Smtp:
    host: str | None
    port: int
    username: str | None
    password: str | None = field(repr=False)
    # True: STARTTLS required; False: never; None (SMTP_STARTTLS unset, the contract's
    # default): used whenever the server offers it.
    starttls: bool | None
    mail_from: str


@dataclass(frozen=True)
class Twilio:
    account_sid: str | None
    auth_token: str | None = field(repr=False)
    from_number: str | None
    api_base: str | None


PUSH_SERVICES = ("fcm.googleapis.com", "updates.push.services.mozilla.com", "*.push.apple.com", "*.notify.windows.com")


@dataclass(frozen=True)
class Push:
    """Web Push: the VAPID key (PEM or base64url raw; unset = generated once under DATA_DIR)
    and the contact the push services see in its claims."""

    vapid_private_key: str | None = field(default=None, repr=False)
    subject: str = "mailto:brokerage@localhost"
    # Hosts a subscription's endpoint may name (a "*." prefix takes subdomains; "*" alone any
    # host). Any by default, as the contract asks no more; a deployment sets PUSH_SERVICES
    # (the browsers' push services) so the worker never POSTs to an https address a provider
    # user typed, inside the council's network too.
    allow_hosts: tuple[str, ...] = ("*",)


@dataclass(frozen=True)
class Webhooks:
    """Integration webhooks: how long one delivery may take, and the backoff between tries
    (doubling from `retry_base_s` up to `retry_max_s`) until `give_up_s` after the event."""

    timeout_s: float = 10.0
    retry_base_s: float = 5.0
    retry_max_s: float = 300.0
    give_up_s: float = 3 * 86400.0


@dataclass(frozen=True)
class Settings:
    redis_url: str | None
    data_dir: Path
    port: int
    admin_email: str | None
    admin_password: str | None = field(repr=False)
    deadline_s: dict[str, int] = field(default_factory=dict)
    price_min: float = 18.0
    price_max: float = 32.0
    quality_weight: float = 0.6
    release: str = "all"
    lockout_attempts: int = 5
    lockout_s: int = 900
    smtp: Smtp = field(default_factory=lambda: Smtp(None, 587, None, None, None, "brokerage@localhost"))
    twilio: Twilio = field(default_factory=lambda: Twilio(None, None, None, None))
    push: Push = field(default_factory=Push)
    webhooks: Webhooks = field(default_factory=Webhooks)
    sms_fallback_s: int = 900
    reminder_at: float = 0.75
    public_url: str = "http://localhost:8000"
    geo_cache: Path | None = None
    ws_send_queue: int = 1000
    ws_buffer_bytes: int = 1 << 20
    ws_max_per_user: int = 500  # sockets one user may hold on one process; 0 = no limit
    # The worker plans an event's emails, SMS and push this long after its commit, so on
    # shared cores it does not compete with the live feed writing the same event to sockets.
    notify_behind_s: float = 0.3
    realtime_port: int = 8001
    login_rate_per_min: int = 120
    session_ttl_s: int = 14 * 86400
    event_retention_s: int = 8 * 86400
    redis_sentinels: tuple[tuple[str, int], ...] = ()
    redis_master_name: str = "mymaster"
    redis_wait_replicas: int = 0
    redis_wait_ms: int = 500
    # Argon2id cost of new password hashes (argon2-cffi's RFC 9106 low-memory profile).
    # Only tests lower it: a hash records its own cost, so any cost still verifies.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # Average speed between care visits, for round fit's drive time (town driving, parking).
    round_speed_kmh: float = 25.0
    log_format: str = "text"
    metrics_token: str | None = field(default=None, repr=False)
    # Council call-duration bands: (longest minutes in the band, fraction of the hourly rate);
    # a visit longer than the last band is paid pro rata. Hertfordshire's schedule by default.
    call_bands: tuple[tuple[int, float], ...] = ((20, 0.4), (35, 0.6), (50, 0.8), (60, 1.0))
    # A provider's variation within this fraction of the weekly hours is accepted at once.
    # Off (0) by default: the contract has the other side accept or decline every variation.
    variation_flex: float = 0.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        read = _Reader(env)
        price_min = read("PRICE_MIN", 18.0, _positive_float)
        price_max = read("PRICE_MAX", 32.0, _positive_float)
        if price_max <= price_min:
            raise ConfigError(f"PRICE_MAX ({price_max}) must be greater than PRICE_MIN ({price_min})")
        admin_email = env.get("ADMIN_EMAIL") or None
        admin_password = env.get("ADMIN_PASSWORD") or None
        if bool(admin_email) != bool(admin_password):
            raise ConfigError("ADMIN_EMAIL and ADMIN_PASSWORD must be set together")
        if admin_password is not None and not MIN_PASSWORD <= len(admin_password) <= MAX_PASSWORD:
            raise ConfigError(f"ADMIN_PASSWORD must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        _check_redis_choice(env, read)
        return cls(
            redis_url=env.get("REDIS_URL") or None,
            data_dir=Path(env.get("DATA_DIR") or "./data").resolve(),
            port=read("PORT", 8000, _port),
            admin_email=admin_email,
            admin_password=admin_password,
            deadline_s={
                "red": read("DEADLINE_RED_S", 3600, _positive_int),
                "amber": read("DEADLINE_AMBER_S", 86400, _positive_int),
                "green": read("DEADLINE_GREEN_S", 172800, _positive_int),
            },
            price_min=price_min,
            price_max=price_max,
            quality_weight=read("QUALITY_WEIGHT", 0.6, _fraction),
            release=read("RELEASE", "all", _choice("all", "tiered")),
            lockout_attempts=read("LOCKOUT_ATTEMPTS", 5, _positive_int),
            lockout_s=read("LOCKOUT_S", 900, _positive_int),
            smtp=Smtp(
                host=env.get("SMTP_HOST") or None,
                port=read("SMTP_PORT", 587, _port),
                username=env.get("SMTP_USERNAME") or None,
                password=env.get("SMTP_PASSWORD") or None,
                starttls=read("SMTP_STARTTLS", None, _bool),
                mail_from=env.get("MAIL_FROM") or "brokerage@localhost",
            ),
            twilio=Twilio(
                account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
                auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
                from_number=env.get("TWILIO_FROM") or None,
                api_base=env.get("TWILIO_API_BASE") or None,
            ),
            push=Push(
                vapid_private_key=env.get("VAPID_PRIVATE_KEY") or None,
                subject=_vapid_subject(env.get("VAPID_SUBJECT") or f"mailto:{env.get('MAIL_FROM') or 'brokerage@localhost'}"),
                allow_hosts=read("PUSH_ALLOW_HOSTS", ("*",), _host_names),
            ),
            webhooks=Webhooks(
                timeout_s=read("WEBHOOK_TIMEOUT_S", 10.0, _webhook_timeout),
                retry_base_s=read("WEBHOOK_RETRY_BASE_S", 5.0, _positive_float),
                retry_max_s=read("WEBHOOK_RETRY_MAX_S", 300.0, _positive_float),
                give_up_s=read("WEBHOOK_GIVE_UP_S", 3 * 86400.0, _positive_float),
            ),
            sms_fallback_s=read("SMS_FALLBACK_S", 900, _positive_int),
            reminder_at=read("REMINDER_AT", 0.75, _fraction),
            # The contract's default, whatever PORT is: every process (web, worker, realtime)
            # must agree on it, or Twilio signatures made over the worker's callback address
            # fail on the web process. A service on another port sets PUBLIC_URL.
            public_url=(env.get("PUBLIC_URL") or "http://localhost:8000").rstrip("/"),
            login_rate_per_min=read("LOGIN_RATE_PER_MIN", 120, _positive_int),
            ws_send_queue=read("WS_SEND_QUEUE", 1000, _positive_int),
            ws_buffer_bytes=read("WS_BUFFER_BYTES", 1 << 20, _positive_int),
            ws_max_per_user=read("WS_MAX_PER_USER", 500, _count),
            notify_behind_s=read("NOTIFY_BEHIND_MS", 300, _behind_ms) / 1000,
            realtime_port=read("REALTIME_PORT", 8001, _port),
            round_speed_kmh=read("ROUND_SPEED_KMH", 25.0, _positive_float),
            call_bands=read("CALL_BANDS", ((20, 0.4), (35, 0.6), (50, 0.8), (60, 1.0)), _call_bands),
            variation_flex=read("VARIATION_FLEX", 0.0, _fraction),
            geo_cache=Path(env["GEO_CACHE_DIR"]).resolve() if env.get("GEO_CACHE_DIR") else None,
            redis_sentinels=read("REDIS_SENTINELS", (), _host_ports),
            redis_master_name=env.get("REDIS_MASTER_NAME") or "mymaster",
            redis_wait_replicas=read("REDIS_WAIT_REPLICAS", 0, _count),
            redis_wait_ms=read("REDIS_WAIT_MS", 500, _positive_int),
            argon2_time_cost=read("ARGON2_TIME_COST", 3, _positive_int),
            argon2_memory_kib=read("ARGON2_MEMORY_KIB", 65536, _argon2_memory),
            log_format=read("LOG_FORMAT", "text", _choice("text", "json")),
            metrics_token=env.get("METRICS_TOKEN") or None,
        )

    def window_s(self, urgency: str) -> int:
        return self.deadline_s[urgency]

    @property
    def geo_cache_dir(self) -> Path:
        """Where the postcode index is cached (GEO_CACHE_DIR, else DATA_DIR/geo)."""
        return self.geo_cache or self.data_dir / "geo"


def _without_passwords(message: str) -> str:
    """A value pasted with credentials in it (`redis://:secret@host`) is not echoed whole."""
    return re.sub(r"[^\s'\",/@]+@", "***@", message)


def _check_redis_choice(env: Mapping[str, str], read: _Reader) -> None:
    """One way to find Redis, and replicas to wait for only where there can be some."""
    url, sentinels = env.get("REDIS_URL") or None, read("REDIS_SENTINELS", (), _host_ports)
    if url and not url.startswith(REDIS_SCHEMES):
        # Not echoed: a URL carries the password. redis-py would refuse it later with a traceback.
        raise ConfigError(f"REDIS_URL must start with {', '.join(REDIS_SCHEMES)} (like redis://127.0.0.1:6379/0)")
    if url and sentinels:
        raise ConfigError("REDIS_URL and REDIS_SENTINELS are both set: set one (with Sentinel, REDIS_URL is not used)")
    if read("REDIS_WAIT_REPLICAS", 0, _count) > 0 and not (url or sentinels):
        raise ConfigError("REDIS_WAIT_REPLICAS needs a Redis with replicas (REDIS_SENTINELS or REDIS_URL); "
                          "the embedded Redis has none, so every change would wait REDIS_WAIT_MS for nothing")


def _webhook_timeout(raw: str) -> float:
    value = _positive_float(raw)
    if value > 25:  # two requests and a margin within the 60 s a worker job may take
        raise ValueError("must be at most 25 seconds")
    return value


def _vapid_subject(value: str) -> str:
    if not value.startswith(("mailto:", "https://")):
        raise ConfigError(f"VAPID_SUBJECT must start with mailto: or https:// (got {value!r})")
    return value


class _Reader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def __call__(self, name: str, default: T, parse: Callable[[str], T]) -> T:
        raw = self.env.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return parse(raw.strip())
        except (TypeError, ValueError) as exc:
            raise ConfigError(_without_passwords(f"{name}={raw!r} is not valid: {exc}")) from exc


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a whole number above 0")
    return value


def _host_names(raw: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip().lower() for n in raw.split(",") if n.strip()))
    if not names:
        raise ValueError("must name at least one host (or * for any)")
    for name in names:
        bare = name.removeprefix("*.")
        if name != "*" and (not bare or "*" in bare or "/" in bare or ":" in bare):
            raise ValueError(f"{name!r} is not a host name (a leading *. takes its subdomains)")
    return names


def _count(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be a whole number, 0 or more")
    return value


def _behind_ms(raw: str) -> int:
    value = _count(raw)
    if value > 5000:  # a delay longer than this is a mistake, not a tuning
        raise ValueError("must be at most 5000 milliseconds")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or value <= 0:
        raise ValueError("must be a number above 0")
    return value


def _argon2_memory(raw: str) -> int:
    value = int(raw)
    # Argon2 needs 8 KiB per lane (4 lanes); past 4 GiB one sign-in could exhaust the host.
    if not 32 <= value <= 4 * 1024 * 1024:
        raise ValueError("must be a whole number of KiB from 32 to 4194304")
    return value


def _fraction(raw: str) -> float:
    value = float(raw)
    if not 0 <= value <= 1:
        raise ValueError("must be between 0 and 1")
    return value


def _call_bands(raw: str) -> tuple[tuple[int, float], ...]:
    """`20:0.4,35:0.6,50:0.8,60:1.0`: up to 20 minutes 40 % of the hourly rate, and so on."""
    bands = []
    for part in raw.split(","):
        minutes, _, fraction = part.strip().partition(":")
        bands.append((int(minutes), float(fraction)))
    if not bands or any(m <= 0 or not 0 < f <= 10 for m, f in bands) or [m for m, _ in bands] != sorted({m for m, _ in bands}):
        raise ValueError("must be ascending minutes:fraction pairs like 20:0.4,35:0.6,50:0.8,60:1.0")
    return tuple(bands)


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 < value < 65536:
        raise ValueError("must be a port number 1-65535")
    return value


def _host_ports(raw: str) -> tuple[tuple[str, int], ...]:
    """`host:port,host:port` (REDIS_SENTINELS)."""
    out = []
    for item in raw.split(","):
        host, sep, port = item.strip().rpartition(":")
        if not sep or not host:
            raise ValueError(f"{item.strip()!r} must be host:port")
        if any(c in host for c in "/@ "):  # a URL (redis://, sentinel://) or a password would be taken as a host name
            raise ValueError(f"{item.strip()!r} must be host:port, without a scheme, password or path")
        out.append((host.strip("[]"), _port(port)))
    return tuple(out)


def _bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


def _choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return raw

    return parse
