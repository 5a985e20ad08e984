"""The shape of a trust's configuration, validated by pydantic when loaded.

One YAML file per model at the top of this module (`trust.yaml`, `partners.yaml`,
`bodies.yaml`, `priorities.yaml`, `calendar.yaml`, and optionally `scenario.yaml`).
Field-level rules live here; rules that cross files (unknown ids, a deadline before its
request) live in `trustcycle.calendar.checks`.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from trustcycle.text import SingleLine, single_line

# --- scalar types ---------------------------------------------------------------------

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # 02-29: see _month_day


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
    """A day every year has: "04-31" does not exist, and "02-29" only in leap years (a
    file that serves every cycle year cannot use it: 02-28, 03-01 or a full date)."""
    if not _MONTH_DAY.match(value):
        raise ValueError(f"{value!r} is not a month-day such as 07-01")
    month, day = (int(x) for x in value.split("-"))
    if value == "02-29":
        raise ValueError("'02-29' is not in every cycle year: use 02-28, 03-01 or a full date")
    if day > _DAYS_IN_MONTH[month - 1]:
        name = dt.date(2001, month, 1).strftime("%B")
        raise ValueError(f"{value!r} is not a day: {name} has {_DAYS_IN_MONTH[month - 1]} days")
    return value


def _day_ref(value: object) -> object:
    """A full date (YYYY-MM-DD) or a month-day (MM-DD), or one line saying which it is not
    (before the union, whose two branches would each report)."""
    if isinstance(value, str):
        if _FULL_DATE.match(value):
            try:
                dt.date.fromisoformat(value)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a date: {exc}") from None
        else:
            _month_day(value)
    elif not isinstance(value, dt.date):
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD) or a month-day (MM-DD)")
    return value


# Names, titles and roles: the one header-safe rule of trustcycle.text (the mail code's own).
Line = SingleLine
# WithJsonSchema: the pattern an editor checks as the officer types (trustcycle config schema);
# the validators above still give the one-line errors.
Email = Annotated[str, AfterValidator(_email),
                  WithJsonSchema({"type": "string", "pattern": _EMAIL.pattern})]
Ident = Annotated[str, AfterValidator(_identifier),
                  WithJsonSchema({"type": "string", "pattern": _ID.pattern})]
MonthDay = Annotated[str, AfterValidator(_month_day),
                     WithJsonSchema({"type": "string", "pattern": _MONTH_DAY.pattern})]
PortalUrl = Annotated[str, AfterValidator(_portal_url)]
# A day of the cycle year: a full date, or "MM-DD" placed in the cycle year (months before
# the cycle's start month fall in the following calendar year).
DayRef = Annotated[dt.date | MonthDay, BeforeValidator(_day_ref)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(Strict):
    name: Line = Field(
        description="The person's name as it appears on letters and papers, e.g. Dana Okafor",
    )
    role: Line | None = Field(
        None,
        description="Their job title, e.g. Director of Children's Services",
    )
    email: Email = Field(description="Their email address (mail goes here)")
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


class Nation(str, Enum):
    """Whose bank holidays close working days (they differ: README, "Dates")."""

    england = "england"
    wales = "wales"
    scotland = "scotland"
    northern_ireland = "northern_ireland"


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


_RUN_TIME_PATTERN = r"^(0[02-9]|1[0-9]|2[0-3]):[0-5][0-9]$"  # HH:MM, never 01:MM
RunTime = Annotated[str, AfterValidator(_run_time),
                    WithJsonSchema({"type": "string", "pattern": _RUN_TIME_PATTERN})]

_DURATION = re.compile(r"^(?:([0-9]{1,2})h)? ?(?:([0-9]{1,3})m)?$")
MAX_MEETING_MINUTES = 12 * 60


def duration_minutes(value: str) -> int:
    """Minutes of a duration such as 2h, 90m or 1h30m."""
    match = _DURATION.match(value.strip())
    if not match or not any(match.groups()):
        raise ValueError(f"{value!r} is not a duration such as 2h, 90m or 1h30m")
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def _duration(value: str) -> str:
    minutes = duration_minutes(value)
    if not 0 < minutes <= MAX_MEETING_MINUTES:
        raise ValueError(f"{value!r}: a meeting lasts more than 0 and at most 12 hours")
    return value


Duration = Annotated[str, AfterValidator(_duration), WithJsonSchema(
    {"type": "string", "pattern": r"^([0-9]{1,2}h)? ?([0-9]{1,3}m)?$"})]


class RunSchedule(Strict):
    """When `trustcycle serve` runs each flow on a working day (Europe/London)."""

    days: Literal["weekdays", "every day"] = Field(
        "weekdays", description="when the chase and the cycle driver run; the flows themselves "
        "do nothing on a weekend or bank holiday")
    chase: RunTime = Field("09:00", description="the daily chase (requests, reminders)")
    cycle: RunTime = Field("09:15", description="the cycle driver (sign-off, papers, catch-up)")
    steps: RunTime = Field("09:30", description="each process's own step days")


class Trust(Strict):
    id: Ident = Field(
        description="A short id for the trust: lower case letters, digits and _, e.g. rutland",
    )
    name: Line = Field(
        description="The trust's name as printed on papers, e.g. Rutland Children's Trust",
    )
    local_authority: Line = Field(
        description="The local authority that leads the trust, e.g. Rutland County Council",
    )
    timezone: Literal["Europe/London"] = Field(
        "Europe/London",
        description="Always Europe/London: all four nations keep UK time",
    )
    nation: Nation = Field(
        Nation.england,
        description="Whose bank holidays are not working days: england, wales, scotland or "
        "northern_ireland (absent: england)",
    )
    cycle_year: int = Field(description="The year the current cycle starts in, e.g. 2026")
    cycle_start: MonthDay = Field("04-01", description="First day of the cycle year")
    manager: Person = Field(description="The Trust manager: escalations are copied here")
    officer: Person = Field(description="The contact officer named on requests and papers")
    required_categories: list[Category] = Field(
        default_factory=list,
        description="Partner categories the membership review checks are represented (Children "
        "Act 2004 s10): each needs at least one partner",
    )
    attendance_threshold: float = Field(
        0.75, ge=0, le=1,
        description="An attendance rate below this (0 to 1) is flagged in the membership review",
    )
    house_style: Line | None = Field(
        None, description="A reference .docx (styles, page, margins) for DOCX papers, "
                          "relative to the configuration directory")
    portal_url: PortalUrl | None = Field(
        None,
        description="The partners' returns portal, linked from request emails: https://, or "
        "http:// only to localhost or 127.0.0.1",
    )
    schedule: RunSchedule = Field(
        default_factory=RunSchedule,
        description="When `trustcycle serve` runs the chase, the cycle driver and the step days",
    )
    late_request_notice: int = Field(
        5, ge=1, le=40,
        description="working days a request opened late (catch-up) gives before its deadline",
    )


class TrustFile(Strict):
    trust: Trust = Field(description="The trust itself: who runs it, its cycle year and contacts")


# --- partners.yaml ----------------------------------------------------------------------


class Partner(Strict):
    name: Line = Field(description="The organisation's name, e.g. Rutland Police")
    category: Category = Field(
        description="Its statutory category (Children Act 2004 s10, as amended)",
    )
    legal_basis: LegalBasis = Field(
        description="Why it is a partner: responsible_authority, relevant_partner_2004, ascl_2009"
        " or invited",
    )
    contacts: list[Person] = Field(
        min_length=1,
        description="Who receives requests and reminders (at least one)",
    )
    senior_contact: Person = Field(
        description="Who receives escalations (the Trust manager is copied)",
    )

    @model_validator(mode="after")
    def _contacts_unique(self) -> Partner:
        seen = [c.email for c in self.contacts]
        dupes = sorted({e for e in seen if seen.count(e) > 1})
        if dupes:
            raise ValueError(f"duplicate contact email {dupes[0]}")
        return self


class PartnersFile(Strict):
    partners: dict[Ident, Partner] = Field(
        description="Every partner, by id (lower case, e.g. police)",
    )


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
    person: Person = Field(description="The member")
    partner: Ident = Field(description="The partner (id in partners.yaml) the member represents")
    role: Line = Field(description="Their role on the body, e.g. Chair, Member")
    deputy: Person | None = Field(None, description="Who attends when the member cannot")
    term_start: dt.date = Field(description="First day of the member's term (YYYY-MM-DD)")
    term_end: dt.date | None = Field(
        None,
        description="Last day of the term (YYYY-MM-DD); empty: open-ended",
    )

    @model_validator(mode="after")
    def _term_order(self) -> Member:
        if self.term_end is not None and self.term_end < self.term_start:
            raise ValueError("term_end is before term_start")
        return self


class MeetingRule(Strict):
    rule: str = Field(description='e.g. "second Tuesday of Jan, Apr, Jul, Oct"')
    time: dt.time = Field(dt.time(14, 0), description="Start time, local (HH:MM)")
    starts: dt.date | None = Field(None, description="The rule applies from this date (YYYY-MM-DD)")
    ends: dt.date | None = Field(None, description="The rule applies until this date (YYYY-MM-DD)")
    duration: Duration | None = Field(
        None, description="How long its meetings last, e.g. 2h, 90m, 1h30m (default: the "
        "body's `duration`)")


class Meetings(Strict):
    time: dt.time = Field(
        dt.time(14, 0),
        description="Start time of the listed dates, local (HH:MM)",
    )
    duration: Duration = Field(
        "2h", description="How long the body's meetings last (calendar end time), e.g. 2h, "
        "90m, 1h30m")
    dates: list[dt.date] = Field(
        default_factory=list,
        description="Meeting dates (YYYY-MM-DD), each a working day",
    )
    rules: list[MeetingRule] = Field(
        default_factory=list,
        description="Recurring meetings, e.g. second Tuesday of Jun, Sep, Dec, Mar",
    )
    cancelled: list[dt.date] = Field(
        default_factory=list,
        description="Dates a rule would give that are not meetings (YYYY-MM-DD)",
    )
    location: Line | None = Field(None, description="Where the body meets (calendar LOCATION)")


class Body(Strict):
    name: Line = Field(description="The body's name, e.g. Children's Trust Board")
    kind: BodyKind = Field(description="What sort of body it is")
    clerk: Person | None = Field(
        None,
        description="Who clerks it: receives the papers with the members",
    )
    members: list[Member] = Field(
        default_factory=list,
        description="Who sits on it (for papers and the membership review)",
    )
    meetings: Meetings = Field(Meetings(), description="When it meets: dates, rules, cancellations")


class BodiesFile(Strict):
    bodies: dict[Ident, Body] = Field(
        description="Every body that receives papers, by id (e.g. board)",
    )


# --- priorities.yaml --------------------------------------------------------------------


class Indicator(Strict):
    name: Line = Field(description="What is measured, e.g. 16-17 NEET or not known (%)")
    target: float | None = Field(None, description="The target value")
    unit: Line | None = Field(None, description="Unit shown after values, e.g. %")
    higher_is_better: bool = Field(True, description="True when a value above the target meets it")


class Priority(Strict):
    title: Line = Field(description="The priority as the plan words it")
    lead_partner: Ident = Field(description="The partner (id) that leads it and reports on it")
    indicator: Indicator | None = Field(None, description="How progress is measured")


class PrioritiesFile(Strict):
    priorities: dict[Ident, Priority] = Field(
        description="The Children and Young People's Plan priorities, by id",
    )


# --- calendar.yaml ----------------------------------------------------------------------


class MeetingRef(Strict):
    """One meeting of a body: on a `date`, or the first `on_or_after`, or the last `before`.

    (Not `on`: YAML 1.1 reads a bare `on` key as the boolean true.)"""

    body: Ident = Field(description="The body (id in bodies.yaml)")
    date: DayRef | None = Field(
        None,
        description="The meeting on this day (MM-DD in the cycle year, or YYYY-MM-DD)",
    )
    on_or_after: DayRef | None = Field(
        None,
        description="The first meeting on or after this day (MM-DD or YYYY-MM-DD)",
    )
    before: DayRef | None = Field(
        None,
        description="The last meeting before this day (MM-DD or YYYY-MM-DD)",
    )

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

    date: DayRef | None = Field(
        None,
        description="Anchor: a day of the cycle year (MM-DD) or a full date",
    )
    meeting: MeetingRef | Literal["receiving"] | None = Field(
        None,
        description="Anchor: a meeting of a body, or receiving (the process's receiving meeting)",
    )
    of: Anchor | None = Field(None, description="Anchor: another step of the same process")
    working_days_before: int | None = Field(
        None, ge=0,
        description="Offset: this many working days before the anchor",
    )
    working_days_after: int | None = Field(
        None, ge=0,
        description="Offset: this many working days after the anchor",
    )
    clear_days_before: int | None = Field(
        None, ge=0,
        description="Offset: this many clear days before (LGA 1972 s100B counting)",
    )
    days_before: int | None = Field(
        None, ge=0,
        description="Offset: this many calendar days before the anchor",
    )
    days_after: int | None = Field(
        None, ge=0,
        description="Offset: this many calendar days after the anchor",
    )
    time: dt.time | None = Field(
        None,
        description="Local time of the step (HH:MM); default 09:00, deadlines 17:00",
    )

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


class SeatRef(Strict):
    """A seat on a body, by the body and the seat's role (e.g. the safeguarding board's
    Chair): the return is owed by the partner of whoever holds it, and asked of that person."""

    body: Ident = Field(description="The body (id in bodies.yaml), e.g. lscb")
    role: Line = Field(description="The seat's role on that body (a member's role), e.g. Chair")


class AskedOf(Strict):
    """Who owes a return: every partner, the priorities' lead partners, listed partners,
    partners of listed categories, or the holder of a seat on a body."""

    all: bool = Field(False, description="Every partner")
    leads: bool = Field(False, description="The lead partners of the priorities")
    partners: list[Ident] = Field(default_factory=list, description="These partners (ids)")
    categories: list[Category] = Field(
        default_factory=list,
        description="Partners of these categories",
    )
    seat: SeatRef | None = Field(
        None,
        description="The partner of whoever holds this seat ({body, role}); the request goes "
        "to that person",
    )

    @model_validator(mode="after")
    def _something(self) -> AskedOf:
        if not (self.all or self.leads or self.partners or self.categories or self.seat):
            raise ValueError("say who is asked: all, leads, partners, categories or seat")
        return self


class ReturnSpec(Strict):
    id: Ident = Field(description="A short id for the return, e.g. representation")
    title: Line = Field(description="What is asked, as the request email says it")
    description: str = Field("", description="What the partner should send, in a sentence or two")
    asked_of: AskedOf = Field(description="Who owes it")
    deadline: DateSpec | None = Field(
        None, description="This return's own deadline (as the process's `deadline`); its "
        "cut-off and reminders follow from it (default: the process's deadline)")


class Rung(Strict):
    """A rung of the reminder ladder, in working days relative to the deadline:
    negative before it, 0 on the day, positive overdue."""

    name: Ident = Field(description="A short id for the rung, e.g. before_3")
    working_days: int = Field(
        description="Working days from the deadline: negative before, 0 on the day, positive "
        "overdue",
    )
    escalate: bool = Field(
        False,
        description="True: goes to the senior contact, copied to the Trust manager",
    )


class InForce(Strict):
    start: dt.date | None = Field(None, description="The process runs from this date (YYYY-MM-DD)")
    end: dt.date | None = Field(None, description="The process runs until this date (YYYY-MM-DD)")


class Receiving(Strict):
    body: Ident = Field(description="The body (id) that receives the papers")
    meeting: MeetingRef | None = Field(None, description="The meeting that takes them")
    publish: DateSpec | None = Field(
        None,
        description="Or: the day the paper is published (no meeting)",
    )
    clear_days: int = Field(5, ge=0, description="LGA 1972 s100B: papers 5 clear days before")
    key_decision: bool = Field(
        False, description="A key decision at the meeting: on the forward plan 28 clear days "
        "before it (SI 2012/2089 reg 9)")

    @model_validator(mode="after")
    def _meeting_or_publish(self) -> Receiving:
        if (self.meeting is None) == (self.publish is None):
            raise ValueError("give exactly one of meeting, publish")
        return self


class RouteMeeting(Strict):
    """Which meeting of the stop's body: on a `date`, the first `on_or_after`, the last
    `before`, or (after the first stop) the body's first meeting `after_previous`: on a
    day after the previous meeting on the route."""

    date: DayRef | None = Field(None, description="The meeting on this day (MM-DD or YYYY-MM-DD)")
    on_or_after: DayRef | None = Field(
        None, description="The first meeting on or after this day (MM-DD or YYYY-MM-DD)")
    before: DayRef | None = Field(
        None, description="The last meeting before this day (MM-DD or YYYY-MM-DD)")
    after_previous: bool = Field(
        False, description="true: the first meeting on a day after the previous stop's meeting")

    @model_validator(mode="after")
    def _one_selector(self) -> RouteMeeting:
        chosen = [k for k in ("date", "on_or_after", "before") if getattr(self, k) is not None]
        if len(chosen) + self.after_previous != 1:
            raise ValueError("give exactly one of date, on_or_after, before, after_previous: true")
        return self


class RouteStop(Strict):
    """One meeting on a report's route, with its own papers day."""

    body: Ident = Field(description="The body (id in bodies.yaml) that takes the report")
    meeting: RouteMeeting = Field(description="Which of its meetings")
    clear_days: int = Field(5, ge=0, description="LGA 1972 s100B: papers 5 clear days before")
    key_decision: bool = Field(
        False, description="A key decision at this meeting: on the forward plan 28 clear days "
        "before it (SI 2012/2089 reg 9)")


