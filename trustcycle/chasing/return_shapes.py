"""The shape of each kind of return, as typed models: the `record-return` run form in the
Prefect UI draws its fields from them, and a payload that does not fit is refused with
the field and the rule before anything is stored.

What is stored is the model's JSON without `kind`: the shapes `trustcycle.drafts.payloads`
reads (and the portal and `trustcycle returns record --json` write).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Text = Annotated[str, Field(max_length=20_000)]
Line = Annotated[str, Field(max_length=300)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Person(_Shape):
    name: Line = Field(min_length=1, description="Full name")
    role: Line = Field("", description="Job title")
    email: Line = Field("", description="Email address")
    seniority: Line = Field("", description="e.g. Director, Head of Service")


class RepresentationReturn(_Shape):
    """Membership review: who represents the partner, and their deputy."""

    kind: Literal["membership_review"] = "membership_review"
    representative: Person
    deputy: Person | None = None
    term_end: dt.date | None = Field(None, description="When the representative's term ends")
    absences: Text = Field("", description="Meetings missed, and why")
    changes: Text = Field("", description="Changes of representative proposed")


class PriorityProgress(_Shape):
    priority: Line = Field(min_length=1, description="The plan priority's id")
    rag: Literal["red", "amber", "green"] = Field(description="Red, amber or green")
    value: float | None = Field(None, description="The indicator's latest value")
    narrative: Text = Field("", description="Progress in the year")
    risks: Text = ""
    changes: Text = Field("", description="Changes proposed to the plan")


class CyppReturn(_Shape):
    """CYPP annual review: progress on each plan priority the partner leads."""

    kind: Literal["cypp_annual_review"] = "cypp_annual_review"
    priorities: list[PriorityProgress] = Field(min_length=1, max_length=200)


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
    indicators: list[Indicator] = Field(min_length=1, max_length=2000)
    commentary: Text = ""
    child_poverty_commentary: Text = ""


class Measure(_Shape):
    measure: Line = Field(min_length=1, description="What the partner will do")
    need: Line = Field("", description="The need from the needs assessment it addresses")
    lead: Line = ""
    by_when: Line = ""


class MeasuresReturn(_Shape):
    """Child poverty strategy: the measures the partner proposes (CPA 2010 s23)."""

    kind: Literal["child_poverty_strategy"] = "child_poverty_strategy"
    measures: list[Measure] = Field(min_length=1, max_length=500)
    commentary: Text = ""


ReturnPayload = Annotated[
    RepresentationReturn | CyppReturn | NeedsReturn | MeasuresReturn,
    Field(discriminator="kind"),
]


def stored_payload(payload: BaseModel) -> dict[str, Any]:
    """The JSON stored for a typed payload: its fields without the `kind` tag."""
    return payload.model_dump(mode="json", exclude={"kind"})


def kind_problem(payload_kind: str, process_kind: str) -> str | None:
    """Why a payload of one kind cannot be a return to a process of another, or None."""
    if payload_kind != process_kind:
        return (f"payload is a {payload_kind.replace('_', ' ')} return but the process is a "
                f"{process_kind.replace('_', ' ')}")
    return None
