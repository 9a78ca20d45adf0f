"""Letters to members of the public: HTML (autoescaped) and plain text from one model."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from cards.render import letter_env
from cards.text import isolate


@cache
def _text_env() -> Environment:
    return SandboxedEnvironment(
        loader=PackageLoader("cards", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Every value printed: no controls, right-to-left text isolated (cards/text.py).
        finalize=isolate,
    )


def render(kind: str, model: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, html, text) of the letter `kind`."""
    subject = _text_env().get_template(f"letters/{kind}.subject.j2").render(**model)
    html = letter_env().get_template(f"letters/{kind}.html.j2").render(**model)
    text = _text_env().get_template(f"letters/{kind}.txt.j2").render(**model)
    return " ".join(subject.split()), html, text
