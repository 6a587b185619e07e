"""Real time: the per-process fan-out hub and the `/ws` endpoint."""

from realtime.hub import Hub, message
from realtime.socket import endpoint as socket_endpoint

__all__ = ["Hub", "message", "socket_endpoint"]
