"""Typed inputs before and after the award: questions and answers, requests for more time,
variations and their decisions (parsed by web, taken by `Questions`, `TimeRequests` and
`Variations`)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, StringConstraints, ValidationInfo, field_validator

from matcher.fields import Day, Input, Reason, no_controls, text_or_null
from matcher.inputs import VisitInput

QuestionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), no_controls("\n\t")]
AnswerText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), no_controls("\n\t")]
OptionalReason = Annotated[Reason | None, BeforeValidator(text_or_null)]


class QuestionInput(Input):
    """`POST /api/packages/{id}/questions`: a matched provider's question to the broker."""

    text: QuestionText


class AnswerInput(Input):
    """The broker's answer: private to the asker, or published (without the asker) to every matched provider."""

    text: AnswerText
    publish: bool = False


class VariationInput(Input):
    """A change to an awarded package's hours, visits or both, from a date."""

    ITEMISED: ClassVar[frozenset[str]] = frozenset({"visits"})

    reason: Reason
    effective_from: Day
    # Declared before hours_per_week so the check below sees whether visits were given.
    visits: Annotated[list[VisitInput], Field(min_length=1, max_length=50)] | None = None
    hours_per_week: Annotated[float, Field(gt=0, le=168)] | None = Field(default=None, validate_default=True)

    @field_validator("hours_per_week", mode="after")
    @classmethod
    def _some_change(cls, hours: float | None, info: ValidationInfo) -> float | None:
        # Invalid visits are reported on their own; only a change naming nothing is refused here.
        if hours is None and "visits" in info.data and info.data["visits"] is None:
            raise ValueError("must be given unless the visits change")
        return hours

    def visit_dicts(self) -> list[dict[str, Any]] | None:
        return None if self.visits is None else [v.model_dump() for v in self.visits]


class DeclineInput(Input):
    """Declining a variation: the reason is optional."""

    reason: OptionalReason = None


__all__ = ["AnswerInput", "DeclineInput", "QuestionInput", "VariationInput"]