class Process(Strict):
    kind: ProcessKind = Field(description="Which statutory process this is")
    title: Line = Field(description="Its title on requests and papers")
    legal_basis: Line = Field(description="The law it rests on, quoted on requests and papers")
    enabled: bool = Field(description="False: kept in the file but not run")
    in_force: InForce = Field(InForce(), description="Dates between which it runs")
    returns: list[ReturnSpec] = Field(
        default_factory=list,
        description="What partners are asked for",
    )
    request: DateSpec | None = Field(None, description="When the requests go out")
    deadline: DateSpec | None = Field(None, description="When the returns are due (17:00)")
    cutoff: DateSpec | None = Field(
        None,
        description="After this the draft goes ahead with whatever came in",
    )
    ladder: list[Rung] = Field(
        default_factory=list,
        description="Reminders and escalations, relative to the deadline",
    )
    draft_template: Ident | None = Field(
        None,
        description="The draft's template (templates/drafts/NAME.md.j2)",
    )
    receiving: Receiving | None = Field(
        None,
        description="Who receives the papers: a body's meeting, or publication",
    )
    route: list[RouteStop] | None = Field(
        None, min_length=1,
        description="Or: the meetings the report goes to, in order, each with its own papers "
        "day (the first is the receiving meeting)",
    )
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
        if self.route is not None:
            self._route_as_receiving(self.route)
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

    def _route_as_receiving(self, route: list[RouteStop]) -> None:
        """The route's first stop is the receiving meeting (the draft is addressed to it and
        `meeting: receiving` means it), so code that reads `receiving` serves both shapes."""
        if route[0].meeting.after_previous:
            raise ValueError("route.0.meeting: the first meeting has no previous one: give "
                             "date, on_or_after or before")
        bodies = [stop.body for stop in route]
        twice = sorted({b for b in bodies if bodies.count(b) > 1})
        if twice:
            raise ValueError(f"route: {twice[0]} is on the route twice (each body once)")
        first = route[0]
        selector = first.meeting.model_dump(include={"date", "on_or_after", "before"},
                                            exclude_none=True)
        receiving = Receiving(body=first.body, meeting=MeetingRef(body=first.body, **selector),
                              clear_days=first.clear_days, key_decision=first.key_decision)
        if self.receiving not in (None, receiving):  # (a dump read back holds both)
            raise ValueError("give receiving (one meeting) or route (several), not both")
        object.__setattr__(self, "receiving", receiving)  # frozen: set once, while validating


