"""The shape of a trust's configuration, validated by pydantic when loaded.

One YAML file per model at the top of this module (`trust.yaml`, `partners.yaml`,
`bodies.yaml`, `priorities.yaml`, `calendar.yaml`, and optionally `scenario.yaml`).
Field-level rules live here; rules that cross files (unknown ids, a deadline before its
request) live in `trustcycle.config.crosscheck`.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from trustcycle.text import SingleLine, single_line

# --- scalar types ---------------------------------------------------------------------

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


def _email(value: str) -> str:
    value = single_line(value)
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not a valid email address")
    return value.lower()


def _identifier(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{value!r} is not an id (lower case letters, digits and _)")
    return value


def _portal_url(value: str) -> str:
    # The emailed links carry a capability: only https, or http to this machine (a test or
    # a local trial), may carry it.
    value = single_line(value)
    url = urlsplit(value)
    local = url.hostname in _LOCAL_HOSTS
    if url.scheme != "https" and not (url.scheme == "http" and local):
        raise ValueError(
            f"{value!r} must be an https:// URL (http:// only for localhost or 127.0.0.1)"
        )
    if not url.hostname or url.query or url.fragment or url.username or url.password:
        raise ValueError(f"{value!r} must be a plain https://host/path URL")
    return value


def _month_day(value: str) -> str:
    if not _MONTH_DAY.match(value):
        raise ValueError(f"{value!r} is not a month-day such as 07-01")
    return value


# Names, titles and roles: the one header-safe rule of trustcycle.text (the mail code's own).
Line = SingleLine
Email = Annotated[str, AfterValidator(_email)]
Ident = Annotated[str, AfterValidator(_identifier)]
MonthDay = Annotated[str, AfterValidator(_month_day)]
PortalUrl = Annotated[str, AfterValidator(_portal_url)]
# A day of the cycle year: a full date, or "MM-DD" placed in the cycle year (months before
# the cycle's start month fall in the following calendar year).
DayRef = dt.date | MonthDay


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(Strict):
    name: Line
    role: Line | None = None
    email: Email
    phone: Line | None = Field(None, description="Telephone, printed for a contact officer")


# --- trust.yaml -------------------------------------------------------------------------


class Category(str, Enum):
    """Statutory categories of partner (Children Act 2004 s10, as amended)."""

    local_authority = "local_authority"
    district_council = "district_council"
    police = "police"
    probation = "probation"
    youth_offending_team = "youth_offending_team"
    health = "health"  # PCT/SHA in 2010; the integrated care board today
    connexions = "connexions"
    learning_and_skills = "learning_and_skills"
    maintained_schools = "maintained_schools"
    academies = "academies"
    fe_colleges = "fe_colleges"
    sixth_form_colleges = "sixth_form_colleges"
    jobcentre_plus = "jobcentre_plus"
    voluntary_sector = "voluntary_sector"
    gp = "gp"
    fire = "fire"
    parents = "parents"
    young_people = "young_people"
    other = "other"


class LegalBasis(str, Enum):
    responsible_authority = "responsible_authority"  # CA 2004 s10(1)
    relevant_partner_2004 = "relevant_partner_2004"  # CA 2004 s10(4) as enacted
    ascl_2009 = "ascl_2009"  # added by ASCL Act 2009 ss193-194
    invited = "invited"


_HH_MM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def _run_time(value: str) -> str:
    match = _HH_MM.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a time such as 09:00")
    # UK clocks skip 01:00-01:59 in March and repeat it in October: a schedule there can
    # be missed or run twice (and Prefect has had bugs there).
    if match.group(1) == "01":
        raise ValueError(f"{value!r} falls in 01:00-01:59, which the clock changes skip or repeat")
    return value


RunTime = Annotated[str, AfterValidator(_run_time)]


class RunSchedule(Strict):
    """When `trustcycle serve` runs each flow on a working day (Europe/London)."""

    days: Literal["weekdays", "every day"] = Field(
        "weekdays", description="when the chase and the cycle driver run; the flows themselves "
        "do nothing on a weekend or bank holiday")
    chase: RunTime = Field("09:00", description="the daily chase (requests, reminders)")
    cycle: RunTime = Field("09:15", description="the cycle driver (sign-off, papers, catch-up)")
    steps: RunTime = Field("09:30", description="each process's own step days")


class Trust(Strict):
    id: Ident
    name: Line
    local_authority: Line
    timezone: Literal["Europe/London"] = "Europe/London"
    cycle_year: int = Field(description="The year the current cycle starts in, e.g. 2026")
    cycle_start: MonthDay = Field("04-01", description="First day of the cycle year")
    manager: Person = Field(description="The Trust manager: escalations are copied here")
    officer: Person = Field(description="The contact officer named on requests and papers")
    required_categories: list[Category] = Field(default_factory=list)
    attendance_threshold: float = Field(0.75, ge=0, le=1)
    house_style: Line | None = Field(
        None, description="A reference .docx (styles, page, margins) for DOCX papers, "
                          "relative to the configuration directory")
    portal_url: PortalUrl | None = None
    schedule: RunSchedule = Field(default_factory=RunSchedule)
    late_request_notice: int = Field(
        5, ge=1, le=40,
        description="working days a request opened late (catch-up) gives before its deadline",
    )


class TrustFile(Strict):
    trust: Trust


# --- partners.yaml ----------------------------------------------------------------------


class Partner(Strict):
    name: Line
    category: Category
    legal_basis: LegalBasis
    contacts: list[Person] = Field(min_length=1)
    senior_contact: Person

    @model_validator(mode="after")
    def _contacts_unique(self) -> Partner:
        seen = [c.email for c in self.contacts]
        dupes = sorted({e for e in seen if seen.count(e) > 1})
        if dupes:
            raise ValueError(f"duplicate contact email {dupes[0]}")
        return self


class PartnersFile(Strict):
    partners: dict[Ident, Partner]


# --- bodies.yaml ------------------------------------------------------------------------


class BodyKind(str, Enum):
    board = "board"
    executive = "executive"
    steering_group = "steering_group"
    area_partnership = "area_partnership"
    scrutiny = "scrutiny"
    health_and_wellbeing_board = "health_and_wellbeing_board"
    safeguarding = "safeguarding"
    strategic_partnership = "strategic_partnership"
    cabinet = "cabinet"
    public = "public"
    other = "other"


class Member(Strict):
    person: Person
    partner: Ident
    role: Line
    deputy: Person | None = None
    term_start: dt.date
    term_end: dt.date | None = None

    @model_validator(mode="after")
    def _term_order(self) -> Member:
        if self.term_end is not None and self.term_end < self.term_start:
            raise ValueError("term_end is before term_start")
        return self


class MeetingRule(Strict):
    rule: str = Field(description='e.g. "second Tuesday of Jan, Apr, Jul, Oct"')
    time: dt.time = dt.time(14, 0)
    starts: dt.date | None = None
    ends: dt.date | None = None


class Meetings(Strict):
    time: dt.time = dt.time(14, 0)
    dates: list[dt.date] = Field(default_factory=list)
    rules: list[MeetingRule] = Field(default_factory=list)
    cancelled: list[dt.date] = Field(default_factory=list)
    location: Line | None = Field(None, description="Where the body meets (calendar LOCATION)")


class Body(Strict):
    name: Line
    kind: BodyKind
    clerk: Person | None = None
    members: list[Member] = Field(default_factory=list)
    meetings: Meetings = Meetings()


class BodiesFile(Strict):
    bodies: dict[Ident, Body]


# --- priorities.yaml --------------------------------------------------------------------


class Indicator(Strict):
    name: Line
    target: float | None = None
    unit: Line | None = None
    higher_is_better: bool = True


class Priority(Strict):
    title: Line
    lead_partner: Ident
    indicator: Indicator | None = None


class PrioritiesFile(Strict):
    priorities: dict[Ident, Priority]


# --- calendar.yaml ----------------------------------------------------------------------


class MeetingRef(Strict):
    """One meeting of a body: on a `date`, or the first `on_or_after`, or the last `before`.

    (Not `on`: YAML 1.1 reads a bare `on` key as the boolean true.)"""

    body: Ident
    date: DayRef | None = None
    on_or_after: DayRef | None = None
    before: DayRef | None = None

    @model_validator(mode="after")
    def _one_selector(self) -> MeetingRef:
        chosen = [k for k in ("date", "on_or_after", "before") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError("give exactly one of date, on_or_after, before")
        return self


Anchor = Literal["request", "deadline", "cutoff", "meeting"]
_OFFSETS = (
    "working_days_before",
    "working_days_after",
    "clear_days_before",
    "days_before",
    "days_after",
)


class DateSpec(Strict):
    """When a step falls: one anchor, at most one offset, and a local wall-clock time.

    Anchors: `date` (a day of the cycle year), `meeting` (a meeting of a body, or
    "receiving" for the process's receiving meeting) or `of` (another step of the same
    process). Examples:
      {working_days_before: 7, meeting: receiving}
      {working_days_before: 7, meeting: {body: executive, on_or_after: "07-01"}}
      {date: "04-06"}
      {working_days_after: 5, of: deadline}
    """

    date: DayRef | None = None
    meeting: MeetingRef | Literal["receiving"] | None = None
    of: Anchor | None = None
    working_days_before: int | None = Field(None, ge=0)
    working_days_after: int | None = Field(None, ge=0)
    clear_days_before: int | None = Field(None, ge=0)
    days_before: int | None = Field(None, ge=0)
    days_after: int | None = Field(None, ge=0)
    time: dt.time | None = None

    @model_validator(mode="after")
    def _one_anchor_one_offset(self) -> DateSpec:
        anchors = [k for k in ("date", "meeting", "of") if getattr(self, k) is not None]
        if len(anchors) != 1:
            raise ValueError("give exactly one of date, meeting, of")
        offsets = [k for k in _OFFSETS if getattr(self, k) is not None]
        if len(offsets) > 1:
            raise ValueError(f"give at most one offset, not {', '.join(offsets)}")
        return self

    @property
    def offset(self) -> tuple[str, int] | None:
        for key in _OFFSETS:
            value = getattr(self, key)
            if value is not None:
                return key, value
        return None


class ProcessKind(str, Enum):
    membership_review = "membership_review"
    cypp_annual_review = "cypp_annual_review"
    joint_needs_analysis = "joint_needs_analysis"
    child_poverty_strategy = "child_poverty_strategy"
    event = "event"


class AskedOf(Strict):
    """Who owes a return: every partner, the priorities' lead partners, listed partners,
    or partners of listed categories."""

    all: bool = False
    leads: bool = False
    partners: list[Ident] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> AskedOf:
        if not (self.all or self.leads or self.partners or self.categories):
            raise ValueError("say who is asked: all, leads, partners or categories")
        return self


class ReturnSpec(Strict):
    id: Ident
    title: Line
    description: str = ""
    asked_of: AskedOf


class Rung(Strict):
    """A rung of the reminder ladder, in working days relative to the deadline:
    negative before it, 0 on the day, positive overdue."""

    name: Ident
    working_days: int
    escalate: bool = False


class InForce(Strict):
    start: dt.date | None = None
    end: dt.date | None = None


class Receiving(Strict):
    body: Ident
    meeting: MeetingRef | None = None
    publish: DateSpec | None = None
    clear_days: int = Field(5, ge=0, description="LGA 1972 s100B: papers 5 clear days before")

    @model_validator(mode="after")
    def _meeting_or_publish(self) -> Receiving:
        if (self.meeting is None) == (self.publish is None):
            raise ValueError("give exactly one of meeting, publish")
        return self


class Process(Strict):
    kind: ProcessKind
    title: Line
    legal_basis: Line
    enabled: bool
    in_force: InForce = InForce()
    returns: list[ReturnSpec] = Field(default_factory=list)
    request: DateSpec | None = None
    deadline: DateSpec | None = None
    cutoff: DateSpec | None = None
    ladder: list[Rung] = Field(default_factory=list)
    draft_template: Ident | None = None
    receiving: Receiving | None = None
    when: DateSpec | None = Field(None, description="The date of a plain event")
    triggers: list[Ident] = Field(
        default_factory=list,
        description="Processes to re-open when this one is revised (CPA 2010 s23)",
    )

    @model_validator(mode="after")
    def _shape(self) -> Process:
        if self.kind is ProcessKind.event:
            if self.when is None:
                raise ValueError("an event needs `when`")
            return self
        missing = [
            k for k in ("request", "deadline", "cutoff", "receiving") if getattr(self, k) is None
        ]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        if not self.returns:
            raise ValueError("a process that collects returns needs `returns`")
        names = [r.name for r in self.ladder]
        if len(set(names)) != len(names):
            raise ValueError("ladder rung names must be unique")
        days = [r.working_days for r in self.ladder]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("ladder rungs must be in strictly increasing working_days")
        return self


class CalendarFile(Strict):
    processes: dict[Ident, Process]


# --- scenario.yaml (the simulated year's scripted partners) -----------------------------


class ScriptedPriority(Strict):
    """A lead partner's rating of one CYPP priority."""

    rag: Literal["red", "amber", "green"]
    value: float | None = None
    narrative: str
    risks: str = ""
    changes: str = ""


