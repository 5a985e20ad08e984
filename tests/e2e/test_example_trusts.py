"""The example trusts end to end: each of config/examples/ other than Rutland (which
test_simulated_year.py covers) simulated through the real flows, its dates checked exactly.

Every expected date below is worked out by hand from the example's YAML (README,
"Dates"); `trustcycle calendar show --config config/examples/NAME` prints the same steps.
"""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pendulum
import pytest

from tests.e2e.test_simulated_year import _day, _messages
from trustcycle.calendar.workdays import working_days
from trustcycle.config.schema import Nation

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "config" / "examples"
D = pendulum.date


@dataclass(frozen=True)
class Year:
    """What one example's simulated year must give, all of it derived by hand."""

    config: str
    year: int
    nation: Nation
    bank_holidays: list[pendulum.Date]
    # (local date and time as `simulate` prints them, process, step)
    timeline: list[tuple[str, str, str]]
    summary: dict[str, dict[str, int]]
    emails: dict[str, int]
    requests: dict[pendulum.Date, int]
    # (kind, day) -> emails of a reminder or escalation rung
    rungs: dict[tuple[str, pendulum.Date], int]
    receipts: dict[pendulum.Date, int]
    missing_reports: list[pendulum.Date]
    # (words of the subject, papers day, recipients): one per meeting the report goes to
    papers: list[tuple[str, pendulum.Date, set[str]]]
    escalated: set[tuple[pendulum.Date, str, str]]
    # one person for several partners: (day, email, returns listed in their one request)
    shared_request: tuple[pendulum.Date, str, int] | None
    # lines each process's Markdown draft must hold
    drafts_say: dict[str, list[str]]
    # a key decision's forward-plan notice: (day, to, cc)
    forward_plans: set[tuple[pendulum.Date, str, str]] = field(default_factory=set)
    # a return asked of a seat's holder: (day, to, words of the subject)
    seat_request: tuple[pendulum.Date, str, str] | None = None
    # a publication: (day, whom it is announced to, the document under DIR/public)
    published: tuple[pendulum.Date, str, str] | None = None


