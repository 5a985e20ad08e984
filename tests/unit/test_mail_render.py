"""Paired email templates: subject block, autoescaped HTML, literal text, strict names."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import UndefinedError

from trustcycle.mail.message import HeaderInjectionError
from trustcycle.mail.render import render_email

TEXT = """{% extends "_layout.txt.j2" %}
{% block subject %}Return due: {{ partner }}{% endblock %}
{% block body %}
Dear {{ name }},
{% endblock %}
"""
HTML = """{% extends "_layout.html.j2" %}
{% block content %}<p>Dear {{ name }},</p>{% endblock %}
"""


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    layouts = Path(__file__).resolve().parents[2] / "templates" / "email"
    for name in ("_layout.txt.j2", "_layout.html.j2"):
        (tmp_path / name).write_text((layouts / name).read_text())
    (tmp_path / "greeting.txt.j2").write_text(TEXT)
    (tmp_path / "greeting.html.j2").write_text(HTML)
    return tmp_path


def test_a_script_tag_in_a_name_is_escaped_in_html_and_literal_in_text(templates: Path) -> None:
    name = "<script>alert(1)</script> & Co"
    email = render_email("greeting", {"name": name, "partner": "Police"}, directory=templates)
    assert "Dear <script>alert(1)</script> & Co," in email.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in (email.html or "")
    assert "<script>" not in (email.html or "")


def test_the_subject_comes_from_its_block_and_stays_out_of_the_body(templates: Path) -> None:
    email = render_email("greeting", {"name": "Jo", "partner": "Police"}, directory=templates)
    assert email.subject == "Return due: Police"
    assert "Return due" not in email.text
    assert "<title>Return due: Police</title>" in (email.html or "")


def test_a_line_break_smuggled_into_the_subject_is_refused(templates: Path) -> None:
    with pytest.raises(HeaderInjectionError):
        render_email(
            "greeting",
            {"name": "Jo", "partner": "Police\nBcc: x@evil.example"},
            directory=templates,
        )


def test_a_missing_context_name_is_an_error_not_a_blank(templates: Path) -> None:
    with pytest.raises(UndefinedError):
        render_email("greeting", {"partner": "Police"}, directory=templates)


def test_a_template_without_html_renders_text_only(templates: Path) -> None:
    (templates / "greeting.html.j2").unlink()
    email = render_email("greeting", {"name": "Jo", "partner": "Police"}, directory=templates)
    assert email.html is None


def test_the_officer_failure_alert_renders_from_the_project_templates() -> None:
    email = render_email(
        "outbox_failure",
        {
            "failed_subject": "Reminder <b>",
            "failed_to": ["jo@police.example.org"],
            "failed_kind": "reminder",
            "failed_message_id": "<abc@trustcycle.local>",
            "failed_reply": "550 5.1.1 no such user",
        },
    )
    assert email.subject == "Undelivered email: Reminder <b>"
    assert "550 5.1.1 no such user" in email.text
    assert "Reminder &lt;b&gt;" in (email.html or "")
