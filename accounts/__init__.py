"""Accounts: users and team logins, sessions, lockout and notification preferences."""

from accounts.errors import (
    AccountBusy,
    AccountDeactivated,
    AccountError,
    AccountLocked,
    EmailTaken,
    InvalidCredentials,
    InvalidSubscription,
    TooManyDevices,
    UnknownUser,
)
from accounts.phone import normalise_phone
from accounts.push import PushSubscription, PushSubscriptions, parse_subscription
from accounts.store import (
    CHANNELS,
    DEFAULT_CHANNELS,
    ROLES,
    AccountStore,
    User,
    effective_preferences,
    token_hash,
)

__all__ = [
    "AccountBusy", "AccountDeactivated", "AccountError", "AccountLocked", "AccountStore", "CHANNELS", "DEFAULT_CHANNELS", "EmailTaken",
    "InvalidCredentials", "InvalidSubscription", "PushSubscription", "PushSubscriptions", "ROLES", "TooManyDevices", "UnknownUser", "User", "effective_preferences",
    "normalise_phone", "parse_subscription", "token_hash",
]