# --- Salford-like, 2013-14 (config/examples/salford-2013) --------------------------------
# England bank holidays in the cycle year: 1 April, 6 and 27 May, 26 August, 25 and
# 26 December 2013, 1 January 2014.
# Meetings: the Board on the second Tuesday every three months from June (11 June,
# 10 September 2013); the Executive on the first Wednesday monthly except August (3 July
# 2013; 1 January 2014 is a bank holiday, so Thursday 2 January); the HWB on the third
# Wednesday every two months from May (20 November 2013); Cabinet on the third Tuesday
# monthly except August (17 December 2013).
# Ladder: before_5 (-5), on_the_day (0), overdue_2 (+2), escalate_4 (+4), in working days
# from the deadline. Cut-off = papers day = 5 clear days before the (first) meeting: the
# meeting day minus 6 calendar days, rolled earlier.
# - Membership review -> Board 11 Jun. Request 15 Apr (Mon). Deadline 10 working days
#   before 11 Jun: 10, 7, 6, 5, 4, 3 Jun, 31, 30, 29, 28 May -> Tue 28 May (27 May is a bank
#   holiday). Rungs: -5 = 24, 23, 22, 21, 20 -> Mon 20 May; 0 = 28 May; +2 = 29, 30 ->
#   Thu 30 May; +4 = 31 May, 3 Jun -> Mon 3 Jun. Cut-off and papers: 11 Jun - 6 = Wed 5 Jun.
# - CYPP review, routed Executive 3 Jul then the Board's next meeting, 10 Sep. Deadline 10
#   working days before 3 Jul: 2, 1 Jul, 28, 27, 26, 25, 24, 21, 20, 19 Jun -> Wed 19 Jun.
#   Request 20 working days before the deadline: 18 Jun back to 28 May (16 days), 24, 23,
#   22, 21 May (27 May skipped) -> Tue 21 May. Rungs: -5 -> Wed 12 Jun; 0 -> 19 Jun;
#   +2 -> Fri 21 Jun; +4 -> Tue 25 Jun. Cut-off and the Executive's papers: 3 Jul - 6 =
#   Thu 27 Jun; the Board's papers: 10 Sep - 6 = Wed 4 Sep. The LSCB chair's report has a
#   deadline of its own, Wed 12 Jun, so its own rungs: -5 = 11, 10, 7, 6, 5 -> Wed 5 Jun;
#   0 = 12 Jun; +2 = 13, 14 -> Fri 14 Jun; +4 = 17, 18 -> Tue 18 Jun (the same cut-off).
# - JSNA, routed HWB 20 Nov then Cabinet's next meeting, 17 Dec, a key decision. Request
#   Mon 2 Sep. Deadline 15 working days before 20 Nov: 19, 18, 15, 14, 13, 12, 11, 8, 7, 6,
#   5, 4, 1 Nov, 31, 30 Oct -> Wed 30 Oct. Rungs: -5 -> Wed 23 Oct; 0 -> 30 Oct; +2 ->
#   Fri 1 Nov; +4 -> Tue 5 Nov. Cut-off and the HWB's papers: 20 Nov - 6 = Thu 14 Nov.
#   Forward plan 28 clear days before 17 Dec: 17 Dec - 29 = Mon 18 Nov. Cabinet's papers:
#   17 Dec - 6 = Wed 11 Dec.
# - Events: the CYPP review day Wed 24 Apr 09:30; the draft CYPP at the Executive's first
#   meeting on or after 1 January: Thu 2 Jan 2014 10:00.
# Asked: membership all 14 partners; the CYPP the 5 lead partners (salford_cc, ccg, gmp,
# yot, college) and the LSCB's Independent Chair's seat (salford_cc's, asked of him): 6;
# the JSNA the 9 of its categories (salford_cc, gmp, ccg, srft, yot, jcp, schools,
# academies, college). Chloe Ryan is the contact of both youth_council and parents: one
# person, so one request (listing 2 returns) and one reminder a day for both.
# Scenario (answers at 08:30, before the 09:00 chase; unlisted partners on the deadline day):
# - membership: parents 6 working days early (Fri 17 May, before the -5 rung), gmp 1 late
#   (Wed 29 May), youth_council 3 late (Fri 31 May), fire never. Request emails: 13 people
#   for 14 partners. Reminders per request: -5 to 13 (all but parents), 0 to 3 (gmp,
#   youth_council, fire), +2 to 2 (youth_council, fire): 18, and as many emails (Chloe
#   is chased for youth_council alone); the escalation to fire alone. On time 11, late 2,
#   missing 1.
# - CYPP: salford_cc answers each of its returns on that return's deadline day: the LSCB
#   report on 12 Jun (its chair has had only its -5 rung, on 5 Jun), its priorities on
#   19 Jun. gmp 1 early (Tue 18 Jun), college 3 early (Fri 14 Jun, after the -5 rung of
#   12 Jun), yot 2 late (Fri 21 Jun, answered at 08:30 before that day's +2 rung).
#   Reminders: -5 to the 5 priority returns, 0 to yot, and the LSCB report's -5: 7.
# - JSNA: srft 8 early (Fri 18 Oct), academies 4 late (Tue 5 Nov, before that day's
#   escalation), jcp never. Reminders: -5 to 8, 0 to 2, +2 to 2 (academies, jcp): 12; the
#   escalation to jcp alone.
# Papers: one email per member in term on the papers day and one to the clerk: the Board's
# 9 (the PCT's Jack Sharp left on 31 May) + clerk = 10, twice (June, September); the
# Executive's 6 + clerk = 7; the HWB's 5 + clerk = 6; Cabinet's 3 + clerk = 4. The forward
# plan notice goes to Cabinet's clerk, copied to the officer.
SALFORD_BOARD = {
    "john.merry@salford.example.gov.uk",
    "jane.ashworth@salford.example.gov.uk",
    "claire.hayes@gmp.example.police.uk",
    "hamish.stedman@salfordccg.example.nhs.uk",
    "dean.holden@gmprobation.example.org.uk",
    "gill.banks@salfordschools.example.org.uk",
    "martin.tate@salfordcc.example.ac.uk",
    "alan.lowe@salfordcvs.example.org.uk",
    "steve.howarth@salfordpcf.example.org.uk",
    "childrens.trust@salford.example.gov.uk",  # the clerk
}
SALFORD_EXECUTIVE = {
    "jane.ashworth@salford.example.gov.uk",
    "paula.greenwood@salford.example.gov.uk",
    "anthony.hassall@salfordccg.example.nhs.uk",
    "kevin.mulligan@gmp.example.police.uk",
    "ann.lowe@salford.example.gov.uk",
    "yvonne.shaw@jcp.example.gov.uk",
    "childrens.trust@salford.example.gov.uk",  # the clerk
}
SALFORD_HWB = {
    "margaret.morris@salford.example.gov.uk",
    "jane.ashworth@salford.example.gov.uk",
    "david.herne@salford.example.gov.uk",
    "hamish.stedman@salfordccg.example.nhs.uk",
    "alan.lowe@salfordcvs.example.org.uk",
    "democratic.services@salford.example.gov.uk",  # the clerk
}
SALFORD_CABINET = {
    "ian.stewart@salford.example.gov.uk",
    "margaret.morris@salford.example.gov.uk",
    "john.merry@salford.example.gov.uk",
    "democratic.services@salford.example.gov.uk",  # the clerk
}
SALFORD_OFFICER = "childrens.trust@salford.example.gov.uk"
SALFORD_MANAGER = "paula.greenwood@salford.example.gov.uk"
SALFORD = Year(
    config="salford-2013",
    year=2013,
    nation=Nation.england,
    bank_holidays=[D(2013, 4, 1), D(2013, 5, 6), D(2013, 5, 27), D(2013, 8, 26),
                   D(2013, 12, 25), D(2013, 12, 26), D(2014, 1, 1)],
    timeline=[
        ("2013-04-15 Mon 09:00", "membership_review", "request"),
        ("2013-04-24 Wed 09:30", "cypp_review_day", "event"),
        ("2013-05-20 Mon 09:00", "membership_review", "reminder:before_5"),
        ("2013-05-21 Tue 09:00", "cypp_annual_review", "request"),
        ("2013-05-28 Tue 09:00", "membership_review", "reminder:on_the_day"),
        ("2013-05-28 Tue 17:00", "membership_review", "deadline"),
        ("2013-05-30 Thu 09:00", "membership_review", "reminder:overdue_2"),
        ("2013-06-03 Mon 09:00", "membership_review", "escalation:escalate_4"),
        ("2013-06-05 Wed 09:00", "membership_review", "cutoff"),
        ("2013-06-05 Wed 09:00", "membership_review", "papers"),
        ("2013-06-11 Tue 14:00", "membership_review", "meeting"),
        ("2013-06-12 Wed 09:00", "cypp_annual_review", "reminder:before_5"),
        ("2013-06-12 Wed 17:00", "cypp_annual_review", "deadline:lscb_annual_report"),
        ("2013-06-19 Wed 09:00", "cypp_annual_review", "reminder:on_the_day"),
        ("2013-06-19 Wed 17:00", "cypp_annual_review", "deadline"),
        ("2013-06-21 Fri 09:00", "cypp_annual_review", "reminder:overdue_2"),
        ("2013-06-25 Tue 09:00", "cypp_annual_review", "escalation:escalate_4"),
        ("2013-06-27 Thu 09:00", "cypp_annual_review", "cutoff"),
        ("2013-06-27 Thu 09:00", "cypp_annual_review", "papers"),
        ("2013-07-03 Wed 10:00", "cypp_annual_review", "meeting"),
        ("2013-09-02 Mon 09:00", "joint_needs_analysis", "request"),
        ("2013-09-04 Wed 09:00", "cypp_annual_review", "papers:board"),
        ("2013-09-10 Tue 14:00", "cypp_annual_review", "meeting:board"),
        ("2013-10-23 Wed 09:00", "joint_needs_analysis", "reminder:before_5"),
        ("2013-10-30 Wed 09:00", "joint_needs_analysis", "reminder:on_the_day"),
        ("2013-10-30 Wed 17:00", "joint_needs_analysis", "deadline"),
        ("2013-11-01 Fri 09:00", "joint_needs_analysis", "reminder:overdue_2"),
        ("2013-11-05 Tue 09:00", "joint_needs_analysis", "escalation:escalate_4"),
        ("2013-11-14 Thu 09:00", "joint_needs_analysis", "cutoff"),
        ("2013-11-14 Thu 09:00", "joint_needs_analysis", "papers"),
        ("2013-11-18 Mon 09:00", "joint_needs_analysis", "forward_plan:cabinet"),
        ("2013-11-20 Wed 14:00", "joint_needs_analysis", "meeting"),
        ("2013-12-11 Wed 09:00", "joint_needs_analysis", "papers:cabinet"),
        ("2013-12-17 Tue 10:00", "joint_needs_analysis", "meeting:cabinet"),
        ("2014-01-02 Thu 10:00", "draft_cypp_to_executive", "event"),
    ],
    summary={
        "membership_review": {
            "requests": 14, "on_time": 11, "late": 2, "missing": 1,
            "reminders": 13 + 3 + 2, "escalations": 1, "drafts": 1, "notifications": 10,
        },
        "cypp_annual_review": {
            "requests": 6, "on_time": 5, "late": 1, "missing": 0,
            "reminders": 5 + 1 + 1, "escalations": 0, "drafts": 1, "notifications": 7 + 10,
        },
        "joint_needs_analysis": {
            "requests": 9, "on_time": 7, "late": 1, "missing": 1,
            "reminders": 8 + 2 + 2, "escalations": 1, "drafts": 1, "notifications": 6 + 4,
        },
    },
    # A request per person and day (13 + 6 + 9), the rungs above, a receipt per return
    # received (13 + 6 + 8), the papers (10 + 7 + 10 + 6 + 4), the forward-plan notice and
    # the officer's report at the two cut-offs with a partner missing.
    emails={
        "request": 28,
        "reminder:before_5": 13 + (5 + 1) + 8,
        "reminder:on_the_day": 3 + 1 + 2,
        "reminder:overdue_2": 2 + 0 + 2,
        "escalation:escalate_4": 1 + 0 + 1,
        "receipt": 27,
        "papers": 37,
        "forward_plan": 1,
        "missing_report": 2,
    },
    requests={D(2013, 4, 15): 13, D(2013, 5, 21): 6, D(2013, 9, 2): 9},
    rungs={
        ("reminder:before_5", D(2013, 5, 20)): 13,
        ("reminder:on_the_day", D(2013, 5, 28)): 3,
        ("reminder:overdue_2", D(2013, 5, 30)): 2,
        ("escalation:escalate_4", D(2013, 6, 3)): 1,
        ("reminder:before_5", D(2013, 6, 5)): 1,  # the LSCB report's own -5 rung
        ("reminder:before_5", D(2013, 6, 12)): 5,
        ("reminder:on_the_day", D(2013, 6, 19)): 1,
        ("reminder:before_5", D(2013, 10, 23)): 8,
        ("reminder:on_the_day", D(2013, 10, 30)): 2,
        ("reminder:overdue_2", D(2013, 11, 1)): 2,
        ("escalation:escalate_4", D(2013, 11, 5)): 1,
    },
    receipts={
        D(2013, 5, 17): 1, D(2013, 5, 28): 10, D(2013, 5, 29): 1, D(2013, 5, 31): 1,
        D(2013, 6, 12): 1, D(2013, 6, 14): 1, D(2013, 6, 18): 1, D(2013, 6, 19): 2,
        D(2013, 6, 21): 1,
        D(2013, 10, 18): 1, D(2013, 10, 30): 6, D(2013, 11, 5): 1,
    },
    missing_reports=[D(2013, 6, 5), D(2013, 11, 14)],
    papers=[
        ("Review of the Partnership Board's membership", D(2013, 6, 5), SALFORD_BOARD),
        ("Children and Young People's Plan for Children's Trust Executive", D(2013, 6, 27),
         SALFORD_EXECUTIVE),
        ("Children and Young People's Plan for Children and Young People's Partnership Board",
         D(2013, 9, 4), SALFORD_BOARD),
        ("needs assessment for Salford Health and Wellbeing Board", D(2013, 11, 14),
         SALFORD_HWB),
        ("needs assessment for Cabinet", D(2013, 12, 11), SALFORD_CABINET),
    ],
    escalated={
        (D(2013, 6, 3), "julie.ward@manchesterfire.example.gov.uk", SALFORD_MANAGER),
        (D(2013, 11, 5), "richard.kay@jcp.example.gov.uk", SALFORD_MANAGER),
    },
    shared_request=(D(2013, 4, 15), "chloe.ryan@salford.example.gov.uk", 2),
    drafts_say={
        # the LSCB chair's report, owed by salford_cc, received on its own deadline day
        "cypp_annual_review": [
            "| Salford City Council (Children's Services) | The Safeguarding Children Board's"
            " annual report | Received | 1 | 12 June 2013 |",
        ],
        "membership_review": ["Greater Manchester Fire and Rescue Service (Salford)"],
    },
    seat_request=(D(2013, 5, 21), "simon.westbrook@salfordlscb.example.org.uk",
                  "The Safeguarding Children Board's annual report"),
    forward_plans={
        (D(2013, 11, 18), "democratic.services@salford.example.gov.uk", SALFORD_OFFICER),
    },
)

