"""The shape of each kind of return, as typed models: the `record-return` run form in the
Prefect UI draws its fields from them, and a payload that does not fit is refused with
one line (the field and the rule) before anything is stored.

The shapes carry every field the portal's forms write and the drafts read
(`trustcycle.drafts.payloads`): a membership return's seats per body, a CYPP return's
comments (alone, for a report-only return), a measure's target and monitoring, the
strategy's consultation.

What is stored is the model's JSON without `kind`: the shapes `trustcycle.drafts.payloads`
reads (and the portal and `trustcycle returns record --json` write).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

Text = Annotated[str, Field(max_length=10_000)]  # the portal's limit: a draft cuts nothing
Line = Annotated[str, Field(max_length=300)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Person(_Shape):
    name: Line = Field(min_length=1, description="Full name")
    role: Line = Field("", description="Job title")
    email: Line = Field("", description="Email address")
    seniority: Line = Field("", description="e.g. Director, Head of Service")


class SeatAnswer(_Shape):
    """One seat the partner holds on one body: confirmed as it is, or changed."""

    body: Line = Field(min_length=1, description="The body's id (bodies.yaml), e.g. board")
    body_name: Line = Field("", description="The body's name (shown on the return)")
    action: Literal["confirm", "change"] = Field(description="Confirm the seat, or change it")
    representative: Person | None = None
    deputy: Person | None = None
    term_end: dt.date | None = Field(None, description="When the seat's term ends")


class RepresentationReturn(_Shape):
    """Membership review: who represents the partner, and their deputy; `seats` answers
    for each seat on each body (a partner may hold several, two on one body)."""

    kind: Literal["membership_review"] = "membership_review"
    representative: Person | None = Field(
        None, description="The representative (the first seat's, when seats are listed)")
    deputy: Person | None = None
    term_end: dt.date | None = Field(None, description="When the representative's term ends")
    absences: Text = Field("", description="Meetings missed, and why")
    changes: Text = Field("", description="Changes of representative proposed")
    seats: list[SeatAnswer] = Field(default_factory=list, max_length=200,
                                    description="One answer per seat, per body")

    @model_validator(mode="after")
    def _says_who(self) -> RepresentationReturn:
        if self.representative is None and not self.seats:
            raise ValueError("name the representative or answer for at least one seat")
        return self


class PriorityProgress(_Shape):
    priority: Line = Field(min_length=1, description="The plan priority's id")
    title: Line = Field("", description="The priority's title (for one not in the plan)")
    rag: Literal["red", "amber", "green"] = Field(description="Red, amber or green")
    value: float | None = Field(None, description="The indicator's latest value")
    narrative: Text = Field("", description="Progress in the year")
    risks: Text = ""
    changes: Text = Field("", description="Changes proposed to the plan")


class CyppReturn(_Shape):
    """CYPP annual review: progress on each plan priority the partner leads, and comments
    (comments alone make a report-only return)."""

    kind: Literal["cypp_annual_review"] = "cypp_annual_review"
    priorities: list[PriorityProgress] = Field(default_factory=list, max_length=200)
    notes: Text = Field("", description="Comments, or the report itself")

    @model_validator(mode="after")
    def _says_something(self) -> CyppReturn:
        if not self.priorities and not self.notes.strip():
            raise ValueError("give at least one priority or the comments (notes)")
        return self


class Indicator(_Shape):
    indicator: Line = Field(min_length=1)
    period: Line = ""
    source: Line = ""
    value: float | None = None
    comparator: float | None = Field(None, description="England or statistical neighbours")
    ward: Line = ""
    section: Literal["child_poverty", "general"] = "general"


class NeedsReturn(_Shape):
    """Joint needs analysis: data sets with commentary (child poverty as its own section)."""

    kind: Literal["joint_needs_analysis"] = "joint_needs_analysis"
    indicators: list[Indicator] = Field(min_length=1, max_length=5000)
    commentary: Text = ""
    child_poverty_commentary: Text = ""


class Measure(_Shape):
    measure: Line = Field(min_length=1, description="What the partner will do")
    need: Line = Field("", description="The need from the needs assessment it addresses")
    lead: Line = ""
    target: Line = Field("", description="What it aims to achieve")
    by_when: Line = ""
    monitoring: Text = Field("", description="How it is monitored")


class MeasuresReturn(_Shape):
    """Child poverty strategy: the measures the partner proposes (CPA 2010 s23)."""

    kind: Literal["child_poverty_strategy"] = "child_poverty_strategy"
    measures: list[Measure] = Field(min_length=1, max_length=500)
    commentary: Text = ""
    consultation: Text = Field("", description="Who was consulted (CPA 2010 s23(5))")


AnyReturn = RepresentationReturn | CyppReturn | NeedsReturn | MeasuresReturn
ReturnPayload = Annotated[AnyReturn, Field(discriminator="kind")]
_PAYLOAD: TypeAdapter[Any] = TypeAdapter(ReturnPayload)


def problem_line(exc: ValidationError, prefix: str = "payload") -> str:
    """A validation error as one line: the first problem's key path and rule, and how many
    more there are."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    path = ".".join([prefix, *(str(p) for p in first["loc"] if p not in _KINDS)])
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] in ("union_tag_not_found", "union_tag_invalid"):
        path, message = f"{prefix}.kind", f"must be one of {', '.join(sorted(_KINDS))}"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{path}: {message}{more}"


_KINDS = {"membership_review", "cypp_annual_review", "joint_needs_analysis",
          "child_poverty_strategy"}


def read_payload(value: object) -> AnyReturn | None:
    """A typed payload from a model or the JSON a run form sends (an empty one is none);
    a payload that does not fit raises ValueError with one line."""
    if isinstance(value, AnyReturn):
        return value
    if value is None or value == {}:
        return None
    try:
        return _PAYLOAD.validate_python(value)
    except ValidationError as exc:
        raise ValueError(problem_line(exc)) from None


def stored_payload(payload: BaseModel) -> dict[str, Any]:
    """The JSON stored for a typed payload: its fields without the `kind` tag (nor an empty
    `seats`: the drafts read a membership return listing no seats as one for no seat, and
    a return of the flat fields alone as the answer for the receiving body)."""
    stored = payload.model_dump(mode="json", exclude={"kind"})
    if stored.get("seats") == []:
        del stored["seats"]
    return stored


def kind_problem(payload_kind: str, process_kind: str) -> str | None:
    """Why a payload of one kind cannot be a return to a process of another, or None."""
    if payload_kind != process_kind:
        return (f"payload is a {payload_kind.replace('_', ' ')} return but the process is a "
                f"{process_kind.replace('_', ' ')}")
    return None
