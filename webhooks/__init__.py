"""Integration webhooks: the council's case-management and finance systems are sent the
events they subscribe to, signed as the Standard Webhooks specification says, in order per
package, retried with backoff, and never sent again once a receiver has acknowledged one."""

from webhooks import jobs
from webhooks.deliveries import DeliveryLog
from webhooks.endpoints import Endpoints
from webhooks.errors import UnknownDelivery, UnknownEndpoint, WebhookBusy, WebhookError
from webhooks.model import DELIVERED, EVENT_TYPES, EVENTS, FAILED, PENDING, Delivery, Endpoint
from webhooks.runtime import WebhookWorker, kick_lane
from webhooks.sender import signed_headers

__all__ = [
    "DELIVERED", "EVENT_TYPES", "EVENTS", "FAILED", "PENDING", "Delivery", "DeliveryLog", "Endpoint", "Endpoints",
    "UnknownDelivery", "UnknownEndpoint", "WebhookBusy", "WebhookError", "WebhookWorker", "jobs", "kick_lane", "signed_headers",
]
