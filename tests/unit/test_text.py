"""cards/text.py: each surface's escaping function, and the boundary's rules (issue 16)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from cards import text
from cards.forms import FormSpec
from cards.render import json_env, render
from cards.text import FSI, PDI, UnsafeText
from dialogs.validation import check

ESC_OSC = "\x1b]0;owned\x07\x1b[2J"
RTL = "עמית"


# -- the boundary ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["a\x00b", "a\ud800b", "a\udfffb", f"a{ESC_OSC}b", "a\x07b", "a\x7fb", "a\x9bb", "a\x0bb"],
)
def test_controls_nul_and_lone_surrogates_are_refused(typed: str) -> None:
    with pytest.raises(UnsafeText, match="please retype it"):
        text.clean_input(typed)


def test_newline_and_tab_stay_and_crlf_becomes_newline() -> None:
    assert text.clean_input("one\r\ntwo\rthree\tfour\u2028five") == "one\ntwo\nthree\tfour\nfive"


def test_input_is_nfc() -> None:
    decomposed = "Zoe\u0301"  # e + combining acute
    assert text.clean_input(decomposed) == "Zoé"


def test_invisible_disguises_are_removed_and_joiners_kept() -> None:
    typed = "Al\u200bex \u202eevil\u202c \u2066x\u2069 \ufeffY\u2060Z"
    assert text.clean_input(typed) == "Alex evil x YZ"
    # ZWNJ and ZWJ are part of Persian and Indic spelling and of emoji.
    assert text.clean_input("می\u200cخواهم 👩\u200d💻") == "می\u200cخواهم 👩\u200d💻"


# -- the surfaces ----------------------------------------------------------------------


def test_slack_mrkdwn_shows_mentions_and_links_literally() -> None:
    shown = text.slack_mrkdwn("<!channel> <@U1> <http://evil.example|Open> & co")
    assert shown == "&lt;!channel&gt; &lt;@U1&gt; &lt;http://evil.example|Open&gt; &amp; co"


def test_slack_escape_of_composed_text_drops_controls() -> None:
    assert text.slack_escape(f"Hi <!here>{ESC_OSC}\u202e") == "Hi &lt;!here&gt;]0;owned[2J"


def test_slack_plain_isolates_right_to_left_and_nothing_else() -> None:
    assert text.slack_plain("Morgan Example") == "Morgan Example"
    assert text.slack_plain(f"{RTL} Cohen") == f"{FSI}{RTL} Cohen{PDI}"
    # A reversing override cannot survive inside the isolate.
    assert text.slack_plain(f"\u202e{RTL}") == f"{FSI}{RTL}{PDI}"


def test_card_markdown_escapes_links_and_emphasis() -> None:
    assert text.card_markdown("[Open](http://e.x) **b**") == (
        "\\[Open\\]\\(http://e\\.x\\) \\*\\*b\\*\\*"
    )


def test_html_escapes_and_puts_right_to_left_in_bdi() -> None:
    assert str(text.html("<script>&")) == "&lt;script&gt;&amp;"
    assert str(text.html(f"{RTL}\x1b[2J")) == f"<bdi>{RTL}[2J</bdi>"


def test_terminal_shows_escape_sequences_instead_of_obeying_them() -> None:
    shown = text.terminal(f"a{ESC_OSC}b\u202ec\x9bd\u200be\tf\ng")
    assert shown == "a\\x1b]0;owned\\x07\\x1b[2Jb\\u202ec\\x9bd\\u200be\tf\ng"
    assert "\x1b" not in shown and "\x07" not in shown


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_cells_that_start_a_formula_are_made_text(cell: str) -> None:
    assert text.csv_cell(cell).startswith("'")


def test_csv_cells_otherwise_unchanged_and_numbers_untouched() -> None:
    assert text.csv_cell("Adult Social Care") == "Adult Social Care"
    assert text.csv_cell(-3) == -3
    out = io.StringIO()
    csv.writer(out).writerow([text.csv_cell(c) for c in ["=HYPERLINK(1)", 4, "ok"]])
    assert out.getvalue().strip() == "'=HYPERLINK(1),4,ok"


def test_file_names_are_plain_ascii() -> None:
    assert text.filename("../<!channel>|x.html") == "channel-x.html"
    assert text.filename("...", "letter.html") == "letter.html"


def test_json_text_is_the_same_data_without_raw_controls() -> None:
    data = {"name": f"Zed{ESC_OSC}\u202e\x9b{RTL}"}
    dumped = text.json_text(json.dumps(data, ensure_ascii=False))
    assert json.loads(dumped) == data
    assert "\u202e" not in dumped and "\x9b" not in dumped and RTL in dumped


# -- every rendered payload ------------------------------------------------------------


def test_a_rendered_slack_payload_has_no_controls_and_an_escaped_fallback() -> None:
    name = f"<!channel> {ESC_OSC} {RTL}"
    payload = render("slack", "talk_request", {"staff_name": name}, keep=False)
    assert payload["text"].startswith("&lt;!channel&gt; ]0;owned")
    shown = payload["blocks"][0]["text"]["text"]
    assert f"*{FSI}&lt;!channel&gt; ]0;owned[2J {RTL}{PDI}*" in shown
    assert "\x1b" not in json.dumps(payload, ensure_ascii=False)


def test_tojson_scrubs_every_string_but_keeps_isolates() -> None:
    template = json_env().from_string('{"text": {{ a|tojson }}, "blocks": [{{ b|tojson }}]}')
    rendered = template.render(a="a\u202eb\u200b", b={"x": f"{FSI}c\x1b{PDI}"})
    assert json.loads(rendered) == {"text": "ab", "blocks": [{"x": f"{FSI}c{PDI}"}]}


# -- where a form's values are parsed (dialogs/validation.py) --------------------------


def _form() -> FormSpec:
    from dialogs import fields

    return FormSpec(
        name="t",
        title="T",
        fields=[
            fields.text("name", "Name", max_length=50),
            fields.textarea("note", "Note", max_length=50, required=False),
        ],
    )


def test_a_form_refuses_controls_under_the_field_and_stores_nfc() -> None:
    clean, errors = check(_form(), {"name": "Zoe\u0301 Al\u200bex", "note": "a\x1b[2Jb"})
    assert clean == {"name": "Zoé Alex"}
    assert "control character" in errors["note"]
    _, errors = check(_form(), {"name": "Zed\x00"})
    assert "NUL" in errors["name"]


def test_text_of_only_invisible_characters_is_no_answer() -> None:
    clean, errors = check(_form(), {"name": "\u200b\u2060", "note": "\ufeff"})
    assert errors == {"name": "Please answer this question."}
    assert clean == {"note": None}
