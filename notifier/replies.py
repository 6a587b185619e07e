"""Answering by text: every alert SMS for a package carries a short reply code, and a reply
`NO <code> <reason>` declines the package for the sender's provider, `MORE <code> <reason>`
asks the broker for more time.

A code is derived from the package id (so every worker writes the same one into the same
message) and remembered in Redis so a reply can be resolved to its package. The sender is
known only by the phone number registered in a provider user's preferences; anything not
understood changes nothing and is answered with what is understood."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from pydantic import ValidationError
from redis.asyncio import Redis

from accounts import AccountStore, User
from config import keys
from matcher import BrokerageError, OfferBook, Reader, ReasonInput, TimeRequests

log = logging.getLogger("notifier.replies")
CODE_LEN = 6
VERBS = ("NO", "MORE")
HELP = "Sorry, we did not understand. Reply NO <code> <reason> to decline a package, or MORE <code> <reason> to ask for more time."
UNKNOWN_NUMBER = "This number is not registered with the brokerage. Add it in your notification settings to answer by text."
_REPLY = re.compile(r"^\s*(\w+)\s+([A-Za-z0-9]+)\s*(.*)$", re.DOTALL)
# (to, body): sends one SMS (the web process's Twilio client or the dev outbox).
SendSms = Callable[[str, str], Awaitable[Any]]


def reply_code(package_id: str) -> str:
    """Six letters and digits (base32 of the id's digest: no 0/1/8/9 to misread)."""
    digest = hashlib.sha256(package_id.encode()).digest()
    return base64.b32encode(digest).decode()[:CODE_LEN]


class ReplyCodes:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def remember(self, package_id: str) -> str:
        code = reply_code(package_id)
        # First package to claim a code keeps it (30 bits: a clash is rare and only costs that reply).
        await self.redis.set(keys.reply_code(code), package_id, nx=True, ex=keys.REPLY_CODE_TTL_S)
        return code

    async def first_time(self, message_sid: str) -> bool:
        """True the first time an incoming message id is seen (Twilio retries webhooks)."""
        if not message_sid:
            return True
        return bool(await self.redis.set(keys.inbound_sms(message_sid), "1", nx=True, ex=keys.REPLY_CODE_TTL_S))

    async def resolve(self, code: str) -> str | None:
        return await self.redis.get(keys.reply_code(code.upper()))


@dataclass(frozen=True)
class Reply:
    verb: str
    code: str
    reason: str


def parse_reply(body: str) -> Reply | None:
    found = _REPLY.match(body or "")
    if not found:
        return None
    verb, code, reason = found.group(1).upper(), found.group(2).upper(), " ".join(found.group(3).split())
    if verb not in VERBS:
        return None
    return Reply(verb, code, reason)


class TextReplies:
    def __init__(self, accounts: AccountStore, codes: ReplyCodes, offers: OfferBook, time_requests: TimeRequests, send: SendSms) -> None:
        self.accounts = accounts
        self.codes = codes
        self.offers = offers
        self.time_requests = time_requests
        self.send = send

    async def handle(self, sender: str, body: str, message_sid: str = "") -> str | None:
        """Act on one incoming SMS; returns what was answered (also sent to `sender`), or None
        for a retried delivery of a message already handled."""
        if not await self.codes.first_time(message_sid):
            return None
        answer = await self._act(sender, body)
        await self.send(sender, answer)
        return answer

    async def _act(self, sender: str, body: str) -> str:
        users = [u for u in await self.accounts.users_with_phone(sender) if u.provider_id] if sender else []
        if not users:
            return UNKNOWN_NUMBER
        reply = parse_reply(body)
        if reply is None:
            return HELP
        package_id = await self.codes.resolve(reply.code)
        if package_id is None:
            return f"We do not know the code {reply.code}. " + HELP
        user = _matched_user(users)
        reader = Reader(user_id=user.id, is_broker=False, provider_id=user.provider_id)
        try:
            # The same bounds as a reason typed on the site (length, no control characters).
            given = ReasonInput(reason=reply.reason or "(no reason given by text)")
        except ValidationError:
            return f"Nothing was changed for package {reply.code}: the reason must be under 500 characters of plain text."
        try:
            if reply.verb == "NO":
                await self.offers.decline(package_id, given.reason, reader)
                return f"Thank you: package {reply.code} is declined for your organisation."
            await self.time_requests.request(package_id, given, reader)
            return f"Thank you: we have asked the council for more time on package {reply.code}. You will hear either way."
        except BrokerageError as exc:
            log.info("text reply %s on %s refused: %s", reply.verb, package_id, exc.code)
            if exc.code == "not_found":
                return f"We do not know the code {reply.code}. " + HELP
            return f"Nothing was changed for package {reply.code}: {exc.message}"


def _matched_user(users: list[User]) -> User:
    # A number registered by several users: any of them speaks for the same provider in turn;
    # the first (by id) is the actor recorded.
    return sorted(users, key=lambda u: u.id)[0]
