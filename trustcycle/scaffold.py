"""A new trust's five YAML files, written from a few answers (`trustcycle init`).

Pure: `NewTrust` in, file name -> text out. What cannot be known from the answers (the
partners' people, the plan's priorities, who sits on the Board) is written as commented
blocks, one per statutory category, for the officer to fill in; what is active is enough
for `config check` to pass and `simulate` to run at once: the local authority as the one
partner, the chosen processes, and the bodies that receive their papers, each meeting on a
rule the officer can change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from trustcycle.config.json_schema import modeline
from trustcycle.config.schema import Category

# Only England's calendar is modelled: its bank holidays, and the Children Act 2004 s10
# partners. The other nations' arrangements (Wales: Children Act 2004 s25; Scotland and
# Northern Ireland: their own legislation) are not.
NATIONS = ("england", "wales", "scotland", "northern_ireland")
MODELLED_NATIONS = ("england",)

PROCESSES = ("membership_review", "cypp_annual_review", "joint_needs_analysis",
             "child_poverty_strategy")
PUBLISH = "publish"  # the child poverty strategy is published, not taken to a meeting


@dataclass(frozen=True)
class BodyKind:
    """A body that may receive papers, with a meeting rule to start from."""

    kind: str
    name: str  # {trust} and {la} are filled in
    rule: str
    time: str


BODIES: dict[str, BodyKind] = {
    "board": BodyKind("board", "{trust} Board", "second Tuesday of Jun, Sep, Dec, Mar", "14:00"),
    "executive": BodyKind("executive", "{trust} Executive",
                          "first Wednesday of May, Jul, Sep, Oct, Nov, Jan, Mar", "10:00"),
    "scrutiny": BodyKind("scrutiny", "{la} Children and Young People Scrutiny Panel",
                         "second Tuesday of Jul, Nov, Feb", "18:00"),
    "hwb": BodyKind("health_and_wellbeing_board", "{la} Health and Wellbeing Board",
                    "third Thursday of Jul, Oct, Jan, Apr", "14:00"),
    "cabinet": BodyKind("cabinet", "{la} Cabinet", "first Tuesday of every month", "18:00"),
}
DEFAULT_RECEIVING = {
    "membership_review": "board",
    "cypp_annual_review": "executive",
    "joint_needs_analysis": "executive",
    "child_poverty_strategy": PUBLISH,
}


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    role: str


@dataclass(frozen=True)
class NewTrust:
    """The answers `trustcycle init` asks for."""

    trust_id: str
    name: str
    local_authority: str
    cycle_year: int
    officer: Contact
    manager: Contact
    processes: tuple[str, ...] = PROCESSES
    receiving: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_RECEIVING))
    meets: dict[str, str] = field(default_factory=dict)  # body id -> meeting rule

    def receiver(self, process: str) -> str:
        return self.receiving.get(process, DEFAULT_RECEIVING[process])

    def bodies_used(self) -> list[str]:
        used = {self.receiver(p) for p in self.processes}
        return [b for b in (*BODIES, PUBLISH) if b in used]


def trust_id_from(name: str, local_authority: str) -> str:
    """`Rutland Children's Trust` -> `rutland` (an id: lower case letters, digits, _)."""
    for text in (re.sub(r"(?i)\bchildren'?s\s+trust\b", "", name), local_authority, name):
        words = re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))
        slug = "_".join(w for w in words if w not in ("council", "county", "borough", "city"))
        slug = slug or "_".join(words)
        if slug and slug[0].isalpha():
            return slug[:40]
    return "trust"


# --- the statutory partner categories (Children Act 2004 s10, as amended) -------------

_RELEVANT_2004 = "relevant_partner_2004"
_ASCL_2009 = "ascl_2009"
_INVITED = "invited"
# category -> (legal basis, who it is, e.g.)
PARTNER_CATEGORIES: dict[Category, tuple[str, str, str]] = {
    Category.district_council: (_RELEVANT_2004, "a district council in a two-tier area",
                                "Vale Downs District Council"),
    Category.police: (_RELEVANT_2004, "the chief officer of police", "Rutland Police"),
    Category.probation: (_RELEVANT_2004, "the probation provider for the area",
                         "The Probation Service (East Midlands)"),
    Category.youth_offending_team: (_RELEVANT_2004, "the youth offending team",
                                    "Youth Justice Service"),
    Category.health: (_RELEVANT_2004, "the NHS body for the area (the integrated care "
                      "board; the PCT and SHA until 2013)", "NHS Integrated Care Board"),
    Category.connexions: (_RELEVANT_2004, "the Connexions service (abolished 2012: only for a "
                          "historic cycle)", "Connexions"),
    Category.learning_and_skills: (_RELEVANT_2004, "the Learning and Skills Council "
                                   "(abolished 2010: only for a historic cycle)",
                                   "Learning and Skills Council"),
    Category.maintained_schools: (_ASCL_2009, "the governing bodies of maintained schools",
                                  "Maintained schools (Headteachers' Forum)"),
    Category.academies: (_ASCL_2009, "the proprietors of academies", "Academy trust"),
    Category.fe_colleges: (_ASCL_2009, "further education colleges", "College"),
    Category.sixth_form_colleges: (_ASCL_2009, "sixth form colleges", "Sixth form college"),
    Category.jobcentre_plus: (_ASCL_2009, "Jobcentre Plus (DWP)", "Jobcentre Plus"),
    Category.voluntary_sector: (_INVITED, "the voluntary and community sector",
                                "Voluntary Action"),
    Category.gp: (_INVITED, "GPs", "Local Medical Committee"),
    Category.fire: (_INVITED, "the fire and rescue service", "Fire and Rescue Service"),
    Category.parents: (_INVITED, "parents and carers", "Parent Carer Forum"),
    Category.young_people: (_INVITED, "children and young people", "Youth Council"),
}
_BASIS_TITLES = {
    _RELEVANT_2004: "Relevant partners: Children Act 2004 s10(4), as enacted",
    _ASCL_2009: "Relevant partners added by the Apprenticeships, Skills, Children and "
                "Learning Act 2009 ss193-194",
    _INVITED: "Invited partners (not a statutory duty)",
}
# The categories the membership review checks once they have partners (the statutory ones
# today); the local authority is always there.
STATUTORY_TODAY = (Category.local_authority, Category.police, Category.probation,
                   Category.youth_offending_team, Category.health, Category.maintained_schools,
                   Category.academies, Category.fe_colleges, Category.jobcentre_plus)
FILL_IN = "FILL IN"


def _scalar(value: str) -> str:
    """A YAML scalar for `value`: plain when it reads back the same, else double-quoted."""
    try:
        if yaml.safe_load(f"k: {value}") == {"k": value} and "#" not in value:
            return value
    except yaml.YAMLError:
        pass
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _person(c: Contact) -> str:
    return f"{{name: {_scalar(c.name)}, role: {_scalar(c.role)}, email: {c.email}}}"


def _with_modeline(name: str, body: str) -> str:
    return f"{modeline(name)}\n{body}"


def trust_yaml(t: NewTrust) -> str:
    required = [c.value for c in STATUTORY_TODAY]
    return _with_modeline("trust.yaml", f"""\
