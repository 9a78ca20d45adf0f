"""Short constructors for form fields, so a form reads as the list of its questions.

Each returns a cards.forms.FieldSpec; choices come from the policy's own lists in
dialogs.catalogue, so a form offers exactly the policy's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cards.forms import Choice, ChoiceGroup, FieldKind, FieldSpec, FormSpec
from cards.ids import FormName
from dialogs import catalogue as cat
from dialogs.context import Ctx


@dataclass(frozen=True)
class Head:
    """A form's name, its title and its submit button: what stays the same each time."""

    name: FormName
    title: str
    submit: str

    def form(
        self,
        ctx: Ctx,
        questions: list[FieldSpec],
        *,
        intro: str = "",
        context: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
    ) -> FormSpec:
        """The form, its dates and times in the office's zone."""
        return FormSpec(
            name=self.name,
            title=self.title,
            submit=self.submit,
            intro=intro,
            fields=questions,
            context=context or {},
            values=values or {},
            timezone=ctx.policy.timezone,
        )


def choices(items: tuple[cat.Item, ...]) -> list[Choice]:
    return [Choice(value=i.id, label=i.label) for i in items]


def text(fid: str, label: str, *, max_length: int, **extra: Any) -> FieldSpec:
    return FieldSpec(id=fid, label=label, kind="text", max_length=max_length, **extra)


def textarea(fid: str, label: str, *, max_length: int, **extra: Any) -> FieldSpec:
    return FieldSpec(id=fid, label=label, kind="textarea", max_length=max_length, **extra)


def pick(
    fid: str,
    label: str,
    options: tuple[cat.Item, ...] | list[Choice],
    *,
    kind: FieldKind = "select",
    **extra: Any,
) -> FieldSpec:
    """A choice from `options`: select, radio, multiselect or checkboxes."""
    listed = choices(options) if isinstance(options, tuple) else options
    return FieldSpec(id=fid, label=label, kind=kind, options=listed, **extra)


def grouped(fid: str, label: str, groups: tuple[cat.Group, ...], **extra: Any) -> FieldSpec:
    """A multi-select whose options come in the policy's groups (s3.1, s3.2)."""
    listed = [ChoiceGroup(label=g.label, options=choices(cat.offered(g))) for g in groups]
    return FieldSpec(id=fid, label=label, kind="multiselect", groups=listed, **extra)


def when(fid: str, label: str, **extra: Any) -> FieldSpec:
    return FieldSpec(id=fid, label=label, kind="datetime", **extra)


def day(fid: str, label: str, **extra: Any) -> FieldSpec:
    return FieldSpec(id=fid, label=label, kind="date", **extra)


def info(fid: str, label: str) -> FieldSpec:
    """A line of text in the form, not a question."""
    return FieldSpec(id=fid, label=label, kind="info", required=False)


def yes_no(fid: str, label: str, **extra: Any) -> FieldSpec:
    return pick(fid, label, cat.YES_NO, kind="radio", **extra)
