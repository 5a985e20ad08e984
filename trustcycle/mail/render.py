"""Rendering paired email templates (`NAME.txt.j2` + `NAME.html.j2`) under `templates/email/`.

Conventions for a template author:
- `NAME.txt.j2` extends `_layout.txt.j2` and defines `{% block subject %}` and
  `{% block body %}`; the subject block is rendered alone, so a line break that a context
  value smuggles into it is caught (`HeaderInjectionError`), never silently cut off.
- `NAME.html.j2` (optional) extends `_layout.html.j2` and defines `{% block content %}`;
  it is autoescaped and receives the rendered subject as `email_subject`.
- Undefined names are errors (`StrictUndefined`). Building the context is the caller's
  job (purpose-named functions next to the chase), not this module's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from trustcycle.mail.message import check_header

# The project root holds templates/ next to the trustcycle package (a source checkout).
DEFAULT_TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "email"


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """A rendered message: a one-line subject, a plain text body and an optional HTML body."""

    subject: str
    text: str
    html: str | None


def template_dir() -> Path:
    """`TRUSTCYCLE_EMAIL_TEMPLATES` if set, else `templates/email/` of the project."""
    override = os.environ.get("TRUSTCYCLE_EMAIL_TEMPLATES")
    return Path(override) if override else DEFAULT_TEMPLATE_DIR


def _autoescape(name: str | None) -> bool:
    # Only the HTML half is escaped: the text half must show "<" and "&" as typed.
    return bool(name) and name.endswith((".html.j2", ".html"))  # type: ignore[union-attr]


@lru_cache(maxsize=8)
def email_environment(directory: Path | None = None) -> Environment:
    """The one Jinja2 environment for email templates (cached per directory)."""
    return Environment(
        loader=FileSystemLoader(str(directory or template_dir())),
        undefined=StrictUndefined,
        autoescape=_autoescape,
        # Trap: auto_reload stats every template file (layouts included) on each render:
        # 9% of a 20,000-message chase tick. A template edit needs a restart instead.
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_email(
    name: str, context: Mapping[str, Any], *, directory: Path | None = None
) -> RenderedEmail:
    """Render `NAME.txt.j2` (subject and text) and `NAME.html.j2` if it exists."""
    env = email_environment(directory)
    text_template = env.get_template(f"{name}.txt.j2")
    if "subject" not in text_template.blocks:
        raise ValueError(f"{name}.txt.j2 defines no {{% block subject %}}")
    ctx = text_template.new_context(dict(context))
    subject = "".join(text_template.blocks["subject"](ctx)).strip()
    check_header("Subject", subject)
    if not subject:
        raise ValueError(f"{name}.txt.j2 renders an empty subject")
    text = text_template.render(context)
    try:
        html_template = env.get_template(f"{name}.html.j2")
    except TemplateNotFound:
        return RenderedEmail(subject, text, None)
    html = html_template.render({**context, "email_subject": subject})
    return RenderedEmail(subject, text, html)
