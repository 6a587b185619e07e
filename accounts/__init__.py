"""Accounts: users and team logins, sessions, lockout and notification preferences."""

from accounts.errors import AccountDeactivated, AccountError, AccountLocked, EmailTaken, InvalidCredentials, UnknownUser
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
    "AccountDeactivated", "AccountError", "AccountLocked", "AccountStore", "CHANNELS", "DEFAULT_CHANNELS", "EmailTaken",
    "InvalidCredentials", "ROLES", "UnknownUser", "User", "effective_preferences", "token_hash",
]
