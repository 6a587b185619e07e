"""Questions before award: a matched provider asks, the broker answers privately or for all.

A published answer goes to every matched provider with the question but never the asker;
a private one only to the asker's provider. What providers receive is the question and the
broker's answer, never the package's postcode, council reference or the asker: the answer is
refused if it quotes the postcode or reference (a slip there would reach every provider).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from config import keys
from core import Event, EventLog, iso, new_id
from matcher import state
from matcher.errors import Conflict, Invalid, NotFound
from matcher.model import OPEN_STATUSES, Package, Record
from matcher.packages import PackageStore, Reader
from matcher.tx import transact
from matcher.placement_inputs import AnswerInput, QuestionInput


# Each question asked emails (and for red packages texts) every broker: a provider, or a
# script with its token, must not be able to ask without end. Answering one makes room.
MAX_OPEN_QUESTIONS = 5


@dataclass
class Question(Record):
    id: str
    package_id: str
    provider_id: str
    asked_by: str
    text: str
    asked_at: str
    answer: str | None = None
    answered_at: str | None = None
    answered_by: str | None = None
    published: bool = False

    def for_provider(self, provider_id: str | None) -> dict[str, Any]:
        """What a provider may read: never who asked, unless it was itself."""
        return {"id": self.id, "package_id": self.package_id, "text": self.text, "asked_at": self.asked_at,
                "answer": self.answer, "answered_at": self.answered_at, "published": self.published,
                "mine": self.provider_id == provider_id}


def quotes_private(text: str, package: Package) -> str | None:
    """The private detail `text` quotes, if any (postcode with or without its space, council reference)."""
    squashed = "".join(text.upper().split())
    if package.postcode and "".join(package.postcode.upper().split()) in squashed:
        return "postcode"
    if package.reference and package.reference.strip() and "".join(package.reference.upper().split()) in squashed:
        return "reference"
    return None


class Questions:
    def __init__(self, redis: Redis, packages: PackageStore, events: EventLog) -> None:
        self.redis = redis
        self.packages = packages
        self.events = events

    async def ask(self, package_id: str, body: QuestionInput, reader: Reader) -> Question:
        provider_id = reader.provider_id or ""
        await self.packages.require_match(package_id, provider_id)
        text = body.text
        question = Question(id=new_id("qst"), package_id=package_id, provider_id=provider_id, asked_by=reader.user_id,
                            text=text, asked_at=iso(time.time()))

        async def write(pipe: Pipeline) -> Question:
            package = await state.load_in(pipe, package_id)
            if package.status not in OPEN_STATUSES:
                raise Conflict(f"The package is {package.status}; questions are closed.", code="package_not_live")
            asked = (Question.from_dict(json.loads(r)) for r in await pipe.hvals(keys.package_questions(package_id)))
            if sum(1 for q in asked if q.provider_id == provider_id and q.answer is None) >= MAX_OPEN_QUESTIONS:
                raise Conflict(f"Your organisation has {MAX_OPEN_QUESTIONS} questions on this package waiting for an answer; "
                               "ask more once the council has answered one.", code="too_many_questions")
            pipe.multi()
            pipe.hset(keys.package_questions(package_id), question.id, json.dumps(question.to_dict()))
            # No audience: only brokers (who see every event) are told who asked what.
            self.events.queue(pipe, Event(type="question.asked", actor=reader.user_id, package_id=package_id, data={
                "package_id": package_id, "question_id": question.id, "provider_id": provider_id, "text": text,
            }))
            return question

        return await transact(self.redis, [keys.package(package_id), keys.package_questions(package_id)], write)

    async def answer(self, package_id: str, question_id: str, body: AnswerInput, actor: str) -> Question:
        text, publish = body.text, body.publish

        async def write(pipe: Pipeline) -> Question:
            package = await state.load_in(pipe, package_id)
            raw = await pipe.hget(keys.package_questions(package_id), question_id)
            if raw is None:
                raise NotFound("No such question.")
            question = Question.from_dict(json.loads(raw))
            if question.answer is not None:
                raise Conflict("This question has already been answered.", code="already_answered")
            leaked = quotes_private(text, package)
            if leaked:
                raise Invalid({"text": f"quotes the package's {leaked}; providers must not see it before award"})
            matched = await pipe.hkeys(keys.package_matches(package_id))
            question.answer, question.answered_at, question.answered_by = text, iso(time.time()), actor
            question.published = bool(publish)
            audience = sorted(matched) if question.published else [question.provider_id]
            pipe.multi()
            pipe.hset(keys.package_questions(package_id), question_id, json.dumps(question.to_dict()))
            # The asker is deliberately absent from the data: every matched provider may read it.
            self.events.queue(pipe, Event(type="question.answered", actor=actor, package_id=package_id, audience=audience, data={
                "package_id": package_id, "question_id": question_id, "question": question.text, "answer": text,
                "published": question.published,
            }))
            return question

        return await transact(self.redis, [keys.package(package_id), keys.package_questions(package_id)], write)

    async def list(self, package_id: str, reader: Reader) -> list[dict[str, Any]]:
        if reader.is_broker:
            await self.packages.load(package_id)
        else:
            await self.packages.require_match(package_id, reader.provider_id or "")
        raws = await self.redis.hvals(keys.package_questions(package_id))
        questions = sorted((Question.from_dict(json.loads(r)) for r in raws), key=lambda q: (q.asked_at, q.id))
        if reader.is_broker:
            return [q.to_dict() for q in questions]
        return [q.for_provider(reader.provider_id) for q in questions if q.published or q.provider_id == reader.provider_id]
