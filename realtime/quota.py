"""How many sockets one user may hold open on one process.

Each socket costs a mailbox, a task or two and kernel buffers, and a replay of what it
missed: one signed-in user (or a script with a stolen token) opening thousands would take
the process's memory from everyone else. A person's real use is a few pages (a phone, a
desk, a second tab); the default of 100 also leaves room for a client that shares one token
between many sockets (a load test, a council's relay). Past the limit a new socket is closed at once with 4429,
and the page retries after its usual backoff (an old dead socket is dropped by the ping
timeout within a minute, making room)."""

from __future__ import annotations

from dataclasses import dataclass, field

CLOSE_TOO_MANY = 4429
TOO_MANY = "too many connections for this user; close another page first"


@dataclass
class SocketQuota:
    limit: int  # 0: no limit (the fan-out benchmark shares one token between many sockets)
    held: dict[str, int] = field(default_factory=dict)

    def take(self, user_id: str) -> bool:
        """Count a new socket for the user, or False (counting nothing) when over the limit."""
        n = self.held.get(user_id, 0)
        if self.limit and n >= self.limit:
            return False
        self.held[user_id] = n + 1
        return True

    def give(self, user_id: str) -> None:
        n = self.held.get(user_id, 0) - 1
        if n > 0:
            self.held[user_id] = n
        else:
            self.held.pop(user_id, None)
