"""Every Redis key name and TTL the service uses, in one place (like arq's constants)."""

from __future__ import annotations

import hashlib

PREFIX = "hb:"

# Accounts
USERS = PREFIX + "users"  # zset user id -> created epoch
LOGIN_FAILURE_TTL_S = 86400  # consecutive failures are forgotten after a quiet day


def user(user_id: str) -> str:
    return f"{PREFIX}user:{user_id}"


def user_by_email(email: str) -> str:
    return f"{PREFIX}user-email:{email}"


def provider_users(provider_id: str) -> str:
    """set of the provider's users (its team logins)."""
    return f"{PREFIX}provider:{provider_id}:users"


def role_users(role: str) -> str:
    """set of the users with a role (brokers are alerted of unplaced packages)."""
    return f"{PREFIX}role:{role}:users"


def user_sessions(user_id: str) -> str:
    return f"{PREFIX}user:{user_id}:sessions"


def login_failures(user_id: str) -> str:
    return f"{PREFIX}login-failures:{user_id}"


def login_lock(user_id: str) -> str:
    return f"{PREFIX}login-lock:{user_id}"


RATE_WINDOW_S = 60


def login_rate(client_ip: str) -> str:
    """zset of failed sign-ins from one address in the last RATE_WINDOW_S (credential stuffing)."""
    return f"{PREFIX}rate:login:{client_ip}"


REVOKED_SESSIONS = PREFIX + "revoked-sessions"  # pub/sub channel: token hashes signed out


def session(token_hash: str) -> str:
    return f"{PREFIX}session:{token_hash}"


# Areas and providers
AREAS = PREFIX + "areas"  # zset area id -> created epoch
DISTRICT_AREA = PREFIX + "district-area"  # hash district -> area id
PROVIDERS = PREFIX + "providers"  # zset provider id -> created epoch
PROVIDERS_VERSION = PREFIX + "providers:version"  # random token, changed on every provider write


def area(area_id: str) -> str:
    return f"{PREFIX}area:{area_id}"


def area_by_name(name: str) -> str:
    return f"{PREFIX}area-name:{name.casefold()}"


def provider(provider_id: str) -> str:
    return f"{PREFIX}provider:{provider_id}"


def provider_packages(provider_id: str) -> str:
    """zset of packages this provider was matched to (score: match epoch)."""
    return f"{PREFIX}provider:{provider_id}:packages"


def provider_awards(provider_id: str) -> str:
    return f"{PREFIX}provider:{provider_id}:awards"


def provider_rounds_version(provider_id: str) -> str:
    """counter bumped whenever the provider's clients or availability change (round fit caches)."""
    return f"{PREFIX}provider:{provider_id}:rounds-version"


# Packages and offers
# Written before WAIT so the WAIT covers every earlier commit (config.redis.Durability).
REPLICATION_MARK = PREFIX + "replication-mark"
PACKAGES = PREFIX + "packages"  # zset package id -> posted epoch
DEADLINES = PREFIX + "deadlines"  # zset package id -> current window's deadline epoch (open windows only)


def package(package_id: str) -> str:
    return f"{PREFIX}package:{package_id}"


def package_matches(package_id: str) -> str:
    """hash provider id -> match JSON (wave, when, availability, distance)."""
    return f"{PREFIX}package:{package_id}:matches"


def package_offers(package_id: str) -> str:
    """hash offer id -> offer JSON; every offer of a package lives here so one WATCH guards them all."""
    return f"{PREFIX}package:{package_id}:offers"


def package_responses(package_id: str) -> str:
    """hash provider id -> "offered" | "declined" (for reminders and response rates)."""
    return f"{PREFIX}package:{package_id}:responses"


def package_history(package_id: str) -> str:
    """Stream: the package's audit trail, never trimmed."""
    return f"{PREFIX}package:{package_id}:history"


# Availability: every index is a zset slot id -> valid_until epoch, so expired slots are
# skipped (and trimmed) by score; the slot key itself expires at valid_until.
AVAILABILITY = PREFIX + "availability"  # every slot, for brokers' listing