class ScriptedIndicator(Strict):
    """One row of a needs analysis return (the portal's CSV columns)."""

    indicator: str
    period: str
    source: str
    value: float
    comparator: float | None = None
    ward: str = ""
    section: Literal["general", "child_poverty"] = "general"


class ScriptedMeasure(Strict):
    """One measure of a child poverty strategy return."""

    measure: str
    need: str = ""
    lead: str = ""
    target: str = ""
    by_when: str = ""
    monitoring: str = ""


class ScriptedSeat(Strict):
    """A change of representative on one body."""

    body: Ident
    name: Line
    role: Line
    email: Email
    seniority: str = ""
    deputy_name: str = ""
    deputy_email: Email | None = None


class ScriptedContent(Strict):
    """What a scripted partner's return says (each kind reads its own keys)."""

    priorities: dict[Ident, ScriptedPriority] = Field(default_factory=dict)
    indicators: list[ScriptedIndicator] = Field(default_factory=list)
    commentary: str = ""
    child_poverty_commentary: str = ""
    measures: list[ScriptedMeasure] = Field(default_factory=list)
    consultation: str = ""
    changes: list[ScriptedSeat] = Field(default_factory=list)
    absences: str = ""


class ScriptedAnswer(Strict):
    partner: Ident
    process: Ident
    behaviour: Literal["on_time", "late", "never"] = "on_time"
    working_days: int = Field(
        0, description="on_time: working days before the deadline; late: after it"
    )
    content: ScriptedContent | None = Field(None, description="what the return says")


class ScenarioFile(Strict):
    answers: list[ScriptedAnswer] = Field(default_factory=list)
    default: Literal["on_time", "late", "never"] = "on_time"
    attendance: Line | None = Field(
        None, description="CSV of past meetings' attendance (body,date,person,status), "
                          "relative to the configuration directory, imported before the year")