# --- Cambridgeshire-like, 2015-16 (config/examples/cambridgeshire-2015) ------------------
# The cycle year runs from 1 June 2015 to 31 May 2016. England bank holidays in it:
# 31 August, 25 December, Monday 28 December 2015 (Boxing Day on a Saturday), 1 January,
# 25 and 28 March, 2 and 30 May 2016.
# Meetings: the Executive Group on the third Wednesday of Jul and Jan (15 July 2015,
# 20 January 2016); the HWB on the second Thursday every two months from July (10 March
# 2016, the first after 20 January).
# Ladder: before_10 (-10), before_3 (-3), on_the_day (0), escalate_3 (+3). Cut-off 4 working
# days before the meeting, which is also the papers day (meeting day minus 6, rolled earlier).
# - Membership review -> Executive Group Wed 15 Jul. Request Mon 1 Jun (the cycle's first
#   day). Deadline 15 working days before: 14, 13, 10, 9, 8, 7, 6, 3, 2, 1 Jul, 30, 29, 26,
#   25, 24 Jun -> Wed 24 Jun. Rungs: -10 = 23, 22, 19, 18, 17, 16, 15, 12, 11, 10 ->
#   Wed 10 Jun; -3 = 23, 22, 19 -> Fri 19 Jun; 0 = 24 Jun; +3 = 25, 26, 29 -> Mon 29 Jun.
#   Cut-off 5 working days after the deadline: 25, 26, 29, 30 Jun, 1 Jul -> Wed 1 Jul;
#   drafted and approved then, the papers wait for their day, Thu 9 Jul (15 Jul - 6).
# - Conference Thu 15 Oct 09:30.
# - Needs analysis -> Executive Group Wed 20 Jan 2016. Request Thu 1 Oct. Deadline 25
#   working days before, across Christmas: 19, 18, 15, 14, 13, 12, 11, 8, 7, 6, 5, 4 Jan
#   (12; 1 Jan a bank holiday), 31, 30, 29 Dec (15; 28 and 25 Dec bank holidays), 24, 23,
#   22, 21, 18, 17, 16, 15, 14, 11 Dec (25) -> Fri 11 Dec. Rungs: -10 = 10, 9, 8, 7, 4, 3,
#   2, 1 Dec, 30, 27 Nov -> Fri 27 Nov; -3 -> Tue 8 Dec; 0 -> 11 Dec; +3 = 14, 15, 16 ->
#   Wed 16 Dec. Cut-off 19, 18, 15, 14 -> Thu 14 Jan = papers (20 Jan - 6).
# - Area Partnerships' reports (report-only), routed Executive Group 20 Jan then the HWB
#   10 Mar. Request Mon 2 Nov. Deadline 20 working days before 20 Jan: 19 Jan back to 4 Jan
#   (12), 31, 30, 29 Dec (15), 24, 23, 22, 21, 18 Dec (20) -> Fri 18 Dec. Rungs: -10 = 17,
#   16, 15, 14, 11, 10, 9, 8, 7, 4 -> Fri 4 Dec; -3 = 17, 16, 15 -> Tue 15 Dec; 0 = 18 Dec;
#   +3 = 21, 22, 23 -> Wed 23 Dec. Cut-off and the Group's papers Thu 14 Jan; the HWB's
#   papers 10 Mar - 6 = Fri 4 Mar.
# Asked: membership all 15; needs analysis the 9 of its categories (the county, the five
# districts, police, ccg, jcp); the area reports the 3 districts chairing the Area
# Partnerships (cambridge_city, fenland, hunts_dc). Lewis Bailey is the contact of both
# east_cambs and fenland: one request and one reminder a day for both.
# Scenario:
# - membership: ccg 4 early (Thu 18 Jun, after -10, before -3), fenland 2 late (Fri 26 Jun),
#   fire never. Request emails: 14 people for 15 partners. Reminders per request: -10 to 15
#   (14 people), -3 to 14 (13 people), 0 to 2 (fenland, fire): 31; the escalation to fire
#   alone. On time 13, late 1, missing 1.
# - needs: south_cambs 2 early (Wed 9 Dec, after -3), jcp 1 late (Mon 14 Dec), police
#   never. 9 requests to 8 people; reminders 9 + 9 + 2 (police, jcp) = 20 (8 + 8 + 2
#   emails); the escalation to police alone.
# - area reports: cambridge_city 12 early (Wed 2 Dec, before -10), hunts_dc 3 late (Wed 23
#   Dec, at 08:30 before that day's escalation). Reminders: 2 + 2 + 1 = 5; no escalation.
# Papers: the Executive Group's 4 members in term and its clerk, three times: Cllr
# Dickinson (Huntingdonshire, until 31 December) gets July's, Cllr Carter (from 1 January)
# January's two; the HWB's 5 and its clerk.
CAMBS_GROUP = {
    "joan.whitlock@cambridgeshire.example.gov.uk",
    "sarah.ferrar@cambridge.example.gov.uk",
    "peter.murphy@fenland.example.gov.uk",
    "democratic.services@cambridgeshire.example.gov.uk",  # the clerk
}
CAMBS_HWB = {
    "tony.orme@cambridgeshire.example.gov.uk",
    "liz.robin@cambridgeshire.example.gov.uk",
    "adrian.lloyd@cambridgeshire.example.gov.uk",
    "tracy.dowling@cpccg.example.nhs.uk",
    "sue.ellington@scambs.example.gov.uk",
    "democratic.services@cambridgeshire.example.gov.uk",  # the clerk
}
CAMBS_JANUARY = CAMBS_GROUP | {"robin.carter@huntingdonshire.example.gov.uk"}
MANAGER = "meredith.teale@cambridgeshire.example.gov.uk"
CAMBRIDGESHIRE = Year(
    config="cambridgeshire-2015",
    year=2015,
    nation=Nation.england,
    bank_holidays=[D(2015, 8, 31), D(2015, 12, 25), D(2015, 12, 28), D(2016, 1, 1),
                   D(2016, 3, 25), D(2016, 3, 28), D(2016, 5, 2), D(2016, 5, 30)],
    timeline=[
        ("2015-06-01 Mon 09:00", "membership_review", "request"),
        ("2015-06-10 Wed 09:00", "membership_review", "reminder:before_10"),
        ("2015-06-19 Fri 09:00", "membership_review", "reminder:before_3"),
        ("2015-06-24 Wed 09:00", "membership_review", "reminder:on_the_day"),
        ("2015-06-24 Wed 17:00", "membership_review", "deadline"),
        ("2015-06-29 Mon 09:00", "membership_review", "escalation:escalate_3"),
        ("2015-07-01 Wed 09:00", "membership_review", "cutoff"),
        ("2015-07-09 Thu 09:00", "membership_review", "papers"),
        ("2015-07-15 Wed 14:00", "membership_review", "meeting"),
        ("2015-10-01 Thu 09:00", "joint_needs_analysis", "request"),
        ("2015-10-15 Thu 09:30", "annual_conference", "event"),
        ("2015-11-02 Mon 09:00", "area_reports", "request"),
        ("2015-11-27 Fri 09:00", "joint_needs_analysis", "reminder:before_10"),
        ("2015-12-04 Fri 09:00", "area_reports", "reminder:before_10"),
        ("2015-12-08 Tue 09:00", "joint_needs_analysis", "reminder:before_3"),
        ("2015-12-11 Fri 09:00", "joint_needs_analysis", "reminder:on_the_day"),
        ("2015-12-11 Fri 17:00", "joint_needs_analysis", "deadline"),
        ("2015-12-15 Tue 09:00", "area_reports", "reminder:before_3"),
        ("2015-12-16 Wed 09:00", "joint_needs_analysis", "escalation:escalate_3"),
        ("2015-12-18 Fri 09:00", "area_reports", "reminder:on_the_day"),
        ("2015-12-18 Fri 17:00", "area_reports", "deadline"),
        ("2015-12-23 Wed 09:00", "area_reports", "escalation:escalate_3"),
        ("2016-01-14 Thu 09:00", "area_reports", "cutoff"),
        ("2016-01-14 Thu 09:00", "area_reports", "papers"),
        ("2016-01-14 Thu 09:00", "joint_needs_analysis", "cutoff"),
        ("2016-01-14 Thu 09:00", "joint_needs_analysis", "papers"),
        ("2016-01-20 Wed 14:00", "area_reports", "meeting"),
        ("2016-01-20 Wed 14:00", "joint_needs_analysis", "meeting"),
        ("2016-03-04 Fri 09:00", "area_reports", "papers:hwb"),
        ("2016-03-10 Thu 10:00", "area_reports", "meeting:hwb"),
    ],
    summary={
        "membership_review": {
            "requests": 15, "on_time": 13, "late": 1, "missing": 1,
            "reminders": 15 + 14 + 2, "escalations": 1, "drafts": 1, "notifications": 5,
        },
        "joint_needs_analysis": {
            "requests": 9, "on_time": 7, "late": 1, "missing": 1,
            "reminders": 9 + 9 + 2, "escalations": 1, "drafts": 1, "notifications": 5,
        },
        "area_reports": {
            "requests": 3, "on_time": 2, "late": 1, "missing": 0,
            "reminders": 2 + 2 + 1, "escalations": 0, "drafts": 1, "notifications": 5 + 6,
        },
    },
    # Requests to 14 + 8 + 3 people, the rungs' emails above, receipts 14 + 8 + 3, papers
    # 5 + 5 + 5 + 6 and the officer's report at the two cut-offs with a partner missing.
    emails={
        "request": 25,
        "reminder:before_10": 14 + 8 + 2,
        "reminder:before_3": 13 + 8 + 2,
        "reminder:on_the_day": 2 + 2 + 1,
        "escalation:escalate_3": 1 + 1 + 0,
        "receipt": 25,
        "papers": 21,
        "missing_report": 2,
    },
    requests={D(2015, 6, 1): 14, D(2015, 10, 1): 8, D(2015, 11, 2): 3},
    rungs={
        ("reminder:before_10", D(2015, 6, 10)): 14,
        ("reminder:before_3", D(2015, 6, 19)): 13,
        ("reminder:on_the_day", D(2015, 6, 24)): 2,
        ("escalation:escalate_3", D(2015, 6, 29)): 1,
        ("reminder:before_10", D(2015, 11, 27)): 8,
        ("reminder:before_10", D(2015, 12, 4)): 2,
        ("reminder:before_3", D(2015, 12, 8)): 8,
        ("reminder:on_the_day", D(2015, 12, 11)): 2,
        ("reminder:before_3", D(2015, 12, 15)): 2,
        ("escalation:escalate_3", D(2015, 12, 16)): 1,
        ("reminder:on_the_day", D(2015, 12, 18)): 1,
    },
    receipts={
        D(2015, 6, 18): 1, D(2015, 6, 24): 12, D(2015, 6, 26): 1,
        D(2015, 12, 2): 1, D(2015, 12, 9): 1, D(2015, 12, 11): 6, D(2015, 12, 14): 1,
        D(2015, 12, 18): 1, D(2015, 12, 23): 1,
    },
    missing_reports=[D(2015, 7, 1), D(2016, 1, 14)],
    papers=[
        ("Membership of the new Children's Trust Executive Group", D(2015, 7, 9),
         CAMBS_GROUP | {"angela.dickinson@huntingdonshire.example.gov.uk"}),
        ("Children's needs assessment", D(2016, 1, 14), CAMBS_JANUARY),
        ("annual reports on progress and gaps for Children's Trust Executive Group",
         D(2016, 1, 14), CAMBS_JANUARY),
        ("annual reports on progress and gaps for Cambridgeshire Health and Wellbeing Board",
         D(2016, 3, 4), CAMBS_HWB),
    ],
    escalated={
        (D(2015, 6, 29), "stuart.smith@cambsfire.example.gov.uk", MANAGER),
        (D(2015, 12, 16), "mark.hopkins@cambs.example.police.uk", MANAGER),
    },
    shared_request=(D(2015, 6, 1), "lewis.bailey@eastcambs.example.gov.uk", 2),
    drafts_say={
        # report-only: each district's note set out in full, none rated
        "area_reports": [
            "| Reports asked | 3 |",
            "## 4. Cambridge City Council: Your Area Partnership's annual report",
            "## 5. Fenland District Council: Your Area Partnership's annual report",
            "## 6. Huntingdonshire District Council: Your Area Partnership's annual report",
        ],
    },
)

