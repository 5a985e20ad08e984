"""People-first chasing, the pure rules: one letter per person listing what they owe for
every partner they represent; batches never split a person; keys stable across runs."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pendulum
import pytest

from tests.integration.test_chase_fixtures import MANAGER, contact, senior, write_config
from trustcycle.chasing.letters import request_letters, rung_letters
from trustcycle.chasing.people import batches, contacts_for, letter_key, letters
from trustcycle.chasing.requests import DueRung
from trustcycle.chasing.rules import RungDay
from trustcycle.chasing.views import RequestView
from trustcycle.config import TrustConfig
from trustcycle.config.schema import Person
from trustcycle.trust import load_config

NOW = pendulum.datetime(2026, 5, 1, 9, tz="Europe/London")
DEADLINE = pendulum.datetime(2026, 5, 13, 17, tz="Europe/London")
CUTOFF = pendulum.datetime(2026, 5, 20, 9, tz="Europe/London")
SECRET = "people-tests-secret-0123456789abcdefghij"
ANN, BEN, CAT = (Person(name=n, email=f"{n.lower()}@x.example") for n in ("Ann", "Ben", "Cat"))


def _people(table: dict[str, tuple[Person, ...]]) -> object:
    return lambda item: table[item]


def test_a_person_of_two_partners_gets_one_letter_listing_both() -> None:
    who = _people({"alpha": (ANN,), "bravo": (ANN,), "charlie": (BEN,)})
    got = letters(["alpha", "bravo", "charlie"], who)  # type: ignore[arg-type]
    assert [(tuple(p.name for p in lt.to), lt.items) for lt in got] == [
        (("Ann",), ("alpha", "bravo")), (("Ben",), ("charlie",))]


def test_people_receiving_exactly_the_same_items_share_one_letter() -> None:
    # Bravo has two contacts; Ann also represents alpha: Ann's letter lists both, Ben's one.
    who = _people({"alpha": (ANN,), "bravo": (ANN, BEN), "delta": (BEN, CAT)})
    got = letters(["bravo", "delta"], who)  # type: ignore[arg-type]
    assert [(tuple(p.name for p in lt.to), lt.items) for lt in got] == [
        (("Ann",), ("bravo",)), (("Ben",), ("bravo", "delta")), (("Cat",), ("delta",))]
    same = letters(["delta"], who)  # type: ignore[arg-type]
    assert [(tuple(p.name for p in lt.to), lt.items) for lt in same] == [
        (("Ben", "Cat"), ("delta",))]


def test_one_email_in_any_case_is_one_person() -> None:
    shouting = Person(name="Ann", email="ANN@X.example")
    got = letters(["a", "b"], _people({"a": (ANN,), "b": (shouting,)}))  # type: ignore[arg-type]
    assert [lt.items for lt in got] == [("a", "b")]


def test_batches_never_split_what_one_person_receives() -> None:
    who = _people({i: ((ANN,) if i in ("a", "d") else (Person(name=i, email=f"{i}@y.example"),))
                   for i in "abcde"})
    assert batches(list("abcde"), who, 2) == [["a", "d"], ["b", "c"], ["e"]]  # type: ignore[arg-type]
    assert batches(list("abcde"), who, 10) == [["a", "d", "b", "c", "e"]]  # type: ignore[arg-type]


def test_a_letters_key_depends_on_its_items_and_people_not_their_order() -> None:
    key = letter_key("reminders", ["reminder:1:x", "reminder:2:x"], [ANN, BEN])
    assert key == letter_key("reminders", ["reminder:2:x", "reminder:1:x"], [BEN, ANN])
    assert key != letter_key("reminders", ["reminder:1:x"], [ANN, BEN])
    assert key != letter_key("reminders", ["reminder:1:x", "reminder:2:x"], [ANN])
    assert key.startswith("reminders:") and len(key) < 300


# --- rendered, on the small trust with alpha and bravo represented by one person ----------


@pytest.fixture
def cfg(tmp_path: Path) -> TrustConfig:
    base = load_config(write_config(tmp_path / "config"))
    partners = dict(base.partners)
    partners["bravo"] = partners["bravo"].model_copy(update={
        "contacts": partners["alpha"].contacts, "senior_contact": partners["alpha"].senior_contact})
    trust = base.trust.model_copy(update={"portal_url": "https://portal.example.gov.uk"})
    return dataclasses.replace(base, partners=partners, trust=trust)


def _view(n: int, partner: str) -> RequestView:
    return RequestView(n, f"token-{partner}", "membership_review", partner, "representation",
                       DEADLINE, CUTOFF, NOW.subtract(days=4), "open")


def _rung(name: str, working_days: int, *, escalate: bool = False) -> RungDay:
    return RungDay(0, name, date(2026, 5, 1), working_days, escalate)


def test_the_request_letter_names_each_partner_with_its_own_link_and_deadline(
    cfg: TrustConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTCYCLE_PORTAL_SECRET", SECRET)
    built, faults = request_letters(cfg, [_view(1, "alpha"), _view(2, "bravo"),
                                          _view(3, "charlie")], now=NOW)
    assert faults == []
    assert [(b.email.to, [v.partner for v in b.items]) for b in built] == [
        ([contact("alpha")], ["alpha", "bravo"]), ([contact("charlie")], ["charlie"])]
    both = built[0].email
    assert both.subject == ("2 returns requested, the first by 13 May 2026 "
                            "(Testshire Children's Trust)")
    assert both.kind == "request" and both.contribution_request_id == 1
    assert "Dear Alpha Contact," in both.text
    assert "From: Alpha Services" in both.text and "From: Bravo Services" in both.text
    assert both.text.count("Wednesday 13 May 2026 at 17:00") == 2
    links = [line.split(": ", 1)[1] for line in both.text.splitlines()
             if "partner portal:" in line]
    assert [link.split("?")[0] for link in links] == [
        "https://portal.example.gov.uk/r/token-alpha", "https://portal.example.gov.uk/r/token-bravo"]
    assert [a.filename for a in both.attachments] == ["deadline-1.ics", "deadline-2.ics"]  # type: ignore[union-attr]
    # A letter of one item is the classic request, under its classic key.
    assert built[1].email.idem_key == "request:3"
    assert built[1].email.subject.startswith("Return requested by 13 May 2026: ")


def test_reminders_and_escalations_are_one_letter_each_per_person(cfg: TrustConfig) -> None:
    due = [DueRung(_view(1, "alpha"), _rung("overdue_2", 2)),
           DueRung(_view(2, "bravo"), _rung("before_3", -3)),
           DueRung(_view(3, "alpha"), _rung("escalate_4", 4, escalate=True)),
           DueRung(_view(4, "bravo"), _rung("escalate_4", 4, escalate=True))]
    built, faults = rung_letters(cfg, due, now=NOW)
    assert faults == []
    assert [(b.email.kind, b.email.to, list(b.email.cc), len(b.items)) for b in built] == [
        ("reminder:overdue_2", [contact("alpha")], [], 2),
        ("escalation:escalate_4", [senior("alpha")], [MANAGER], 2)]
    reminder, escalation = (b.email for b in built)
    assert reminder.subject == ("Overdue: 2 returns, the first due 13 May 2026 "
                                "(Testshire Children's Trust)")
    assert "(overdue; final cut-off" in reminder.text
    assert "(3 working days from today)" in reminder.text
    assert escalation.subject == "Escalation: 2 returns overdue (Testshire Children's Trust)"
    assert "Dear Alpha Chief," in escalation.text and "Mo Manager" in escalation.text


def test_a_letter_that_cannot_be_built_faults_its_items_and_the_others_go(
    cfg: TrustConfig,
) -> None:
    # One person's address no header may carry: both partners they represent fault (the
    # officer is alerted for each), charlie's letter goes.
    partners = dict(cfg.partners)
    bad_person = Person.model_construct(name="Alpha Contact", role=None, email="a\u2028@x.example")
    for pid in ("alpha", "bravo"):
        partners[pid] = partners[pid].model_copy(update={"contacts": [bad_person]})
    bad = dataclasses.replace(cfg, partners=partners)
    built, faults = request_letters(bad, [_view(1, "alpha"), _view(2, "bravo"),
                                          _view(3, "charlie")], now=NOW)
    assert [(f.request.partner, f.step) for f in faults] == [("alpha", "request"),
                                                             ("bravo", "request")]
    assert [[v.partner for v in b.items] for b in built] == [["charlie"]]


def test_an_item_that_cannot_be_built_alone_is_taken_out_of_its_letter(
    cfg: TrustConfig,
) -> None:
    # A partner name no subject may carry breaks only a one-item escalation: listed with
    # another return (the subject names no partner) it goes; alone it faults.
    partners = dict(cfg.partners)
    partners["bravo"] = partners["bravo"].model_copy(update={"name": "Bravo\x85Services"})
    bad = dataclasses.replace(cfg, partners=partners)
    both = [DueRung(_view(1, "alpha"), _rung("escalate_4", 4, escalate=True)),
            DueRung(_view(2, "bravo"), _rung("escalate_4", 4, escalate=True))]
    built, faults = rung_letters(bad, both, now=NOW)
    assert faults == [] and [len(b.items) for b in built] == [2]
    built, faults = rung_letters(bad, both[1:], now=NOW)
    assert [(f.request.partner, f.step) for f in faults] == [("bravo", "escalate_4")]
    assert built == []


def test_a_return_asked_of_a_seat_goes_to_the_seat_holder(cfg: TrustConfig) -> None:
    holder = Person(name="Sam Chair", email="sam.chair@lscb.example.org")
    body = cfg.bodies["board"].model_copy(update={"members": [
        {"person": holder, "partner": "charlie", "role": "Chair", "term_start": date(2025, 4, 1)}]})
    body = type(body).model_validate(body.model_dump())
    proc = cfg.processes["membership_review"]
    ret = proc.returns[0].model_copy(update={"asked_of": type(proc.returns[0].asked_of)(
        seat={"body": "board", "role": "Chair"})})
    seat_cfg = dataclasses.replace(
        cfg, bodies={"board": body},
        processes={"membership_review": proc.model_copy(update={"returns": [ret]})})
    assert contacts_for(seat_cfg, _view(1, "charlie")) == (holder,)
    [letter], _ = request_letters(seat_cfg, [_view(1, "charlie")], now=NOW)
    assert letter.email.to == ["sam.chair@lscb.example.org"]
    assert "Dear Sam Chair," in letter.email.text
