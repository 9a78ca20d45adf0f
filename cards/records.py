"""Records for people to read: the subject access export page and the report's chart.

Pure functions of a view model, like every card: no database, no files. The export
page goes through the autoescaping letter environment, because it quotes what members
of the public and staff wrote (the rules of the house: HTML autoescape in letters).
The chart is drawn with matplotlib's Agg backend, which needs no display.
"""

from __future__ import annotations

import io
import re
from typing import Any

from cards.render import letter_env

_LOCAL_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})[+-]\d{2}:\d{2}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        # Semicolons: the policy's own wording of a behaviour has commas in it.
        return "; ".join(_text(v) for v in value)
    text = str(value)
    match = _LOCAL_TIME.fullmatch(text)
    return f"{match.group(1)} {match.group(2)}" if match else text


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _rows(entry: dict[str, Any], skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """An entry as label/text rows, with nested records (restrictions, disclosures) apart."""
    rows: list[tuple[str, str]] = []
    nested: list[dict[str, Any]] = []
    for key, value in entry.items():
        if key in skip or _empty(value):
            continue
        if isinstance(value, dict):
            nested.append(
                {"label": _label(key), "items": [[(_label(k), _text(v)) for k, v in value.items()]]}
            )
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            nested.append(
                {
                    "label": _label(key),
                    "items": [
                        [(_label(k), _text(v)) for k, v in item.items() if not _empty(v)]
                        for item in value
                    ],
                }
            )
        else:
            rows.append((_label(key), _text(value)))
    return {"rows": rows, "nested": nested}


def export_view(data: dict[str, Any], sections: list[dict[str, str]]) -> dict[str, Any]:
    """The view model of the export page from the export's data and its section list."""
    shaped = []
    for section in sections:
        entries = []
        for entry in data[section["key"]]:
            body = _rows(entry, skip=frozenset({"id", "text"}))
            entries.append(
                {
                    "heading": f"{section['singular']} #{entry.get('id', '')}",
                    "letter_text": entry.get("text") if section["key"] == "letters" else None,
                    **body,
                }
            )
        shaped.append({**section, "entries": entries})
    return {
        "export": data["export"],
        "person": _rows(data["person"]),
        "sections": shaped,
    }


def render_export_html(data: dict[str, Any], sections: list[dict[str, str]], **extra: Any) -> str:
    """index.html of a subject access export; every value is escaped by the environment."""
    template = letter_env().get_template("records/export.html.j2")
    return template.render(**export_view(data, sections), **extra)


# Colour-blind-safe (Okabe-Ito), one per behaviour category, and one for strategies.
CATEGORY_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9")
STRATEGY_COLOUR = "#000000"


def incidents_chart(
    *,
    months: list[str],
    categories: dict[str, list[int]],
    strategies: list[int],
    title: str,
) -> bytes:
    """A PNG: incidents per month by category (grouped bars) and strategies in force (line).

    Bars are grouped, not stacked, because one incident can show behaviour from more than
    one category: stacking would overstate the total.
    """
    # The object API, not pyplot: no global figure state, so it is safe off the main thread.
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    # 1000 x 500 px: inside Teams' 1024 px limit for an inline image, legible on Slack.
    fig = Figure(figsize=(10, 5), dpi=100, layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(1, len(categories))
    positions = list(range(len(months)))
    for i, (label, counts) in enumerate(categories.items()):
        ax.bar(
            [p - 0.4 + width * (i + 0.5) for p in positions],
            counts,
            width=width,
            label=label,
            color=CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)],
        )
    ax.set_xticks(positions, months, rotation=45, ha="right")
    ax.set_xlabel("Month")
    ax.set_ylabel("Incidents reported")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    tallest = max([1, *(max(c, default=0) for c in categories.values())])
    # Head room above the tallest bar keeps the legend off the data.
    ax.set_ylim(bottom=0, top=tallest * 1.35)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    line_ax = ax.twinx()
    line_ax.plot(
        positions,
        strategies,
        color=STRATEGY_COLOUR,
        marker="o",
        markerfacecolor="white",
        linestyle="--",
        linewidth=1.5,
        label="Contact strategies in force (month end)",
    )
    line_ax.set_ylabel("Contact strategies in force")
    line_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    line_ax.set_ylim(bottom=0, top=max([1, *strategies]) * 1.35)
    handles, labels = ax.get_legend_handles_labels()
    more_handles, more_labels = line_ax.get_legend_handles_labels()
    ax.legend(
        handles + more_handles,
        labels + more_labels,
        loc="upper left",
        fontsize="small",
        framealpha=0.9,
        ncols=2,
    )
    ax.set_title(title)
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
