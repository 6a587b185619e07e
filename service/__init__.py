"""The composition root: every domain part wired together for one process."""

from service.brokerage import Brokerage

__all__ = ["Brokerage"]