class CalendarFile(Strict):
    processes: dict[Ident, Process] = Field(
        description="The statutory processes of the cycle year, by id",
    )


# --- scenario.yaml (the simulated year's scripted partners) -----------------------------


class ScriptedPriority(Strict):
    """A lead partner's rating of one CYPP priority."""

    rag: Literal["red", "amber", "green"] = Field(description="The rating: red, amber or green")
    value: float | None = Field(None, description="The indicator's value")
    narrative: str = Field(description="What happened")
    risks: str = Field("", description="Risks to the priority")
    changes: str = Field("", description="Changes proposed")


class ScriptedIndicator(Strict):
    """One row of a needs analysis return (the portal's CSV columns)."""

    indicator: str = Field(description="What is measured")
    period: str = Field(description="The period, e.g. 2025/26")
    source: str = Field(description="Where the figure comes from")
    value: float = Field(description="The value")
    comparator: float | None = Field(None, description="A comparator (e.g. England's rate)")
    ward: str = Field("", description="The ward; empty for the whole area")
    section: Literal["general", "child_poverty"] = Field(
        "general",
        description="general, or child_poverty for the child poverty needs assessment",
    )


class ScriptedMeasure(Strict):
    """One measure of a child poverty strategy return."""

    measure: str = Field(description="What will be done")
    need: str = Field("", description="The need it addresses")
    lead: str = Field("", description="Who leads it")
    target: str = Field("", description="What it aims to achieve")
    by_when: str = Field("", description="By when")
    monitoring: str = Field("", description="How it is monitored")