# {t.name}: written by `trustcycle init`. Every key is explained in the README
# ("Configuration reference") and by your editor (the line above points it at the schema).
trust:
  id: {t.trust_id}
  name: {_scalar(t.name)}
  local_authority: {_scalar(t.local_authority)}
  timezone: Europe/London
  cycle_year: {t.cycle_year}               # the year the current cycle starts (April)
  cycle_start: "04-01"
  manager: {_person(t.manager)}
  officer: {_person(t.officer)}
  # The categories the membership review checks are represented. Add each one here once
  # partners.yaml has a partner of that category; the statutory ones today are:
  #   [{", ".join(required)}]
  required_categories: [local_authority]
  attendance_threshold: 0.75       # attendance below 75% is flagged in the membership review
  # portal_url: https://childrens-trust.example.gov.uk/returns   # the partners' returns portal
  # schedule: {{days: weekdays, chase: "09:00", cycle: "09:15", steps: "09:30"}}
""")


def _partner_block(category: Category, basis: str, who: str, example: str) -> list[str]:
    pid = category.value
    return [
        f"  # {pid}:".ljust(40) + f"# {who}",
        f"  #   name: {FILL_IN}".ljust(40) + f"# e.g. {example}",
        f"  #   category: {pid}",
        f"  #   legal_basis: {basis}",
        "  #   contacts:                         # they receive requests and reminders",
        f"  #     - {{name: {FILL_IN}, role: {FILL_IN}, email: {FILL_IN}}}",
        f"  #   senior_contact: {{name: {FILL_IN}, role: {FILL_IN}, email: {FILL_IN}}}"
        "   # escalations",
    ]


def partners_yaml(t: NewTrust) -> str:
    council = f"{t.local_authority} (Children's Services)"
    lines = [
        "# The trust's partners: each one's contacts receive the requests and reminders, its",
        "# senior contact the escalations. The local authority is filled in from your answers",
        "# (put the Director of Children's Services, or whoever returns for the council, in",
        "# place of the manager). Every other statutory category follows, commented out:",
        f"# uncomment the ones in your area, replace each {FILL_IN}, and add the category to",
        "# trust.required_categories. Ids (the key before the colon) are yours to choose.",
        "partners:",
        "  council:",
        f"    name: {_scalar(council)}",
        "    category: local_authority",
        "    legal_basis: responsible_authority   # Children Act 2004 s10(1): it leads the trust",
        "    contacts:",
        f"      - {_person(t.manager)}",
        f"    senior_contact: {_person(t.manager)}",
    ]
    for basis, title in _BASIS_TITLES.items():
        lines += ["", f"  # --- {title} ".ljust(88, "-")]
        for category, (b, who, example) in PARTNER_CATEGORIES.items():
            if b == basis:
                lines += [*_partner_block(category, b, who, example), ""]
    return _with_modeline("partners.yaml", "\n".join(lines).rstrip() + "\n")


def bodies_yaml(t: NewTrust) -> str:
    lines = [
        "# The bodies that receive papers: each one's members and clerk receive them, and its",
        "# meetings set the dates (papers 5 clear days before). Change a rule to your own, or",
        "# list the dates instead (dates: [2026-06-09, ...]); add members as they are known.",
        "bodies:",
    ]
    for bid in t.bodies_used():
        if bid == PUBLISH:
            website = f"The public ({t.local_authority} website)"
            lines += ["  public:", f"    name: {_scalar(website)}", "    kind: public", ""]
            continue
        kind = BODIES[bid]
        rule = t.meets.get(bid, kind.rule)
        name = kind.name.format(trust=t.name, la=t.local_authority)
        lines += [
            f"  {bid}:",
            f"    name: {_scalar(name)}",
            f"    kind: {kind.kind}",
            f"    clerk: {_person(t.officer)}",
            "    meetings:",
            "      rules:",
            f'        - {{rule: "{rule}", time: "{kind.time}"}}',
            "      # cancelled: []                 # dates the rule gives that are not meetings",
            "    members: []",
            "    # members:",
            f"    #   - {{person: {{name: {FILL_IN}, email: {FILL_IN}}}, partner: council, "
            f"role: Chair, term_start: {t.cycle_year}-04-01}}",
            "",
        ]
    return _with_modeline("bodies.yaml", "\n".join(lines).rstrip() + "\n")


def priorities_yaml(t: NewTrust) -> str:
    return _with_modeline("priorities.yaml", """\
