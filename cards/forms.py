"""A form described once, rendered as a Slack modal or a Teams Adaptive Card.

dialogs/ builds a `FormSpec` and validates submissions against it; cards/ renders it.
Keeping one description is what makes the two platforms ask exactly the same questions.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

FieldKind = Literal[
    "text", "textarea", "number", "select", "multiselect", "radio", "checkboxes",
    "datetime", "date", "person", "info",
]  # fmt: skip


class Choice(BaseModel):
    value: str
    label: str


class ChoiceGroup(BaseModel):
    label: str
    options: list[Choice]


class FieldSpec(BaseModel):
    id: str
    label: str
    kind: FieldKind
    required: bool = True
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    options: list[Choice] = Field(default_factory=list)
    groups: list[ChoiceGroup] = Field(default_factory=list)
    hint: str = ""
    placeholder: str = ""

    def all_options(self) -> list[Choice]:
        return self.options + [c for g in self.groups for c in g.options]


class FormSpec(BaseModel):
    """A whole form; `context` travels with it (Slack private_metadata, Teams action data)."""

    name: str
    title: str = Field(max_length=24)
    submit: str = Field(default="Submit", max_length=24)
    intro: str = ""
    fields: list[FieldSpec]
    context: dict[str, Any] = Field(default_factory=dict)
    # Shown values: initial values, or what the user entered when the form comes back with
    # errors (Teams). Datetimes as epoch seconds, dates as ISO strings, lists for multi.
    values: dict[str, Any] = Field(default_factory=dict)
    errors: dict[str, str] = Field(default_factory=dict)
    timezone: str = "Europe/London"

    def field(self, field_id: str) -> FieldSpec:
        return next(f for f in self.fields if f.id == field_id)