# --- Scottish, 2026-27 (config/examples/strathmore-2026) ---------------------------------
# Scotland's bank holidays in the cycle year (trust.nation: scotland): Good Friday 3 April,
# 4 and 25 May, 15 June 2026 (a one-off), the first Monday of August (3 August), St
# Andrew's Day (Monday 30 November), 25 and 28 December 2026, 1 January and Monday
# 4 January 2027 (2 January on a Saturday), 26 March. Easter Monday (6 April) and 31 August,
# England's, are working days here.
# The Board meets on the second Wednesday of May, Aug, Nov, Jan, Mar: 13 May 2026,
# 13 January and 10 March 2027. Ladder: before_5 (-5), on_the_day (0), escalate_3 (+3).
# Cut-off = papers day = the meeting day minus 6 (5 clear days).
# - Membership review -> 13 May. Request Mon 6 Apr (Easter Monday, open in Scotland).
#   Deadline 10 working days before: 12, 11, 8, 7, 6, 5 May (4 May a bank holiday), 1 May,
#   30, 29, 28 Apr -> Tue 28 Apr. Rungs: -5 = 27, 24, 23, 22, 21 -> Tue 21 Apr; 0 = 28 Apr;
#   +3 = 29, 30 Apr, 1 May -> Fri 1 May. Cut-off and papers Thu 7 May.
# - Child poverty action report, published. Request Mon 20 Apr; deadline Fri 29 May; rungs
#   -5 = 28, 27, 26, 22, 21 (25 May closed) -> Thu 21 May; 0 = 29 May; +3 = 1, 2, 3 Jun ->
#   Wed 3 Jun; cut-off 5 working days after the deadline -> Fri 5 Jun. Publication "06-15":
#   15 June 2026 is closed in Scotland, so earlier to Fri 12 Jun.
# - Needs assessment -> 13 Jan. Request Thu 1 Oct. Deadline "11-30", St Andrew's Day:
#   earlier to Fri 27 Nov. Rungs: -5 = 26, 25, 24, 23, 20 -> Fri 20 Nov; 0 = 27 Nov; +3 =
#   1, 2, 3 Dec (30 Nov closed) -> Thu 3 Dec. Cut-off and papers Thu 7 Jan.
# - Annual report on the plan -> 10 Mar. Request "01-04": Monday 4 January is closed, so
#   later to Tue 5 Jan. Deadline 15 working days before 10 Mar: 9, 8, 5, 4, 3, 2, 1 Mar,
#   26, 25, 24, 23, 22, 19, 18, 17 Feb -> Wed 17 Feb. Rungs: -5 = 16, 15, 12, 11, 10 ->
#   Wed 10 Feb; 0 = 17 Feb; +3 = 18, 19, 22 -> Mon 22 Feb. Cut-off and papers Thu 4 Mar.
# Asked: membership all 8; the action report 4 (council, health_board, sds, tsi); the needs
# assessment the 5 of its categories (council,
# health_board, police, sds, scra); the annual report the 3 leads (council, health_board,
# police).
# Scenario:
# - membership: police 2 late (Thu 30 Apr), fire never. Reminders: -5 to 8, 0 to 2: 10;
#   the escalation to fire alone. On time 6, late 1, missing 1.
# - action report: tsi 1 late (Mon 1 Jun). Reminders 4 + 1 = 5. Published on 12 Jun: the
#   public has no members or clerk, so the officer alone is told.
# - needs: health_board 1 late: the working day after Fri 27 Nov is Tue 1 Dec (St
#   Andrew's Day); scra never. Reminders 5 + 2 = 7; the escalation to scra alone.
# - annual report: council 2 early (Mon 15 Feb, after -5), police 1 late (Thu 18 Feb).
#   Reminders 3 + 1 = 4; no escalation.
# Papers: the Board's 6 members and its clerk (the officer), three times.
STRATHMORE_BOARD = {
    "isla.morrison@strathmore.example.gov.scot",
    "eilidh.campbell@strathmore.example.gov.scot",
    "ailsa.munro@nhsstrathmore.example.scot",
    "fiona.ross@scotland.example.police.uk",
    "shona.duncan@strathmorecollege.example.ac.uk",
    "jenny.watt@strathmoretsi.example.org.uk",
    "childrens.planning@strathmore.example.gov.scot",  # the clerk
}
STRATHMORE_MANAGER = "morag.fraser@strathmore.example.gov.scot"
STRATHMORE = Year(
    config="strathmore-2026",
    year=2026,
    nation=Nation.scotland,
    bank_holidays=[D(2026, 4, 3), D(2026, 5, 4), D(2026, 5, 25), D(2026, 6, 15),
                   D(2026, 8, 3), D(2026, 11, 30), D(2026, 12, 25), D(2026, 12, 28),
                   D(2027, 1, 1), D(2027, 1, 4), D(2027, 3, 26)],
    timeline=[
        ("2026-04-06 Mon 09:00", "membership_review", "request"),
        ("2026-04-20 Mon 09:00", "child_poverty_action_report", "request"),
        ("2026-04-21 Tue 09:00", "membership_review", "reminder:before_5"),
        ("2026-04-28 Tue 09:00", "membership_review", "reminder:on_the_day"),
        ("2026-04-28 Tue 17:00", "membership_review", "deadline"),
        ("2026-05-01 Fri 09:00", "membership_review", "escalation:escalate_3"),
        ("2026-05-07 Thu 09:00", "membership_review", "cutoff"),
        ("2026-05-07 Thu 09:00", "membership_review", "papers"),
        ("2026-05-13 Wed 10:00", "membership_review", "meeting"),
        ("2026-05-21 Thu 09:00", "child_poverty_action_report", "reminder:before_5"),
        ("2026-05-29 Fri 09:00", "child_poverty_action_report", "reminder:on_the_day"),
        ("2026-05-29 Fri 17:00", "child_poverty_action_report", "deadline"),
        ("2026-06-03 Wed 09:00", "child_poverty_action_report", "escalation:escalate_3"),
        ("2026-06-05 Fri 09:00", "child_poverty_action_report", "cutoff"),
        ("2026-06-12 Fri 09:00", "child_poverty_action_report", "publish"),
        ("2026-10-01 Thu 09:00", "joint_needs_analysis", "request"),
        ("2026-11-20 Fri 09:00", "joint_needs_analysis", "reminder:before_5"),
        ("2026-11-27 Fri 09:00", "joint_needs_analysis", "reminder:on_the_day"),
        ("2026-11-27 Fri 17:00", "joint_needs_analysis", "deadline"),
        ("2026-12-03 Thu 09:00", "joint_needs_analysis", "escalation:escalate_3"),
        ("2027-01-05 Tue 09:00", "annual_report", "request"),
        ("2027-01-07 Thu 09:00", "joint_needs_analysis", "cutoff"),
        ("2027-01-07 Thu 09:00", "joint_needs_analysis", "papers"),
        ("2027-01-13 Wed 10:00", "joint_needs_analysis", "meeting"),
        ("2027-02-10 Wed 09:00", "annual_report", "reminder:before_5"),
        ("2027-02-17 Wed 09:00", "annual_report", "reminder:on_the_day"),
        ("2027-02-17 Wed 17:00", "annual_report", "deadline"),
        ("2027-02-22 Mon 09:00", "annual_report", "escalation:escalate_3"),
        ("2027-03-04 Thu 09:00", "annual_report", "cutoff"),
        ("2027-03-04 Thu 09:00", "annual_report", "papers"),
        ("2027-03-10 Wed 10:00", "annual_report", "meeting"),
    ],
    summary={
        "membership_review": {
            "requests": 8, "on_time": 6, "late": 1, "missing": 1,
            "reminders": 8 + 2, "escalations": 1, "drafts": 1, "notifications": 7,
        },
        "child_poverty_action_report": {
            "requests": 4, "on_time": 3, "late": 1, "missing": 0,
            "reminders": 4 + 1, "escalations": 0, "drafts": 1, "notifications": 1,
        },
        "joint_needs_analysis": {
            "requests": 5, "on_time": 3, "late": 1, "missing": 1,
            "reminders": 5 + 2, "escalations": 1, "drafts": 1, "notifications": 7,
        },
        "annual_report": {
            "requests": 3, "on_time": 2, "late": 1, "missing": 0,
            "reminders": 3 + 1, "escalations": 0, "drafts": 1, "notifications": 7,
        },
    },
    # Requests 8 + 4 + 5 + 3, the rungs, receipts 7 + 4 + 4 + 3, papers 3 x 7, the
    # publication's one email and the officer's report at the two cut-offs with a partner
    # missing.
    emails={
        "request": 20,
        "reminder:before_5": 8 + 4 + 5 + 3,
        "reminder:on_the_day": 2 + 1 + 2 + 1,
        "escalation:escalate_3": 1 + 1,
        "receipt": 18,
        "papers": 21,
        "publication": 1,
        "missing_report": 2,
    },
    requests={D(2026, 4, 6): 8, D(2026, 4, 20): 4, D(2026, 10, 1): 5, D(2027, 1, 5): 3},
    rungs={
        ("reminder:before_5", D(2026, 4, 21)): 8,
        ("reminder:on_the_day", D(2026, 4, 28)): 2,
        ("escalation:escalate_3", D(2026, 5, 1)): 1,
        ("reminder:before_5", D(2026, 5, 21)): 4,
        ("reminder:on_the_day", D(2026, 5, 29)): 1,
        ("reminder:before_5", D(2026, 11, 20)): 5,
        ("reminder:on_the_day", D(2026, 11, 27)): 2,
        ("escalation:escalate_3", D(2026, 12, 3)): 1,
        ("reminder:before_5", D(2027, 2, 10)): 3,
        ("reminder:on_the_day", D(2027, 2, 17)): 1,
    },
    receipts={
        D(2026, 4, 28): 6, D(2026, 4, 30): 1, D(2026, 5, 29): 3, D(2026, 6, 1): 1,
        D(2026, 11, 27): 3, D(2026, 12, 1): 1,
        D(2027, 2, 15): 1, D(2027, 2, 17): 1, D(2027, 2, 18): 1,
    },
    missing_reports=[D(2026, 5, 7), D(2027, 1, 7)],
    papers=[
        ("Review of the Partnership Board's membership", D(2026, 5, 7), STRATHMORE_BOARD),
        ("Joint strategic needs assessment", D(2027, 1, 7), STRATHMORE_BOARD),
        ("Annual report on the children's services plan", D(2027, 3, 4), STRATHMORE_BOARD),
    ],
    escalated={
        (D(2026, 5, 1), "jean.baxter@firescotland.example.gov.uk", STRATHMORE_MANAGER),
        (D(2026, 12, 3), "neil.hunter@scra.example.gov.uk", STRATHMORE_MANAGER),
    },
    shared_request=None,
    drafts_say={"joint_needs_analysis": ["Scottish Children's Reporter Administration"]},
    published=(D(2026, 6, 12), "childrens.planning@strathmore.example.gov.scot",
               "strathmore/2026/child_poverty_action_report-v1.html"),
)