class ScriptedSeat(Strict):
    """A change of representative on one body."""

    body: Ident = Field(description="The body (id) the seat is on")
    name: Line = Field(description="The new representative's name")
    role: Line = Field(description="Their role")
    email: Email = Field(description="Their email")
    seniority: str = Field("", description="Their seniority, e.g. Detective Superintendent")
    deputy_name: str = Field("", description="Their deputy's name")
    deputy_email: Email | None = Field(None, description="Their deputy's email")


class ScriptedContent(Strict):
    """What a scripted partner's return says (each kind reads its own keys)."""

    priorities: dict[Ident, ScriptedPriority] = Field(
        default_factory=dict,
        description="CYPP review: a rating per priority led, by priority id",
    )
    indicators: list[ScriptedIndicator] = Field(
        default_factory=list,
        description="Needs analysis: indicator rows",
    )
    commentary: str = Field("", description="Commentary on the return")
    child_poverty_commentary: str = Field(
        "",
        description="Needs analysis: commentary on child poverty",
    )
    measures: list[ScriptedMeasure] = Field(
        default_factory=list,
        description="Child poverty strategy: the measures proposed",
    )
    consultation: str = Field("", description="Child poverty strategy: consultation carried out")
    changes: list[ScriptedSeat] = Field(
        default_factory=list,
        description="Membership review: changes of representative",
    )
    absences: str = Field("", description="Membership review: explanation of absences")


class ScriptedAnswer(Strict):
    partner: Ident = Field(description="The partner (id) answering")
    process: Ident = Field(description="The process (id) answered")
    behaviour: Literal["on_time", "late", "never"] = Field(
        "on_time",
        description="on_time, late or never",
    )
    working_days: int = Field(
        0, description="on_time: working days before the deadline; late: after it"
    )
    content: ScriptedContent | None = Field(None, description="what the return says")


class ScenarioFile(Strict):
    answers: list[ScriptedAnswer] = Field(
        default_factory=list,
        description="How each scripted partner answers; unlisted ones follow `default`",
    )
    default: Literal["on_time", "late", "never"] = Field(
        "on_time",
        description="How partners not listed answer: on_time, late or never",
    )
    attendance: Line | None = Field(
        None, description="CSV of past meetings' attendance (body,date,person,status), "
                          "relative to the configuration directory, imported before the year")
