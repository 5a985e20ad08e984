"""What each command does, in an officer's words, with an example: the text of `--help`.

One table for every parser of the command tree (`trustcycle`, `trustcycle config check`...)
so the wording reads as one voice; `build_parser` puts each entry on its parser, and a test
fails when a command has no entry or an example that does not parse.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Help:
    """The `--help` of one command: what it is for, and examples (command lines)."""

    what: str
    examples: tuple[str, ...]


GUIDE: dict[tuple[str, ...], Help] = {
    (): Help(
        "Run your Children's Trust's statutory planning cycle: ask partners for their "
        "returns, chase them, build the draft papers, get them signed off and send them to "
        "the Board and the other bodies, on the dates your calendar sets. The trust's "
        "details live in a folder of YAML files (--config, default ./config); --config may "
        "come before or after the command.",
        (
            "trustcycle init trusts/rutland",
            "trustcycle config check --config trusts/rutland",
            "trustcycle doctor --config trusts/rutland",
            "trustcycle serve --config trusts/rutland",
        ),
    ),
    ("init",): Help(
        "Start a new trust: write its five YAML files (trust, partners, bodies, priorities, "
        "calendar) into a new folder from a few answers, ready for `config check` and "
        "`simulate`. Every statutory partner category is listed, commented out, for you to "
        "fill in. Asks what it needs when run in a terminal without the flags.",
        (
            "trustcycle init trusts/rutland --name \"Rutland Children's Trust\" "
            "--local-authority \"Rutland County Council\" --nation england --year 2026 "
            "--officer-name \"Lewis Grant\" --officer-email lewis.grant@rutland.gov.uk "
            "--manager-name \"Dana Okafor\" --manager-email dana.okafor@rutland.gov.uk",
        ),
    ),
    ("doctor",): Help(
        "Check that everything the service needs is in order, one line each: the "
        "configuration, the database, the mail relay (connects and logs in, sends nothing), "
        "the portal's secret and address, the Prefect server and its deployments, the time "
        "zone data and the machine's clock. Exits with status 1 when something must be fixed.",
        ("trustcycle doctor --config trusts/rutland", "trustcycle doctor --skip prefect,clock"),
    ),
    ("config",): Help(
        "Check the trust's YAML files, load them into the database, or write the JSON Schema "
        "your editor uses to complete and check them.",
        ("trustcycle config check --config trusts/rutland",),
    ),
    ("config", "check"): Help(
        "Validate every file; each problem is one line naming the file, the key and the rule.",
        ("trustcycle config check --config config/examples/rutland-2010",),
    ),
    ("config", "apply"): Help(
        "Load the configuration into the database (creating or upgrading its tables first). "
        "Running it twice changes nothing; a partner removed from the YAML is retired with its "
        "history kept.",
        ("trustcycle config apply --config trusts/rutland --actor \"Lewis Grant\"",),
    ),
    ("config", "schema"): Help(
        "Write the JSON Schema of each YAML file (one .schema.json per file), so editors such "
        "as VS Code complete and check keys as you type.",
        ("trustcycle config schema --out config/schema",),
    ),
    ("calendar",): Help(
        "The dated steps of a cycle year (requests, reminders, deadlines, cut-offs, papers, "
        "meetings), on screen or as a calendar file.",
        ("trustcycle calendar show --year 2026",),
    ),
    ("calendar", "show"): Help(
        "List every dated step of the cycle year, one line each, in date order.",
        ("trustcycle calendar show --year 2010 --config config/examples/rutland-2010",),
    ),
    ("calendar", "export"): Help(
        "Write the cycle year's steps and meetings as an .ics file for Outlook or Google.",
        ("trustcycle calendar export --year 2026 --ics trust.ics",),
    ),
    ("returns",): Help(
        "Record the returns partners send you by email, waive a return, or list where each "
        "request stands.",
        ("trustcycle returns list --process membership_review",),
    ),
    ("returns", "record"): Help(
        "Record a partner's return (a file, or the answers as JSON). Each recording is a new "
        "version; the partner gets a receipt and is chased no more.",
        ("trustcycle returns record --process membership_review --partner police "
         "--file police-return.json",),
    ),
    ("returns", "waive"): Help(
        "Waive a return you no longer need from a partner; the reason is kept in the audit log.",
        ("trustcycle returns waive --process joint_needs_analysis --partner fire "
         "--reason \"no data held\"",),
    ),
    ("returns", "list"): Help(
        "Every request of the cycle year with its status and latest version.",
        ("trustcycle returns list --process cypp_annual_review --year 2026",),
    ),
    ("chase",): Help(
        "Do a day's chasing now: open the requests due, send reminders and escalations, "
        "sweep the inbox folder, mark what is missing at a cut-off. With --dry-run, show "
        "what would be sent and send nothing.",
        ("trustcycle chase --as-of 2026-05-11 --dry-run",),
    ),
    ("attendance",): Help(
        "Record who came to a body's meetings, for the membership review's attendance table.",
        ("trustcycle attendance import board-attendance.csv",),
    ),
    ("attendance", "record"): Help(
        "Record one person's attendance at one meeting.",
        ("trustcycle attendance record --body board --date 2026-06-09 "
         "--person mary.ellis@wessexvale.example.gov.uk --status present",),
    ),
    ("attendance", "import"): Help(
        "Import a CSV of attendance with the columns body,date,person,status "
        "(status: present, apologies, deputy or absent).",
        ("trustcycle attendance import config/scenario-attendance.csv",),
    ),
    ("draft",): Help(
        "Build a process's draft paper from the returns received so far and write it as "
        "Markdown, HTML or Word.",
        ("trustcycle draft membership_review --year 2026 --format docx --out drafts",),
    ),
    ("simulate",): Help(
        "Rehearse a whole cycle year on a virtual clock through the real flows: scripted "
        "partners answer, mail goes to a local folder, drafts are approved automatically. "
        "Nothing reaches real people.",
        ("trustcycle simulate --year 2026 --config config --out var/out",),
    ),
    ("serve",): Help(
        "Run the service: the Prefect server and UI (http://127.0.0.1:4200) with every flow "
        "on its schedule. Checks the set-up first (as `doctor` does) and refuses to start "
        "on a broken configuration or an unreachable database. Stop it with Ctrl-C.",
        ("trustcycle serve --config trusts/rutland",),
    ),
    ("deploy",): Help(
        "Register every trust's flows on a Prefect work pool, for workers on other machines "
        "(`prefect worker start --pool NAME`): one folder per trust under --trusts, named by "
        "the trust's id; its deployments are named after it (chase-returns/<trust id>) and "
        "tagged with it. Adding a trust is adding its folder and deploying again.",
        ("trustcycle deploy --pool trustcycle --trusts trusts",
         "trustcycle deploy --pool trustcycle --trusts trusts "
         "--repository https://git.example.gov.uk/trusts.git --branch main"),
    ),
    ("portal",): Help(
        "Serve the partners' returns portal, where partners open the link in their request "
        "email and submit their return without an account.",
        ("TRUSTCYCLE_PORTAL_SECRET=... trustcycle portal --port 8080",),
    ),
}


def epilog(entry: Help) -> str:
    """The examples as `--help` prints them after the options."""
    label = "example:" if len(entry.examples) == 1 else "examples:"
    return "\n".join([label, *(f"  {line}" for line in entry.examples)])