def availability(slot_id: str) -> str:
    return f"{PREFIX}availability:{slot_id}"


def provider_availability(provider_id: str) -> str:
    return f"{PREFIX}provider:{provider_id}:availability"


def district_availability(district: str) -> str:
    return f"{PREFIX}availability-district:{district}"


# Events
EVENTS = PREFIX + "events"  # stream: the live event log, trimmed to the retention window


# Deadlines (arq)
def deadline_job_id(package_id: str, wave: int, extension: int = 0) -> str:
    """One job per window: (package, wave), and a new one each time a broker extends it."""
    return f"deadline:{package_id}:{wave}" + (f":x{extension}" if extension else "")


# Seen (for the SMS fallback)
def package_seen(package_id: str) -> str:
    """hash provider id -> first time any of its users saw the package."""
    return f"{PREFIX}package:{package_id}:seen"


# Notifications (notifier/)
NOTIFY_GROUP = "notifier"  # consumer group reading EVENTS; every worker is one consumer in it
NOTIFY_PENDING = PREFIX + "notify:pending"  # zset notification id -> epoch it should be finished by
NOTIFICATION_TTL_S = 30 * 86400  # records and idempotency claims outlive every retry and receipt
DEV_OUTBOX = PREFIX + "dev-outbox"  # list of JSON messages, newest first (no SMTP/Twilio configured)
DEV_OUTBOX_MAX = 500  # the dev outbox is trimmed to this many messages
REMINDER_DONE_TTL_S = 8 * 86400  # longer than any response window


def notification(notification_id: str) -> str:
    return f"{PREFIX}notification:{notification_id}"


def notification_claim(user_id: str, package_id: str, event: str, channel: str) -> str:
    """SET NX: the one notification for (user, package, event, channel)."""
    return f"{PREFIX}notify-claim:{user_id}:{package_id}:{event}:{channel}"


def package_notifications(package_id: str) -> str:
    """zset notification id -> created epoch."""
    return f"{PREFIX}package:{package_id}:notifications"


def notify_job_id(notification_id: str) -> str:
    return notification_id


def notify_recovery_job_id(notification_id: str, attempts: int) -> str:
    return f"{notification_id}:recover:{attempts}"


def notify_batch_job_id(notification_ids: list[str]) -> str:
    """One job delivering many records of one channel: named by its records, so planning
    the same events again finds the job already there."""
    digest = hashlib.sha256("|".join(notification_ids).encode()).hexdigest()
    return f"ntf_batch_{digest[:24]}"


def notify_retry_job_id(notification_id: str, attempt: int) -> str:
    """A record of a batch that failed for now, retried on its own after its backoff."""
    return f"{notification_id}:retry:{attempt}"


def fallback_job_id(package_id: str, provider_id: str) -> str:
    return f"sms-fallback:{package_id}:{provider_id}"


# Web Push subscriptions (accounts/push.py)
def push_subscription(subscription_id: str) -> str:
    """hash: user_id, endpoint, p256dh, auth, created_at."""
    return f"{PREFIX}push-subscription:{subscription_id}"


def user_push_subscriptions(user_id: str) -> str:
    """set of the user's subscription ids (one per device/browser)."""
    return f"{PREFIX}user:{user_id}:push-subscriptions"


VAPID_KEY_FILE = "vapid/private_key.pem"  # under DATA_DIR when VAPID_PRIVATE_KEY is unset


# Reminders (matcher/reminders.py)
def reminder_job_id(package_id: str, wave: int, extension: int = 0) -> str:
    return f"reminder:{package_id}:{wave}" + (f":x{extension}" if extension else "")


def reminder_done(package_id: str, wave: int, extension: int = 0) -> str:
    return f"{PREFIX}package:{package_id}:reminded:{wave}" + (f":x{extension}" if extension else "")


# -- the administrative audit trail (back office) ------------------------------------------
AUDIT = PREFIX + "audit"  # stream: every administrative change (who, when, what, before/after)
AUDIT_MAX = 200_000  # approximate cap: years of a council's administrative changes


