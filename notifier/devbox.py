"""The dev outbox: with no SMTP host or Twilio account configured, messages are kept in a
bounded Redis list (shown at /dev/outbox) instead of being sent."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from redis.asyncio import Redis

from config import keys
from notifier.mail import OutgoingEmail


class DevOutbox:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def keep(self, message: dict[str, Any]) -> str:
        message_id = f"dev_{secrets.token_hex(8)}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(keys.DEV_OUTBOX, json.dumps({**message, "id": message_id, "at": time.time()}))
            pipe.ltrim(keys.DEV_OUTBOX, 0, keys.DEV_OUTBOX_MAX - 1)
            await pipe.execute()
        return message_id

    async def recent(self, limit: int = keys.DEV_OUTBOX_MAX) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in await self.redis.lrange(keys.DEV_OUTBOX, 0, limit - 1)]


class DevEmailSender:
    def __init__(self, outbox: DevOutbox) -> None:
        self.outbox = outbox

    async def send(self, mail_from: str, outgoing: OutgoingEmail) -> str:
        return await self.outbox.keep({
            "channel": "email", "notification_id": outgoing.notification_id, "from": mail_from, "to": outgoing.to,
            "subject": outgoing.content.subject, "text": outgoing.content.text, "html": outgoing.content.html,
        })

    async def close(self) -> None:
        return None


class DevSmsSender:
    def __init__(self, outbox: DevOutbox) -> None:
        self.outbox = outbox

    async def send(self, to: str, body: str, status_callback: str | None) -> str:
        return await self.outbox.keep({"channel": "sms", "to": to, "body": body})

    async def find_sent(self, to: str, body: str) -> str | None:
        for message in await self.outbox.recent():
            if message.get("channel") == "sms" and message.get("to") == to and message.get("body") == body:
                return str(message["id"])
        return None

    async def close(self) -> None:
        return None