YEARS = {y.config: y for y in (SALFORD, CAMBRIDGESHIRE, STRATHMORE)}


@dataclass
class Simulated:
    expected: Year
    out: Path
    stdout: str


@pytest.fixture(scope="module", params=sorted(YEARS))
def sim(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    expected = YEARS[request.param]
    out = tmp_path_factory.mktemp(expected.config)
    env = {**os.environ, "PREFECT_HOME": str(out / "prefect")}
    env.pop("PREFECT_API_URL", None)  # its own local server, as the README runs it
    result = subprocess.run(
        [sys.executable, "-m", "trustcycle", "--config", str(EXAMPLES / expected.config),
         "simulate", "--year", str(expected.year), "--out", str(out), "--no-progress"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return Simulated(expected, out, result.stdout)


def _kind(msg: email.message.EmailMessage) -> str:
    return str(msg["X-Trustcycle-Kind"])


def test_the_timeline_printed_has_every_step_on_its_hand_worked_day(sim: Simulated) -> None:
    lines = sim.stdout.split("Timeline:\n", 1)[1].splitlines()
    printed = [
        (line[2:22], line[24:].split()[0], line[24:].split()[1])
        for line in lines
        if line.startswith("  ")
    ]
    assert printed == sim.expected.timeline


def test_the_summary_counts_each_process_exactly(sim: Simulated) -> None:
    summary = json.loads((sim.out / "summary.json").read_text())
    counted = {
        pid: {key: counts[key] for key in sim.expected.summary[pid]}
        for pid, counts in summary["processes"].items()
    }
    assert counted == sim.expected.summary
    # Nothing waived, nothing arrived after its papers went.
    assert {c.get("waived", 0) for c in summary["processes"].values()} == {0}
    assert {c.get("late_after_papers", 0) for c in summary["processes"].values()} == {0}
    assert summary["emails"] == sum(sim.expected.emails.values())


def test_every_email_of_the_year_is_there_once_by_kind(sim: Simulated) -> None:
    messages = _messages(sim.out)
    assert Counter(_kind(m) for m in messages) == sim.expected.emails
    assert len({str(m["Message-ID"]) for m in messages}) == len(messages)


def test_no_email_on_a_weekend_or_a_bank_holiday_of_the_cycle(sim: Simulated) -> None:
    days = {_day(m) for m in _messages(sim.out)}
    open_days = working_days(sim.expected.nation)
    assert [d for d in sorted(days) if not open_days.is_working_day(d)] == []
    assert all(d.isoweekday() < 6 for d in days)
    assert not days & set(sim.expected.bank_holidays)


def test_requests_rungs_and_receipts_go_on_their_days(sim: Simulated) -> None:
    messages = _messages(sim.out)
    requests = Counter(_day(m) for m in messages if _kind(m) == "request")
    assert requests == sim.expected.requests
    rungs = Counter(
        (_kind(m), _day(m)) for m in messages if _kind(m).startswith(("reminder:", "escalation:"))
    )
    assert rungs == sim.expected.rungs
    assert Counter(_day(m) for m in messages if _kind(m) == "receipt") == sim.expected.receipts
    escalated = {
        (_day(m), str(m["To"]), str(m["Cc"]))
        for m in messages
        if _kind(m).startswith("escalation:")
    }
    assert escalated == sim.expected.escalated


def test_papers_reach_each_body_on_the_route_on_its_papers_day(sim: Simulated) -> None:
    papers = [m for m in _messages(sim.out) if _kind(m) == "papers"]
    for words, day, recipients in sim.expected.papers:
        sent = [m for m in papers if words in str(m["Subject"])]
        assert {_day(m) for m in sent} == {day}, words
        assert sorted(str(m["To"]) for m in sent) == sorted(recipients), words
    assert len(papers) == sum(len(r) for _, _, r in sim.expected.papers)
    missing = sorted(_day(m) for m in _messages(sim.out) if _kind(m) == "missing_report")
    assert missing == sim.expected.missing_reports


def test_one_person_for_two_partners_gets_one_request_listing_both(sim: Simulated) -> None:
    if sim.expected.shared_request is None:
        pytest.skip(f"{sim.expected.config} has no one person for several partners")
    day, person, returns = sim.expected.shared_request
    theirs = [
        m for m in _messages(sim.out)
        if _kind(m) == "request" and _day(m) == day and str(m["To"]) == person
    ]
    assert len(theirs) == 1
    assert str(theirs[0]["Subject"]).startswith(f"{returns} returns requested")


def test_a_key_decision_is_on_the_forward_plan_28_clear_days_before(sim: Simulated) -> None:
    notices = {
        (_day(m), str(m["To"]), str(m["Cc"]))
        for m in _messages(sim.out)
        if _kind(m) == "forward_plan"
    }
    assert notices == sim.expected.forward_plans


def test_a_return_asked_of_a_seat_goes_to_whoever_holds_it(sim: Simulated) -> None:
    if sim.expected.seat_request is None:
        pytest.skip(f"{sim.expected.config} asks no seat")
    day, holder, words = sim.expected.seat_request
    theirs = [(_day(m), str(m["Subject"])) for m in _messages(sim.out)
              if _kind(m) == "request" and str(m["To"]) == holder]
    assert len(theirs) == 1 and theirs[0][0] == day and words in theirs[0][1]


def test_each_draft_says_what_its_returns_said(sim: Simulated) -> None:
    for process, lines in sim.expected.drafts_say.items():
        text = next((sim.out / "drafts").glob(f"{process}-{sim.expected.year}-v*.md")).read_text()
        for line in lines:
            assert line in text, (process, line)


def test_a_publication_is_written_and_announced_on_its_day(sim: Simulated) -> None:
    announced = [(_day(m), str(m["To"])) for m in _messages(sim.out)
                 if _kind(m) == "publication"]
    if sim.expected.published is None:
        assert announced == []
        return
    day, to, document = sim.expected.published
    assert announced == [(day, to)]
    assert (sim.out / "public" / document).is_file()