# Before and after the award: questions, requests for more time, purchase orders, variations
def package_questions(package_id: str) -> str:
    """hash question id -> question JSON (asker, text, answer)."""
    return f"{PREFIX}package:{package_id}:questions"


def package_time_requests(package_id: str) -> str:
    """hash request id -> a matched provider's request for more time (JSON)."""
    return f"{PREFIX}package:{package_id}:more-time"


def package_purchase_orders(package_id: str) -> str:
    """list of the package's purchase order versions (JSON), oldest first."""
    return f"{PREFIX}package:{package_id}:purchase-orders"


PURCHASE_ORDER_SEQ = PREFIX + "purchase-order-seq"  # counter numbering purchase orders


def package_variations(package_id: str) -> str:
    """hash variation id -> variation JSON."""
    return f"{PREFIX}package:{package_id}:variations"


def reply_code(code: str) -> str:
    """package id an SMS reply code stands for."""
    return f"{PREFIX}reply-code:{code}"


REPLY_CODE_TTL_S = 30 * 86400  # a reply code outlives any response window


def phone_users(phone: str) -> str:
    """set of user ids whose preferences register this phone (E.164)."""
    return f"{PREFIX}phone:{phone}:users"


def inbound_sms(message_sid: str) -> str:
    """marks an incoming SMS handled: Twilio retries a webhook it thinks failed."""
    return f"{PREFIX}inbound-sms:{message_sid}"


# Integration webhooks (webhooks/)
WEBHOOK_GROUP = "webhooks"  # consumer group reading EVENTS to plan webhook deliveries
WEBHOOKS = PREFIX + "webhooks"  # zset endpoint id -> registered epoch
WEBHOOK_LANES = PREFIX + "webhook-lanes"  # set of "endpoint|lane" with deliveries waiting
WEBHOOK_DELIVERY_TTL_S = 30 * 86400  # the delivery log and its claims outlive every retry
WEBHOOK_DELIVERIES_KEPT = 1000  # newest deliveries listed per endpoint


def webhook(endpoint_id: str) -> str:
    """hash: the endpoint's url, event types, secret and registration."""
    return f"{PREFIX}webhook:{endpoint_id}"


def webhook_deliveries(endpoint_id: str) -> str:
    """zset delivery id -> created epoch: the endpoint's delivery log."""
    return f"{PREFIX}webhook:{endpoint_id}:deliveries"


def webhook_delivery(delivery_id: str) -> str:
    return f"{PREFIX}webhook-delivery:{delivery_id}"


def webhook_claim(endpoint_id: str, event_id: str) -> str:
    """SET NX: the one delivery of an event to an endpoint."""
    return f"{PREFIX}webhook-claim:{endpoint_id}:{event_id}"


def webhook_lane(endpoint_id: str, lane: str) -> str:
    """zset delivery id -> event order: what waits for one endpoint about one package, in order."""
    return f"{PREFIX}webhook-lane:{endpoint_id}:{lane}"


def webhook_lane_job_id(endpoint_id: str, lane: str) -> str:
    return f"webhook-lane:{endpoint_id}:{lane}"


# Bulk import by CSV (matcher/imports.py): validated whole, posted in chunks, resumable
def package_import(import_id: str) -> str:
    """hash: `meta` (JSON: actor, status, total, times) and, while posting, `bodies` (JSON rows)."""
    return f"{PREFIX}import:{import_id}"


def package_import_rows(import_id: str) -> str:
    """hash row number -> what that row became (JSON); a row is posted once: written in the
    same transaction as its package, checked under WATCH before it is posted."""
    return f"{PREFIX}import:{import_id}:rows"


def package_import_lease(import_id: str) -> str:
    """string: the process posting the import now; expires if that process dies."""
    return f"{PREFIX}import:{import_id}:lease"


IMPORTS_POSTING = PREFIX + "imports:posting"  # zset import id -> start time, until every row is posted
IMPORT_LEASE_S = 15  # renewed after every chunk; a dead poster's import is resumed after this
IMPORT_KEEP_S = 30 * 86400  # the report of a finished import (the rows' bodies are dropped at once)