# The Children and Young People's Plan priorities: each one's lead partner reports on it
# in the CYPP annual review (red/amber/green, the indicator against its target). None yet:
# add yours, each led by a partner of partners.yaml, e.g.
#   early_help:
#     title: Families get the right help early
#     lead_partner: council
#     indicator: {name: Re-referrals within 12 months (%), target: 18, unit: "%",
#                 higher_is_better: false}
priorities: {}
""")


_LADDER = """\
    ladder:
      - {name: before_10, working_days: -10}
      - {name: before_3, working_days: -3}
      - {name: on_the_day, working_days: 0}
      - {name: overdue_2, working_days: 2}
      - {name: escalate_5, working_days: 5, escalate: true}"""

_PROCESS_TEXT = {
    "membership_review": (
        "Annual review of Children's Trust membership",
        "Children Act 2004 s10 (co-operation arrangements; relevant partners)",
        ("representation", "Confirmation of your representative and deputy",
         "Confirm or change the person who represents your organisation, their deputy and "
         "term of office, and explain any absences.", "{all: true}"),
        "06-01", 15),
    "cypp_annual_review": (
        "Annual review of the Children and Young People's Plan",
        "Voluntary since the revocation of the CYPP (England) Regulations 2005 in 2010-11",
        ("priority_progress", "Progress on the plan priorities you lead",
         "Red/amber/green rating, indicator value against target, narrative and risks for "
         "each priority you lead.", "{leads: true}"),
        "07-01", 14),
    "joint_needs_analysis": (
        "Joint needs analysis, including the child poverty needs assessment",
        "Child Poverty Act 2010 s22 (repealed 2016; continued locally) and the JSNA duty, "
        "Local Government and Public Involvement in Health Act 2007 s116",
        ("needs_data", "Needs analysis data and commentary",
         "Indicators (indicator, period, source, value, comparator) with commentary, by ward "
         "where possible.",
         "{categories: [local_authority, district_council, police, health, "
         "youth_offending_team, jobcentre_plus, maintained_schools, academies, fe_colleges]}"),
        "10-15", 15),
    "child_poverty_strategy": (
        "Child poverty strategy",
        "Child Poverty Act 2010 s23 (repealed 2016; continued locally)",
        ("measures", "Measures your organisation proposes to reduce child poverty",
         "The measures you will take, linked to the needs the assessment found.",
         "{all: true}"),
        "02-01", 15),
}


def _process_lines(t: NewTrust, pid: str) -> list[str]:
    title, basis, (rid, rtitle, rdesc, asked), after, before = _PROCESS_TEXT[pid]
    body = t.receiver(pid)
    lines = [
        f"  {pid}:",
        f"    kind: {pid}",
        f"    title: {_scalar(title)}",
        f"    legal_basis: {_scalar(basis)}",
        "    enabled: true",
        "    returns:",
        f"      - id: {rid}",
        f"        title: {_scalar(rtitle)}",
        f"        description: {_scalar(rdesc)}",
        f"        asked_of: {asked}",
    ]
    if body == PUBLISH:
        lines += [
            '    request: {date: "01-05"}',
            '    deadline: {date: "02-12"}',
            "    cutoff: {working_days_after: 6, of: deadline}",
            _LADDER,
            f"    draft_template: {pid}",
            '    receiving: {body: public, publish: {date: "03-31"}}',
        ]
    else:
        lines += [
            "    request: {working_days_before: 20, of: deadline}",
            f"    deadline: {{working_days_before: {before}, meeting: receiving}}",
            "    cutoff: {working_days_after: 6, of: deadline}",
            _LADDER,
            f"    draft_template: {pid}",
            f'    receiving: {{body: {body}, meeting: {{body: {body}, on_or_after: "{after}"}}}}',
        ]
    if pid == "joint_needs_analysis" and "child_poverty_strategy" in t.processes:
        lines.append("    triggers: [child_poverty_strategy]   # CPA 2010 s23(5): revisit it")
    return lines


def calendar_yaml(t: NewTrust) -> str:
    lines = [
        "# The statutory calendar. Day references such as \"06-01\" fall in the cycle year",
        "# (April to March), so this file serves every year. Each process asks its partners for",
        "# a return, chases them up the ladder (working days from the deadline) and takes the",
        "# papers to its receiving body's first meeting on or after the day given.",
        "processes:",
    ]
    for pid in PROCESSES:
        block = _process_lines(t, pid)
        if pid in t.processes:
            lines += [*block, ""]
        else:
            lines += [f"  # Not run: to run it, uncomment this block (and add its receiving "
                      f"body, {t.receiver(pid)}, to bodies.yaml)."]
            lines += ["  # " + line[2:] for text in block for line in text.split("\n")] + [""]
    return _with_modeline("calendar.yaml", "\n".join(lines).rstrip() + "\n")


def scaffold(t: NewTrust) -> dict[str, str]:
    """File name -> text of the five files."""
    return {
        "trust.yaml": trust_yaml(t),
        "partners.yaml": partners_yaml(t),
        "bodies.yaml": bodies_yaml(t),
        "priorities.yaml": priorities_yaml(t),
        "calendar.yaml": calendar_yaml(t),
    }
