"""`trustcycle calendar show|export` as an officer runs them."""

import subprocess
import sys
from pathlib import Path

import icalendar

ROOT = Path(__file__).resolve().parents[2]
RUTLAND = ROOT / "config" / "examples" / "rutland-2010"


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trustcycle.cli", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )


def test_calendar_show_lists_the_seed_dates_in_order() -> None:
    result = _cli("--config", str(RUTLAND), "calendar", "show", "--year", "2010")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == sorted(lines, key=lambda line: line[:20])
    assert any(
        line.startswith("2010-06-08 Tue") and "membership_review" in line and "board" in line
        for line in lines
    )
    assert any(line.startswith("2010-07-05 Mon") and "cypp_annual_review" in line for line in lines)
    assert any(line.startswith("2010-11-17 Wed") and "executive" in line for line in lines)
    assert any(line.startswith("2011-03-31 Thu") and "child_poverty_strategy" in line
               for line in lines)
    # 31 May 2010 was the spring bank holiday: nothing falls on it.
    assert not any(line.startswith("2010-05-31") for line in lines)


def test_calendar_export_writes_an_ics_that_parses_back(tmp_path: Path) -> None:
    out = tmp_path / "rutland.ics"
    result = _cli("--config", str(RUTLAND), "calendar", "export", "--year", "2010",
                  "--ics", str(out))
    assert result.returncode == 0, result.stderr
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    events = [c for c in cal.walk("VEVENT")]
    starts = {(str(e["summary"]), e.decoded("dtstart").isoformat()) for e in events}
    assert ("Rutland Children's Trust Board meeting", "2010-06-08T14:00:00+01:00") in starts
    assert ("Children's Trust Executive meeting", "2010-11-17T10:00:00+00:00") in starts
    assert len({str(e["uid"]) for e in events}) == len(events)
    # Counted by hand from the seed's configuration: each of the 4 processes with returns
    # has a request, 5 ladder rungs, a deadline, a cut-off and papers (or publication): 36;
    # 2 events (the conference, the needs assessment at the Executive); 9 meetings (Board
    # 8 June and 30 November, the Executive's 7 dates), each once: the processes' meeting
    # steps are those meetings' events, not second ones.
    meetings = [e for e in events if str(e["summary"]).endswith(" meeting")]
    assert len(meetings) == 9
    assert len(events) == 36 + 2 + 9
