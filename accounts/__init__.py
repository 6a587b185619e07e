"""Accounts: users and team logins, sessions, lockout and notification preferences."""

from accounts.store import CHANNELS, DEFAULT_CHANNELS, ROLES, AccountError, AccountStore, User

__all__ = ["CHANNELS", "DEFAULT_CHANNELS", "ROLES", "AccountError", "AccountStore", "User"]
