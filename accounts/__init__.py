"""Accounts: users and team logins, sessions, lockout and notification preferences."""

from accounts.store import (
    CHANNELS,
    DEFAULT_CHANNELS,
    ROLES,
    AccountError,
    AccountStore,
    User,
    effective_preferences,
    token_hash,
)

__all__ = [
    "AccountError", "AccountStore", "CHANNELS", "DEFAULT_CHANNELS", "ROLES", "User", "effective_preferences",
    "token_hash",
]
